"""The same site on Datasette 0.65 and 1.0, from the plugin alone.

The database is the seed loaded by the real CLI and attached under another name than
``budget`` (``hebei``), with no metadata file: titles, column descriptions, default facets
and label columns come from the package. `.ci/run` runs this file on 0.65.5, on 1.0a41 and
at the lowest declared versions.
"""
import html.parser
import shutil
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from datasette.app import Datasette
from datasette.version import __version__ as DATASETTE_VERSION

from conftest import ROOT, SEED_SLUG

ON_1_0 = not DATASETTE_VERSION.startswith("0.")
# From the seed document (README, and issue 12's figures): 201 一般公共服务支出 13,931,481 元.
GENERAL_PUBLIC_SERVICES = 13931481


@pytest.fixture(scope="module")
def hebei_db(budget_db, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hebei") / "hebei.db"
    shutil.copy(budget_db, path)
    return path


@pytest.fixture(scope="module")
def not_budget_db(tmp_path_factory) -> Path:
    """A database with a table called documents, but not the budget tables."""
    import sqlite3

    path = tmp_path_factory.mktemp("other") / "library.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table documents (id integer primary key, title text)")
        conn.execute("insert into documents (title) values ('a book')")
    return path


async def _datasette(*paths, metadata=None, config=None, settings=None) -> Datasette:
    kwargs = {"metadata": metadata, "settings": settings}
    if config is not None:
        kwargs["config"] = config
    datasette = Datasette([str(p) for p in paths], immutables=[], **kwargs)
    await datasette.invoke_startup()
    return datasette


def _facets(data: dict) -> dict:
    results = data["facet_results"]
    return results.get("results", results) if ON_1_0 else results


async def _table_json(datasette, path: str) -> dict:
    extra = "&_extra=facet_results" if ON_1_0 else ""
    response = await datasette.client.get(path + ("&" if "?" in path else "?") + "_size=0" + extra)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.asyncio
async def test_canned_json_query_answers_with_arbitrary_sql_off(hebei_db):
    # As a public site: no arbitrary SQL. The canned queries are the API and still answer.
    datasette = await _datasette(hebei_db, settings={"default_allow_sql": False})
    forbidden = await datasette.client.get("/hebei.json?sql=select+1", follow_redirects=True)
    assert forbidden.status_code == 403
    response = await datasette.client.get(
        f"/hebei/expenditure_by_function.json?_shape=array&document={SEED_SLUG}&level=1"
    )
    assert response.status_code == 200, response.text
    assert {row["code"]: row["total"] for row in response.json()}["201"] == GENERAL_PUBLIC_SERVICES


@pytest.mark.asyncio
async def test_table_metadata_comes_with_the_plugin_for_any_database_name(hebei_db):
    datasette = await _datasette(hebei_db)
    page = (await datasette.client.get("/hebei/function_expenditure")).text
    assert "部门支出总体情况表 Expenditure by functional classification (all funds)" in page
    # a column description, shown in the column's header
    assert "功能分类科目编码（项）Functional classification code, 7 digits" in page
    # the database page lists tables by name and the database has its description
    database_page = (await datasette.client.get("/hebei")).text
    assert "Department budget disclosures loaded by datasette-budget" in database_page
    # default facets: the hierarchy facet without asking for it, with the document's figure
    facets = _facets(await _table_json(datasette, "/hebei/function_expenditure.json"))
    items = {item["value"]: item["sum"] for item in facets["function_code"]["results"]}
    assert items["201"] == GENERAL_PUBLIC_SERVICES
    facets = _facets(await _table_json(datasette, "/hebei/summary_items.json"))
    assert {"statement", "side"} <= set(facets)
    # label column: rows that point at a code are labelled with its name
    assert await datasette.get_database("hebei").label_column_for_table("function_codes") == "name"


@pytest.mark.asyncio
async def test_other_databases_get_no_budget_metadata(hebei_db, not_budget_db):
    datasette = await _datasette(hebei_db, not_budget_db)
    page = (await datasette.client.get("/library/documents")).text
    assert "a book" in page
    assert "文档 Documents" not in page
    assert "文档 Documents" in (await datasette.client.get("/hebei/documents")).text


@pytest.mark.asyncio
async def test_the_sites_own_metadata_wins_key_by_key(hebei_db):
    metadata = {"databases": {"hebei": {"tables": {"summary_items": {
        "title": "河北 收支总表",
        "facets": ["side"],
        "columns": {"item": "项目 as the province names it"},
    }}}}}
    datasette = await _datasette(hebei_db, metadata=metadata)
    page = (await datasette.client.get("/hebei/summary_items")).text
    assert "河北 收支总表" in page and "Income and expenditure summary statements" not in page
    assert "项目 as the province names it" in page
    # the columns the site did not describe keep the shipped descriptions
    assert "收入/支出 Income or expenditure side" in page
    facets = _facets(await _table_json(datasette, "/hebei/summary_items.json"))
    assert set(facets) == {"side"}


@pytest.mark.asyncio
async def test_plugin_configuration_where_the_version_reads_it(hebei_db):
    """0.65 reads plugin configuration from metadata, 1.0 from datasette.yaml (config=)."""
    configuration = {"plugins": {"datasette-budget": {"charts": {"sangong": False}}}}
    if ON_1_0:
        datasette = await _datasette(hebei_db, config=configuration)
    else:
        datasette = await _datasette(hebei_db, metadata=configuration)
    switched_off = await datasette.client.get(f"/hebei/sangong.vegalite?document={SEED_SLUG}")
    assert switched_off.status_code == 404
    still_on = await datasette.client.get(f"/hebei/expenditure_by_function.vegalite?document={SEED_SLUG}")
    assert still_on.status_code == 200


@pytest.mark.skipif(not ON_1_0, reason="Datasette 0.65 has no datasette.yaml (its settings are --setting flags)")
@pytest.mark.asyncio
async def test_repository_datasette_yaml_is_read_by_1_0(hebei_db):
    config = yaml.safe_load((ROOT / "datasette.yaml").read_text("utf-8"))
    datasette = Datasette([str(hebei_db)], immutables=[], config=config)
    await datasette.invoke_startup()
    assert datasette.setting("suggest_facets") is False
    response = await datasette.client.get(f"/hebei/sangong.vegalite?document={SEED_SLUG}")
    assert response.status_code == 200


class _Tags(html.parser.HTMLParser):
    """Every tag with its attributes, and the text, inside the element with a given id."""

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.tags, self.text = element_id, 0, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth == 0 and attrs.get("id") != self.element_id:
            return
        self.depth += 1
        self.tags.append((tag, tuple(sorted(attrs.items()))))

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.text.append(data.strip())


def _facet_markup(page: str, column: str) -> _Tags:
    parser = _Tags(f"facet-{column}")
    parser.feed(page)
    assert parser.tags, f"no facet {column} on the page"
    return parser


@pytest.mark.asyncio
async def test_column_facets_keep_the_installed_datasettes_markup(hebei_db, tmp_path):
    """The plugin overrides _facet_results.html for the hierarchy facet; a column facet must
    still carry every element and attribute of the installed Datasette's own template (1.0's
    data-facet-value feeds its filter autocomplete)."""
    own_templates = tmp_path / "templates"
    own_templates.mkdir()
    # A site's template directory comes before a plugin's: this one renders Datasette's own.
    (own_templates / "_facet_results.html").write_text('{% include "default:_facet_results.html" %}')
    path = "/hebei/summary_items?_facet=side"
    ours = _facet_markup((await (await _datasette(hebei_db)).client.get(path)).text, "side")
    plain = Datasette([str(hebei_db)], immutables=[], template_dir=str(own_templates))
    await plain.invoke_startup()
    theirs = _facet_markup((await plain.client.get(path)).text, "side")
    # In order, each of Datasette's elements has one in ours with at least its attributes.
    remaining = iter(ours.tags)
    for tag, attrs in theirs.tags:
        assert any(tag == our_tag and set(attrs) <= set(our_attrs) for our_tag, our_attrs in remaining), \
            f"<{tag} {dict(attrs)}> of Datasette's template is missing from the plugin's"
    assert ours.text == theirs.text
    assert "收入" in ours.text and "支出" in ours.text
    if ON_1_0:
        values = {dict(attrs).get("data-facet-value") for tag, attrs in ours.tags if tag == "a"}
        assert {"收入", "支出"} <= values
