"""Ruling-line grids against clustered positions, over the corpus.

    python -m bench.grid_methods [--corpus DIR] [-v]

For every table region (``find_tables``) of every corpus PDF, the grid is read twice:
from the ruling lines the page draws (what ``grid_for_region`` does where a page has
them) and by clustering character positions (``rules=False``, what it does where a page
has none). It prints, per method, the time spent and how many tables got a grid, and how
many of the amount cells the ruled grids read the clustered ones read the same: same
line, same column labels (or only the lowest label), same text. The figures the answer key checks come from the
ruled reading (``make corpus``), so disagreement is the clustering's error.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
AMOUNT_RE = re.compile(r"^-?[\d,]*\d(?:\.\d+)?$")
PERFORMANCE = ("performance_overall", "performance_project", "performance_evaluation")


def amount_cells(grid, leaf: bool = False) -> set[tuple[int, tuple[str, ...], str]]:
    """(line, column labels, text) of each amount cell; ``leaf``: the lowest label only."""
    cells = set()
    for row in grid.rows:
        for column, cell in zip(grid.columns, row):
            if cell is not None and AMOUNT_RE.match(cell.text.replace(" ", "")):
                cells.add((cell.line, column.labels[-1:] if leaf else column.labels, cell.text))
    return cells


def measure(corpus: Path = CORPUS, verbose: bool = False) -> dict:
    from datasette_budget.read.grid import grid_for_region
    from datasette_budget.read.layout import read_pdf
    from datasette_budget.read.recognise import find_tables

    totals = {"tables": 0, "ruled_pages_tables": 0, "ruled_seconds": 0.0, "clustered_seconds": 0.0,
              "ruled_grids": 0, "clustered_grids": 0, "ruled_cells": 0, "same_cells": 0, "same_leaf": 0,
              "tables_all_same": 0}
    for path in sorted(corpus.glob("*.pdf")):
        lines, layout = read_pdf(path)
        for role, start, end in find_tables(lines):
            if role in PERFORMANCE:
                continue
            totals["tables"] += 1
            started = time.perf_counter()
            ruled = grid_for_region(layout, lines, start, end)
            middle = time.perf_counter()
            clustered = grid_for_region(layout, lines, start, end, rules=False)
            totals["ruled_seconds"] += middle - started
            totals["clustered_seconds"] += time.perf_counter() - middle
            totals["ruled_grids"] += ruled is not None
            totals["clustered_grids"] += clustered is not None
            if ruled is None or not ruled.ruled:
                continue
            totals["ruled_pages_tables"] += 1
            reference = amount_cells(ruled)
            same = reference & amount_cells(clustered) if clustered is not None else set()
            totals["ruled_cells"] += len(reference)
            totals["same_cells"] += len(same)
            if clustered is not None:
                totals["same_leaf"] += len(amount_cells(ruled, True) & amount_cells(clustered, True))
            totals["tables_all_same"] += len(same) == len(reference)
            if verbose and len(same) < len(reference):
                print(f"  {path.name} p{lines[start].page} {lines[start].text}: "
                      f"{len(same)} of {len(reference)} amount cells the same")
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the tables that differ")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"grid methods: skipped (no corpus folder {args.corpus.name})")
        return 0
    t = measure(args.corpus, args.verbose)
    share = t["same_cells"] / t["ruled_cells"] if t["ruled_cells"] else 0.0
    print(f"table regions: {t['tables']}; with ruling lines: {t['ruled_pages_tables']}")
    print(f"ruling lines: {t['ruled_grids']} grids in {t['ruled_seconds']:.2f} s")
    print(f"clustering:   {t['clustered_grids']} grids in {t['clustered_seconds']:.2f} s")
    print(f"amount cells of the ruled grids read the same by clustering: {t['same_cells']} of "
          f"{t['ruled_cells']} ({share:.1%}); tables read wholly the same: {t['tables_all_same']} "
          f"of {t['ruled_pages_tables']}")
    print(f"... the same line, text and lowest label: {t['same_leaf']} of {t['ruled_cells']} "
          f"({t['same_leaf'] / max(t['ruled_cells'], 1):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
