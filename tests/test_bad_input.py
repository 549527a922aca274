"""Bad input never corrupts the database: a one-sentence error and exit 1 for files that are
not disclosures, a warning naming file, page and line for damaged ones, and nothing lost
from the seed. The corpus is generated from the seed (tests/corpus.py)."""
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from conftest import SEED, SEED_SLUG, load
from corpus import STRAY_LINE, TRUNCATED_LINE, department_copy, sha256, write_corpus, write_special

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


ANOTHER_ENCODING = ("looks like text in another encoding, such as Big5 or Shift-JIS; expected a UTF-8 or GB18030 "
                    "text or a PDF of a budget disclosure")


@pytest.mark.parametrize("case, expected", [
    ("empty", "the file is empty; expected the text or PDF of a budget disclosure"),
    ("binary", "looks like binary data, not text; expected a UTF-8 or GB18030 text or a PDF of a budget disclosure"),
    ("not_budget_pdf", "no budget tables found; expected a department budget or final-accounts disclosure "
                       "(部门预算/部门决算) with tables such as 部门收支总体情况表"),
    # read as GB18030 (which decodes nearly any bytes) they were "no budget tables found"
    ("big5", ANOTHER_ENCODING),
    ("shift_jis", ANOTHER_ENCODING),
    # the full path, and PDFium's reason without its full stop: no "…).)."
    ("junk_pdf", "expected a PDF document, but it could not be opened (Failed to load document "
                 "(PDFium: Data format error))"),
])
def test_not_a_disclosure_is_one_sentence_exit_1_database_byte_identical(corpus, loaded_db, case, expected):
    before = sha256(loaded_db)
    result = load(loaded_db, corpus[case], extra=("--no-progress",))
    assert result.exit_code == 1
    # a summary with no empty fields (it was "Loaded 0 of 1 documents into X: ; unparsed lines 0."),
    # and the file's full path
    assert result.output.splitlines() == [
        f"Loaded 0 of 1 documents into {loaded_db}.",
        f"error: {corpus[case]}: {expected}",
    ]
    assert sha256(loaded_db) == before


@pytest.fixture(scope="module")
def special(tmp_path_factory):
    return write_special(tmp_path_factory.mktemp("special"))


def errors_of(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


NOT_REGULAR = "not a regular file; expected the text or PDF of a budget disclosure"


@pytest.mark.parametrize("case, error", [
    ("fifo", "{path}: is a named pipe (FIFO), " + NOT_REGULAR),
    ("/dev/zero", "{path}: is a character device, " + NOT_REGULAR),
])
def test_a_path_that_is_not_a_regular_file_is_refused_by_name_unopened(special, loaded_db, case, error):
    # a FIFO opened to read would wait for a writer for ever, /dev/zero never ends
    path = special.get(case) or case
    before = sha256(loaded_db)
    result = load(loaded_db, path, extra=("--no-progress",))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Found no file to load into {loaded_db}: 1 path skipped.",
        "error: " + error.format(path=path),
    ]
    assert sha256(loaded_db) == before


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(special, loaded_db):
    before = sha256(loaded_db)
    result = load(loaded_db, special["oversize"])
    assert result.exit_code == 1
    assert errors_of(result.output) == [
        f"error: {special['oversize']}: is 201 MB, over the 200 MB limit of --max-file-size; expected the "
        "text or PDF of one budget disclosure"]
    assert f"Loaded 0 of 1 documents into {loaded_db}." in result.output
    # the limit is the user's to set
    result = load(loaded_db, SEED, extra=("--max-file-size", "20K"))
    assert errors_of(result.output) == [
        f"error: {SEED}: is 27.6 KB, over the 20 KB limit of --max-file-size; expected the text or PDF of one "
        "budget disclosure"]
    assert sha256(loaded_db) == before


def test_a_size_that_is_not_one_is_a_usage_error(loaded_db):
    result = load(loaded_db, SEED, extra=("--max-file-size", "lots"))
    assert result.exit_code == 2
    assert ("Invalid value for '--max-file-size': 'lots' is not a size; expected a number of bytes or one like "
            "500K, 200MB or 1G") in result.output


def test_fifty_megabytes_of_text_is_refused_without_reading_it(special, loaded_db):
    # a text file is the text itself: 50 MB is thousands of disclosures' worth, and parsing
    # it whole took 1.1 GB of memory
    before = sha256(loaded_db)
    result = load(loaded_db, special["long_text"])
    assert result.exit_code == 1
    assert errors_of(result.output) == [
        f"error: {special['long_text']}: is 50 MB of text, more than the 5 MB read as one document; expected "
        "the text of one budget disclosure per file"]
    assert sha256(loaded_db) == before


def test_a_folder_reports_every_path_it_skipped(tmp_path, loaded_db):
    folder = tmp_path / "downloads"
    folder.mkdir()
    os.mkfifo(folder / "b-pipe.txt")
    os.symlink("a-loop", folder / "a-loop")
    os.symlink(".", folder / "c-up")  # back to downloads itself: not read twice
    (folder / ".hidden.txt").write_text("not read")
    good = folder / "d-good.txt"
    good.write_text(department_copy("郑州市民政局"), encoding="utf-8")
    result = load(loaded_db, folder, extra=("--no-progress",))
    assert result.exit_code == 1
    assert errors_of(result.output) == [
        f"error: {folder / 'a-loop'}: cannot be read (Too many levels of symbolic links); expected a budget "
        "disclosure file or a folder of them",
        f"error: {folder / 'b-pipe.txt'}: is a named pipe (FIFO), " + NOT_REGULAR,
        f"error: {folder / 'c-up'}: is a link to a folder already read, so it was not read again",
    ]
    assert "Loaded 1 of 1 documents" in result.output and "; 3 paths skipped." in result.output
    assert {r[0] for r in query(loaded_db, "select slug from documents")} == {"郑州市民政局-2021-部门预算", SEED_SLUG}


def test_an_unreadable_subfolder_is_reported_and_nothing_in_it_is_loaded(tmp_path, loaded_db):
    folder = tmp_path / "downloads"
    locked = folder / "2021"
    locked.mkdir(parents=True)
    (locked / "a.txt").write_text(department_copy("郑州市民政局"), encoding="utf-8")
    command = [sys.executable, "-m", "datasette", "budget", "load", str(loaded_db), str(folder), "--no-progress"]
    if os.geteuid() == 0:
        # root lists any folder whatever its mode, through two capabilities; run the loader without them
        drop = [shutil.which("setpriv") or "setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
        try:
            usable = subprocess.run([*drop, "true"], capture_output=True).returncode == 0
        except FileNotFoundError:
            usable = False
        if not usable:
            pytest.skip("running as root, and setpriv (util-linux) cannot drop the capabilities that let root "
                        "read a folder of mode 000")
        command = drop + command
    before = sha256(loaded_db)
    locked.chmod(0)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"Found no file to load into {loaded_db}: 1 path skipped.",
        f"error: {locked}: the folder cannot be read (Permission denied), so none of its files were loaded",
    ]
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
    assert f"warning: {corpus['truncated']}: page 14, line {TRUNCATED_LINE}: could not parse" in result.output
    for role in ("basic_expenditure", "sangong"):
        assert f"warning: {corpus['truncated']}: no {role} table found" in result.output
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
    assert (f"warning: {corpus['stray']}: page 10, line {STRAY_LINE}: could not parse '201 03 01 行政运行（政府办公厅（室）及相关机构事务） "
            "1O,341,481") in result.output
    assert "amount '1O,341,481' has stray characters" in result.output
    assert query(db_path, "select page, line, table_role, reason from unparsed") == [
        (10, STRAY_LINE, "income", "amount '1O,341,481' has stray characters")]
    assert query(db_path, "select unparsed_count from documents") == [(1,)]
    # the database names the file without the folders it was loaded from
    assert query(db_path, "select source_file, warnings like '[\"stray.txt: page 10, line %' from documents") == [
        ("stray.txt", 1)]
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
