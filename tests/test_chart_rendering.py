"""Charts are bounded and never block (issue 10 §1): images are drawn in renderer
processes under a time and a size limit, a chart never draws more bars than it can show,
and an immutable database's charts are cached by their resolved parameters.

The long chart is a document with 2,000 项 whose amounts are 1 … 2,000 元, so every
expected figure below is arithmetic on that construction.
"""
import asyncio
import html
import os
import re
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from conftest import stop_server, wait_until_serving

from datasette_budget import render_worker
from test_charts import make_datasette, mark_rect_paths

BIG = "长表局-2021-部门预算"
ITEMS = 2000


@pytest.fixture(scope="module")
def big_db(budget_db, tmp_path_factory):
    """The seed database plus a document with 2,000 项 (1 … 2,000 元)."""
    path = tmp_path_factory.mktemp("big") / "budget.db"
    path.write_bytes(budget_db.read_bytes())
    with sqlite3.connect(path) as conn:
        columns = [r[1] for r in conn.execute("pragma table_info(documents)") if r[1] not in ("slug", "title")]
        conn.execute(
            f"insert into documents (slug, title, {', '.join(columns)}) "
            f"select ?, '长表局 2021年部门预算', {', '.join(columns)} from documents limit 1", [BIG],
        )
        conn.executemany(
            "insert into function_expenditure (document, page, line, function_code, function_class, "
            "function_section, name, total, basic, project) values (?, 1, ?, ?, '201', '20199', ?, ?, ?, 0)",
            [(BIG, n, f"2{n:06d}", f"第{n}项", n, n) for n in range(1, ITEMS + 1)],
        )
    return path


@pytest.fixture(autouse=True)
def no_hold():
    yield
    render_worker.test_hold_fifo = None


@pytest.mark.asyncio
async def test_a_chart_of_2000_items_draws_30_bars_and_keeps_the_total(big_db):
    ds = make_datasette(big_db)
    response = await ds.client.get(f"/budget/expenditure_by_function.vegalite?document={BIG}&level=3")
    assert response.status_code == 200
    values = response.json()["data"]["values"]
    assert len(values) == 30
    # the 29 largest, 1,972 … 2,000 元, in code order, then the other 1,971 summed
    assert [v["yuan"] for v in values[:29]] == list(range(1972, 2001))
    assert values[-1]["label"] == "其他（1,971 项）"
    assert values[-1]["yuan"] == 1971 * 1972 / 2
    assert sum(v["yuan"] for v in values) == ITEMS * (ITEMS + 1) / 2
    assert "href" not in values[-1]  # 其他 is not a code to drill into


@pytest.mark.asyncio
async def test_the_image_of_that_chart_has_30_bars(big_db):
    ds = make_datasette(big_db)
    response = await ds.client.get(f"/budget/expenditure_by_function.svg?document={BIG}&level=3")
    assert response.status_code == 200
    assert mark_rect_paths(response.text) == 30
    assert "其他（1,971 项）" in response.text


@pytest.mark.asyncio
async def test_the_number_of_bars_is_configurable(big_db):
    ds = make_datasette(big_db, plugin_config={"chart_max_categories": 5})
    values = (await ds.client.get(f"/budget/expenditure_by_function.vegalite?document={BIG}&level=3")).json()
    labels = [v["label"] for v in values["data"]["values"]]
    assert len(labels) == 5 and labels[-1] == "其他（1,996 项）"


@pytest.mark.asyncio
async def test_a_simple_request_completes_while_a_render_is_held_open(budget_db, tmp_path):
    fifo = tmp_path / "hold"
    os.mkfifo(fifo)
    ds = make_datasette(budget_db, plugin_config={"render_time_limit_ms": 600_000})
    render_worker.test_hold_fifo = str(fifo)
    render = asyncio.create_task(ds.client.get("/budget/expenditure_by_function.png?level=2"))
    # opening the FIFO for writing returns once a renderer has it open: the render is held
    held = asyncio.ensure_future(asyncio.to_thread(open, fifo, "w"))
    done, _ = await asyncio.wait({held, render}, return_when=asyncio.FIRST_COMPLETED)
    if held not in done:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # let the opener go
        pytest.fail(f"the render finished without reaching a renderer: {(await render).text[:300]}")
    writer = held.result()
    try:
        table = await ds.client.get("/budget/function_expenditure.json?_size=1")
        spec = await ds.client.get("/budget/sangong.vegalite")
        page = await ds.client.get("/budget/expenditure_by_function?level=1")
        assert (table.status_code, spec.status_code, page.status_code) == (200, 200, 200)
        assert table.json()["rows"]
        assert not render.done()  # all three answered while the render was still held
    finally:
        writer.close()
    response = await render
    assert response.status_code == 200
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.asyncio
async def test_two_requests_for_the_same_uncached_chart_share_one_render(budget_db, tmp_path):
    # The held render can be let go once only: a second render of the same chart would wait
    # on the FIFO again and end in a 503 after the time limit.
    fifo = tmp_path / "hold"
    os.mkfifo(fifo)
    ds = make_datasette(budget_db, plugin_config={"render_time_limit_ms": 20_000})
    render_worker.test_hold_fifo = str(fifo)
    shared_before = render_worker._pool.shared
    first = asyncio.create_task(ds.client.get("/budget/expenditure_by_function.png?level=2"))
    held = asyncio.ensure_future(asyncio.to_thread(open, fifo, "w"))
    done, _ = await asyncio.wait({held, first}, return_when=asyncio.FIRST_COMPLETED)
    if held not in done:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        pytest.fail(f"the render finished without reaching a renderer: {(await first).text[:300]}")
    writer = held.result()
    try:
        # the same parameters spelled another way, while the first is being drawn
        second = asyncio.create_task(ds.client.get("/budget/expenditure_by_function.png?level=02&document="))
        for _ in range(3000):  # until the second request has joined the render (or finished)
            if render_worker._pool.shared > shared_before or second.done():
                break
            await asyncio.sleep(0.01)
    finally:
        writer.close()
    answers = await asyncio.gather(first, second)
    assert [a.status_code for a in answers] == [200, 200], answers[1].text[:300]
    assert answers[0].content[:8] == b"\x89PNG\r\n\x1a\n"
    assert answers[0].content == answers[1].content


@pytest.mark.asyncio
async def test_a_label_too_long_for_the_axis_ends_in_an_ellipsis_and_short_ones_are_whole(budget_db, tmp_path):
    long_name = "机关事业单位基本养老保险缴费支出" * 3  # 48 characters: over 320 px at 12 px
    path = tmp_path / "budget.db"
    path.write_bytes(budget_db.read_bytes())
    with sqlite3.connect(path) as conn:
        slug = conn.execute("select slug from documents order by slug limit 1").fetchone()[0]
        code = conn.execute(
            "select function_code from function_expenditure where document = ? and length(function_code) = 7 "
            "order by function_code limit 1", [slug]).fetchone()[0]
        names = [r[0] for r in conn.execute(
            "select name from function_expenditure where document = ? and length(function_code) = 7 "
            "and function_code != ?", [slug, code])]
        conn.execute("update function_expenditure set name = ? where document = ? and function_code = ?",
                     [long_name, slug, code])
        conn.execute("update function_codes set name = ? where code = ?", [long_name, code])
    ds = make_datasette(path)
    response = await ds.client.get(f"/budget/expenditure_by_function.svg?document={slug}&level=3")
    assert response.status_code == 200
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", response.text)]
    cut = [t for t in texts if t.startswith(f"{code} 机关事业单位")]
    assert len(cut) == 1 and cut[0].endswith("…") and len(cut[0]) < len(f"{code} {long_name}")
    for name in names[:5]:
        assert any(t.endswith(f" {name}") for t in texts), name


@pytest.mark.asyncio
async def test_an_svg_still_names_fonts_a_browser_has(budget_db):
    # the renderer draws with a family of its own, which no browser has: the site's list follows it
    svg = (await make_datasette(budget_db).client.get("/budget/sangong.svg")).text
    families = [f.strip().strip('"') for f in html.unescape(re.search(r'font-family="([^"]*)"', svg).group(1)).split(",")]
    assert "Noto Sans CJK SC" in families and "Microsoft YaHei" in families and families[-1] == "sans-serif"


@pytest.mark.asyncio
async def test_a_render_past_the_time_limit_is_stopped_and_named(budget_db, tmp_path):
    fifo = tmp_path / "never"
    os.mkfifo(fifo)  # nobody opens it for writing: the render never starts drawing
    ds = make_datasette(budget_db, plugin_config={"render_time_limit_ms": 300})
    render_worker.test_hold_fifo = str(fifo)
    response = await ds.client.get("/budget/sangong.svg")
    assert response.status_code == 503
    assert "render_time_limit_ms (300 ms)" in response.text
    render_worker.test_hold_fifo = None
    ds = make_datasette(budget_db)
    again = await ds.client.get("/budget/sangong.svg")  # a new renderer takes over
    assert again.status_code == 200 and "公务用车运行维护费" in again.text


@pytest.mark.asyncio
async def test_an_image_over_the_size_limit_is_a_400_naming_it(budget_db):
    ds = make_datasette(budget_db, plugin_config={"render_max_bytes": 2000})
    response = await ds.client.get("/budget/expenditure_by_function.svg")
    assert response.status_code == 400
    assert "over render_max_bytes (2,000 bytes)" in response.text


@pytest.mark.asyncio
async def test_charts_are_cached_by_their_resolved_parameters(budget_db):
    ds = make_datasette(budget_db)
    first = await ds.client.get("/budget/expenditure_by_function.svg?level=1")
    assert first.headers["x-budget-cache"] == "miss"
    # the same chart under other spellings: level defaults to 1, 01 is 1
    for url in ("/budget/expenditure_by_function.svg", "/budget/expenditure_by_function.svg?level=01&document="):
        again = await ds.client.get(url)
        assert again.headers["x-budget-cache"] == "hit"
        assert again.content == first.content
    other = await ds.client.get("/budget/expenditure_by_function.svg?level=2")
    assert other.headers["x-budget-cache"] == "miss"


@pytest.mark.asyncio
async def test_the_cache_is_bounded(budget_db):
    ds = make_datasette(budget_db, plugin_config={"chart_cache_size": 2})
    for chart in ("sangong", "basic_by_kind", "income_by_source"):
        assert (await ds.client.get(f"/budget/{chart}.vegalite")).headers["x-budget-cache"] == "miss"
    # the oldest was dropped, the newest is kept
    assert (await ds.client.get("/budget/sangong.vegalite")).headers["x-budget-cache"] == "miss"
    assert (await ds.client.get("/budget/sangong.vegalite")).headers["x-budget-cache"] == "hit"


@pytest.mark.asyncio
async def test_a_mutable_database_is_not_cached(budget_db):
    ds = make_datasette(budget_db, immutable=False)
    for _ in range(2):
        response = await ds.client.get("/budget/sangong.vegalite")
        assert response.status_code == 200 and "x-budget-cache" not in response.headers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_without_vl_convert_images_say_to_install_the_images_extra(budget_db, tmp_path):
    # a real server in which vl_convert cannot be imported
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['vl_convert'] = None\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    port = _free_port()
    log = tmp_path / "datasette.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "datasette", "serve", "-i", str(budget_db), "-h", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, log)
        for fmt in ("svg", "png"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(f"{base}/budget/sangong.{fmt}", timeout=30)
            assert error.value.code == 501
            body = html.unescape(error.value.read().decode("utf-8"))
            assert "pip install 'datasette-budget[images]'" in body
        with urllib.request.urlopen(f"{base}/budget/sangong.vegalite", timeout=30) as spec:
            assert spec.status == 200 and b"$schema" in spec.read()
    finally:
        stop_server(process)
