"""PDF loading end to end against pypdfium2's bare extraction, over the corpus.

    python -m bench.corpus_speed [--corpus DIR] [--repeat N]

Both are measured in the same run, over the same files: the documents the loader loads
(a refused file's pages are not counted on either side).

- **loading**: ``load_paths(db, files, jobs=1)`` into a new SQLite file: extraction,
  tables, checks and writes, everything ``datasette budget load --jobs 1`` does.
- **bare extraction**: what the reading uses from each page, read with pypdfium2 and
  nothing else: every character's code and loose box, and the bounds of every path
  object (the ruling lines).

It prints pages per second for both and their ratio (loading / bare; the target is at
least 0.5). With ``--repeat`` both are measured N times and the medians are used.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TARGET = 0.5


def bare_extraction(paths: list[Path]) -> int:
    """Read every character box and path-object box of ``paths`` with pypdfium2; pages read."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    box = pdfium_c.FS_RECTF()
    pages = 0
    for path in paths:
        document = pdfium.PdfDocument(path)
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            raw = textpage.raw
            for i in range(pdfium_c.FPDFText_CountChars(raw)):
                pdfium_c.FPDFText_GetUnicode(raw, i)
                pdfium_c.FPDFText_GetLooseCharBox(raw, i, box)
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=5):
                obj.get_bounds()
            textpage.close()
            page.close()
            pages += 1
        document.close()
    return pages


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return len(document)
    finally:
        document.close()


def load(paths: list[Path], extractor: str = "auto") -> tuple[float, list[Path], int]:
    """Seconds to load ``paths`` at --jobs 1, the files loaded, and the files refused."""
    from datasette_budget.loader import load_paths

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "corpus.db"
        started = time.perf_counter()
        report = load_paths(str(db), [str(p) for p in paths], extractor=extractor, jobs=1)
        seconds = time.perf_counter() - started
    loaded = [Path(e["file"]) for e in report["loaded"]]
    return seconds, loaded, len(report["failed"])


def measure(corpus: Path = CORPUS, repeat: int = 1, extractor: str = "auto") -> dict:
    """Pages per second of loading and of bare extraction over ``corpus``, and their ratio."""
    paths = sorted(corpus.glob("*.pdf"))
    if not paths:
        return {"skipped": f"no PDFs in {corpus.name}"}
    load_times, bare_times = [], []
    loaded: list[Path] = []
    refused = 0
    for _ in range(repeat):
        seconds, loaded, refused = load(paths, extractor)
        load_times.append(seconds)
        started = time.perf_counter()
        bare_extraction(loaded)
        bare_times.append(time.perf_counter() - started)
    pages = sum(page_count(p) for p in loaded)
    load_rate = pages / statistics.median(load_times) if pages else 0.0
    bare_rate = pages / statistics.median(bare_times) if pages else 0.0
    return {
        "documents": len(paths),
        "loaded": len(loaded),
        "refused": refused,
        "pages": pages,
        "loading_seconds": statistics.median(load_times),
        "bare_seconds": statistics.median(bare_times),
        "loading_pages_per_s": load_rate,
        "bare_pages_per_s": bare_rate,
        "ratio": load_rate / bare_rate if bare_rate else 0.0,
        "target": TARGET,
    }


def report(result: dict) -> list[str]:
    if "skipped" in result:
        return [f"corpus speed: skipped ({result['skipped']})"]
    verdict = "met" if result["ratio"] >= result["target"] else "NOT met"
    return [
        f"corpus: {result['loaded']} of {result['documents']} documents loaded, "
        f"{result['pages']} pages (refused files not counted)",
        f"PDF loading end to end (--jobs 1): {result['loading_seconds']:.2f} s, "
        f"{result['loading_pages_per_s']:.1f} pages/s",
        f"pypdfium2 bare extraction (char boxes + path objects): {result['bare_seconds']:.2f} s, "
        f"{result['bare_pages_per_s']:.1f} pages/s",
        f"ratio loading / bare: {result['ratio']:.2f}x (target >= {result['target']}x: {verdict})",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of PDFs (default ../shared/corpus)")
    parser.add_argument("--repeat", type=int, default=1, help="measure N times, report medians")
    parser.add_argument("--extractor", default="auto", help="PDF extractor the loader uses")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus speed: skipped (no corpus folder {args.corpus.name})")
        return 0
    for line in report(measure(args.corpus, args.repeat, args.extractor)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
