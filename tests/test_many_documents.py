"""Many documents in one database: slugs, comparison queries, sums that never count the same
money twice, the hierarchy facet across and within documents, full-text search, and the
documents page. The database holds the generated family of ``variants.FAMILY``."""
import sqlite3
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.cli import cli
from datasette.utils import escape_fts as datasette_escape_fts

from datasette_budget.search import escape_fts, segment
from variants import FAMILY, write_variant

ROOT = Path(__file__).resolve().parents[1]

XINFANG_2021 = "郑州市信访局-2021-部门预算"
XINFANG_2022 = "郑州市信访局-2022-部门预算"
MINZHENG_2021 = "郑州市民政局-2021-部门预算"
MINZHENG_2022 = "郑州市民政局-2022-部门预算"
MINZHENG_2021_FINAL = "郑州市民政局-2021-部门决算"
CENTER_2021 = "郑州市信访应急处置中心-2021-单位预算"

# The seed's figures, which every variant multiplies by its scale.
SEED_TOTAL = 18_129_249
SEED_201 = 13_931_481
SEED_2010308 = 3_590_000


def load(db_path, *paths, extra=()):
    return CliRunner().invoke(cli, ["budget", "load", str(db_path), *map(str, paths), *extra])


@pytest.fixture(scope="module")
def family_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("family")
    for name, kwargs in FAMILY.items():
        write_variant(folder, name, **kwargs)
    return folder


@pytest.fixture(scope="module")
def family_db(tmp_path_factory, family_dir) -> Path:
    db_path = tmp_path_factory.mktemp("family-db") / "budget.db"
    result = load(db_path, family_dir)
    assert result.exit_code == 0, result.output
    return db_path


@pytest_asyncio.fixture
async def ds(family_db):
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    datasette = Datasette([str(family_db)], metadata=metadata)
    await datasette.invoke_startup()
    return datasette


async def rows(ds, path: str, **params) -> list[dict]:
    response = await ds.client.get(path, params={**params, "_shape": "array"})
    assert response.status_code == 200, response.text
    return response.json()


# --- identity --------------------------------------------------------------------


def test_each_document_has_a_readable_slug_of_department_year_level_phase(family_db):
    conn = sqlite3.connect(family_db)
    found = conn.execute("select slug, department, year, level, phase from documents order by slug").fetchall()
    assert sorted(s for s, *_ in found) == sorted(
        [XINFANG_2021, XINFANG_2022, MINZHENG_2021, MINZHENG_2022, MINZHENG_2021_FINAL, CENTER_2021]
    )
    for slug, department, year, level, phase in found:
        assert slug == f"{department}-{year}-{level}{phase}"


def test_loading_a_document_again_keeps_its_slug_and_replaces_its_rows(tmp_path, family_dir):
    db = tmp_path / "b.db"
    assert load(db, family_dir / "xinfang-2021.txt", family_dir / "xinfang-2022.txt").exit_code == 0
    again = family_dir / "xinfang-2021.txt"
    assert load(db, again).exit_code == 0
    conn = sqlite3.connect(db)
    assert conn.execute("select slug from documents order by slug").fetchall() == [(XINFANG_2021,), (XINFANG_2022,)]
    assert conn.execute(
        "select document, sum(total) from function_expenditure group by document order by document"
    ).fetchall() == [(XINFANG_2021, SEED_TOTAL), (XINFANG_2022, 2 * SEED_TOTAL)]
    # the search index follows: the replaced document is found once, not twice
    hits = conn.execute(
        "select count(*) from function_expenditure_fts where function_expenditure_fts match ?", ['"住 房 公 积 金"']
    ).fetchone()[0]
    assert hits == 2


# --- existing aggregations across documents -------------------------------------------


@pytest.mark.asyncio
async def test_all_documents_sum_counts_each_department_once(ds):
    # 部门 预算 documents only: scales 1 + 2 + 10 + 12; the unit (consolidated by 信访局 2021)
    # and the 决算 (the same money as the 民政局 2021 budget) are left out.
    result = await rows(ds, "/budget/expenditure_by_function.json", document="", level="1")
    by_code = {r["code"]: r for r in result}
    assert by_code["201"]["total"] == 25 * SEED_201
    assert by_code["201"]["share"] == 76.85
    assert list(result[0]) == ["code", "name", "total", "basic", "project", "share"]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"document": CENTER_2021}, SEED_201),
        ({"document": MINZHENG_2021_FINAL}, 9 * SEED_201),
        ({"basis": "单位"}, SEED_201),
        ({"basis": "部门"}, 25 * SEED_201),
        ({"phase": "决算"}, 9 * SEED_201),
    ],
)
@pytest.mark.asyncio
async def test_document_basis_and_phase_choose_what_is_summed(ds, params, expected):
    result = await rows(ds, "/budget/expenditure_by_function.json", **{"document": "", "level": "1", **params})
    assert {r["code"]: r["total"] for r in result}["201"] == expected


@pytest.mark.asyncio
async def test_the_query_says_which_documents_it_counts(ds):
    response = await ds.client.get("/budget/expenditure_by_function")
    assert response.status_code == 200
    assert "单位 documents when that 部门 document is not" in response.text
    assert 'name="basis"' in response.text


@pytest.mark.asyncio
async def test_sangong_across_documents_is_not_doubled(ds):
    result = await rows(ds, "/budget/sangong.json", document="")
    assert result[0] == {"item": "合计", "kind": "total", "amount": 25 * 228_000}


# --- comparisons ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_function_over_years_with_growth(ds):
    result = await rows(ds, "/budget/function_over_years.json", department="郑州市信访局", code="201")
    assert [(r["year"], r["total"], r["previous_total"], r["growth"], r["growth_rate"]) for r in result] == [
        (2021, SEED_201, None, None, None),
        (2022, 2 * SEED_201, SEED_201, SEED_201, 100.0),
    ]
    assert result[1]["name"] == "一般公共服务支出"
    assert result[1]["basis"] == "部门"
    assert result[1]["documents"] == XINFANG_2022


@pytest.mark.asyncio
@pytest.mark.parametrize("code,seed_amount", [("201", SEED_201), ("20103", SEED_201), ("2010308", SEED_2010308), ("", SEED_TOTAL)])
async def test_function_over_years_at_each_level(ds, code, seed_amount):
    result = await rows(ds, "/budget/function_over_years.json", department="郑州市民政局", code=code)
    assert [(r["year"], r["total"], r["growth_rate"]) for r in result] == [
        (2021, 10 * seed_amount, None),
        (2022, 12 * seed_amount, 20.0),
    ]


@pytest.mark.asyncio
async def test_department_share_of_a_year(ds):
    result = await rows(ds, "/budget/department_share.json", year="2021")
    assert [(r["department"], r["total"], r["share"], r["basis"]) for r in result] == [
        ("郑州市民政局", 10 * SEED_TOTAL, 90.91, "部门"),
        ("郑州市信访局", SEED_TOTAL, 9.09, "部门"),
    ]


@pytest.mark.asyncio
async def test_department_share_defaults_to_the_latest_year_and_takes_a_code(ds):
    result = await rows(ds, "/budget/department_share.json", code="2010308")
    assert [(r["department"], r["year"], r["total"], r["share"]) for r in result] == [
        ("郑州市民政局", 2022, 12 * SEED_2010308, 85.71),
        ("郑州市信访局", 2022, 2 * SEED_2010308, 14.29),
    ]


@pytest.mark.asyncio
async def test_department_share_on_unit_basis_lists_the_unit(ds):
    result = await rows(ds, "/budget/department_share.json", year="2021", basis="单位")
    assert [(r["department"], r["share"], r["basis"]) for r in result] == [("郑州市信访应急处置中心", 100.0, "单位")]


@pytest.mark.asyncio
async def test_execution_rate_of_budget_against_final_accounts(ds):
    result = await rows(ds, "/budget/execution_rate.json")
    total = result[0]
    assert (total["department"], total["year"], total["code"], total["name"]) == ("郑州市民政局", 2021, None, "合计")
    assert (total["budget"], total["final"], total["difference"], total["execution_rate"]) == (
        10 * SEED_TOTAL, 9 * SEED_TOTAL, -SEED_TOTAL, 90.0
    )
    assert (total["budget_document"], total["final_document"]) == (MINZHENG_2021, MINZHENG_2021_FINAL)
    # only the department with both loaded appears
    assert {r["department"] for r in result} == {"郑州市民政局"}
    assert [r["code"] for r in result[1:]] == ["201", "205", "208", "210", "221"]


@pytest.mark.asyncio
async def test_execution_rate_by_item(ds):
    result = await rows(ds, "/budget/execution_rate.json", level="3", department="郑州市民政局", year="2021")
    item = next(r for r in result if r["code"] == "2010308")
    assert (item["name"], item["budget"], item["final"], item["execution_rate"]) == (
        "信访事务", 10 * SEED_2010308, 9 * SEED_2010308, 90.0
    )


@pytest.mark.asyncio
async def test_execution_rate_is_empty_without_final_accounts(ds):
    assert await rows(ds, "/budget/execution_rate.json", department="郑州市信访局") == []


# --- hierarchy facet --------------------------------------------------------------


def facet(data: dict) -> dict:
    results = data["facet_results"]
    return results["results"]["function_code"] if "results" in results else results["function_code"]


@pytest.mark.asyncio
async def test_hierarchy_facet_across_documents_sums_every_row_shown(ds):
    response = await ds.client.get("/budget/function_expenditure.json?_facet_hierarchy=function_code")
    items = {i["value"]: i for i in facet(response.json())["results"]}
    # the table view shows every document's rows: 1 + 2 + 10 + 12 + 9 + 1
    assert items["201"]["sum"] == 35 * SEED_201
    assert items["201"]["count"] == 6 * 2


@pytest.mark.asyncio
async def test_hierarchy_facet_within_one_document(ds):
    response = await ds.client.get(
        "/budget/function_expenditure.json",
        params={"document": XINFANG_2022, "_facet_hierarchy": "function_code", "function_class": "201"},
    )
    results = facet(response.json())["results"]
    sections = [i for i in results if not i.get("breadcrumb")]
    assert [(i["value"], i["sum"], i["count"]) for i in sections] == [("20103", 2 * SEED_201, 2)]


@pytest.mark.asyncio
async def test_hierarchy_facet_drills_to_items_across_documents(ds):
    response = await ds.client.get(
        "/budget/function_expenditure.json",
        params={"_facet_hierarchy": "function_code", "function_class": "201", "function_section": "20103",
                "document__in": f"{XINFANG_2021},{MINZHENG_2022}"},
    )
    items = {i["value"]: i["sum"] for i in facet(response.json())["results"] if not i.get("breadcrumb")}
    assert items["2010308"] == 13 * SEED_2010308


# --- full-text search -------------------------------------------------------------


def test_escape_fts_is_datasettes_for_terms_without_chinese():
    for query in ["budget", 'travel "office costs"', "a b", 'unbalanced "quote']:
        assert escape_fts(query) == datasette_escape_fts(query)
    assert escape_fts("信访") == '("信访" OR "信 访")'
    assert segment("信访事务 2021年") == "信 访 事 务 2021 年"


@pytest.mark.asyncio
async def test_search_narrative_for_a_two_character_word(ds):
    found = await rows(ds, "/budget/narrative.json", _search="信访", _size="max")
    assert {r["document"] for r in found} == {XINFANG_2021, XINFANG_2022, MINZHENG_2021, MINZHENG_2022,
                                              MINZHENG_2021_FINAL, CENTER_2021}
    assert all("信访" in (r["heading"] or "") + (r["text"] or "") for r in found)


@pytest.mark.asyncio
async def test_search_within_one_document(ds):
    # punctuation does not split a phrase: 三公经费 finds “三公”经费 as printed
    found = await rows(ds, "/budget/narrative.json", _search="三公经费", document=XINFANG_2022)
    assert found and {r["document"] for r in found} == {XINFANG_2022}
    assert all("“三公”经费" in (r["heading"] or "") + (r["text"] or "") for r in found)


@pytest.mark.parametrize(
    "table,query,column,expected",
    [
        ("function_expenditure", "住房公积金", "name", "住房公积金"),
        ("economic_expenditure", "差旅", "economic_name", "差旅费"),
        ("procurement_items", "计算机", "item", "计算机"),
        ("performance_targets", "信访工作专项经费", "name", "信访工作专项经费"),
        ("glossary", "机关运行经费", "term", "机关运行经费"),
    ],
)
@pytest.mark.asyncio
async def test_search_item_and_project_names_and_glossary(ds, table, query, column, expected):
    found = await rows(ds, f"/budget/{table}.json", _search=query, document=XINFANG_2021)
    assert [r[column] for r in found] == [expected]


@pytest.mark.asyncio
async def test_search_for_words_that_are_not_there_finds_nothing(ds):
    assert await rows(ds, "/budget/narrative.json", _search="高速公路") == []
    assert await rows(ds, "/budget/narrative.json", _search="信访 高速公路") == []


@pytest.mark.asyncio
async def test_search_box_is_on_the_table_page(ds):
    response = await ds.client.get("/budget/glossary?_search=三公")
    assert response.status_code == 200
    assert 'name="_search"' in response.text
    assert "因公出国" in response.text


# --- the documents page -----------------------------------------------------------


@pytest.mark.asyncio
async def test_documents_page_lists_documents_with_status_unparsed_and_links(ds):
    response = await ds.client.get("/-/budget/documents")
    assert response.status_code == 200
    html = response.text
    for slug in (XINFANG_2021, XINFANG_2022, MINZHENG_2021, MINZHENG_2022, MINZHENG_2021_FINAL, CENTER_2021):
        assert f'data-slug="{slug}"' in html
    assert "/budget/unparsed?document=" in html
    assert "/budget/function_expenditure?document=" in html
    assert f"合并于 consolidated in {XINFANG_2021}" in html


@pytest.mark.asyncio
async def test_documents_json_has_each_documents_year_phase_level_and_counts(ds):
    response = await ds.client.get("/-/budget/documents.json")
    data = response.json()
    documents = {d["slug"]: d for d in data["databases"][0]["documents"]}
    unit = documents[CENTER_2021]
    assert (unit["year"], unit["phase"], unit["level"], unit["unparsed_count"]) == (2021, "预算", "单位", 0)
    assert unit["consolidated_in"] == XINFANG_2021
    assert documents[MINZHENG_2021_FINAL]["phase"] == "决算"
    assert documents[XINFANG_2021]["consolidated_in"] is None
    assert "check_status" in unit
    assert unit["tables_found"] >= 9


@pytest.mark.asyncio
async def test_documents_page_for_an_unknown_database_is_404(ds):
    response = await ds.client.get("/-/budget/documents.json?_database=nope")
    assert response.status_code == 404
    assert "No budget database named 'nope'" in response.json()["error"]
