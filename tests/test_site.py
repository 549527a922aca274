"""What a person browsing the site sees: amounts with their unit, labels, metadata, plugins."""
import pytest


@pytest.mark.asyncio
async def test_amount_cells_have_separators_and_unit_json_stays_raw(ds):
    html = (await ds.client.get("/budget/function_expenditure?function_code=2010301")).text
    assert "10,341,481 元" in html
    assert 'title="1,034.15 万元"' in html  # the same amount in 万元 on hover, to 2 places
    data = (await ds.client.get("/budget/function_expenditure.json?function_code=2010301&_shape=array")).json()
    assert data[0]["total"] == 10341481


@pytest.mark.asyncio
async def test_counts_are_not_shown_as_amounts(ds):
    html = (await ds.client.get("/budget/staffing?category=编制")).text
    assert ">84<" in html and "84 元" not in html  # 编制 84 people (54 行政 + 30 事业)


@pytest.mark.asyncio
async def test_canned_query_page_formats_amounts(ds):
    html = (await ds.client.get("/budget/expenditure_by_function?document=&level=1")).text
    assert "13,931,481 元" in html
    assert "支出按功能分类汇总" in html


@pytest.mark.asyncio
async def test_code_columns_show_labels(ds):
    html = (await ds.client.get("/budget/function_expenditure?function_code=2010308")).text
    assert "信访事务" in html and "一般公共服务支出" in html


@pytest.mark.asyncio
async def test_metadata_titles_and_descriptions(ds):
    html = (await ds.client.get("/budget")).text
    assert "部门支出总体情况表" in html
    page = (await ds.client.get("/budget/function_expenditure")).text
    assert "合计（元）Total, in 元" in page  # column descriptions state the unit


@pytest.mark.asyncio
async def test_plugins_installed(ds):
    plugins = (await ds.client.get("/-/plugins.json")).json()
    if isinstance(plugins, dict):  # Datasette 1.0a
        plugins = plugins["plugins"]
    names = {p["name"] for p in plugins}
    assert "datasette_budget" in names or "datasette-budget" in names
    assert "datasette-vega" in names or "datasette_vega" in names


@pytest.mark.asyncio
async def test_datasette_vega_loads_on_table_pages(ds):
    html = (await ds.client.get("/budget/function_expenditure")).text
    assert "/-/static-plugins/datasette_vega/main." in html  # its bundle is linked from every table page


@pytest.mark.asyncio
async def test_canned_queries_have_titles_descriptions_and_parameters(ds):
    from datasette_budget.queries import QUERIES

    for name in ("expenditure_by_function", "expenditure_by_economic", "basic_by_kind", "sangong",
                 "procurement", "income_by_source"):
        assert QUERIES[name]["title"] and QUERIES[name]["description"]
        page = (await ds.client.get(f"/budget/{name}")).text
        assert 'name="document"' in page


@pytest.mark.asyncio
@pytest.mark.parametrize("immutable", [False, True])
async def test_canned_queries_come_from_the_plugin_without_metadata(budget_db, immutable):
    # a pip user serving their own database with no metadata.yml still gets the API, served
    # as it is (-i, whose table names the plugin reads once) or mutable
    from datasette.app import Datasette

    bare = Datasette([], immutables=[str(budget_db)]) if immutable else Datasette([str(budget_db)])
    await bare.invoke_startup()
    for _ in range(2):
        response = await bare.client.get("/budget/basic_by_kind.json?document=&_shape=array")
        assert response.status_code == 200
        assert [r["amount"] for r in response.json()] == [10333579, 4205670]  # 人员经费, 公用经费


@pytest.mark.asyncio
async def test_code_names_from_documents_then_reference_marked_unverified(ds):
    async def code(table, value):
        response = await ds.client.get(f"/budget/{table}.json?code={value}&_shape=array")
        return response.json()[0]

    # named by the document itself
    assert (await code("function_codes", "2010308"))["source"] == "document"
    # 20508 进修及培训 is not printed in the seed; its name comes from the unverified list
    parent = await code("function_codes", "20508")
    assert (parent["name"], parent["verified"]) == ("进修及培训", 0)
    # 201 comes from the verified reference list
    assert (await code("function_codes", "201"))["verified"] == 1
