"""Write tests/corpus_contradictions.csv: the failed 合计 identities of the corpus documents
without a key, each verified by a second, independent reading of the PDF.

    .venv/bin/python -m tests.contradictions

The corpus is loaded as tests/test_corpus.py loads it. For each failed check the list gives
the printed figure (the 合计, 类 row or row total), the sum of the printed parts, their pages
and the table's unit; ``verified`` says whether pdfplumber (pdfminer's text, not the pypdfium2
characters the loader reads) finds every figure of the check's lines on their pages. An entry
that is not found again is written ``NOT FOUND`` and must be looked at on the rendered page
before the list is committed.
"""
from __future__ import annotations

import csv
import json
import re
import sqlite3
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = Path(__file__).with_name("corpus_contradictions.csv")
AMOUNT_RE = re.compile(r"-?\d[\d,]*\.\d{1,2}|-?\d{1,3}(?:,\d{3})+")
FIELDS = ["document", "rule", "scope", "printed", "printed_page", "sum_of_printed_parts", "parts_pages",
          "difference", "unit", "verified"]


def failed_identities(db: sqlite3.Connection, keyed: set[str]) -> list[tuple]:
    from tests.test_corpus import IDENTITY_RULES

    rows = db.execute(
        "select d.source_file, c.rule, c.scope, c.expected, c.actual, c.difference, c.source_lines, d.slug "
        "from checks c join documents d on d.slug = c.document where c.status = 'fail' and c.rule in ({}) "
        "order by d.source_file, c.rule, c.scope".format(", ".join("?" * len(IDENTITY_RULES))), IDENTITY_RULES)
    return [r for r in rows if r[0] not in keyed]


def entries(db: sqlite3.Connection, failed: list[tuple]) -> list[dict]:
    import pdfplumber

    from datasette_budget.read.layout import read_pdf

    out = []
    for file in sorted({r[0] for r in failed}):
        lines, _ = read_pdf(CORPUS / file)
        by_number = {line.number: line for line in lines}
        slug = next(r[7] for r in failed if r[0] == file)
        units = dict(db.execute("select role, unit from document_tables where document = ?", [slug]).fetchall())
        with pdfplumber.open(CORPUS / file) as pdf:
            texts: dict[int, str] = {}

            def page_text(number: int) -> str:
                if number not in texts:
                    texts[number] = "".join((pdf.pages[number - 1].extract_text() or "").split()).replace(",", "")
                return texts[number]

            for _, rule, scope, expected, actual, difference, source_lines, _ in (r for r in failed if r[0] == file):
                numbers = json.loads(source_lines)
                unit = units.get(scope.split()[0]) or "元"
                factor, places = (Decimal(10000), Decimal("0.01")) if unit == "万元" else (Decimal(1), Decimal(1))
                missing = [(by_number[n].page, a) for n in numbers for a in AMOUNT_RE.findall(by_number[n].text)
                           if a.replace(",", "") not in page_text(by_number[n].page)]

                def printed(value) -> str:
                    return str((Decimal(str(value)) / factor).quantize(places))

                out.append({
                    "document": file, "rule": rule, "scope": scope, "printed": printed(expected),
                    "printed_page": by_number[numbers[0]].page, "sum_of_printed_parts": printed(actual),
                    "parts_pages": " ".join(str(p) for p in sorted({by_number[n].page for n in numbers})),
                    "difference": printed(difference), "unit": unit,
                    "verified": ("pdfplumber finds every figure of the lines on their pages" if not missing else
                                 "NOT FOUND: " + "; ".join(f"p{p} {a}" for p, a in missing[:3])),
                })
    return out


def main() -> int:
    from datasette_budget.loader import load_paths

    keyed = {row["doc"] + ".pdf" for row in csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8"))}
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "corpus.db"
        load_paths(db_path, sorted(CORPUS.glob("*.pdf")))
        db = sqlite3.connect(db_path)
        rows = entries(db, failed_identities(db, keyed))
        db.close()
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    unverified = [r for r in rows if r["verified"].startswith("NOT")]
    print(f"{OUT.name}: {len(rows)} contradictions, {len(unverified)} not found again by pdfplumber")
    return 1 if unverified else 0


if __name__ == "__main__":
    sys.exit(main())
