"""Bad input never corrupts the database: a one-sentence error and exit 1 for files that are
not disclosures, a warning naming file, page and line for damaged ones, and nothing lost
from the seed. The corpus is generated from the seed (tests/corpus.py)."""
import sqlite3

import pytest

from conftest import SEED, SEED_SLUG, load
from corpus import STRAY_LINE, TRUNCATED_LINE, department_copy, sha256, write_corpus

from datasette_budget.disclosure import read_disclosure
from datasette_budget.tables import PAGE_NUMBER_RE, UNIT_RE


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def loaded_db(tmp_path):
    db_path = tmp_path / "budget.db"
    assert load(db_path, SEED).exit_code == 0
    return db_path


def query(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("case, expected", [
    ("empty", "the file is empty; expected the text or PDF of a budget disclosure"),
    ("binary", "looks like binary data, not text; expected a UTF-8 or GB18030 text or a PDF"),
    ("not_budget_pdf", "no budget tables found; expected a department budget or final-accounts disclosure"),
])
def test_not_a_disclosure_is_one_sentence_exit_1_database_byte_identical(corpus, loaded_db, case, expected):
    before = sha256(loaded_db)
    result = load(loaded_db, corpus[case])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert corpus[case].name in errors[0] and expected in errors[0]
    assert sha256(loaded_db) == before


def test_failing_file_does_not_undo_files_before_it(corpus, tmp_path):
    good = tmp_path / "a-good.txt"
    good.write_text(department_copy("郑州市民政局"), encoding="utf-8")
    db_path = tmp_path / "batch.db"
    result = load(db_path, good, corpus["binary"], SEED)
    assert result.exit_code == 1
    assert "Loaded 2 of 3 documents" in result.output
    slugs = {r[0] for r in query(db_path, "select slug from documents")}
    assert slugs == {"郑州市民政局-2021-部门预算", SEED_SLUG}


def test_truncated_document_loads_what_is_there(corpus, tmp_path):
    db_path = tmp_path / "t.db"
    result = load(db_path, corpus["truncated"])
    assert result.exit_code == 0, result.output
    # the cut line: 302 39 其他交通费用 502 01 办公经费_行政 350,000 150,0
    assert f"truncated.txt: page 14, line {TRUNCATED_LINE}: could not parse" in result.output
    for role in ("basic_expenditure", "sangong"):
        assert f"truncated.txt: no {role} table found" in result.output
    # the economic rows before the cut are there (lines 699 … 734), and unparsed keeps the cut line
    assert query(db_path, "select count(*), max(line) from economic_expenditure") == [(19, 734)]
    assert query(db_path, "select page, line from unparsed") == [(14, TRUNCATED_LINE)]
    statuses = dict(query(db_path, "select status, count(*) from checks group by status"))
    assert statuses.get("fail") and statuses.get("skipped")
    failed = {r[0] for r in query(db_path, "select scope from checks where status = 'fail'")}
    assert "economic_expenditure 合计 total" in failed  # 16,320,359 read against 18,129,249 declared
    assert query(db_path, "select check_status from documents") == [("fail",)]


def test_amount_with_stray_characters_is_a_warning_and_an_unparsed_row(corpus, tmp_path):
    db_path = tmp_path / "s.db"
    result = load(db_path, corpus["stray"])
    assert result.exit_code == 0, result.output
    assert (f"warning: stray.txt: page 10, line {STRAY_LINE}: could not parse '201 03 01 行政运行（政府办公厅（室）及相关机构事务） "
            "1O,341,481") in result.output
    assert "amount '1O,341,481' has stray characters" in result.output
    assert query(db_path, "select page, line, table_role, reason from unparsed") == [
        (10, STRAY_LINE, "income", "amount '1O,341,481' has stray characters")]
    assert query(db_path, "select unparsed_count from documents") == [(1,)]
    # the row is missing from the income table, so its 合计 no longer adds up
    assert query(db_path, "select expected, actual from checks where scope = 'income 合计 total'") == [(18129249, 7787768)]


def test_gb18030_loads_identically(corpus, tmp_path):
    utf8, gb = tmp_path / "u.db", tmp_path / "g.db"
    assert load(utf8, SEED).exit_code == 0
    assert load(gb, corpus["gb18030"]).exit_code == 0
    for table in ("function_expenditure", "economic_expenditure", "summary_items", "declared_totals", "narrative"):
        assert query(utf8, f"select * from {table}") == query(gb, f"select * from {table}"), table
    sql = "select rule, scope, expected, actual, status, source_lines, note from checks order by id"
    assert query(utf8, sql) == query(gb, sql)
    assert query(utf8, "select * from prior_year") == query(gb, "select * from prior_year")


def test_seed_loses_no_line_inside_a_table_region():
    """Every non-blank line of every table region is a row, a declared total, a known
    title/header/unit/page-number/note line, or an unparsed row; the seed has no unparsed line."""
    doc = read_disclosure(SEED)
    assert doc.unparsed == []
    by_number = {line.number: line for line in doc.source.lines}
    unaccounted = []
    covered = 0
    for table in doc.tables:
        placed = {r["line"] for r in table.rows} | {t["line"] for t in table.totals} | {u["line"] for u in table.unparsed}
        known = set(table.header) | set(table.notes)
        for number in range(table.first_line, table.last_line + 1):
            text = by_number[number].text.strip()
            if not text:
                continue
            covered += 1
            if number == table.first_line or number in placed or text in known:
                continue
            if UNIT_RE.search(text) or PAGE_NUMBER_RE.match(text):
                continue
            unaccounted.append((table.role, number, text))
    assert unaccounted == []
    assert covered == 298  # the non-blank lines of lines 343-912, the eleven tables
    assert [t.first_line for t in doc.tables][0] == 343 and doc.tables[-1].last_line == 912
