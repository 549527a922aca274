"""Load under attack (issue 10): 20 clients for 20 s against a real server at 1,200
documents, one of them with 2,000 项, with a mix of table pages, facet drills, canned JSON
and chart images whose URLs mostly miss the cache; beside the same mix without charts.

    python -m bench.run --only load-attack

Reports requests/s, p50/p95 and errors of both mixes, the cache's hits and misses, the
longest time a request that draws nothing took while renders ran, the longest any chart
waited for a free renderer and how long drawing an uncached image took (both from its
Server-Timing header), and the machine's load average before and after each mix.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from bench import corpus

CLIENTS = 20
SECONDS = 20.0
DOCUMENTS = 1200
BIG_ITEMS = 2000
CHART_SHARE = 0.12  # as in the run that found the stall: 12 % chart requests
TARGETS = {"errors": 0, "throughput_ratio": 0.8, "p95_ms": 500, "wait_behind_render_ms": 1000}

# (kind, weight) of the mix without charts; charts take CHART_SHARE on top of it
MIX = [("table HTML", 20), ("table JSON", 15), ("facet drill", 30), ("canned JSON", 35)]
CHARTS = ["expenditure_by_function", "expenditure_basic_project", "expenditure_by_economic",
          "basic_by_kind", "sangong", "income_by_source"]
CANNED = ["expenditure_by_function", "expenditure_by_economic", "basic_by_kind", "sangong", "income_by_source"]


def big_document(index: int, items: int = BIG_ITEMS, seed: int = 1) -> corpus.Document:
    """A disclosure with ``items`` 项 in its 部门支出总体情况表, built as every corpus
    document is (corpus.build), with made-up 项 codes under the reference 类."""
    ref = corpus.Reference.load()
    classes = sorted({code[:3] for code, _ in ref.functions})
    codes = set()
    for n in range(items):
        k = n // len(classes)
        codes.add((f"{classes[n % len(classes)]}{k // 99 + 1:02d}{k % 99 + 1:02d}", f"长表第{n + 1}项"))
    many = corpus.Reference(sorted(codes), ref.economic, ref.government, ref.government_of)
    saved, corpus.MAX_ROWS = corpus.MAX_ROWS, items
    try:
        return corpus.build(index, items, seed, many)
    finally:
        corpus.MAX_ROWS = saved


def build_database(run, work: Path, seed: int) -> tuple[Path, str]:
    """``budget.db`` with 1,200 corpus documents and the 2,000-项 one, loaded by the loader;
    cached under bench/corpus/ by the loader's source."""
    key = run.source_key(60, seed)
    cached = run.CACHE / f"attack-{DOCUMENTS}-{key}.db"
    big = big_document(DOCUMENTS, seed=seed)
    if not cached.exists():
        paths = run.ensure_corpus(DOCUMENTS, 60, seed)
        folder = work / "attack-big"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / big.filename).write_text(big.text, encoding="utf-8")
        listing = work / "attack-files.txt"
        listing.write_text("\n".join(str(p) for p in paths + [folder / big.filename]), encoding="utf-8")
        target = work / "attack-build.db"
        target.unlink(missing_ok=True)
        run.log(f"load under attack: loading {DOCUMENTS} + 1 documents")
        started = time.perf_counter()
        run.run_worker(["load", str(target), str(listing), "--jobs", "1"])
        run.log(f"loaded in {time.perf_counter() - started:.0f} s")
        target.replace(cached)
    db = work / "attack" / "budget.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(cached.read_bytes())
    conn = sqlite3.connect(db)
    slug = conn.execute("select slug from documents where department = ? and year = ?",
                        [big.department, big.year]).fetchone()[0]
    items = conn.execute("select count(*) from function_expenditure where document = ?", [slug]).fetchone()[0]
    conn.close()
    assert items == BIG_ITEMS, f"the long document has {items} 项, not {BIG_ITEMS}"
    return db, slug


class Mix:
    """Request paths drawn with a fixed seed from the loaded documents and codes."""

    def __init__(self, db: Path, big_slug: str, seed: int):
        conn = sqlite3.connect(db)
        self.slugs = [r[0] for r in conn.execute("select slug from documents where slug != ?", [big_slug])]
        self.sections = conn.execute(
            "select distinct function_class, function_section from function_expenditure").fetchall()
        conn.close()
        self.big = big_slug
        self.rng = random.Random(seed)

    def path(self, with_charts: bool) -> tuple[str, str]:
        rng, q = self.rng, urllib.parse.quote
        if with_charts and rng.random() < CHART_SHARE:
            fmt = rng.choice(["svg", "png"])
            if rng.random() < 0.1:  # the 2,000-项 chart
                chart = rng.choice(["expenditure_by_function", "expenditure_basic_project"])
                return "chart image", f"/budget/{chart}.{fmt}?document={q(self.big)}&level=3"
            chart = rng.choice(CHARTS)
            levels = {"expenditure_by_function": 3, "expenditure_basic_project": 3, "expenditure_by_economic": 2}
            level = f"&level={rng.randint(1, levels[chart])}" if chart in levels else ""
            return "chart image", f"/budget/{chart}.{fmt}?document={q(rng.choice(self.slugs))}{level}"
        kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
        slug = q(rng.choice(self.slugs))
        if kind == "table HTML":
            return kind, f"/budget/function_expenditure?document={slug}&_size=20"
        if kind == "table JSON":
            return kind, f"/budget/function_expenditure.json?document={slug}&_size=20"
        if kind == "facet drill":
            cls, section = rng.choice(self.sections)
            drill = rng.choice(["", f"&function_class={cls}", f"&function_class={cls}&function_section={section}"])
            scope = f"&document={slug}" if rng.random() < 0.5 else ""
            return kind, f"/budget/function_expenditure.json?_facet_hierarchy=function_code&_size=0{drill}{scope}"
        query = rng.choice(CANNED)
        level = f"&level={rng.randint(1, 2)}" if query.startswith("expenditure") else ""
        return kind, f"/budget/{query}.json?document={slug}{level}&_shape=array"


async def hammer(base: str, mix: Mix, with_charts: bool, seconds: float, clients: int) -> list[dict]:
    import httpx

    records: list[dict] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        deadline = time.perf_counter() + seconds

        async def one_client():
            while time.perf_counter() < deadline:
                kind, path = mix.path(with_charts)
                started = time.perf_counter()
                record = {"kind": kind, "started": started}
                try:
                    response = await client.get(path)
                    await response.aread()
                    record["status"] = response.status_code
                    record["cache"] = response.headers.get("x-budget-cache")
                    timing = response.headers.get("server-timing", "")
                    waited = re.search(r"render-queue;dur=([0-9.]+)", timing)
                    record["queue_ms"] = float(waited.group(1)) if waited else None
                    drawn = re.search(r"render;dur=([0-9.]+)", timing)
                    record["render_ms"] = float(drawn.group(1)) if drawn else None
                except httpx.HTTPError as e:
                    record["status"] = f"{type(e).__name__}"
                record["ms"] = (time.perf_counter() - started) * 1000
                record["ended"] = time.perf_counter()
                records.append(record)

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return records


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def summarise(records: list[dict], seconds: float) -> dict:
    ms = [r["ms"] for r in records]
    plain = [r for r in records if r["kind"] != "chart image"]
    charts = [r for r in records if r["kind"] == "chart image"]
    out = {
        "requests": len(records), "rps": len(records) / seconds,
        "p50_ms": _quantile(ms, 0.5), "p95_ms": _quantile(ms, 0.95), "max_ms": max(ms, default=None),
        "errors": sum(1 for r in records if r["status"] != 200),
        "error_statuses": sorted({str(r["status"]) for r in records if r["status"] != 200}),
        "plain_max_ms": max((r["ms"] for r in plain), default=None),
        "plain_p95_ms": _quantile([r["ms"] for r in plain], 0.95),
        "by_kind": {},
    }
    for kind in sorted({r["kind"] for r in records}):
        k = [r["ms"] for r in records if r["kind"] == kind]
        out["by_kind"][kind] = {"requests": len(k), "p50_ms": _quantile(k, 0.5), "p95_ms": _quantile(k, 0.95),
                                "max_ms": max(k)}
    if charts:
        out["cache_hits"] = sum(1 for r in charts if r.get("cache") == "hit")
        out["cache_misses"] = sum(1 for r in charts if r.get("cache") == "miss")
        queue = [r["queue_ms"] for r in charts if r.get("queue_ms") is not None]
        out["render_queue_max_ms"] = max(queue, default=0.0)
        out["render_queue_p95_ms"] = _quantile(queue, 0.95)
        drawn = [r["render_ms"] for r in charts if r.get("render_ms") is not None]
        out["renders"] = len(drawn)
        out["render_p50_ms"], out["render_p95_ms"] = _quantile(drawn, 0.5), _quantile(drawn, 0.95)
        # plain requests that were answered while at least one chart request was in flight
        spans = [(r["started"], r["ended"]) for r in charts if r.get("cache") != "hit"]
        during = [r["ms"] for r in plain if any(s < r["ended"] and r["started"] < e for s, e in spans)]
        out["plain_during_render"] = {"requests": len(during), "max_ms": max(during, default=None),
                                      "over_1s": sum(1 for m in during if m > 1000)}
    return out


def site_metadata(run, work: Path, plugin_config: dict | None) -> Path:
    """The site's metadata.yml, with ``plugin_config`` merged into the plugin's configuration."""
    path = run.ROOT / "metadata.yml"
    if not plugin_config:
        return path
    import yaml

    meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    meta.setdefault("plugins", {}).setdefault("datasette-budget", {}).update(plugin_config)
    out = work / "attack-metadata.json"
    out.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return out


def measure(run, work: Path, seed: int = 1, clients: int = CLIENTS, seconds: float = SECONDS,
            plugin_config: dict | None = None) -> dict:
    db, big_slug = build_database(run, work, seed)
    metadata = site_metadata(run, work, plugin_config)
    datasette_exe = str(Path(sys.executable).parent / "datasette")
    result: dict = {"documents": DOCUMENTS + 1, "big_document": big_slug, "clients": clients, "seconds": seconds,
                    "chart_share": CHART_SHARE, "targets": TARGETS, "plugin_config": plugin_config or {}}
    runs = {}
    for label, with_charts in (("without charts", False), ("with charts", True)):
        # a fresh server for each mix: an empty chart cache, nothing warm from the other mix
        server = run.Server([datasette_exe], db, metadata, label)
        try:
            server.wait()
            mix = Mix(db, big_slug, seed)
            # warm-up: a second of the same mix (and a renderer process started)
            asyncio.run(hammer(server.base, Mix(db, big_slug, seed + 1), with_charts, 2.0, 4))
            run.log(f"load under attack, {label}: {clients} clients for {seconds:.0f} s")
            load_before = os.getloadavg()[0]
            records = asyncio.run(hammer(server.base, mix, with_charts, seconds, clients))
            load_after = os.getloadavg()[0]
        finally:
            server.stop()
        runs[label] = summarise(records, seconds)
        # the machine's 1-minute load average before and after: other work on it changes every figure
        runs[label]["load_average"] = [round(load_before, 2), round(load_after, 2)]
        r = runs[label]
        run.log(f"  {r['rps']:.1f} req/s, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, {r['errors']} errors")
    result.update(runs)
    result["throughput_ratio"] = runs["with charts"]["rps"] / runs["without charts"]["rps"]
    return result


def report_rows(attack: dict, verdict) -> list[list[str]]:
    if not attack:
        return []
    if attack.get("skipped"):
        return [["load under attack", "", "skipped: " + attack["skipped"], "", "", "", ""]]
    w, wo = attack["with charts"], attack["without charts"]
    size = f"{attack['documents']:,} docs, {attack['clients']} clients"
    t = TARGETS
    during = w.get("plain_during_render", {})
    rows = [
        ["attack mix req/s (with / without charts)", size, f"{w['rps']:.1f}", f"{wo['rps']:.1f}",
         f"{attack['throughput_ratio']:.2f}x", f"≥{t['throughput_ratio']}x", verdict(attack["throughput_ratio"] >= t["throughput_ratio"])],
        ["attack mix p50 / p95 ms", size, f"{w['p50_ms']:.0f} / {w['p95_ms']:.0f}",
         f"{wo['p50_ms']:.0f} / {wo['p95_ms']:.0f}", "", f"p95 ≤{t['p95_ms']}", verdict(w["p95_ms"] <= t["p95_ms"])],
        ["attack mix errors", size, f"{w['errors']} of {w['requests']} {' '.join(w['error_statuses'])}".strip(),
         f"{wo['errors']} of {wo['requests']}", "", "0", verdict(w["errors"] == 0 and wo["errors"] == 0)],
        ["  chart images: cache hits / misses", size, f"{w.get('cache_hits', 0)} / {w.get('cache_misses', 0)}",
         "", "", "mostly misses", ""],
        ["  chart image p50 / p95 ms", size,
         f"{w['by_kind']['chart image']['p50_ms']:.0f} / {w['by_kind']['chart image']['p95_ms']:.0f}"
         if "chart image" in w["by_kind"] else "—", "", "", "", ""],
        ["  longest non-chart request during renders", size,
         f"{during.get('max_ms') or 0:.0f} ms ({during.get('over_1s', 0)} of {during.get('requests', 0)} over 1 s)",
         f"longest without charts {wo['plain_max_ms']:.0f} ms", "", f"≤{t['wait_behind_render_ms']} ms",
         verdict((during.get("max_ms") or 0) <= t["wait_behind_render_ms"])],
        ["  longest wait for a free renderer", size, f"{w.get('render_queue_max_ms', 0):.0f} ms", "", "", "", ""],
        ["  drawing one uncached image p50 / p95 ms", size,
         f"{w.get('render_p50_ms') or 0:.0f} / {w.get('render_p95_ms') or 0:.0f} ({w.get('renders', 0)} drawn)",
         "", "", "", ""],
        ["  machine load average (1 min, before / after)", size,
         " / ".join(f"{x:.1f}" for x in w.get("load_average", [])), " / ".join(f"{x:.1f}" for x in wo.get("load_average", [])),
         "", "", ""],
    ]
    return rows


def main(argv=None) -> int:  # python -m bench.attack: the section alone, printed as JSON
    from bench import run

    import tempfile

    work = Path(tempfile.mkdtemp(prefix="budget-attack-"))
    print(json.dumps(measure(run, work), ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
