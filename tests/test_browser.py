"""Charts in a real browser: Debian's headless Chromium driven by Playwright.

A `datasette serve` of a database loaded from data/documents runs on 127.0.0.1 (with
arbitrary SQL switched off, as a public deployment would), and a second tiny HTTP server
on another port plays the third-party site that embeds a chart in an <iframe>.

Skipped when /usr/bin/chromium is absent, except in CI (CI=true), where that fails.
Screenshots go to tests/artifacts/. `BUDGET_SCREENSHOT=1` also refreshes docs/screenshot.png.
"""

import http.server
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import stop_server, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _need_browser():
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"{CHROMIUM} is absent (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright Python package is not installed"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Browser tests cannot run in CI: {missing}")
        pytest.skip(f"Browser tests skipped: {missing}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`datasette serve` of the seed database; yields its base URL."""
    _need_browser()
    db = tmp_path_factory.mktemp("browser") / "budget.db"
    subprocess.run(
        [sys.executable, "-m", "datasette", "budget", "load", str(db), str(ROOT / "data" / "documents")],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    command = [
        sys.executable, "-m", "datasette", "serve", "-i", str(db),
        "-h", "127.0.0.1", "-p", str(port), "--cors",
        "--setting", "default_allow_sql", "off",
    ]
    if (ROOT / "metadata.yml").exists():
        command += ["--metadata", str(ROOT / "metadata.yml")]
    log = tmp_path_factory.mktemp("log") / "datasette.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, log, seconds=30)
        yield base
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def other_origin(tmp_path_factory):
    """A static HTTP server on another port: a different origin that embeds charts."""
    _need_browser()
    root = tmp_path_factory.mktemp("site")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page that records console errors (CSP violations are console errors),
    uncaught exceptions, failed requests and HTTP errors, from every frame."""
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: page.problems.append(f"failed: {r.url} {r.failure}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status}: {r.url}"),
    )
    yield page
    context.close()


def _screenshot(page, name: str, **kwargs):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), **kwargs)
    return path


def _seed_slug(base: str) -> str:
    import json

    with urllib.request.urlopen(base + "/budget/documents.json?_shape=array&_col=slug") as r:
        return json.load(r)[0]["slug"]


def test_table_page_still_has_datasette_vega_chart_builder(server, page):
    page.goto(server + "/budget/function_expenditure")
    button = page.get_by_text("Show charting options")
    button.wait_for(timeout=15000)
    button.click()
    builder = page.locator(".datasette-vega")
    builder.wait_for()
    # The builder's mark-type and column selects appear.
    assert builder.locator("select").count() >= 3
    _screenshot(page, "table-datasette-vega.png")
    assert page.problems == []


def test_query_page_shows_chart_with_five_bars(server, page):
    slug = _seed_slug(server)
    page.goto(f"{server}/budget/expenditure_by_function?document={quote(slug)}")
    chart = page.locator(".budget-chart-page[data-rendered=true]")
    chart.wait_for(timeout=20000)
    # SVG renderer: one path per bar in the mark-rect group.
    assert chart.locator("g.mark-rect path").count() == 5
    labels = chart.locator("svg text").all_text_contents()
    assert "201 一般公共服务支出" in labels and "221 住房保障支出" in labels
    assert "1,393.15" in labels  # 13,931,481 元 in 万元
    # The chart is above the table, and the snippets are there to copy.
    chart_top = chart.bounding_box()["y"]
    assert chart_top < page.locator("table.rows-and-columns").bounding_box()["y"]
    page.get_by_text("嵌入这张图表").click()
    iframe_snippet = page.locator("#budget-iframe-snippet").input_value()
    assert iframe_snippet.startswith(f'<iframe src="{server}/-/budget/embed/expenditure_by_function?')
    assert page.locator("#budget-img-snippet").input_value().startswith(
        f'<img src="{server}/budget/expenditure_by_function.svg?'
    )
    page.get_by_text("嵌入这张图表").click()
    _screenshot(page, "query-expenditure_by_function.png", full_page=True)
    if os.environ.get("BUDGET_SCREENSHOT") == "1":
        page.set_viewport_size({"width": 1000, "height": 640})
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))
    assert page.problems == []


def test_embed_page_in_iframe_on_another_origin(server, other_origin, page):
    root, site = other_origin
    slug = _seed_slug(server)
    embed_url = f"{server}/-/budget/embed/expenditure_by_function?document={quote(slug)}"
    image_url = f"{server}/budget/sangong.svg?document={quote(slug)}"
    json_url = f"{server}/budget/expenditure_by_function.json?_shape=array&document={quote(slug)}"
    (root / "article.html").write_text(
        f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>Article</title><link rel="icon" href="data:,"></head>
<body><h1>A news article</h1>
<iframe id="chart" src="{embed_url}" width="720" height="420" style="border:0"></iframe>
<img id="image" src="{image_url}" alt="三公经费">
</body></html>""",
        "utf-8",
    )
    page.goto(site + "/article.html")
    frame = page.frame_locator("#chart")
    chart = frame.locator(".budget-chart[data-rendered=true]")
    try:
        chart.wait_for(timeout=20000)
    except Exception:
        _screenshot(page, "embed-in-iframe-failed.png")
        raise AssertionError(f"chart not drawn; problems: {page.problems}; frame: "
                             + frame.locator("body").inner_html()[:600])
    assert chart.locator("g.mark-rect path").count() == 5
    # Sized to the frame: the chart's SVG fills the iframe's width.
    svg_width = chart.locator("svg").first.bounding_box()["width"]
    assert 650 < svg_width <= 720
    # Names the source document and links back to the query and its JSON.
    caption = frame.locator("figcaption")
    assert "郑州市信访局 2021年部门预算" in caption.inner_text()
    assert frame.get_by_role("link", name="JSON").get_attribute("href").startswith(
        f"{server}/budget/expenditure_by_function.json?"
    )
    # The <img> of the server-rendered SVG loaded.
    assert page.locator("#image").evaluate("img => img.complete && img.naturalWidth > 0")
    # Another origin may read the JSON API (Access-Control-Allow-Origin: *).
    rows = page.evaluate("url => fetch(url).then(r => r.json())", json_url)
    assert {row["code"]: row["total"] for row in rows}["201"] == 13931481
    _screenshot(page, "embed-in-iframe.png")
    assert page.problems == []


def test_embed_page_with_invalid_parameter_shows_the_error(server, page):
    response = page.goto(server + "/-/budget/embed/expenditure_by_function?level=9")
    assert response.status == 400
    assert "level must be" in page.get_by_role("alert").inner_text()
    # The 400 itself is expected; nothing else may fail (no CSP violation on the error page).
    page.problems = [p for p in page.problems if "HTTP 400" not in p and "status of 400" not in p]
    assert page.problems == []


def test_filter_autocomplete_offers_the_facet_values(server, page):
    """Datasette 1.0 offers a facet's values in the filter's value box (from data-facet-value
    in the facet template, which the plugin overrides)."""
    import datasette.version

    if datasette.version.__version__.startswith("0."):
        pytest.skip("Datasette 0.65's table page has no filter autocomplete")
    page.goto(server + "/budget/summary_items")
    datalist = page.locator("datalist#datalist-side")
    datalist.wait_for(state="attached", timeout=15000)
    values = datalist.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert {"收入", "支出"} <= set(values)
    assert "undefined" not in values
    assert page.problems == []
