"""How fast each PDF extractor turns pages into lines.

    python -m bench.pdf_extract [PDF ...]

Without arguments it reads the sample disclosures in ../shared/samples, when present.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Iterable

from datasette_budget.pdf_text import AUTO_EXTRACTOR, EXTRACTORS, extract_pages

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


def measure(paths: Iterable[str | Path], repeat: int = 5) -> dict[str, dict[str, float]]:
    """Pages per second for each extractor over all ``paths``, ``repeat`` times.

    Returns ``{extractor: {"pages", "median", "min", "max", "spread"}}`` where the
    rates are pages/second and ``spread`` is (max - min) / median. "auto" is not
    measured separately: it is an alias.

        >>> measure(["budget.pdf"], repeat=3)["pdfium"]["median"]
        227.1
    """
    paths = [Path(p) for p in paths]
    results: dict[str, dict[str, float]] = {}
    for extractor in EXTRACTORS:
        if extractor == "auto":
            continue
        pages = 0
        rates = []
        for _ in range(repeat):
            start = time.perf_counter()
            pages = sum(len(extract_pages(path, extractor)) for path in paths)
            rates.append(pages / (time.perf_counter() - start))
        median = statistics.median(rates)
        results[extractor] = {
            "pages": pages,
            "median": median,
            "min": min(rates),
            "max": max(rates),
            "spread": (max(rates) - min(rates)) / median,
        }
        print(
            f"{extractor:<11} {pages} pages  median {median:8.1f} pages/s  "
            f"(min {min(rates):.1f}, max {max(rates):.1f}, spread {results[extractor]['spread']:.0%}, "
            f"{repeat} runs)"
        )
    print(f"auto = {AUTO_EXTRACTOR}")
    return results


if __name__ == "__main__":
    arguments = sys.argv[1:] or sorted(str(p) for p in SAMPLES.glob("*.pdf"))
    if not arguments:
        sys.exit(f"No PDFs given and none found in {SAMPLES}.")
    measure(arguments)
