"""The corpus of real disclosures (../shared/corpus/), loaded together as a publisher loads a
folder: every document with a text layer loads, with the identity the corpus README prints;
every figure of the answer key (expected.csv) is exact, or is a listed known miss that has a
failed check or an unparsed line on its table; on the documents without a key, every 合计
identity passes or is a listed contradiction of the document itself.

Skipped when the corpus is absent, except in CI (CI=true), where that fails.
"""
from __future__ import annotations

import csv
import importlib.util
import os
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
EXPECTED = CORPUS / "expected.csv"
README = CORPUS / "README.md"
KNOWN_MISSES = Path(__file__).with_name("corpus_known_misses.csv")
CONTRADICTIONS = Path(__file__).with_name("corpus_contradictions.csv")
PHASES = {"budget": "预算", "final": "决算"}
# the checks that are 合计 identities: a printed total against the figures it sums
IDENTITY_RULES = ("table.sum=declared_total", "table.sum=subtotal", "table.sum=parent_item",
                  "row.total=basic+project", "row.total=personnel+public", "row.basic=parts",
                  "row.project=parts", "row.income_total=sources", "row.total=sources", "row.appropriation=funds")


def _corpus_present() -> bool:
    if EXPECTED.exists():
        return True
    if os.environ.get("CI") == "true":
        pytest.fail(f"the corpus is missing: expected {CORPUS.name}/expected.csv beside the repository")
    return False


def _report():
    """The corpus report's reading of each key (scripts/corpus_report.py), one mapping for both."""
    spec = importlib.util.spec_from_file_location("corpus_report", ROOT / "scripts" / "corpus_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _key_id(k: dict) -> str:
    return f"{k['doc']}:{k['table']}.{k['key']}:{k['code']}"


def _readme_documents() -> list[dict]:
    """file, department, year, phase of every row of the README's table of files."""
    if not README.exists():
        return []
    documents = []
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].endswith(".pdf"):
            department = re.sub(r"\s*\(.*\)\s*$", "", cells[2])
            documents.append({"file": cells[0], "department": department, "year": cells[3],
                              "phase": PHASES[cells[4].split()[0]]})
    return documents


EXPECTED_KEYS = _rows(EXPECTED) if EXPECTED.exists() else []
README_DOCUMENTS = _readme_documents()
MISSES = {f"{m['doc']}:{m['table']}.{m['key']}:{m['code']}": m for m in _rows(KNOWN_MISSES)}


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    if not _corpus_present():
        pytest.skip(f"no corpus at {CORPUS.name}/ beside the repository")
    from datasette_budget.loader import load_paths

    db_path = tmp_path_factory.mktemp("corpus") / "corpus.db"
    report = load_paths(db_path, sorted(CORPUS.glob("*.pdf")))
    db = sqlite3.connect(db_path)
    slugs = {sha: slug for slug, sha in db.execute("select slug, sha256 from documents")}
    yield db, report, slugs
    db.close()


def _slug(corpus_db, file_name: str) -> str | None:
    db, _, slugs = corpus_db
    return slugs.get(_report().file_sha256(CORPUS / file_name))


def test_readme_lists_every_document():
    if not _corpus_present():
        pytest.skip("no corpus")
    assert sorted(d["file"] for d in README_DOCUMENTS) == sorted(p.name for p in CORPUS.glob("*.pdf"))


def test_every_document_loads(corpus_db):
    _, report, slugs = corpus_db
    assert [Path(f["file"]).name for f in report["failed"]] == []
    assert len(slugs) == len(list(CORPUS.glob("*.pdf")))


@pytest.mark.parametrize("document", README_DOCUMENTS, ids=[d["file"] for d in README_DOCUMENTS])
def test_identity(corpus_db, document):
    db = corpus_db[0]
    slug = _slug(corpus_db, document["file"])
    assert slug is not None, f"{document['file']} is not in the database"
    department, year, phase = db.execute("select department, year, phase from documents where slug = ?",
                                         [slug]).fetchone()
    assert (department, str(year), phase) == (document["department"], document["year"], document["phase"])


@pytest.mark.parametrize("key", EXPECTED_KEYS, ids=[_key_id(k) for k in EXPECTED_KEYS])
def test_answer_key(corpus_db, key):
    """Each figure of expected.csv is exact; a listed known miss is not, and its table says so."""
    report = _report()
    db = corpus_db[0]
    slug = _slug(corpus_db, key["doc"] + ".pdf")
    value = report.key_value(db, slug, key) if slug else None
    exact = report.is_exact(key, value)
    miss = MISSES.get(_key_id(key))
    if miss is None:
        assert exact, f"expected {key['amount_yuan'] or key['name']}, got {value}"
        return
    assert not exact, f"{_key_id(key)} is exact now: remove it from {KNOWN_MISSES.name}"
    if key["amount_yuan"] and slug:
        # never a silent wrong value: the table the figure is on has a failed check or an unparsed line
        roles = {"summary": ("summary", "expenditure"), "function_gpb": ("gpb_expenditure",),
                 "economic_basic": ("basic_expenditure",), "economic_gpb_total": ("economic_expenditure",),
                 "sangong": ("sangong",), "sangong_related": ("sangong",), "prior_year": ("gpb_expenditure", "sangong"),
                 "structure": ("sangong", "basic_expenditure"), "performance": ("performance_overall",)}
        flagged = [r for role in roles.get(key["table"], ()) for r in db.execute(
            "select 1 from unparsed where document = ? and table_role = ? union all "
            "select 1 from checks where document = ? and status = 'fail' and scope like ?",
            [slug, role, slug, role + "%"])]
        missing = db.execute("select count(*) from document_tables where document = ? and role in ({}) "
                             "and status in ('missing', 'unreadable')".format(
                                 ", ".join("?" * len(roles.get(key["table"], ())))),
                             [slug, *roles.get(key["table"], ())]).fetchone()[0]
        assert flagged or missing or value is None, (
            f"{_key_id(key)}: {value} is stored without a failed check or an unparsed line ({miss['reason']})")


def test_known_misses_are_keys():
    ids = {_key_id(k) for k in EXPECTED_KEYS}
    assert [m for m in MISSES if m not in ids] == []


def test_contradictions_are_exactly_the_failed_identities(corpus_db):
    """On the documents without a key, the 合计 identities that fail are the document's own
    contradictions, listed in corpus_contradictions.csv with the two printed figures."""
    db = corpus_db[0]
    keyed = {k["doc"] + ".pdf" for k in EXPECTED_KEYS}
    failed = []
    for document in README_DOCUMENTS:
        if document["file"] in keyed:
            continue
        slug = _slug(corpus_db, document["file"])
        for rule, scope, expected, actual in db.execute(
                "select rule, scope, expected, actual from checks where document = ? and status = 'fail' "
                "and rule in ({}) order by rule, scope".format(", ".join("?" * len(IDENTITY_RULES))),
                [slug, *IDENTITY_RULES]):
            failed.append((document["file"], rule, scope, _yuan(expected), _yuan(actual)))
    # the list gives the printed figure and the sum of the printed parts in the table's unit
    listed = [(c["document"], c["rule"], c["scope"], _yuan(c["printed"], c["unit"]),
               _yuan(c["sum_of_printed_parts"], c["unit"])) for c in _rows(CONTRADICTIONS)]
    assert sorted(failed) == sorted(listed)


def _yuan(value, unit: str = "元") -> Decimal:
    return (Decimal(str(value)) * (10000 if unit == "万元" else 1)).quantize(Decimal("0.01"))
