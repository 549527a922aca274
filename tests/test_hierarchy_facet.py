"""The hierarchy facet: 类 → 款 → 项 with counts and sums, on the seed."""
from urllib.parse import quote

import pytest

from conftest import SEED_SLUG

DOC = quote(SEED_SLUG)


def facet_results(data: dict) -> dict:
    """Facets by column: Datasette 0.65 returns them as ``facet_results``, 1.0a nests them
    in ``facet_results.results`` beside ``timed_out``."""
    results = data["facet_results"]
    return results["results"] if "timed_out" in results else results


async def facet(ds, query):
    response = await ds.client.get(f"/budget/function_expenditure.json?_facet_hierarchy=function_code&_size=0&{query}")
    assert response.status_code == 200, response.text
    return facet_results(response.json())["function_code"]


@pytest.mark.asyncio
async def test_top_level_groups_by_class_with_sums(ds):
    result = await facet(ds, "")
    assert result["type"] == "hierarchy"
    items = {r["value"]: r for r in result["results"]}
    assert list(items) == ["201", "205", "208", "210", "221"]
    assert items["201"]["label"] == "201 一般公共服务支出"
    assert (items["201"]["count"], items["201"]["sum"], items["201"]["level"]) == (2, 13931481, 1)
    assert items["208"]["sum"] == 1572547
    assert sum(r["sum"] for r in result["results"]) == 18129249
    assert "function_class=201" in items["201"]["toggle_url"]


@pytest.mark.asyncio
async def test_drill_from_201_shows_20103(ds):
    result = await facet(ds, "function_class=201")
    breadcrumb, *items = result["results"]
    assert breadcrumb["breadcrumb"] and breadcrumb["value"] == "201" and breadcrumb["selected"]
    assert breadcrumb["sum"] == 13931481
    # the breadcrumb goes up one level: its link drops the 类 filter
    assert "function_class" not in breadcrumb["toggle_url"]
    assert [(i["value"], i["label"], i["sum"], i["level"]) for i in items] == [
        ("20103", "20103 政府办公厅（室）及相关机构事务", 13931481, 2)
    ]
    assert "function_section=20103" in items[0]["toggle_url"]


@pytest.mark.asyncio
async def test_drill_to_items(ds):
    result = await facet(ds, "function_class=201&function_section=20103")
    breadcrumb, *items = result["results"]
    assert breadcrumb["value"] == "20103"
    assert "function_class=201" in breadcrumb["toggle_url"] and "function_section" not in breadcrumb["toggle_url"]
    assert [(i["value"], i["sum"], i["level"]) for i in items] == [("2010301", 10341481, 3), ("2010308", 3590000, 3)]


@pytest.mark.asyncio
async def test_facet_respects_other_filters(ds):
    result = await facet(ds, f"document={DOC}&project__gt=0")
    assert [(r["value"], r["count"], r["sum"]) for r in result["results"]] == [("201", 1, 3590000)]


@pytest.mark.asyncio
async def test_economic_codes_have_two_levels(ds):
    response = await ds.client.get(
        "/budget/economic_expenditure.json?_facet_hierarchy=economic_code&_size=0&economic_class=302"
    )
    result = facet_results(response.json())["economic_code"]
    items = {r["value"]: r for r in result["results"][1:]}
    assert items["30211"]["label"] == "30211 差旅费"
    assert items["30211"]["sum"] == 1815000
    assert items["30239"]["count"] == 2 and items["30239"]["sum"] == 769520


@pytest.mark.asyncio
async def test_html_table_page_shows_facet_with_sums(ds):
    response = await ds.client.get("/budget/function_expenditure")
    assert response.status_code == 200
    html = response.text
    assert "function_code (hierarchy)" in html
    assert "201 一般公共服务支出" in html
    assert "13,931,481 元" in html  # the facet's sum for 201
    drilled = await ds.client.get("/budget/function_expenditure?function_class=201")
    assert "facet-breadcrumb" in drilled.text and "20103 政府办公厅（室）及相关机构事务" in drilled.text


@pytest.mark.asyncio
async def test_facet_sql_escapes_identifiers_and_binds_values(ds):
    # a filter value with SQL in it is a bound parameter: no error, no rows
    result = await facet(ds, "function_class=201'%20or%201=1--")
    assert [r for r in result["results"] if not r.get("breadcrumb")] == []


@pytest.mark.asyncio
async def test_facet_stylesheet_is_served_on_table_pages(ds):
    html = (await ds.client.get("/budget/function_expenditure")).text
    assert 'class="facet-info facet-hierarchy' in html
    assert "/-/static-plugins/datasette-budget/budget.css" in html
    css = await ds.client.get("/-/static-plugins/datasette-budget/budget.css")
    assert css.status_code == 200 and ".facet-hierarchy" in css.text
