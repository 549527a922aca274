"""Measurements that run in a subprocess of their own, so that their memory is their own.

    python -m bench.workers load DB LISTFILE [--jobs N]    # the project loader
    python -m bench.workers insert_all SOURCE_DB TARGET_DB  # baseline: the same rows, plain insert_all

Each prints one JSON object on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def rss_kb() -> int:
    """Current resident set size of this process, in KiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_KB


def peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def load(db_path: str, list_file: str, jobs: int) -> dict:
    from datasette_budget import loader

    paths = [Path(p) for p in Path(list_file).read_text(encoding="utf-8").split("\n") if p]
    n = len(paths)
    every = max(1, n // 100)
    samples: list[tuple[int, float, int]] = []  # (documents done, seconds, rss KiB)
    done = 0
    start = time.perf_counter()

    def on_document(entry: dict) -> None:
        nonlocal done
        done += 1
        if done % every == 0 or done == n:
            samples.append((done, time.perf_counter() - start, rss_kb()))

    rss_before = rss_kb()
    report = loader.load_paths(db_path, paths, jobs=jobs, on_document=on_document)
    elapsed = time.perf_counter() - start
    rows: dict[str, int] = {}
    unparsed = 0
    for entry in report["loaded"]:
        unparsed += entry.get("unparsed", 0)
        for table, count in entry.get("rows", {}).items():
            rows[table] = rows.get(table, 0) + count
    return {
        "documents": n,
        "loaded": len(report["loaded"]),
        "failed": len(report["failed"]),
        "failures": report["failed"][:3],
        "unparsed_lines": unparsed,
        "rows_reported": rows,
        "seconds": elapsed,
        "rss_before_kb": rss_before,
        "rss_samples": samples,
        "peak_rss_kb": peak_kb(),
        "jobs": jobs,
    }


def insert_all(source: str, target: str) -> dict:
    """Copy every table of ``source`` into an empty ``target`` with plain ``insert_all``, one
    table at a time (its rows read into memory first, so only the inserts are timed)."""
    import sqlite_utils

    src = sqlite_utils.Database(source)
    dst = sqlite_utils.Database(target)
    seconds = 0.0
    counts = {}
    virtual = [t.name for t in src.tables if t.virtual_table_using]
    for table in src.tables:
        # full-text tables and their shadow tables are an index, not rows
        if table.name.startswith("sqlite_") or table.name in virtual or any(
                table.name.startswith(f"{v}_") for v in virtual):
            continue
        pks = table.pks
        pk = None if pks == ["rowid"] else (pks[0] if len(pks) == 1 else tuple(pks))
        rows = list(table.rows)  # read first: only the insert is timed
        start = time.perf_counter()
        if rows:
            dst[table.name].insert_all(rows, pk=pk)
        seconds += time.perf_counter() - start
        counts[table.name] = len(rows)
        del rows
    src.close()
    dst.close()
    return {"rows": sum(counts.values()), "tables": counts, "seconds": seconds, "peak_rss_kb": peak_kb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load")
    p.add_argument("db")
    p.add_argument("list_file")
    p.add_argument("--jobs", type=int, default=1)
    p = sub.add_parser("insert_all")
    p.add_argument("source")
    p.add_argument("target")
    args = parser.parse_args()
    if args.command == "load":
        result = load(args.db, args.list_file, args.jobs)
    else:
        result = insert_all(args.source, args.target)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
