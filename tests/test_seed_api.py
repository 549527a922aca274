"""The seed's figures through the JSON API, each checked against the document
(郑州市信访局 2021年部门预算, data/documents/zhengzhou-xinfang-2021-budget.txt)."""
from urllib.parse import quote

import pytest

from conftest import SEED_SLUG

DOC = quote(SEED_SLUG)


async def rows(ds, path):
    response = await ds.client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.asyncio
@pytest.mark.parametrize("document", [DOC, ""])
async def test_expenditure_by_function_classes(ds, document):
    # 部门支出总体情况表, summed by 类; the 说明 gives the same five classes and shares.
    data = await rows(ds, f"/budget/expenditure_by_function.json?document={document}&level=1&_shape=array")
    by_code = {r["code"]: r for r in data}
    assert list(by_code) == ["201", "205", "208", "210", "221"]
    assert by_code["201"]["name"] == "一般公共服务支出"
    assert by_code["201"]["total"] == 13931481
    assert by_code["201"]["share"] == 76.85
    assert by_code["205"]["total"] == 585000
    assert by_code["208"]["total"] == 1572547
    assert by_code["210"]["total"] == 490437
    assert by_code["210"]["name"] == "卫生健康支出"
    assert by_code["221"]["total"] == 1549784
    assert set(data[0]) == {"code", "name", "total", "basic", "project", "share"}
    total = sum(r["total"] for r in data)
    basic = sum(r["basic"] for r in data)
    project = sum(r["project"] for r in data)
    assert (total, basic, project) == (18129249, 14539249, 3590000)


@pytest.mark.asyncio
async def test_expenditure_by_function_item_level(ds):
    data = await rows(ds, f"/budget/expenditure_by_function.json?document={DOC}&level=3&_shape=array")
    by_code = {r["code"]: r for r in data}
    assert by_code["2010308"] == {
        "code": "2010308", "name": "信访事务", "total": 3590000, "basic": 0, "project": 3590000, "share": 19.8,
    }
    # printed 行政运行（政府办公厅（室）及相关机构事务）: the bracket names the parent
    assert by_code["2010301"]["name"] == "行政运行"


@pytest.mark.asyncio
async def test_level_out_of_range_selects_nothing(ds):
    assert await rows(ds, f"/budget/expenditure_by_function.json?document={DOC}&level=4&_shape=array") == []


@pytest.mark.asyncio
async def test_default_level_is_class(ds):
    data = await rows(ds, f"/budget/expenditure_by_function.json?document={DOC}&_shape=array")
    assert [r["code"] for r in data] == ["201", "205", "208", "210", "221"]


@pytest.mark.asyncio
async def test_expenditure_by_economic_department_and_government(ds):
    data = await rows(ds, f"/budget/expenditure_by_economic.json?document={DOC}&level=1&_shape=array")
    by_code = {r["code"]: r for r in data}
    assert by_code["301"]["total"] == 9716009
    assert by_code["301"]["name"] == "工资福利支出"
    assert sum(r["total"] for r in data) == 18129249
    # 302 39 其他交通费用 is printed twice, against 502 01 and 505 02: both count once each
    items = await rows(ds, f"/budget/expenditure_by_economic.json?document={DOC}&level=2&_shape=array")
    assert {r["code"]: r["total"] for r in items}["30239"] == 350000 + 419520
    gov = await rows(ds, f"/budget/expenditure_by_economic.json?document={DOC}&level=2&system=government&_shape=array")
    gov_by_code = {r["code"]: r["total"] for r in gov}
    assert gov_by_code["50502"] == 419520
    assert gov_by_code["50208"] == 228000
    assert sum(gov_by_code.values()) == 18129249


@pytest.mark.asyncio
async def test_basic_by_kind(ds):
    data = await rows(ds, f"/budget/basic_by_kind.json?document={DOC}&_shape=array")
    assert [(r["kind"], r["amount"]) for r in data] == [("人员经费", 10333579), ("公用经费", 4205670)]
    assert data[0]["share"] == 71.07  # the 说明: 人员经费 … 占 71.07%


@pytest.mark.asyncio
async def test_sangong(ds):
    data = await rows(ds, f"/budget/sangong.json?document={DOC}&_shape=array")
    by_kind = {r["kind"]: r["amount"] for r in data}
    assert by_kind["total"] == 228000
    assert by_kind["vehicle_operation"] == 228000
    assert by_kind["abroad"] == 0 and by_kind["reception"] == 0


@pytest.mark.asyncio
async def test_procurement(ds):
    data = await rows(ds, f"/budget/procurement.json?document={DOC}&_shape=array")
    assert [(r["item"], r["measure"], r["quantity"], r["amount"]) for r in data] == [
        ("计算机", "台", 40, 240000),
        ("办公家具", "件", 25, 110000),
        ("空气调节设备（包除湿设备）", "台", 10, 40000),
    ]
    assert sum(r["amount"] for r in data) == 390000


@pytest.mark.asyncio
async def test_income_by_source(ds):
    data = await rows(ds, f"/budget/income_by_source.json?document={DOC}&_shape=array")
    by_source = {r["source"]: r["amount"] for r in data}
    assert by_source["一般公共预算"] == 18129249
    assert by_source["其中：财政拨款"] == 18129249  # part of 一般公共预算, not added to it
    assert by_source["政府性基金预算"] == 0


@pytest.mark.asyncio
async def test_staffing_and_vehicles(ds):
    staffing = await rows(ds, f"/budget/staffing.json?document={DOC}&_shape=array")
    counts = {r["category"]: r["count"] for r in staffing}
    assert counts["编制"] == 84 == counts["行政编制"] + counts["事业编制"]
    assert counts["在职职工"] == 74 and counts["离退休人员"] == 35
    vehicles = await rows(ds, f"/budget/vehicles.json?document={DOC}&_shape=array")
    assert {r["kind"]: r["count"] for r in vehicles}["合计"] == 5


@pytest.mark.asyncio
async def test_glossary_and_structure(ds):
    glossary = await rows(ds, f"/budget/glossary.json?document={DOC}&_shape=array&_sort=seq")
    assert len(glossary) == 8
    assert glossary[0]["term"] == "财政拨款收入"
    assert glossary[0]["definition"].startswith("是指市级财政当年拨付的资金")
    org = await rows(ds, f"/budget/organisation.json?document={DOC}&kind=下属单位&_shape=array")
    assert [r["name"] for r in org] == ["郑州市信访应急处置中心"]


@pytest.mark.asyncio
async def test_document_row(ds):
    doc = (await rows(ds, f"/budget/documents.json?slug={DOC}&_shape=array"))[0]
    assert doc["department"] == "郑州市信访局"
    assert (doc["year"], doc["phase"], doc["level"]) == (2021, "预算", "部门")
    assert doc["unit_code"] == "034001"
    assert doc["region"] == "郑州市"
    assert doc["source_file"] == "zhengzhou-xinfang-2021-budget.txt"
    assert len(doc["sha256"]) == 64
    assert doc["unparsed_count"] == 0


@pytest.mark.asyncio
async def test_codes_stored_without_spaces_with_level_parts(ds):
    data = await rows(ds, f"/budget/function_expenditure.json?document={DOC}&function_code=2010301&_shape=array")
    assert len(data) == 1
    row = data[0]
    assert (row["function_class"], row["function_section"]) == ("201", "20103")
    assert row["page"] is not None and row["line"] == 497  # 部门支出总体情况表, line 497 of the seed
    econ = await rows(ds, f"/budget/economic_expenditure.json?document={DOC}&economic_code=30211&_shape=array")
    assert econ[0]["economic_class"] == "302" and econ[0]["government_code"] == "50201"


@pytest.mark.asyncio
async def test_totals_and_department_row_are_declared_not_line_items(ds):
    items = await rows(ds, f"/budget/function_expenditure.json?document={DOC}&_shape=array&_size=max")
    assert len(items) == 7  # the 7 项 rows; 合计 and 034001 郑州市信访局 are not line items
    declared = await rows(
        ds, f"/budget/declared_totals.json?document={DOC}&table_role=expenditure&column=total&_shape=array"
    )
    assert sorted((r["kind"], r["label"], r["amount"]) for r in declared) == [
        ("total", "合计", 18129249),
        ("unit", "034001 郑州市信访局", 18129249),
    ]


@pytest.mark.asyncio
async def test_empty_fund_tables_recorded_as_empty(ds):
    tables = await rows(ds, f"/budget/document_tables.json?document={DOC}&_shape=array&_size=max")
    status = {t["role"]: t["status"] for t in tables}
    assert status["fund_expenditure"] == "empty"
    assert status["capital_expenditure"] == "empty"
    assert status["expenditure"] == "loaded"
    assert {t["role"]: t["unit"] for t in tables}["summary"] == "元"


@pytest.mark.asyncio
async def test_performance_indicators(ds):
    data = await rows(ds, f"/budget/performance_indicators.json?document={DOC}&level3=预算执行率&_shape=array")
    assert {(r["value"], r["unit"]) for r in data} == {("≥98", "%"), ("=100", "%")}


@pytest.mark.asyncio
async def test_table_names_never_shadow_canned_queries(ds):
    from datasette_budget.queries import QUERIES

    tables = set(await ds.get_database("budget").table_names())
    assert not tables & set(QUERIES)
