"""Hostile requests, about 5,000 of them with a fixed seed, against everything the plugin
serves: its own routes (from its register_routes hook), every canned query and chart it
defines, and the table pages its hierarchy facet runs on.

Values: unicode digits (², ①, full-width １, Arabic-Indic ٣), a 4,300-digit number,
100 KB values, JSON facet configurations, traversal, markup and SQL, NUL; parameters
repeated with conflicting values. Asserted for every request: no 500 (nor any 5xx but
the renderer's 503 past its time limit), no write to the database, and on table pages the
hierarchy facet counts exactly the rows the table has.

``BUDGET_FUZZ_REQUESTS`` changes the number of requests (a budget, not an assertion).
"""
import hashlib
import os
import random
import re
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette

import datasette_budget
from conftest import DOCUMENTS, ROOT, SEED_SLUG, load
from corpus import department_copy, department_names
from datasette_budget import charts, rollups
from datasette_budget.queries import canned_queries_for
from test_hierarchy_facet import facet_results

SEED = 20261201
REQUESTS = int(os.environ.get("BUDGET_FUZZ_REQUESTS", "5000"))

UNICODE_DIGITS = ["²", "①", "１", "٣", "৩", "〇", "Ⅲ", "1\u0301", "𝟙"]
HOSTILE = UNICODE_DIGITS + [
    "9" * 4300, "x" * 100_000, "一" * 30_000, "-1", "0", "00", "1e3", "1.5", " 2", "2 ", "0x10",
    "../../etc/passwd", "..%2f..%2f", "/..", "\\..\\", "%00", "\x00", "\ufeff1",
    "' or 1=1 --", "1; drop table documents", "]", "[", "\"", "`",
    "<script>alert(1)</script>", "javascript:alert(1)", "data:text/html,x",
    "{}", '{"column":5}', '{"column":"function_code"}', '{"column":"function_class"}', '{"column":"nope"}',
    '{"simple":"function_code"}', '{"column":"function_code","x":1}', "[1]", "{", '{"a":' * 3000, "null",
    "true", "function_code", "economic_code", "government_code", "nope", "", "max",
]
VALID = ["1", "2", "3", "201", "208", "20103", "20805", "2010301", "301", "30101", "302", "department",
         "government", "预算", "决算", "部门", "单位", "2021", "", "pass", "fail"]


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory):
    """The seed and one more department: rollups over two documents, filters that matter."""
    folder = tmp_path_factory.mktemp("fuzz")
    other = department_names(1)[0]
    (folder / "other.txt").write_text(department_copy(other), encoding="utf-8")
    db_path = folder / "budget.db"
    result = load(db_path, DOCUMENTS, folder / "other.txt")
    assert result.exit_code == 0, result.output
    return db_path, f"{other}-2021-部门预算"


def path_templates(pattern: str) -> str:
    """``^/(?P<database>[^/.]+)/(?P<chart>…)\\.(?P<format>…)$`` → ``/{database}/{chart}.{format}``."""
    template = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)\??", r"{\1}", pattern.strip("^$"))
    return template.replace("\\.", ".")


def plugin_paths(ds, names: dict, hostile: set) -> list[tuple[str, bool]]:
    """Every path of the plugin's own routes that its patterns accept, for the known names
    and some hostile ones; each with whether it holds a hostile name."""
    paths = []
    for pattern, _view in datasette_budget.register_routes(ds):
        template = path_templates(pattern)
        groups = re.findall(r"\{(\w+)\}", template)
        candidates = [{}]
        for group in groups:
            candidates = [dict(c, **{group: v}) for c in candidates for v in names.get(group, names["any"])]
        for values in candidates:
            path = template.format(**values)
            if re.fullmatch(pattern, path):
                paths.append((path, bool(set(values.values()) & hostile)))
    return paths


class Answer:
    def __init__(self, status: int, body: bytes):
        self.status_code, self.content = status, body
        self.text = body.decode("utf-8", "replace")

    def json(self):
        import json

        return json.loads(self.content)


async def get(ds, app, url: str):
    """A GET through Datasette. httpx (under datasette.client) refuses URLs over 64 KB, so
    longer ones go to Datasette's ASGI app directly, as a server would pass them."""
    if len(url) < 60_000:
        return await ds.client.get(url)
    path, _, query_string = url.partition("?")
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": query_string.encode("latin-1"), "headers": [(b"host", b"localhost")],
             "scheme": "http", "server": ("localhost", 80), "client": ("127.0.0.1", 1), "root_path": ""}
    sent = {"status": None, "body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
        elif message["type"] == "http.response.body":
            sent["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return Answer(sent["status"], sent["body"])


def table_json_count(data: dict):
    return data.get("filtered_table_rows_count", data.get("count"))


async def _facet_agrees(ds, app, path: str, query: list, data: dict) -> int:
    """Each hierarchy facet counts what the table has: the sum of its items' counts is the
    table's count of rows whose grouped level is not null, asked of the table itself."""
    results = facet_results(data) if "facet_results" in data else {}
    checked = 0
    for name, facet in results.items():
        if facet.get("type") != "hierarchy" or facet["truncated"]:
            continue
        group = facet["levels"][facet["level"] - 1]
        counted = sum(item["count"] for item in facet["results"] if not item.get("breadcrumb"))
        kept = [(k, v) for k, v in query if not k.startswith("_facet") and k not in ("_size", "_next", "_extra")]
        check = await get(
            ds, app, path + "?" + urlencode(kept + [(f"{group}__notnull", "1"), ("_size", "0"), ("_extra", "count")])
        )
        assert check.status_code == 200, (path, query, check.text[:300])
        assert counted == table_json_count(check.json()), (path, query, name, facet["results"])
        checked += 1
    return checked


@pytest.mark.asyncio
async def test_hostile_requests_never_get_a_500_never_write_and_the_facet_agrees(fuzz_db):
    db_path, other_slug = fuzz_db
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    ds = Datasette([str(db_path)], metadata=metadata)  # mutable: a write would be possible, and seen
    await ds.invoke_startup()
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    db = ds.get_database("budget")
    tables = set(await db.table_names())
    chart_names = list(charts.charts_config(ds, "budget"))
    queries = canned_queries_for(tables)

    hostile_names = {"nope", "_internal", "..", "budget%2f..", "%2e%2e", "x" * 300, "json", ".csv"}
    names = {
        "database": ["budget", "nope", "_internal", "..", "budget%2f.."],
        "chart": chart_names + list(queries) + ["nope", "..", "%2e%2e", "x" * 300],
        "format": ["vegalite", "svg", "png", ".json", "", "json", ".csv"],
        "any": ["budget", "nope", ""],
    }
    routes = []  # (path, parameter names)
    odd_paths = []
    for path, odd in plugin_paths(ds, names, hostile_names):
        if odd:
            odd_paths.append(path)
            continue
        if "/embed/" in path or path.count("/") == 2 and "." in path.rsplit("/", 1)[1]:
            chart = charts.get_chart(ds, "budget", path.rsplit("/", 1)[1].split(".")[0])
            params = (queries.get(chart["query"], {}).get("params") or []) if chart else []
            routes.append((path, list(params) + ["parent", "_database", "level", "document"]))
        else:
            routes.append((path, ["_database", "_size", "_next"]))
    for name, query in queries.items():
        for suffix in ("", ".json"):
            routes.append((f"/budget/{name}{suffix}", list(query["params"] or []) + ["_shape"]))
    facet_tables = [t for t in rollups.SOURCES if t in tables]
    for table in facet_tables:
        columns = await db.table_columns(table)
        levels = [c for c in columns if c.endswith(("_class", "_section", "_code"))]
        for suffix in ("", ".json"):
            routes.append((f"/budget/{table}{suffix}", levels + [f"{c}__exact" for c in levels] + [
                "_facet_hierarchy", "_facet_hierarchy", "_facet", "_facet_size", "document", "_search", "_where",
            ]))
    assert {"/budget/expenditure_by_function.png", "/-/budget/documents.json",
            "/-/budget/embed/sangong", "/budget/function_expenditure.json"} <= {p for p, _ in routes}

    app = ds.app()
    rng = random.Random(SEED)
    statuses = {}
    facets_checked = 0
    for _ in range(REQUESTS):
        # one request in ten to a path no route should answer with anything but a 404
        path, params = (rng.choice(odd_paths), ["level", "document"]) if rng.random() < 0.1 else rng.choice(routes)
        if path.endswith((".png", ".svg")) and rng.random() < 0.6:
            path = path[: -len(".png")] + ".vegalite"  # fewer renders, the same parameters
        query = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
            name = rng.choice(params + ["documnet", "_junk"])
            pool = rng.choice([HOSTILE, VALID, VALID, [SEED_SLUG, other_slug]])
            query.append((name, rng.choice(pool)))
            if rng.random() < 0.15:  # the same parameter again, usually with another value
                query.append((name, rng.choice(HOSTILE + VALID)))
        if path.endswith(".json") and "/-/" not in path and rng.random() < 0.5:
            query.append(("_extra", "count,facet_results"))
        url = path + ("?" + urlencode(query) if query else "")
        response = await get(ds, app, url)
        status = response.status_code
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500 or (status == 503 and "render_time_limit_ms" in response.text), (
            url[:500], status, response.text[:500])
        if status == 200 and path.endswith(".json") and path.count("/") == 2 and path[8:-5] in facet_tables:
            facets_checked += await _facet_agrees(ds, app, path, query, response.json())

    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert sum(statuses.values()) == REQUESTS
    # the attack was not all turned away at the door: most requests were answered
    assert statuses.get(200, 0) > REQUESTS // 4, statuses
    assert statuses.get(400, 0) > REQUESTS // 10, statuses
    assert facets_checked > REQUESTS // 100, facets_checked
    print(f"{REQUESTS} requests: {dict(sorted(statuses.items()))}; {facets_checked} facets checked against their table")
