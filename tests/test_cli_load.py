"""`datasette budget load` as a publisher runs it."""
import hashlib
import sqlite3

from conftest import SEED, SEED_SLUG, load


def counts(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return {
            table: conn.execute(f"select count(*) from [{table}]").fetchone()[0]
            for table in ("documents", "function_expenditure", "economic_expenditure", "declared_totals", "unparsed")
        }
    finally:
        conn.close()


def test_load_reports_rows_per_table_and_unparsed(tmp_path):
    result = load(tmp_path / "b.db", SEED)
    assert result.exit_code == 0, result.output
    assert "Loaded 1 of 1 documents" in result.output
    assert "function_expenditure 7" in result.output
    assert "economic_expenditure 25" in result.output
    assert "unparsed lines 0" in result.output


def test_gb18030_text_loads_the_same_figures(tmp_path):
    gbk = tmp_path / "seed-gbk.txt"
    gbk.write_bytes(SEED.read_text(encoding="utf-8").encode("gb18030"))
    result = load(tmp_path / "b.db", gbk)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(tmp_path / "b.db")
    assert conn.execute("select sum(total) from function_expenditure").fetchone()[0] == 18129249
    assert conn.execute("select slug from documents").fetchall() == [(SEED_SLUG,)]


def test_reloading_replaces_rows(tmp_path):
    db = tmp_path / "b.db"
    assert load(db, SEED).exit_code == 0
    first = counts(db)
    assert load(db, SEED).exit_code == 0
    assert counts(db) == first
    assert first["documents"] == 1 and first["function_expenditure"] == 7


def test_not_a_budget_is_one_sentence_exit_1_and_database_unchanged(tmp_path):
    db = tmp_path / "b.db"
    assert load(db, SEED).exit_code == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    letter = tmp_path / "letter.txt"
    letter.write_text("尊敬的市民：\n本周六举行信访接待日活动。\n", encoding="utf-8")
    result = load(db, letter)
    assert result.exit_code == 1
    errors = [l for l in result.output.splitlines() if l.startswith("error:")]
    assert errors == [
        f"error: {letter}: no budget tables found; expected a department budget or final-accounts "
        "disclosure (部门预算/部门决算) with tables such as 部门收支总体情况表"
    ]
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_failed_first_file_creates_no_database(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = load(tmp_path / "new.db", empty)
    assert result.exit_code == 1
    assert "the file is empty" in result.output
    assert not (tmp_path / "new.db").exists()


def test_load_leaves_a_single_file_for_immutable_serving(tmp_path):
    # the loader writes through a write-ahead log and folds it back when done
    db = tmp_path / "b.db"
    assert load(db, SEED).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.db"]
    conn = sqlite3.connect(db)
    assert conn.execute("pragma journal_mode").fetchone() == ("delete",)
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)


def test_source_url_is_recorded_and_shown(tmp_path):
    import asyncio

    from datasette.app import Datasette

    db = tmp_path / "budget.db"
    url = "https://www.zhengzhou.gov.cn/budget/xinfang-2021.pdf"
    assert load(db, SEED, extra=("--source-url", url)).exit_code == 0
    conn = sqlite3.connect(db)
    assert conn.execute("select source_url from documents").fetchall() == [(url,)]

    async def page():
        ds = Datasette([str(db)])
        return (await ds.client.get("/-/budget/documents")).text

    assert f'href="{url}"' in asyncio.run(page())
