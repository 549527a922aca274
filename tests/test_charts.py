"""Charts of the canned queries: specs, SVG/PNG images, embed pages and the chart on
query pages, against a database loaded from the seed document.

Expected figures come from the seed (data/documents/zhengzhou-xinfang-2021-budget.txt),
部门支出总体情况表, in 元: 201 = 10,341,481 + 3,590,000 = 13,931,481 (1,393.15 万元);
205 = 585,000; 208 = 649,370 + 923,177 = 1,572,547; 210 = 490,437; 221 = 1,549,784.
"""

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.cli import cli
from datasette.version import __version__ as datasette_version

from datasette_budget import charts, embed

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ROOT / "data" / "documents"

SEED_CLASSES = {
    "201 一般公共服务支出": 1393.15,
    "205 教育支出": 58.50,
    "208 社会保障和就业支出": 157.25,
    "210 卫生健康支出": 49.04,
    "221 住房保障支出": 154.98,
}


@pytest.fixture(scope="session")
def budget_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("charts") / "budget.db"
    result = CliRunner().invoke(cli, ["budget", "load", str(path), str(DOCUMENTS)])
    assert result.exit_code == 0, result.output
    return path


def make_datasette(budget_db, plugin_config=None, immutable=True, cors=False, **metadata):
    meta = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8")) if (ROOT / "metadata.yml").exists() else {}
    meta.update(metadata)
    kwargs = {"immutables": [str(budget_db)]} if immutable else {"files": [str(budget_db)]}
    if plugin_config is not None:
        plugins = {"plugins": {"datasette-budget": plugin_config}}
        if datasette_version.startswith("0."):
            meta.update(plugins)
        else:  # 1.0a reads plugin configuration from datasette.yaml, not metadata
            meta.pop("plugins", None)
            kwargs["config"] = plugins
    return Datasette(metadata=meta, cors=cors, **kwargs)


@pytest.fixture
def ds(budget_db):
    return make_datasette(budget_db)


async def seed_slug(ds):
    return (await ds.get_database("budget").execute("select slug from documents")).first()["slug"]


def mark_rect_paths(svg: str) -> int:
    """Number of bars in a Vega SVG: the paths inside the mark-rect group."""
    group = re.search(r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    return len(re.findall(r"<path", group.group(1))) if group else 0


@pytest.mark.asyncio
async def test_spec_has_the_five_function_classes_of_the_seed(ds):
    slug = await seed_slug(ds)
    response = await ds.client.get(f"/budget/expenditure_by_function.vegalite?document={slug}")
    assert response.status_code == 200
    spec = response.json()
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v6.json"
    values = {v["label"]: v["amount"] for v in spec["data"]["values"]}
    assert values == SEED_CLASSES
    assert spec["title"]["text"] == "支出功能分类（类）"
    assert "郑州市信访局 2021年部门预算" in spec["title"]["subtitle"]
    assert "单位：万元" in spec["title"]["subtitle"]
    bar_x = spec["layer"][0]["encoding"]["x"]
    assert bar_x["title"] == "金额（万元）"
    tooltip = {t["title"]: t.get("format") for t in spec["layer"][0]["encoding"]["tooltip"]}
    assert tooltip["金额（万元）"] == ",.2f" and tooltip["金额（元）"] == ",.0f"


@pytest.mark.asyncio
async def test_spec_is_built_from_the_full_result_not_one_page(budget_db):
    ds = make_datasette(budget_db)
    ds._settings["max_returned_rows"] = 2
    response = await ds.client.get("/budget/expenditure_by_economic.vegalite?system=government&level=2")
    assert response.status_code == 200
    labels = [v["label"] for v in response.json()["data"]["values"]]
    assert len(labels) > 2
    # 302 31 公务用车运行维护费 maps to 502 08 in the seed: 228,000 元.
    assert "50208 公务用车运行维护费_行政" in labels


@pytest.mark.asyncio
async def test_level_two_bars_link_to_the_next_level_filtered_by_parent(ds):
    response = await ds.client.get("/budget/expenditure_by_function.vegalite?parent=208")
    assert response.status_code == 200
    spec = response.json()
    assert spec["title"]["text"] == "支出功能分类（款）：208 社会保障和就业支出"
    values = spec["data"]["values"]
    assert [(v["label"], v["amount"]) for v in values] == [("20805 行政事业单位养老支出", 157.25)]
    assert "level=3" in values[0]["href"] and "parent=20805" in values[0]["href"]


@pytest.mark.asyncio
async def test_basic_against_project_is_stacked(ds):
    response = await ds.client.get("/budget/expenditure_basic_project.vegalite")
    assert response.status_code == 200
    values = response.json()["data"]["values"]
    parts = {(v["label"], v["part"]): v["amount"] for v in values}
    # 201: basic 10,341,481 and project 3,590,000 (信访事务).
    assert parts[("201 一般公共服务支出", "基本支出")] == 1034.15
    assert parts[("201 一般公共服务支出", "项目支出")] == 359.00
    assert parts[("205 教育支出", "项目支出")] == 0


@pytest.mark.asyncio
async def test_sangong_chart_shows_the_four_items(ds):
    response = await ds.client.get("/budget/sangong.vegalite")
    values = {v["label"]: v["amount"] for v in response.json()["data"]["values"]}
    assert values == {
        "因公出国（境）费": 0,
        "公务接待费": 0,
        "公务用车购置费": 0,
        "公务用车运行维护费": 22.80,
    }


@pytest.mark.asyncio
async def test_svg_has_chinese_labels_and_five_bars(ds):
    response = await ds.client.get("/budget/expenditure_by_function.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text
    assert "一般公共服务支出" in svg and "金额（万元）" in svg
    assert "1,393.15" in svg
    assert mark_rect_paths(svg) == 5


@pytest.mark.asyncio
async def test_png_is_an_image(ds):
    response = await ds.client.get("/budget/basic_by_kind.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(response.content[16:20], "big")
    assert width > 600  # rendered at twice the size, for sharp text


def test_a_cjk_font_is_found_for_server_rendering():
    # Without one, Chinese labels in SVG→PNG come out as empty boxes.
    assert charts.cjk_font_directories(), "install fonts-noto-cjk (see .ci/run)"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "query_string,message",
    [
        ("level=4", "level must be 1（类）、2（款） or 3（项）; got '4'"),
        ("level=abc", "got 'abc'"),
        ("document=no-such-document", "Unknown document 'no-such-document'"),
        ("documnet=x", "Unknown parameter documnet"),
        ("parent=999", "Unknown code '999'"),
    ],
)
@pytest.mark.parametrize("fmt", ["vegalite", "svg", "png"])
async def test_invalid_parameters_are_a_readable_400(ds, query_string, message, fmt):
    response = await ds.client.get(f"/budget/expenditure_by_function.{fmt}?{query_string}")
    assert response.status_code == 400
    text = response.text.replace("&#x27;", "'")
    assert message in text


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url,message",
    [
        ("/budget/expenditure_by_economic.vegalite?level=3", "level must be 1（类） or 2（款）; got '3'"),
        ("/budget/expenditure_by_economic.vegalite?system=local", "system must be department"),
        ("/-/budget/embed/expenditure_by_function?level=0", "got '0'"),
        ("/-/budget/embed/sangong?document=nope", "Unknown document 'nope'"),
    ],
)
async def test_invalid_parameters_on_other_charts_and_embed_pages(ds, url, message):
    response = await ds.client.get(url)
    assert response.status_code == 400
    assert message in response.text.replace("&#x27;", "'")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url",
    [
        "/budget/procurement.vegalite",  # a canned query without a chart
        "/budget/procurement.svg",
        "/budget/no_such_query.png",
        "/-/budget/embed/procurement",
        "/nodb/expenditure_by_function.vegalite",
    ],
)
async def test_query_without_chart_is_404(ds, url):
    response = await ds.client.get(url)
    assert response.status_code == 404


@pytest.mark.asyncio
async def test_charts_work_with_arbitrary_sql_switched_off(budget_db):
    if datasette_version.startswith("0."):
        ds = make_datasette(budget_db, allow_sql=False)
    else:  # 1.0a reads allow_sql from datasette.yaml
        ds = make_datasette(budget_db)
        ds.config["allow_sql"] = False
    sql = await ds.client.get("/budget.json?sql=select+1", follow_redirects=True)
    assert sql.status_code == 403
    assert (await ds.client.get("/budget/expenditure_by_function.vegalite")).status_code == 200
    assert (await ds.client.get("/budget/expenditure_by_function.svg")).status_code == 200
    assert (await ds.client.get("/-/budget/embed/expenditure_by_function")).status_code == 200


@pytest.mark.asyncio
async def test_charts_follow_query_permissions(budget_db):
    ds = make_datasette(budget_db, allow=False)
    assert (await ds.client.get("/budget/expenditure_by_function.vegalite")).status_code == 403


@pytest.mark.asyncio
async def test_cache_headers_only_for_an_immutable_database(budget_db):
    immutable = make_datasette(budget_db)
    response = await immutable.client.get("/budget/sangong.vegalite")
    assert response.headers["cache-control"] == "public, max-age=3600"
    mutable = make_datasette(budget_db, immutable=False)
    response = await mutable.client.get("/budget/sangong.vegalite")
    assert response.headers["cache-control"] == "no-cache"
    error = await immutable.client.get("/budget/sangong.vegalite?document=nope")
    assert error.headers["cache-control"] == "no-store"


@pytest.mark.asyncio
async def test_embed_page_csp_links_and_source(ds):
    slug = await seed_slug(ds)
    response = await ds.client.get(f"/-/budget/embed/expenditure_by_function?document={slug}")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == embed.EMBED_CSP
    assert embed.EMBED_CSP == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors *"
    )
    html = response.text
    assert "<title>支出功能分类（类）</title>" in html
    assert "郑州市信访局 2021年部门预算" in html  # documents.title names the source
    assert re.search(r'href="http://localhost/budget/expenditure_by_function\?[^"]*document=', html)
    assert "/budget/expenditure_by_function.json?" in html and "_shape=array" in html
    # Only the plugin's own scripts, pinned, and no inline script to execute.
    scripts = re.findall(r"<script([^>]*)>", html)
    srcs = [re.search(r'src="([^"]+)"', s).group(1) for s in scripts if "src=" in s]
    assert srcs[:3] == [
        "/-/static-plugins/datasette-budget/vega-6.2.0.min.js",
        "/-/static-plugins/datasette-budget/vega-lite-6.4.1.min.js",
        "/-/static-plugins/datasette-budget/vega-embed-7.3.0.min.js",
    ]
    inline = [s for s in scripts if "src=" not in s]
    assert inline == [' type="application/json" id="budget-chart-spec"']
    for src in srcs:
        assert (await ds.client.get(src)).status_code == 200


@pytest.mark.asyncio
async def test_query_page_shows_chart_and_snippets(ds):
    response = await ds.client.get("/budget/expenditure_by_function?level=1")
    assert response.status_code == 200
    html = response.text
    chart_at = html.index('class="budget-chart budget-chart-page"')
    assert chart_at < html.index('class="rows-and-columns"')  # above the table
    assert "&lt;iframe src=&#34;http://localhost/-/budget/embed/expenditure_by_function?level=1" in html
    assert "&lt;img src=&#34;http://localhost/budget/expenditure_by_function.svg?level=1" in html
    assert "vega-embed-7.3.0.min.js" in html


@pytest.mark.asyncio
async def test_query_page_without_chart_has_no_chart_block(ds):
    html = (await ds.client.get("/budget/procurement")).text
    assert "计算机" in html
    assert "budget-chart" not in html


@pytest.mark.asyncio
async def test_query_page_with_invalid_parameter_says_why_there_is_no_chart(ds):
    html = (await ds.client.get("/budget/expenditure_by_function?level=7")).text
    assert "图表无法显示：level must be" in html


@pytest.mark.asyncio
async def test_configuration_overrides_and_switches_off_charts(budget_db):
    ds = make_datasette(
        budget_db,
        plugin_config={"charts": {"sangong": {"unit": "元"}, "income_by_source": False}},
    )
    spec = (await ds.client.get("/budget/sangong.vegalite")).json()
    assert "单位：元" in spec["title"]["subtitle"]
    values = {v["label"]: v["amount"] for v in spec["data"]["values"]}
    assert values["公务用车运行维护费"] == 228000
    assert (await ds.client.get("/budget/income_by_source.vegalite")).status_code == 404
