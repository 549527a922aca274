"""The corpus report: load every document of ../shared/corpus/ into one database and say, per
document, what came out, and how much of the answer key (``expected.csv``) is exact.

    python -m scripts.corpus_report            # one line per document, then totals
    python -m scripts.corpus_report --misses   # also every key row that is not exact
    python -m scripts.corpus_report --alone    # each document in a database of its own

One line per document: loaded or refused, identity (department, year, level and phase), tables
found / missing / unreadable, unparsed lines, failed checks, and key figures exact. All documents
are loaded together, as a publisher would load a folder, so two documents that end up under one
identity show as a document that is no longer in the database.

The key's mapping to the database (:func:`key_value`) is the project's reading of what each key
names; the expected figures come from ``expected.csv`` only. What the mapping expects the loader
to store (readers of new layouts: store figures this way, or change the mapping with the loader):

- summary: ``declared_totals`` of role ``summary``, kind ``total``, side 支出, label 本年支出合计 /
  支出总计; basic / project / operating from the ``expenditure`` table's 合计 row.
- function_gpb: role ``gpb_expenditure``; a printed 类 row is a ``subtotal`` with its code, else the
  class is the sum of its ``function_budget_expenditure`` rows (fund 一般公共预算); ``item_rows``
  counts 7-digit rows; the 合计 row is kind ``total``; a prior-year column is ``column = 'prior_year'``.
- economic_basic / economic_gpb_total: roles ``basic_expenditure`` / ``economic_expenditure``, 类
  rows as subtotals, else the sum of 5-digit rows of the class; 合计 columns total / personnel / public.
- sangong and what the same table prints: ``sangong_items.kind`` in :data:`SANGONG_KINDS`
  (机关运行经费 ``running_cost``, 会议费 ``meeting``, 培训费 ``training``, 行政经费 ``administrative``);
  a prior-year panel in ``sangong_items.prior_year_amount`` (its 合计 in ``declared_totals``,
  column ``prior_year_amount``); per-unit rows carry ``unit_name``.
- performance (a 绩效自评表): keys of ``performance_targets.fields`` (JSON), amounts in 元.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sqlite3
import sys
import tempfile
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
EXPECTED = CORPUS / "expected.csv"

PHASES = {"budget": "预算", "final": "决算"}
# sangong keys of expected.csv → sangong_items.kind
SANGONG_KINDS = {
    "total": "total",
    "因公出国(境)费": "abroad",
    "公务接待费": "reception",
    "公务用车购置及运行费": "vehicle",
    "公务用车购置费": "vehicle_purchase",
    "公务用车运行费": "vehicle_operation",
    # printed in the same table as the 三公 items
    "机关运行经费": "running_cost",
    "会议费": "meeting",
    "培训费": "training",
    "行政经费": "administrative",
}


def read_expected(path: Path = EXPECTED) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _one(db: sqlite3.Connection, sql: str, params) -> object:
    row = db.execute(sql, params).fetchone()
    return row[0] if row else None


def _has_table(db: sqlite3.Connection, table: str) -> bool:
    return bool(_one(db, "select 1 from sqlite_master where type = 'table' and name = ?", [table]))


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"pragma table_info([{table}])")}


def _declared(db, slug, role, kind, column, code=None, side=None, labels=None):
    """A figure the document declares: a 合计 row (kind total) or a 类 row (kind subtotal)."""
    sql = ("select amount from declared_totals where document = ? and table_role = ? and kind = ? "
           "and [column] = ?")
    params: list = [slug, role, kind, column]
    if code is not None:
        sql += " and code = ?"
        params.append(code)
    if side is not None:
        sql += " and side = ?"
        params.append(side)
    if labels:
        sql += f" and replace(label, ' ', '') in ({', '.join('?' * len(labels))})"
        params.extend(labels)
    rows = [r[0] for r in db.execute(sql + " order by page, line", params)]
    return rows[0] if rows else None


def _sum_rows(db, table, slug, column, where: str, params) -> object:
    if column not in _columns(db, table):
        return None
    found = _one(db, f"select count(*) from [{table}] where document = ? and {where}", [slug, *params])
    if not found:
        return None
    return _one(db, f"select sum(coalesce([{column}], 0)) from [{table}] where document = ? and {where}",
                [slug, *params])


def _gpb_class(db, slug, code, column):
    """A 类 of the 一般公共预算 table by function: its printed 类 row, else the sum of its 项 rows."""
    value = _declared(db, slug, "gpb_expenditure", "subtotal", column, code=code)
    if value is not None:
        return value
    if _one(db, "select 1 from declared_totals where document = ? and table_role = 'gpb_expenditure' "
            "and kind = 'subtotal' and code = ?", [slug, code]):
        return 0  # the 类 row is printed, this cell of it blank
    return _sum_rows(db, "function_budget_expenditure", slug, column,
                     "fund = '一般公共预算' and function_class = ?", [code])


def _economic_class(db, slug, role, table, code, column):
    value = _declared(db, slug, role, "subtotal", column, code=code)
    if value is not None:
        return value
    return _sum_rows(db, table, slug, column, "economic_class = ? and length(economic_code) = 5", [code])


def key_value(db: sqlite3.Connection, slug: str, key: dict) -> object:
    """What the database holds for one row of expected.csv (``None``: nothing found)."""
    table, name, code = key["table"], key["key"], key["code"] or None
    if table == "meta":
        doc = db.execute("select department, year, phase from documents where slug = ?", [slug]).fetchone()
        if name == "department":
            return doc[0]
        if name == "year":
            return str(doc[1])
        if name == "phase":
            return {v: k for k, v in PHASES.items()}.get(doc[2], doc[2])
        if name == "unit":
            units = Counter(r[0] for r in db.execute(
                "select unit from document_tables where document = ? and unit is not null "
                "and role != 'sangong' and status = 'loaded'", [slug]))
            return units.most_common(1)[0][0] if units else None
    if table == "summary":
        if name in ("total_expenditure", "grand_total"):
            labels = ["本年支出合计"] if name == "total_expenditure" else ["支出总计", "支出合计"]
            value = _declared(db, slug, "summary", "total", "amount", side="支出", labels=labels)
            if value is None and name == "total_expenditure":
                value = _declared(db, slug, "summary", "total", "amount", side="支出",
                                  labels=["支出总计", "支出合计", "合计", "总计"])
            return value
        return _declared(db, slug, "expenditure", "total", name)
    if table == "function_gpb":
        column = {"class_total": "total", "class_basic": "basic", "class_project": "project",
                  "total": "total", "total_basic": "basic", "total_project": "project"}.get(name)
        if name == "item_rows":
            return _one(db, "select count(*) from function_budget_expenditure where document = ? "
                        "and fund = '一般公共预算' and length(function_code) = 7", [slug])
        if name.startswith("class_"):
            return _gpb_class(db, slug, code, column)
        return _declared(db, slug, "gpb_expenditure", "total", column)
    if table == "economic_basic":
        if name == "class_total":
            return _economic_class(db, slug, "basic_expenditure", "economic_basic_expenditure", code, "total")
        return _declared(db, slug, "basic_expenditure", "total", name)
    if table == "economic_gpb_total":
        if name == "class_total":
            return _economic_class(db, slug, "economic_expenditure", "economic_expenditure", code, "total")
        return _declared(db, slug, "economic_expenditure", "total", "total")
    if table in ("sangong", "sangong_related"):
        kind = SANGONG_KINDS.get(name)
        value = _one(db, "select amount from sangong_items where document = ? and kind = ? "
                     "order by page, line", [slug, kind])
        if value is None and kind == "total":
            value = _declared(db, slug, "sangong", "total", "amount")
        return value
    if table == "prior_year":
        what = name.split(".")[0]
        if what == "function_gpb":
            return _declared(db, slug, "gpb_expenditure", "total", "prior_year")
        if what == "sangong":
            return _declared(db, slug, "sangong", "total", "prior_year_amount")
        return None
    if table == "structure":
        if name == "sangong.unit_rows" and "unit_name" in _columns(db, "sangong_items"):
            return _one(db, "select count(distinct unit_name) from sangong_items where document = ? "
                        "and unit_name is not null", [slug])
        if name == "economic_basic.duplicate_codes":
            return _one(db, "select count(*) from (select economic_code from economic_basic_expenditure "
                        "where document = ? group by economic_code having count(*) > 1)", [slug])
        return None
    if table == "performance":
        for (fields,) in db.execute("select fields from performance_targets where document = ?", [slug]):
            try:
                value = json.loads(fields or "{}").get(name)
            except (ValueError, AttributeError):
                continue
            if value is not None:
                return value
        return None
    return None


def is_exact(key: dict, value: object) -> bool:
    if value is None:
        return False
    if key["amount_yuan"] == "":
        return str(value) == key["name"]
    try:
        return Decimal(str(value)) == Decimal(key["amount_yuan"])
    except ArithmeticError:
        return False


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def document_summary(db: sqlite3.Connection, slug: str) -> dict:
    doc = db.execute("select department, year, level, phase from documents where slug = ?", [slug]).fetchone()
    tables = Counter(r[0] for r in db.execute("select status from document_tables where document = ?", [slug]))
    unparsed = _one(db, "select count(*) from unparsed where document = ?", [slug]) or 0
    failed = _one(db, "select count(*) from checks where document = ? and status = 'fail'", [slug]) or 0
    return {"identity": f"{doc[0]} {doc[1]} {doc[2] or ''}{doc[3]}", "tables": tables,
            "unparsed": unparsed, "failed": failed}


def _load(files: list[Path], db_path: Path, jobs: int) -> tuple[dict, dict]:
    """Load ``files`` into ``db_path``: (refused file name → error, sha256 → slug)."""
    from datasette_budget.loader import load_paths

    report = load_paths(db_path, files, jobs=jobs)
    refused = {Path(e["file"]).name: e["error"] for e in report["failed"]}
    by_sha = {}
    if db_path.exists():
        with sqlite3.connect(db_path) as db:
            if _has_table(db, "documents"):
                by_sha = {sha: slug for slug, sha in db.execute("select slug, sha256 from documents")}
    return refused, by_sha


def run(corpus: Path = CORPUS, jobs: int = 1, show_misses: bool = False, alone: bool = False,
        out=sys.stdout) -> dict:
    """Load the corpus (together, or each document into a database of its own) and report."""
    files = sorted(corpus.glob("*.pdf"))
    expected = defaultdict(list)
    for key in read_expected(corpus / "expected.csv"):
        expected[key["doc"]].append(key)
    totals = Counter()
    misses = []
    with tempfile.TemporaryDirectory() as tmp:
        if alone:
            loads = [(path, Path(tmp) / f"{path.stem}.db", [path]) for path in files]
        else:
            loads = [(None, Path(tmp) / "corpus.db", files)]
        for _, db_path, batch in loads:
            refused, by_sha = _load(batch, db_path, jobs)
            db = sqlite3.connect(db_path) if db_path.exists() else None
            for path in batch:
                _report_document(path, db, refused, by_sha, expected.get(path.stem, []), totals, misses, out)
            if db is not None:
                db.close()
    print(file=out)
    amount_total = totals["key amount rows"] or 1
    print(f"documents {len(files)}: loaded {totals['loaded']}, refused {totals['refused']}, "
          f"lost {totals['lost']}" + (" (each loaded alone)" if alone else " (loaded together)"), file=out)
    print(f"answer key: amounts exact {totals['key amount exact']} of {totals['key amount rows']} "
          f"({100 * totals['key amount exact'] / amount_total:.1f}%), meta exact {totals['key meta exact']} "
          f"of {totals['key meta rows']}", file=out)
    print(f"tables: loaded {totals['tables loaded']}, empty {totals['tables empty']}, "
          f"missing {totals['tables missing']}, unreadable {totals['tables unreadable']}; "
          f"unparsed lines {totals['unparsed']}; failed checks {totals['failed checks']}", file=out)
    if show_misses:
        print("\nkey rows not exact:", file=out)
        for doc, k, value in misses:
            print(f"  {doc} {k['table']}.{k['key']} {k['code']} expected "
                  f"{k['amount_yuan'] or k['name']} got {value}", file=out)
    return {"totals": dict(totals), "misses": misses}


def _report_document(path, db, refused, by_sha, doc_keys, totals, misses, out) -> None:
    amount_keys = [k for k in doc_keys if k["amount_yuan"] != ""]
    meta_keys = [k for k in doc_keys if k["amount_yuan"] == ""]
    totals["key amount rows"] += len(amount_keys)
    totals["key meta rows"] += len(meta_keys)
    slug = by_sha.get(file_sha256(path))
    if path.name in refused:
        totals["refused"] += 1
        print(f"{path.name}: REFUSED {refused[path.name]}", file=out)
        misses.extend((path.stem, k, None) for k in doc_keys)
        return
    if slug is None:
        totals["lost"] += 1
        print(f"{path.name}: LOST (loaded, then replaced by another document with its identity)", file=out)
        misses.extend((path.stem, k, None) for k in doc_keys)
        return
    totals["loaded"] += 1
    s = document_summary(db, slug)
    exact_amounts = exact_meta = 0
    for k in doc_keys:
        value = key_value(db, slug, k)
        if is_exact(k, value):
            if k["amount_yuan"] == "":
                exact_meta += 1
            else:
                exact_amounts += 1
        else:
            misses.append((path.stem, k, value))
    totals["key amount exact"] += exact_amounts
    totals["key meta exact"] += exact_meta
    totals["unparsed"] += s["unparsed"]
    totals["failed checks"] += s["failed"]
    for status, n in s["tables"].items():
        totals[f"tables {status}"] += n
    tables = " ".join(f"{status} {n}" for status, n in sorted(s["tables"].items()))
    key = (f"; key {exact_amounts}/{len(amount_keys)} amounts, {exact_meta}/{len(meta_keys)} meta"
           if doc_keys else "")
    print(f"{path.name}: loaded as {s['identity']}; tables {tables}; unparsed {s['unparsed']}; "
          f"failed checks {s['failed']}{key}", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--misses", action="store_true", help="list every key row that is not exact")
    parser.add_argument("--alone", action="store_true", help="load each document into a database of its own")
    args = parser.parse_args(argv)
    if not (args.corpus / "expected.csv").exists():
        print(f"{args.corpus}: expected the corpus folder with expected.csv", file=sys.stderr)
        return 2
    run(args.corpus, args.jobs, args.misses, args.alone)
    return 0


if __name__ == "__main__":
    sys.exit(main())
