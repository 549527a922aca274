"""`make bench`: loader throughput and query latency at 10k, 100k and 1M line items, each
figure beside a baseline measured in the same run, interleaved and repeated.

    python -m bench.run                 # 10k, 100k, 1M (about 20 minutes on 2 cores)
    python -m bench.run --quick         # 10k only, fewer repeats
    python -m bench.run --sizes 10k,100k --skip serve
    python -m bench.run --only load-attack   # one section alone (see bench/attack.py)

"1M rows" means 1M rows in ``function_expenditure``, the table the hierarchy facet runs on.
The corpus is cached in ``bench/corpus/``; so are the databases built from it (keyed by the
loader's source), because loading 1M rows from text takes longer than one benchmark run
should. Loading is measured at every size whose database is built in this run; a cached
database reports the figures measured when it was built, marked as such. ``--fresh``
rebuilds everything.

Results are printed as a table and written to ``bench/results/<timestamp>.json``.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import corpus

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "corpus"
RESULTS = HERE / "results"
SAMPLES = ROOT.parent / "shared" / "samples"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
TABLE = "function_expenditure"
# What decides the content of a loaded database (not the facet, queries or views).
LOADER_MODULES = ("loader", "disclosure", "documents", "tables", "amounts", "classification", "narrative",
                  "performance", "pdf_text")
LEVEL_COLUMNS = {"top": "function_class", "款": "function_section", "项": "function_code"}

# as `make serve` serves the site: Datasette's suggested facets run a grouping query per
# column on every table page (seconds at 1M rows, with or without the plugin)
SERVE_SETTINGS = ["--setting", "suggest_facets", "off"]

TARGETS = {
    "facet_limit_ms": 200,  # Datasette's default facet_time_limit_ms
    "facet_top_ms": 50,
    "facet_drill_ms": 20,
    "canned_p95_ms": 100,
    "load_ratio": 0.5,  # loader rows/s over insert_all rows/s
    "plugin_overhead": 0.10,  # lost throughput on pages that do not use the plugin
}

FULL = {"load_repeat": {"10k": 3, "100k": 1, "1m": 1}, "facet_repeat": {"10k": 15, "100k": 9, "1m": 7},
        "canned_repeat": 25, "serve_seconds": 4.0, "serve_repeat": 5, "concurrency": 8, "pdf_repeat": 3}
QUICK = {"load_repeat": {"10k": 2, "100k": 1, "1m": 1}, "facet_repeat": {"10k": 5, "100k": 3, "1m": 3},
         "canned_repeat": 15, "serve_seconds": 2.0, "serve_repeat": 2, "concurrency": 8, "pdf_repeat": 1}


# ------------------------------------------------------------------ small helpers

def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def stats(values: list[float]) -> dict:
    """Median and spread of repeated measurements."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return {"n": 0}
    q = statistics.quantiles(values, n=20, method="inclusive") if len(values) > 1 else [values[0]] * 19
    return {"n": len(values), "median": statistics.median(values), "min": values[0], "max": values[-1],
            "p95": q[18], "p25": q[4] if len(values) > 1 else values[0], "p75": q[14] if len(values) > 1 else values[0]}


def fmt(s: dict | None, unit: str = "", digits: int = 1) -> str:
    if not s or not s.get("n"):
        return "—"
    if s["n"] == 1:
        return f"{s['median']:,.{digits}f}{unit}"
    return f"{s['median']:,.{digits}f}{unit} [{s['min']:,.{digits}f}–{s['max']:,.{digits}f}]"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def source_key(rows_per_document: int, seed: int) -> str:
    """Changes whenever the loader's code, its reference data or the corpus changes."""
    h = hashlib.sha256(f"{rows_per_document}-{seed}".encode())
    package = ROOT / "datasette_budget"
    for path in sorted([package / f"{m}.py" for m in LOADER_MODULES] + list((package / "reference").glob("*.csv"))):
        if path.exists():
            h.update(path.read_bytes())
    for path in (HERE / "corpus.py", HERE / "seed_text.py"):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def bench_metadata() -> dict:
    """The site's metadata.yml without default facets, so each request runs only the facets it
    names; the plugin configuration (amount column and so on) is kept."""
    path = ROOT / "metadata.yml"
    if not path.exists():
        return {}
    import yaml

    meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("facets",)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(meta)


# ------------------------------------------------------------------ corpus

def _write_range(args: tuple) -> int:
    folder, start, stop, rows, seed = args
    ref = corpus.Reference.load()
    existing = {p.name for p in Path(folder).glob("*.txt")}
    for i in range(start, stop):
        doc = corpus.build(i, rows, seed, ref)
        if doc.filename not in existing:
            path = Path(folder) / doc.filename
            tmp = path.with_suffix(".tmp")
            tmp.write_text(doc.text, encoding="utf-8")
            tmp.replace(path)
    return stop - start


def ensure_corpus(documents: int, rows: int, seed: int) -> list[Path]:
    version = hashlib.sha256((HERE / "corpus.py").read_bytes() + (HERE / "seed_text.py").read_bytes()).hexdigest()[:8]
    folder = CACHE / f"rows{rows}-seed{seed}-{version}"  # a changed generator writes a new corpus
    folder.mkdir(parents=True, exist_ok=True)
    have = len(list(folder.glob("*.txt")))
    if have < documents:
        log(f"writing corpus: {documents - have} documents into {folder.relative_to(ROOT)}")
        started = time.perf_counter()
        chunks = [(str(folder), a, min(a + 500, documents), rows, seed) for a in range(have, documents, 500)]
        with ProcessPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
            list(pool.map(_write_range, chunks))
        log(f"corpus written in {time.perf_counter() - started:.0f} s")
    paths = corpus.write_corpus(folder, documents, rows, seed)  # fills gaps, returns ordered paths
    return paths


# ------------------------------------------------------------------ loading

def run_worker(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.workers", *args], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"bench.workers {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def plain_tables(conn: sqlite3.Connection) -> list[str]:
    """Ordinary tables: not SQLite's own, not virtual (FTS) tables, not their shadow tables."""
    rows = list(conn.execute("select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%'"))
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [name for name, sql in rows
            if name not in virtual and not any(name.startswith(f"{v}_") for v in virtual)]


def table_counts(db_path: Path) -> dict:
    """Rows per ordinary table; ``line_rows`` counts tables whose rows carry a source line."""
    conn = sqlite3.connect(db_path)
    counts = {}
    line_rows = 0
    for name in plain_tables(conn):
        columns = {r[1] for r in conn.execute(f"pragma table_info([{name}])")}
        n = conn.execute(f"select count(*) from [{name}]").fetchone()[0]
        counts[name] = n
        if {"document", "line"} <= columns:
            line_rows += n
    conn.close()
    return {"tables": counts, "line_rows": line_rows, "all_rows": sum(counts.values())}


def rss_at(samples: list, fraction: float) -> int | None:
    if not samples:
        return None
    target = samples[-1][0] * fraction
    for done, _, rss in samples:
        if done >= target:
            return rss
    return samples[-1][2]


def measure_loading(size: str, paths: list[Path], work: Path, repeat: int, jobs: int) -> tuple[dict, Path]:
    """Loader and insert_all, interleaved ``repeat`` times; returns figures and the last database."""
    list_file = work / f"{size}-paths.txt"
    list_file.write_text("\n".join(str(p) for p in paths), encoding="utf-8")
    runs, baselines = [], []
    db = None
    for rep in range(repeat):
        db = work / f"{size}-load-{rep}" / "budget.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        db.unlink(missing_ok=True)
        log(f"{size}: loading {len(paths)} documents (run {rep + 1}/{repeat}, jobs={jobs})")
        result = run_worker(["load", str(db), str(list_file), "--jobs", str(jobs)])
        counts = table_counts(db)
        result.update(counts)
        runs.append(result)
        log(f"{size}: loaded in {result['seconds']:.1f} s; baseline insert_all of the same {counts['all_rows']:,} rows")
        target = work / f"{size}-insert-{rep}.db"
        target.unlink(missing_ok=True)
        baselines.append(run_worker(["insert_all", str(db), str(target)]))
        target.unlink(missing_ok=True)
        if rep < repeat - 1:
            shutil.rmtree(db.parent)
    last = runs[-1]
    figures = {
        "documents": len(paths),
        "function_rows": last["tables"].get(TABLE, 0),
        "line_rows": last["line_rows"],
        "all_rows": last["all_rows"],
        "failed": last["failed"],
        "failures": last["failures"],
        "unparsed_lines": last["unparsed_lines"],
        "jobs": jobs,
        "docs_per_s": stats([len(paths) / r["seconds"] for r in runs]),
        "line_rows_per_s": stats([r["line_rows"] / r["seconds"] for r in runs]),
        "all_rows_per_s": stats([r["all_rows"] / r["seconds"] for r in runs]),
        "insert_all_rows_per_s": stats([b["rows"] / b["seconds"] for b in baselines]),
        "ratio": stats([(r["all_rows"] / r["seconds"]) / (b["rows"] / b["seconds"]) for r, b in zip(runs, baselines)]),
        "seconds": stats([r["seconds"] for r in runs]),
        "insert_all_seconds": stats([b["seconds"] for b in baselines]),
        "peak_rss_mb": stats([r["peak_rss_kb"] / 1024 for r in runs]),
        "insert_all_peak_rss_mb": stats([b["peak_rss_kb"] / 1024 for b in baselines]),
        "rss_mb_at": {f"{int(f * 100)}%": (rss_at(last["rss_samples"], f) or 0) / 1024 for f in (0.1, 0.5, 1.0)},
        "rss_samples": last["rss_samples"][:: max(1, len(last["rss_samples"]) // 20)],
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return figures, db


def replicate(source: Path, target: Path, factor: int) -> dict:
    """``target`` = the loader's database ``source`` with every document repeated ``factor``
    times under new slugs (``<slug>~2`` ...), by SQL, keeping the loader's schema and indexes.

    Loading 1M rows from text takes longer than a benchmark run; the rows the queries see are
    still the loader's own rows, with the same code distribution, ``factor`` times over.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    started = time.perf_counter()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    conn.execute("begin")
    tables = plain_tables(conn)  # full-text indexes are not replicated: no query measured here uses them
    for k in range(2, factor + 1):
        for table in ["documents"] + [t for t in tables if t != "documents"]:
            info = list(conn.execute(f"pragma table_info([{table}])"))
            names = [r[1] for r in info]
            key = "slug" if table == "documents" else ("document" if "document" in names else None)
            if key is None:
                continue
            # an INTEGER PRIMARY KEY gets new values; every other column is copied
            columns = [r[1] for r in info if not (r[5] and r[2].upper() == "INTEGER" and len([x for x in info if x[5]]) == 1)]
            select = ", ".join(f"[{c}] || '~{k}'" if c == key else f"[{c}]" for c in columns)
            cols = ", ".join(f"[{c}]" for c in columns)
            conn.execute(f"insert into [{table}] ({cols}) select {select} from [{table}] "
                         f"where [{key}] not like '%~%'")
    conn.execute("commit")
    conn.close()
    # What the loader does at the end of a batch (indexes it declares, rollups, statistics),
    # so the copy is what loading these documents would have produced.
    from datasette_budget import loader

    db = loader.connect(target)
    for name, (_, _, indexes) in getattr(loader, "SCHEMA", {}).items():
        if db[name].exists():
            for index in indexes:
                db[name].create_index(index, if_not_exists=True)
    if hasattr(loader, "finish"):
        loader.finish(db)
    else:
        db.execute("analyze")
    db.close()
    return {"seconds": time.perf_counter() - started, "factor": factor}


def obtain_database(size: str, rows_total: int, args, work: Path, settings: dict) -> tuple[Path, dict]:
    documents = corpus.documents_for_rows(rows_total, args.rows)
    paths = ensure_corpus(documents, args.rows, args.seed) if size != "1m" or args.load_1m else []
    key = source_key(args.rows, args.seed)
    cached = CACHE / f"db-{size}-rows{args.rows}-seed{args.seed}-{key}"
    cached_db, cached_figures = cached / "budget.db", cached / "loading.json"
    if args.reuse_stale and not cached_db.exists():
        stale = sorted(CACHE.glob(f"db-{size}-rows{args.rows}-seed{args.seed}-*/budget.db"), key=os.path.getmtime)
        if stale:
            cached_db, cached_figures = stale[-1], stale[-1].parent / "loading.json"
            cached = cached_db.parent
            log(f"{size}: the loader changed since {cached.name} was built; reusing it (--reuse-stale)")
    reuse = cached_db.exists() and not args.fresh and (
        "load" in args.skip or (size == "1m" and not args.load_1m))
    if reuse:
        figures = json.loads(cached_figures.read_text()) if cached_figures.exists() else {}
        figures["cached"] = True
        log(f"{size}: using the database cached in {cached_db.parent.relative_to(ROOT)}")
        return cached_db, figures
    if size == "1m" and not args.load_1m:
        source = args.databases.get("100k")
        if source is None:
            source, figures_100k = obtain_database("100k", SIZES["100k"], args, work, settings)
            args.databases["100k"] = source
            args.loading_extra["100k"] = figures_100k
        log("1m: replicating the loader's 100k database 10 times by SQL (--load-1m loads the text instead)")
        db = work / "1m" / "budget.db"
        figures = {"built_by": "replicating the 100k database 10x by SQL (loading 1M from text is measured "
                               "only with --load-1m: it takes longer than a benchmark run)",
                   "replication": replicate(source, db, 10)}
        figures.update({"function_rows": table_counts(db)["tables"].get(TABLE, 0), "cached": False})
    else:
        repeat = settings["load_repeat"][size]
        jobs = args.build_jobs if size == "1m" else args.jobs
        figures, db = measure_loading(size, paths, work, repeat, jobs)
    figures["cached"] = False
    if size == "1m" or args.keep:
        for old in CACHE.glob(f"db-{size}-rows{args.rows}-seed{args.seed}-*"):
            shutil.rmtree(old)
        cached.mkdir(parents=True, exist_ok=True)
        shutil.move(str(db), cached_db)
        cached_figures.write_text(json.dumps(figures))
        return cached_db, figures
    return db, figures


# ------------------------------------------------------------------ PDF extraction

def measure_pdf(repeat: int) -> dict:
    pdfs = sorted(SAMPLES.glob("*.pdf"))
    if not (HERE / "pdf_extract.py").exists():
        return {"skipped": "bench/pdf_extract.py is not there yet"}
    if not pdfs:
        return {"skipped": f"no sample PDFs in {SAMPLES}"}
    from bench import pdf_extract

    log(f"PDF extraction: {len(pdfs)} sample files x {repeat}")
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return {"files": [p.name for p in pdfs], "extractors": pdf_extract.measure(pdfs, repeat)}


# ------------------------------------------------------------------ Datasette in process

def datasette_for(db: Path, facet_limit_ms: int | None = None):
    from datasette.app import Datasette

    settings = {"trace_debug": True, "suggest_facets": False}
    if facet_limit_ms:
        settings.update(facet_time_limit_ms=facet_limit_ms, sql_time_limit_ms=max(facet_limit_ms, 1000))
    return Datasette([str(db)], immutables=[], metadata=bench_metadata(), settings=settings)


def database_name(db: Path) -> str:
    return db.stem


def url(db: Path, path: str, params: list[tuple[str, str]]) -> str:
    return f"/{database_name(db)}/{path}?" + urllib.parse.urlencode(params)


async def fetch(ds, path: str) -> tuple[float, dict, int]:
    started = time.perf_counter()
    response = await ds.client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    try:
        data = response.json()
    except Exception:
        data = {}
    return elapsed, data, response.status_code


def sql_ms(data: dict, exclude: set[str]) -> float:
    """Time spent in the SQL a facet added: traced queries that the request without it did not run."""
    traces = data.get("_trace", {}).get("traces", [])
    return sum(t["duration_ms"] for t in traces if t.get("type") == "sql" and t.get("sql") not in exclude)


def sql_set(data: dict) -> set[str]:
    return {t.get("sql") for t in data.get("_trace", {}).get("traces", []) if t.get("type") == "sql"}


async def measure_facets(size: str, db: Path, repeat: int) -> dict:
    ds = datasette_for(db, facet_limit_ms=60_000)  # time the real cost, even past 200 ms
    ds_default = datasette_for(db)  # default facet_time_limit_ms, to see what a user would get
    conn = sqlite3.connect(db)
    n_docs = conn.execute("select count(*) from documents").fetchone()[0]
    slug = conn.execute("select slug from documents order by slug limit 1 offset ?", [n_docs // 2]).fetchone()[0]
    top_class = conn.execute(
        f"select function_class from {TABLE} group by 1 order by count(*) desc limit 1").fetchone()[0]
    top_section = conn.execute(
        f"select function_section from {TABLE} where function_class = ? group by 1 order by count(*) desc limit 1",
        [top_class]).fetchone()[0]
    conn.close()
    results = {"document": slug, "class": top_class, "section": top_section, "cases": []}
    for scope, scope_params in (("all", []), ("one document", [("document", slug)])):
        # a drill selects every level above it, top first: ?function_class=201&function_section=20103
        for level, filters in (("top", []), ("款", [("function_class", top_class)]),
                               ("项", [("function_class", top_class), ("function_section", top_section)])):
            base = scope_params + filters + [("_size", "0"), ("_nosuggest", "1"), ("_trace", "1")]
            urls = {
                "hierarchy": url(db, f"{TABLE}.json", base + [("_facet_hierarchy", "function_code")]),
                "column": url(db, f"{TABLE}.json", base + [("_facet", LEVEL_COLUMNS[level])]),
                "none": url(db, f"{TABLE}.json", base),
            }
            # warm-up, and the checks: groups returned, nothing timed out at the default limit
            _, plain, _ = await fetch(ds, urls["none"])
            _, hier, status = await fetch(ds, urls["hierarchy"])
            facet = next(iter(hier.get("facet_results", {}).values()), {})
            _, default, _ = await fetch(ds_default, urls["hierarchy"].replace("&_trace=1", ""))
            _, default_col, _ = await fetch(ds_default, urls["column"].replace("&_trace=1", ""))
            case = {
                "size": size, "scope": scope, "level": level, "url": urls["hierarchy"].replace("&_trace=1", ""),
                "status": status, "groups": len(facet.get("results", [])),
                "facet_level": facet.get("level"),
                "first_group": {k: facet["results"][0].get(k) for k in ("value", "label", "count", "sum", "level")}
                if facet.get("results") else None,
                "timed_out_at_default_limit": default.get("facets_timed_out", []),
                "column_timed_out_at_default_limit": default_col.get("facets_timed_out", []),
            }
            exclude = sql_set(plain)
            timings = {"hierarchy": [], "column": [], "none": [], "hierarchy_sql": [], "column_sql": []}
            for _ in range(repeat):
                for kind in ("hierarchy", "column", "none"):  # interleaved
                    elapsed, data, _ = await fetch(ds, urls[kind])
                    timings[kind].append(elapsed)
                    if kind != "none":
                        timings[f"{kind}_sql"].append(sql_ms(data, exclude))
            case.update({f"{k}_ms": stats(v) for k, v in timings.items()})
            case["hierarchy_over_request_ms"] = stats([h - n for h, n in zip(timings["hierarchy"], timings["none"])])
            results["cases"].append(case)
            log(f"{size} facet {scope:<12} {level}: hierarchy {fmt(case['hierarchy_sql_ms'], ' ms')}, "
                f"column facet {fmt(case['column_sql_ms'], ' ms')}, groups {case['groups']}")
    return results


CANNED = [
    ("expenditure_by_function", {"level": "1"}),
    ("expenditure_by_function", {"level": "3"}),
    ("expenditure_by_economic", {"level": "1", "system": "department"}),
    ("basic_by_kind", {}),
]


def _named_parameters(sql: str) -> list[str]:
    return sorted(set(re.findall(r"(?<!:):([a-zA-Z_]\w*)", sql)))


async def measure_canned(size: str, db: Path, repeat: int) -> dict:
    ds = datasette_for(db)
    queries = await ds.get_canned_queries(database_name(db), None)
    conn = sqlite3.connect(db)
    slugs = [r[0] for r in conn.execute("select slug from documents order by slug")]
    picks = [slugs[i * len(slugs) // 5] for i in range(5)]
    results = []
    for name, extra in CANNED:
        if name not in queries:
            results.append({"query": name, "skipped": "no such canned query"})
            continue
        sql = queries[name]["sql"]
        names = _named_parameters(sql)
        for scope in ("one document", "all documents"):
            times, raw, errors, rows = [], [], 0, None
            for i in range(repeat + 2):
                document = picks[i % len(picks)] if scope == "one document" else ""
                params = {"document": document, **extra, "_shape": "array"}
                path = f"/{database_name(db)}/{name}.json?" + urllib.parse.urlencode(params)
                elapsed, data, status = await fetch(ds, path)
                if status != 200 or not isinstance(data, list):
                    errors += 1
                # baseline: the same SQL straight on sqlite3, no Datasette in between and no time
                # limit (interleaved, for the first few requests only: it can take seconds)
                raw_ms = None
                if i < 7:
                    bound = {k: params.get(k, "") for k in names}
                    started = time.perf_counter()
                    try:
                        conn.execute(sql, bound).fetchall()
                        raw_ms = (time.perf_counter() - started) * 1000
                    except sqlite3.Error:
                        pass
                if i >= 2:  # the first two are warm-up
                    times.append(elapsed)
                    raw.append(raw_ms)
                    rows = len(data) if isinstance(data, list) else None
                    if len(times) >= 5 and statistics.median(times) > 5 * TARGETS["canned_p95_ms"]:
                        break  # far past the target (or the time limit): more samples tell nothing
            results.append({"query": name, "params": extra, "scope": scope, "size": size, "rows": rows,
                            "errors": errors, "ms": stats(times), "raw_sql_ms": stats(raw),
                            "example": path, "sql_time_limit_ms": ds.setting("sql_time_limit_ms")})
            log(f"{size} canned {name} {extra} {scope}: p50 {results[-1]['ms'].get('median', 0):.1f} ms, "
                f"p95 {results[-1]['ms'].get('p95', 0):.1f} ms, sqlite3 alone p50 {results[-1]['raw_sql_ms'].get('median', 0):.1f} ms")
    conn.close()
    return {"queries": results}


# ------------------------------------------------------------------ under load

def baseline_datasette(work: Path) -> tuple[list[str], str]:
    """A command that runs Datasette without the plugin: from a second virtualenv with only
    Datasette (same version) installed; else this one with the plugins unregistered."""
    import datasette

    venv = work / "baseline-venv"
    exe = venv / "bin" / "datasette"
    if not exe.exists():
        log(f"creating a second virtualenv with datasette=={datasette.__version__} (no plugin)")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                            f"datasette=={datasette.__version__}"], check=True, capture_output=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as e:
            log(f"could not create the second virtualenv ({e}); falling back to unregistering plugins")
            shutil.rmtree(venv, ignore_errors=True)
    if exe.exists():
        return [str(exe)], f"second virtualenv: datasette {datasette.__version__} alone"
    # Datasette 0.65 has no DATASETTE_LOAD_PLUGINS; unregister every non-default plugin instead.
    code = ("import sys; from datasette.plugins import pm, DEFAULT_PLUGINS; "
            "[pm.unregister(plugin=p) for p in list(pm.get_plugins()) "
            "if getattr(p, '__name__', '') not in DEFAULT_PLUGINS]; "
            "from datasette.cli import cli; sys.argv[0] = 'datasette'; cli()")
    return [sys.executable, "-c", code], "same virtualenv, plugins unregistered (no second virtualenv)"


class Server:
    def __init__(self, command: list[str], db: Path, metadata: Path, name: str):
        self.port = free_port()
        self.name = name
        args = [*command, "serve", "-i", str(db), "-h", "127.0.0.1", "-p", str(self.port), *SERVE_SETTINGS]
        if metadata:
            args += ["--metadata", str(metadata)]
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=db.parent)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 120) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{self.name} server exited:\n{self.log.read().decode()[-2000:]}")
            try:
                if httpx.get(self.base + "/-/versions.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} server did not answer within {timeout} s")

    def plugins(self) -> list[str]:
        import httpx

        data = httpx.get(self.base + "/-/plugins.json", timeout=5).json()
        data = data.get("plugins", data) if isinstance(data, dict) else data
        return [p["name"] for p in data]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def hammer(base: str, path: str, seconds: float, concurrency: int) -> dict:
    """``concurrency`` clients requesting ``path`` back to back for ``seconds``."""
    import httpx

    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker():
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    await response.aread()
                    if response.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    s = stats(latencies)
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "errors": errors,
            "p50_ms": s.get("median"), "p95_ms": s.get("p95")}


async def measure_serve(db: Path, work: Path, settings: dict) -> dict:
    meta = work / "metadata.json"
    meta.write_text(json.dumps(bench_metadata(), ensure_ascii=False), encoding="utf-8")
    command, baseline_kind = baseline_datasette(work)
    datasette_exe = str(Path(sys.executable).parent / "datasette")
    servers = {"plugin": Server([datasette_exe], db, meta, "plugin"),
               "baseline": Server(command, db, meta, "baseline")}
    conn = sqlite3.connect(db)
    slug = conn.execute("select slug from documents order by slug limit 1").fetchone()[0]
    conn.close()
    name = database_name(db)
    q = urllib.parse.quote
    plain = {
        "/-/versions.json": "/-/versions.json",
        "table JSON": f"/{name}/{TABLE}.json?_size=20",
        "table HTML": f"/{name}/{TABLE}?_size=20",
        "documents JSON": f"/{name}/documents.json?_size=10",
        "column facet, one document": f"/{name}/{TABLE}.json?_facet=function_class&document={q(slug)}&_size=0",
    }
    plugin_only = {
        "hierarchy facet, one document": f"/{name}/{TABLE}.json?_facet_hierarchy=function_code&document={q(slug)}&_size=0",
        "expenditure_by_function, one document":
            f"/{name}/expenditure_by_function.json?document={q(slug)}&level=1&_shape=array",
    }
    result = {"baseline_kind": baseline_kind, "serve_settings": " ".join(SERVE_SETTINGS), "concurrency": settings["concurrency"],
              "seconds_per_run": settings["serve_seconds"], "pages": []}
    try:
        for server in servers.values():
            server.wait()
        result["plugins"] = {k: s.plugins() for k, s in servers.items()}
        log(f"serving {db.parent.name}: plugin server {result['plugins']['plugin']}, "
            f"baseline {result['plugins']['baseline']} ({baseline_kind})")
        runs: dict[tuple[str, str], list[dict]] = {}
        for rep in range(settings["serve_repeat"]):
            for label, path in list(plain.items()) + list(plugin_only.items()):
                for kind, server in servers.items():
                    if label in plugin_only and kind == "baseline":
                        continue
                    runs.setdefault((label, kind), []).append(
                        await hammer(server.base, path, settings["serve_seconds"], settings["concurrency"]))
        for label, path in list(plain.items()) + list(plugin_only.items()):
            entry = {"page": label, "path": path, "uses_plugin": label in plugin_only}
            for kind in servers:
                r = runs.get((label, kind))
                if r:
                    entry[kind] = {"rps": stats([x["rps"] for x in r]), "p95_ms": stats([x["p95_ms"] for x in r]),
                                   "errors": sum(x["errors"] for x in r), "requests": sum(x["requests"] for x in r)}
            if "baseline" in entry:
                entry["throughput_ratio"] = stats([p["rps"] / b["rps"] for p, b in
                                                   zip(runs[(label, "plugin")], runs[(label, "baseline")])])
            result["pages"].append(entry)
            log(f"load {label}: plugin {fmt(entry['plugin']['rps'], ' req/s')}"
                + (f", baseline {fmt(entry['baseline']['rps'], ' req/s')}" if "baseline" in entry else ""))
    finally:
        for server in servers.values():
            server.stop()
    return result


# ------------------------------------------------------------------ report

def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "MISSED")


def report_rows(results: dict) -> list[list[str]]:
    rows = []
    for size, load in results.get("loading", {}).items():
        cached = " (cached build)" if load.get("cached") else ""
        if load.get("replication"):
            rows.append(["1M database", size, f"{load['function_rows']:,} rows: 100k loaded, replicated 10x by SQL"
                         f" in {load['replication']['seconds']:.0f} s" + cached, "", "", "", ""])
            continue
        if not load.get("docs_per_s"):
            rows.append(["load", size, "not measured" + cached, "", "", "", ""])
            continue
        rows.append([f"load docs/s (jobs={load.get('jobs', 1)})" + cached, size, fmt(load["docs_per_s"]), "", "", "", ""])
        rows.append(["load line rows/s" + cached, size, fmt(load["line_rows_per_s"], digits=0),
                     "", "", "", ""])
        ratio = load["ratio"]
        rows.append(["load all rows/s vs insert_all" + cached, size, fmt(load["all_rows_per_s"], digits=0),
                     fmt(load["insert_all_rows_per_s"], digits=0), fmt(ratio, "x", 2),
                     f"≥{TARGETS['load_ratio']}x", verdict(ratio["median"] >= TARGETS["load_ratio"])])
        at = load["rss_mb_at"]
        rows.append(["load RSS MB at 10/50/100%, peak" + cached, size,
                     f"{at['10%']:.0f} / {at['50%']:.0f} / {at['100%']:.0f}, peak {load['peak_rss_mb']['median']:.0f}",
                     f"insert_all peak {load['insert_all_peak_rss_mb']['median']:.0f}", "", "flat",
                     verdict(at["100%"] <= at["10%"] * 1.25 + 20)])
        if load.get("failed"):
            rows.append(["load failures", size, str(load["failed"]), "", "", "0", "MISSED"])
    pdf = results.get("pdf", {})
    if pdf.get("skipped"):
        rows.append(["PDF pages/s", "samples", "skipped: " + pdf["skipped"], "", "", "", ""])
    for extractor, r in pdf.get("extractors", {}).items():
        rows.append([f"PDF pages/s ({extractor})", f"{r['pages']} pages",
                     f"{r['median']:.1f} [{r['min']:.1f}–{r['max']:.1f}]", "", "", "", ""])
    for size, facets in results.get("facets", {}).items():
        for case in facets["cases"]:
            limit = TARGETS["facet_top_ms"] if case["level"] == "top" else TARGETS["facet_drill_ms"]
            h, c = case["hierarchy_sql_ms"], case["column_sql_ms"]
            ok = (h["median"] <= TARGETS["facet_limit_ms"] and not case["timed_out_at_default_limit"]
                  and h["median"] <= c["median"] * 1.1 + 1)
            rows.append([f"facet {case['level']} ({case['scope']}) SQL ms", size, fmt(h, digits=1),
                         f"column facet {fmt(c, digits=1)}", f"{h['median'] / max(c['median'], 0.01):.2f}x",
                         f"≤200 (aim {limit}), ≤ column +10% +1ms", verdict(ok) + ("" if h["median"] <= limit else " (aim missed)")
                         + (" TIMED OUT" if case["timed_out_at_default_limit"] else "")])
            rows.append(["  request ms with / without facet", size, fmt(case["hierarchy_ms"]), fmt(case["none_ms"]),
                         "", "", ""])
    for size, canned in results.get("canned", {}).items():
        for q in canned["queries"]:
            if q.get("skipped"):
                rows.append([f"canned {q['query']}", size, "skipped: " + q["skipped"], "", "", "", ""])
                continue
            label = f"canned {q['query']} {','.join(f'{k}={v}' for k, v in q['params'].items())} ({q['scope']})"
            p95 = q["ms"].get("p95", 0)
            rows.append([label, size, f"p50 {q['ms'].get('median', 0):.1f} / p95 {p95:.1f} ms",
                         f"sqlite3 p50 {q['raw_sql_ms'].get('median', 0):.1f}" if q["raw_sql_ms"].get("n") else "",
                         (f"{q['rows']} rows" if q["rows"] is not None else "")
                         + (f"{q['errors']}/{q['ms']['n'] + 2} errors (time limit {q['sql_time_limit_ms']} ms)"
                            if q["errors"] else ""),
                         "p95 <100", verdict(p95 < TARGETS["canned_p95_ms"] and not q["errors"])])
    serve = results.get("serve", {})
    for page in serve.get("pages", []):
        p = page["plugin"]
        line = [f"serve {page['page']} req/s", serve.get("size", ""),
                fmt(p["rps"]) + f", p95 {p['p95_ms']['median']:.0f} ms, {p['errors']} errors"]
        if "baseline" in page:
            b = page["baseline"]
            ratio = page["throughput_ratio"]
            ok = (1 - ratio["median"]) < TARGETS["plugin_overhead"] and not p["errors"]
            line += [fmt(b["rps"]) + f", p95 {b['p95_ms']['median']:.0f} ms", fmt(ratio, "x", 2),
                     "≥0.90x, 0 errors" if not page["uses_plugin"] else "0 errors", verdict(ok)]
        else:
            line += ["(plugin only)", "", "0 errors", verdict(not p["errors"])]
        rows.append(line)
    if serve.get("skipped"):
        rows.append(["serve", "", "skipped: " + serve["skipped"], "", "", "", ""])
    from bench import attack

    rows += attack.report_rows(results.get("attack"), verdict)
    return rows


def print_table(rows: list[list[str]]) -> None:
    header = ["measure", "size", "figure (median [min–max])", "baseline", "ratio", "target", "verdict"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark datasette-budget (see bench/run.py).")
    parser.add_argument("--quick", action="store_true", help="10k rows only, fewer repeats")
    parser.add_argument("--sizes", help="comma-separated sizes among 10k,100k,1m")
    parser.add_argument("--rows", type=int, default=60, help="function rows per document (1..64)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="loader parse processes")
    parser.add_argument("--build-jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="loader parse processes for the 1M build")
    parser.add_argument("--skip", default="", help="comma-separated: load,pdf,facets,canned,serve,load-attack")
    parser.add_argument("--only", choices=["load-attack"], help="run this section alone")
    parser.add_argument("--render-workers", type=int, help="load-attack: the plugin's render_workers")
    parser.add_argument("--fresh", action="store_true", help="rebuild cached databases")
    parser.add_argument("--load-1m", action="store_true",
                        help="load the 1M database from text (slow) instead of replicating the 100k one")
    parser.add_argument("--reuse-stale", action="store_true",
                        help="reuse a cached database built by an older loader")
    parser.add_argument("--keep", action="store_true", help="cache every size's database, not only 1M")
    parser.add_argument("--workdir", type=Path, help="for temporary databases (default: a new temp dir)")
    args = parser.parse_args(argv)
    args.skip = {s for s in args.skip.split(",") if s}
    settings = QUICK if args.quick else FULL
    sizes = args.sizes.split(",") if args.sizes else (["10k"] if args.quick else list(SIZES))
    for s in sizes:
        if s not in SIZES:
            parser.error(f"unknown size {s!r}; use 10k, 100k or 1m")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="budget-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    import datasette
    import sqlite_utils  # noqa: F401

    results: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "sqlite": sqlite3.sqlite_version, "datasette": datasette.__version__},
        "options": {"sizes": sizes, "rows_per_document": args.rows, "seed": args.seed, "quick": args.quick,
                    "jobs": args.jobs},
        "targets": TARGETS, "loading": {}, "facets": {}, "canned": {},
    }
    databases = args.databases = {}
    args.loading_extra = {}
    if args.only:
        sizes = []
        args.skip |= {"load", "pdf", "facets", "canned", "serve"}
    try:
        for size in sizes:
            db, figures = obtain_database(size, SIZES[size], args, work, settings)
            databases[size] = db
            results["loading"][size] = figures
        for size, figures in args.loading_extra.items():
            results["loading"].setdefault(size, figures)
        if "load" not in args.skip and (os.cpu_count() or 1) >= 2 and args.jobs == 1:
            # the same 10k batch parsed in two worker processes: speed, and memory still flat?
            paths = ensure_corpus(corpus.documents_for_rows(SIZES["10k"], args.rows), args.rows, args.seed)
            figures, db = measure_loading("10k-jobs2", paths, work, settings["load_repeat"]["10k"], 2)
            results["loading"]["10k, jobs=2"] = figures
            shutil.rmtree(db.parent, ignore_errors=True)
        if "pdf" not in args.skip:
            results["pdf"] = measure_pdf(settings["pdf_repeat"])
        if "facets" not in args.skip:
            for size in sizes:
                results["facets"][size] = asyncio.run(measure_facets(size, databases[size], settings["facet_repeat"][size]))
        largest = sizes[-1] if sizes else None
        if "canned" not in args.skip:
            results["canned"][largest] = asyncio.run(measure_canned(largest, databases[largest], settings["canned_repeat"]))
        if "serve" not in args.skip:
            try:
                results["serve"] = asyncio.run(measure_serve(databases[largest], work, settings))
                results["serve"]["size"] = largest
            except Exception as e:  # report, keep the rest of the figures
                results["serve"] = {"skipped": f"{type(e).__name__}: {e}"}
        if "load-attack" not in args.skip:
            from bench import attack

            try:
                results["attack"] = attack.measure(
                    sys.modules[__name__], work, seed=args.seed,
                    plugin_config={"render_workers": args.render_workers} if args.render_workers else None)
            except Exception as e:  # report, keep the rest of the figures
                results["attack"] = {"skipped": f"{type(e).__name__}: {e}"}
    finally:
        results["seconds"] = time.perf_counter() - started
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print_table(report_rows(results))
    print(f"{results['seconds'] / 60:.1f} min; results in {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
