"""Reloading, two loaders at once, and a loader killed halfway all leave a consistent
database: integrity_check ok, and every document present is complete (its rows per table
are those of a clean load), never half-written."""
import os
import asyncio
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest
from datasette.app import Datasette

from conftest import SEED, SEED_SLUG, load
from corpus import department_copy, department_names

from datasette_budget.loader import TEST_PAUSE_ENV

DOCUMENT_TABLES = [
    "document_tables", "summary_items", "function_income", "function_expenditure", "function_budget_expenditure",
    "economic_expenditure", "economic_basic_expenditure", "sangong_items", "procurement_items", "declared_totals",
    "unparsed", "duties", "organisation", "staffing", "vehicles", "glossary", "narrative", "performance_targets",
    "performance_indicators", "checks", "prior_year",
]


def counts(db_path, slug) -> dict:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return {t: conn.execute(f"select count(*) from [{t}] where document = ?", [slug]).fetchone()[0]
                for t in DOCUMENT_TABLES}
    finally:
        conn.close()


def integrity(db_path) -> str:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute("pragma integrity_check").fetchone()[0]
    finally:
        conn.close()


def slugs(db_path) -> list[str]:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return [r[0] for r in conn.execute("select slug from documents order by slug")]
    finally:
        conn.close()


def load_command(db_path, *paths):
    return [sys.executable, "-m", "datasette", "budget", "load", str(db_path), *map(str, paths), "--no-progress"]


@pytest.fixture(scope="module")
def clean_counts(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("clean") / "clean.db"
    assert load(db_path, SEED).exit_code == 0
    found = counts(db_path, SEED_SLUG)
    assert found["economic_expenditure"] == 25 and found["checks"] > 400 and found["prior_year"] == 12
    return found


def department_folder(folder, names):
    folder.mkdir()
    for n, name in enumerate(names):
        (folder / f"{n:02d}.txt").write_text(department_copy(name), encoding="utf-8")
    return folder


def test_reloading_a_document_replaces_its_rows(tmp_path, clean_counts):
    db_path = tmp_path / "reload.db"
    for _ in range(3):
        assert load(db_path, SEED).exit_code == 0
    assert slugs(db_path) == [SEED_SLUG]
    assert counts(db_path, SEED_SLUG) == clean_counts
    assert integrity(db_path) == "ok"


def test_two_processes_loading_into_the_same_file(tmp_path, clean_counts):
    names = department_names(4)
    first = department_folder(tmp_path / "first", names[:2])
    second = department_folder(tmp_path / "second", names[2:])
    db_path = tmp_path / "shared.db"
    # both batches also load the seed itself, so the two processes write the same document too
    processes = [subprocess.Popen(load_command(db_path, folder, SEED), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for folder in (first, second)]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err
        assert "Loaded 3 of 3 documents" in err
    assert integrity(db_path) == "ok"
    expected = sorted([f"{name}-2021-部门预算" for name in names] + [SEED_SLUG])
    assert slugs(db_path) == expected
    for slug in expected:
        assert counts(db_path, slug) == clean_counts, slug


def load_killed_after(db_path, folder, committed: int, tmp_path) -> None:
    """Run the loader on folder and SIGKILL it once ``committed`` documents are committed and
    the next one is written but not committed. The loader's test setting commits after every
    document and, at that point, blocks reading a FIFO this function holds open: the kill
    lands there, whatever the machine's speed."""
    fifo = tmp_path / f"pause-{db_path.stem}"
    os.mkfifo(fifo)
    env = {**os.environ, TEST_PAUSE_ENV: f"{committed}:{fifo}"}
    process = subprocess.Popen(load_command(db_path, folder), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)

    def unblock_if_loader_exits():
        # a loader that ends without pausing must not leave this test waiting on the FIFO
        process.wait()
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))

    watcher = threading.Thread(target=unblock_if_loader_exits, daemon=True)
    watcher.start()
    try:
        held = os.open(fifo, os.O_WRONLY)  # returns once the loader has opened it to read
        assert process.poll() is None, "the loader ended before its pause"
        os.kill(process.pid, signal.SIGKILL)
        os.close(held)
    finally:
        process.wait(timeout=60)
        watcher.join()
    assert process.returncode == -signal.SIGKILL


def test_load_killed_halfway_leaves_only_complete_documents(tmp_path, clean_counts):
    names = department_names(6)
    folder = department_folder(tmp_path / "many", names)
    db_path = tmp_path / "killed.db"
    load_killed_after(db_path, folder, 3, tmp_path)
    assert integrity(db_path) == "ok"  # opening the file rolls back the killed transaction
    # the three committed documents, whole; not the fourth, written but not committed
    present = slugs(db_path)
    assert present == sorted(f"{name}-2021-部门预算" for name in names[:3])
    for slug in present:
        assert counts(db_path, slug) == clean_counts, slug
    assert counts(db_path, f"{names[3]}-2021-部门预算") == {t: 0 for t in DOCUMENT_TABLES}
    conn = sqlite3.connect(db_path)
    try:
        # no row of any table belongs to a document that is not in documents
        for table in DOCUMENT_TABLES:
            orphans = conn.execute(
                f"select count(*) from [{table}] where document not in (select slug from documents)").fetchone()[0]
            assert orphans == 0, table
    finally:
        conn.close()
    # and loading again completes the batch
    assert load(db_path, folder).exit_code == 0
    assert len(slugs(db_path)) == len(names)


def canned(db_path, query, immutable=False, **params):
    async def get():
        ds = Datasette([], immutables=[str(db_path)]) if immutable else Datasette([str(db_path)])
        await ds.invoke_startup()
        response = await ds.client.get(f"/{db_path.stem}/{query}.json", params={**params, "_shape": "array"})
        return response.status_code, response.json()

    return asyncio.run(get())


@pytest.mark.parametrize("committed", [0, 1])
def test_a_first_load_killed_still_serves_what_it_committed(tmp_path, committed):
    # the schema, rollup_state included, is committed (and in the database file itself) before
    # the first document; the canned queries that need rollup_state are there, and read the
    # line tables while it is stale
    names = department_names(3)
    folder = department_folder(tmp_path / "first", names)
    db_path = tmp_path / "first.db"
    load_killed_after(db_path, folder, committed, tmp_path)
    slug = f"{names[0]}-2021-部门预算"
    # served immutable as the kill left it, the write-ahead log beside it unread
    assert (tmp_path / "first.db-wal").exists()
    for query in ("expenditure_by_function", "expenditure_by_economic", "basic_by_kind"):
        assert canned(db_path, query, immutable=True, document=slug)[0] == 200, query
    # served as a database still being written, it shows what was committed
    status, rows = canned(db_path, "expenditure_by_function", document=slug, level="1")
    assert status == 200
    by_code = {row["code"]: row for row in rows}
    if committed:  # 201 一般公共服务支出: 13,931,481 元, 76.85% of the seed's (and its copies') total
        assert (by_code["201"]["name"], by_code["201"]["total"], by_code["201"]["share"]) == (
            "一般公共服务支出", 13931481, 76.85)
    else:
        assert rows == []
    assert slugs(db_path) == [slug][:committed]


def test_a_document_refused_by_the_database_is_rolled_back_alone(tmp_path, clean_counts):
    """Documents share a transaction in a batch; the one SQLite refuses is rolled back to its
    savepoint, and the documents before and after it in the same batch are kept whole."""
    names = department_names(3)
    folder = department_folder(tmp_path / "three", names)
    db_path = tmp_path / "refused.db"
    assert load(db_path, SEED).exit_code == 0
    refused = f"{names[1]}-2021-部门预算"
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(f"create trigger refuse before insert on checks when new.document = '{refused}' "
                     "begin select raise(abort, 'refused by a trigger'); end")
    conn.close()
    result = load(db_path, folder)
    assert result.exit_code == 1
    assert f"01.txt: could not be written to {db_path} (refused by a trigger)" in result.output
    assert "Loaded 2 of 3 documents" in result.output
    assert slugs(db_path) == sorted([f"{names[0]}-2021-部门预算", f"{names[2]}-2021-部门预算", SEED_SLUG])
    for slug in slugs(db_path):
        assert counts(db_path, slug) == clean_counts, slug
    assert counts(db_path, refused) == {t: 0 for t in DOCUMENT_TABLES}
    assert integrity(db_path) == "ok"
