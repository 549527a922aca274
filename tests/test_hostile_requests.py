"""Requests an attacker (or a careless link) sends: each is a readable 4xx, never a 500.

The values come from issue 10: ``level=²``, ``level=①``, a 4,300-digit level and a
full-width ``level=１`` gave 500s or empty charts; ``_facet_hierarchy={}`` and
``{"column":5}`` gave 500s; ``function_class=201&function_class=208`` listed 201 with money
in the facet while the table had no row; the embed page linked ``javascript:`` source URLs.
"""
import sqlite3
from urllib.parse import quote

import pytest
from datasette.app import Datasette
from datasette.utils import add_cors_headers

from conftest import SEED_SLUG, load
from corpus import department_copy, department_names
from test_charts import make_datasette
from test_hierarchy_facet import facet_results

HOSTILE_LEVELS = ["²", "①", "１", "٣", "9" * 4300, "1.0", "-1", " 1 1", "0x1"]
LEVEL_MESSAGE = "level must be 1（类）、2（款） or 3（项）"


@pytest.mark.asyncio
@pytest.mark.parametrize("level", HOSTILE_LEVELS, ids=lambda v: v[:12])
@pytest.mark.parametrize("path", [
    "/budget/expenditure_by_function.vegalite",
    "/budget/expenditure_by_function.svg",
    "/budget/expenditure_by_function.png",
    "/-/budget/embed/expenditure_by_function",
])
async def test_a_level_that_is_not_ascii_digits_in_range_is_a_400_listing_the_valid_values(ds, path, level):
    response = await ds.client.get(f"{path}?level={quote(level)}")
    assert response.status_code == 400
    text = response.text
    assert LEVEL_MESSAGE in text
    assert len(text) < 2000  # a 4,300-digit value is not echoed back whole


@pytest.mark.asyncio
@pytest.mark.parametrize("level", ["²", "①", "１", "9" * 4300])
async def test_query_page_with_such_a_level_still_answers_and_says_why_there_is_no_chart(ds, level):
    response = await ds.client.get(f"/budget/expenditure_by_function?level={quote(level)}")
    assert response.status_code == 200
    assert "图表无法显示：" + LEVEL_MESSAGE in response.text


@pytest.mark.asyncio
async def test_repeated_parameters_with_different_values_are_a_400(ds):
    response = await ds.client.get("/budget/expenditure_by_function.vegalite?level=1&level=2")
    assert response.status_code == 400
    assert "level is given 2 times with different values" in response.json()["error"]
    same = await ds.client.get("/budget/expenditure_by_function.vegalite?level=2&level=2")
    assert same.status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize("config,message", [
    ("{}", 'A facet takes a column name or {"column": "<column>"}'),
    ('{"column":5}', 'A facet takes a column name or {"column": "<column>"}'),
    ('{"column":', "_facet_hierarchy is not valid JSON"),
    ("nope", "'nope' is not a code hierarchy of this table"),
])
async def test_facet_configs_the_facet_does_not_understand_are_a_400(ds, config, message):
    response = await ds.client.get(f"/budget/function_expenditure.json?_facet_hierarchy={quote(config)}")
    assert response.status_code == 400
    assert message in response.json()["error"]
    html = await ds.client.get(f"/budget/function_expenditure?_facet_hierarchy={quote(config)}")
    assert html.status_code == 400


@pytest.mark.asyncio
@pytest.mark.parametrize("query,message", [
    ("_facet=%00", "_facet holds a NUL character"),
    ("name=%00", "name holds a NUL character"),
    ("_facet_size=%C2%B2&_facet_hierarchy=function_code", "_facet_size must be a whole number or max; got '²'"),
    ("_facet_date=%7B%7D", '_facet_date: A facet takes a column name or {"column": "<column>"}'),
    ("_facet=department", "_facet: 'department' is not a column of function_expenditure."),
    ("_facet_array=%7B%22column%22%3A%22nope%22%7D", "_facet_array: 'nope' is not a column of function_expenditure."),
    ("_sort=nope", "Cannot sort table by nope"),
    ("_sort_desc=%C2%B2", "Cannot sort table by ²"),
    ("_sort=total&_sort_desc=name", "Cannot use _sort and _sort_desc at the same time"),
])
async def test_what_datasette_itself_would_fail_on_is_a_400_naming_the_parameter(ds, query, message):
    # Datasette 0.65 answers _facet=%00, the _facet_size and the _facet_date with a 500 (NUL in
    # SQL text, int("²"), KeyError) and a _sort it cannot take, 1.0a41 a _facet of a column the
    # table does not have (its column facet runs the SQL unchecked); a NUL is refused alike
    # in every parameter
    response = await ds.client.get(f"/budget/function_expenditure.json?{query}")
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.asyncio
@pytest.mark.parametrize("extra", ["", f"&document={quote(SEED_SLUG)}", "&_where=1"],
                         ids=["rollups path", "line-table path", "line-table path, _where"])
async def test_conflicting_filters_give_no_rows_in_the_table_and_no_money_in_the_facet(ds, extra):
    response = await ds.client.get(
        "/budget/function_expenditure.json?_facet_hierarchy=function_code"
        f"&function_class=201&function_class=208{extra}&_extra=count,facet_results"
    )
    assert response.status_code == 200
    data = response.json()
    # the row count: filtered_table_rows_count on Datasette 0.65, count (asked with _extra) on 1.0
    assert data.get("filtered_table_rows_count", data.get("count")) == 0
    items = facet_results(data)["function_code"]["results"]
    # the seed has 201 with 13,931,481 元; none of it belongs to a table with no rows
    assert [(i["value"], i["count"]) for i in items if i["count"] or i["sum"]] == []


@pytest.fixture(scope="module")
def three_documents(tmp_path_factory):
    folder = tmp_path_factory.mktemp("three")
    for name in department_names(3):
        (folder / f"{name}.txt").write_text(department_copy(name), encoding="utf-8")
    db_path = folder / "budget.db"
    result = load(db_path, folder)
    assert result.exit_code == 0, result.output
    # a source URL as a careless or hostile publisher could give it
    with sqlite3.connect(db_path) as conn:
        conn.execute("update documents set source_url = 'javascript:alert(document.domain)'")
    return db_path


@pytest.mark.asyncio
async def test_documents_page_is_paginated(three_documents):
    ds = Datasette([str(three_documents)])
    await ds.invoke_startup()
    first = (await ds.client.get("/-/budget/documents.json?_size=2")).json()["databases"][0]
    assert first["count"] == 3 and len(first["documents"]) == 2
    assert first["next_url"] == "/-/budget/documents.json?_database=budget&_next=2&_size=2"
    second = (await ds.client.get(first["next_url"])).json()["databases"][0]
    assert len(second["documents"]) == 1 and second["next_url"] is None
    slugs = {d["slug"] for d in first["documents"] + second["documents"]}
    assert slugs == {f"{name}-2021-部门预算" for name in department_names(3)}
    html = (await ds.client.get("/-/budget/documents?_size=2")).text
    assert "3 documents, 1–2 shown." in html
    assert 'href="/-/budget/documents?_database=budget&amp;_next=2&amp;_size=2" rel="next"' in html
    bad = await ds.client.get("/-/budget/documents.json?_size=%EF%BC%92")
    assert bad.status_code == 400 and "_size must be a whole number from 1 to 1000" in bad.json()["error"]


@pytest.mark.asyncio
async def test_documents_page_past_the_time_limit_is_a_400_naming_it_without_sql(three_documents, tmp_path):
    # enough documents that listing them cannot finish in 1 ms
    db_path = tmp_path / "many.db"
    db_path.write_bytes(three_documents.read_bytes())
    conn = sqlite3.connect(db_path)
    columns = [r[1] for r in conn.execute("pragma table_info(documents)") if r[1] != "slug"]
    for n in range(400):
        conn.execute(f"insert into documents (slug, {', '.join(columns)}) "
                     f"select slug || '-{n}', {', '.join(columns)} from documents where slug not like '%-%-%-%'")
    conn.commit()
    conn.close()
    ds = Datasette([str(db_path)])
    await ds.invoke_startup()
    ds._settings["sql_time_limit_ms"] = ds.sql_time_limit_ms = 1
    for path in ("/-/budget/documents", "/-/budget/documents.json"):
        response = await ds.client.get(path + "?_size=1000")
        assert response.status_code == 400
        assert "took longer than sql_time_limit_ms (1 ms)" in response.text
        assert "select" not in response.text.lower()


@pytest.mark.asyncio
async def test_source_urls_that_are_not_http_are_never_links(three_documents):
    ds = Datasette([str(three_documents)])
    await ds.invoke_startup()
    embed = await ds.client.get("/-/budget/embed/expenditure_by_function")
    assert embed.status_code == 200
    assert "javascript:" not in embed.text
    documents = await ds.client.get("/-/budget/documents")
    assert 'href="javascript:' not in documents.text
    assert "javascript:alert(document.domain)" in documents.text  # shown as text


@pytest.mark.asyncio
@pytest.mark.parametrize("path", [
    "/budget/sangong.vegalite", "/budget/sangong.svg", "/-/budget/documents.json",
    "/budget/sangong.vegalite?level=9",
])
async def test_plugin_routes_follow_datasette_cors_setting(budget_db, path):
    with_cors = make_datasette(budget_db, cors=True)
    await with_cors.invoke_startup()
    response = await with_cors.client.get(path)
    assert response.status_code in (200, 400)
    assert response.headers["access-control-allow-origin"] == "*"
    # exactly the headers the installed Datasette sends with --cors (1.0 adds Content-Type)
    expected: dict = {}
    add_cors_headers(expected)
    assert {k.lower(): response.headers.get(k) for k in expected} == {k.lower(): v for k, v in expected.items()}
    without = make_datasette(budget_db)
    await without.invoke_startup()
    response = await without.client.get(path)
    assert "access-control-allow-origin" not in response.headers
