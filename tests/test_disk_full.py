"""A full disk stops a batch with one sentence, keeps what was committed, and leaves a single
database file that Datasette serves immutable. SQLite's real "database or disk is full"
comes from ``pragma max_page_count`` (the loader's test setting), so no root is needed."""
import asyncio
import errno
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from datasette.app import Datasette

from conftest import SEED, SEED_SLUG, load
from corpus import department_copy, department_names

from datasette_budget.loader import TEST_COMMIT_EACH_ENV, TEST_MAX_PAGES_ENV, TEST_PAUSE_ENV

RESUME = "free some space and run the same command again (documents already loaded are replaced, not doubled)"


def dump(db_path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def pragma(db_path, name):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(f"pragma {name}").fetchone()[0]
    finally:
        conn.close()


def slugs(db_path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [r[0] for r in conn.execute("select slug from documents order by slug")]
    finally:
        conn.close()


def folder_of(path, names):
    path.mkdir()
    for n, name in enumerate(names):
        (path / f"{n:02d}.txt").write_text(department_copy(name), encoding="utf-8")
    return path


def served_slugs(db_path) -> list[str]:
    async def get():
        ds = Datasette([], immutables=[str(db_path)])
        response = await ds.client.get(f"/{db_path.stem}/documents.json?_shape=array&_sort=slug")
        assert response.status_code == 200
        return [row["slug"] for row in response.json()]

    return asyncio.run(get())


def served_rows(db_path, query, **params) -> list[dict]:
    async def get():
        ds = Datasette([], immutables=[str(db_path)])
        await ds.invoke_startup()
        response = await ds.client.get(f"/{db_path.stem}/{query}.json", params={**params, "_shape": "array"})
        assert response.status_code == 200
        return response.json()

    return asyncio.run(get())


@pytest.fixture
def seeded(tmp_path):
    db_path = tmp_path / "db" / "budget.db"
    db_path.parent.mkdir()
    assert load(db_path, SEED).exit_code == 0
    return db_path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_stops_the_batch_at_once_and_leaves_the_database_as_it_was(tmp_path, seeded, monkeypatch, jobs):
    names = department_names(4)
    folder = folder_of(tmp_path / "downloads", names)
    before = dump(seeded)
    # not one page more than the database has: the first document of the batch does not fit
    monkeypatch.setenv(TEST_MAX_PAGES_ENV, str(pragma(seeded, "page_count")))
    result = load(seeded, folder, extra=("--no-progress", "--jobs", jobs))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Loaded 0 of 4 documents into {seeded}.",
        f"error: {seeded}: the disk is full, so loading stopped at {folder / '00.txt'}; no document of this "
        f"batch was kept; {RESUME}",
    ]
    assert dump(seeded) == before
    # one file in DELETE mode, no -wal or -shm beside it: what `datasette serve -i` needs
    assert sorted(p.name for p in seeded.parent.iterdir()) == ["budget.db"]
    assert pragma(seeded, "journal_mode") == "delete"
    assert pragma(seeded, "integrity_check") == "ok"
    assert served_slugs(seeded) == [SEED_SLUG]
    # with room again, the same command loads the rest
    monkeypatch.delenv(TEST_MAX_PAGES_ENV)
    assert load(seeded, folder).exit_code == 0
    assert slugs(seeded) == sorted([SEED_SLUG] + [f"{name}-2021-部门预算" for name in names])


def test_a_full_disk_keeps_the_documents_committed_before_it(tmp_path, seeded, monkeypatch):
    names = department_names(4)
    folder = folder_of(tmp_path / "downloads", names)
    # how many pages one more document takes, measured on a copy
    one_more = tmp_path / "one-more.db"
    one_more.write_bytes(seeded.read_bytes())
    assert load(one_more, folder / "00.txt").exit_code == 0
    start, after_one = pragma(seeded, "page_count"), pragma(one_more, "page_count")
    assert after_one > start
    # room for the first document and half of the second, committing after every document
    monkeypatch.setenv(TEST_COMMIT_EACH_ENV, "1")
    monkeypatch.setenv(TEST_MAX_PAGES_ENV, str(after_one + (after_one - start) // 2))
    result = load(seeded, folder, extra=("--no-progress",))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Loaded 1 of 4 documents into {seeded}: declared_totals 80, ")
    assert lines[1:] == [
        f"error: {seeded}: the disk is full, so loading stopped at {folder / '01.txt'}; the 1 document "
        f"committed before it is kept, whole; {RESUME}",
    ]
    kept = sorted([SEED_SLUG, f"{names[0]}-2021-部门预算"])
    assert slugs(seeded) == kept
    assert sorted(p.name for p in seeded.parent.iterdir()) == ["budget.db"]
    assert pragma(seeded, "journal_mode") == "delete"
    assert pragma(seeded, "integrity_check") == "ok"
    assert served_slugs(seeded) == kept


# -- a real full disk: a small tmpfs of its own, which only root can mount ---------------

@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(size)`` mounts a tmpfs of ``size`` bytes for the test and returns its folder."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = []

    def mount(size: int):
        if os.geteuid() != 0:
            pytest.skip("a real full disk needs a small file system, and only root can mount one")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(folder) -> None:
    """Write a file until the disk is full."""
    with open(folder / "filler", "wb", buffering=0) as f:
        chunk = b"\0" * 4096
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            assert e.errno == errno.ENOSPC


def test_a_really_full_disk_leaves_the_database_as_it_was(tmp_path, seeded, small_disk):
    names = department_names(3)
    folder = folder_of(tmp_path / "downloads", names)
    # room for the database and 64 KB more: not for a document
    disk = small_disk(seeded.stat().st_size + 64 * 1024)
    db_path = disk / "budget.db"
    shutil.copy(seeded, db_path)
    before = dump(db_path)
    result = load(db_path, folder, extra=("--no-progress",))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Loaded 0 of 3 documents into {db_path}.",
        f"error: {db_path}: the disk is full, so loading stopped at {folder / '00.txt'}; no document of this "
        f"batch was kept; {RESUME}",
    ]
    assert sorted(p.name for p in disk.iterdir()) == ["budget.db"]
    assert dump(db_path) == before
    assert pragma(db_path, "journal_mode") == "delete"
    assert served_slugs(db_path) == [SEED_SLUG]


def test_a_disk_filled_mid_batch_keeps_what_was_committed_and_says_how_to_make_one_file(
        tmp_path, seeded, small_disk):
    names = department_names(4)
    folder = folder_of(tmp_path / "downloads", names)
    disk = small_disk(16 * 2**20)
    db_path = disk / "budget.db"
    shutil.copy(seeded, db_path)
    # the loader commits 00.txt, writes 01.txt and waits on the FIFO; meanwhile the disk fills up
    fifo = tmp_path / "pause"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", "budget", "load", str(db_path), str(folder), "--no-progress"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, TEST_PAUSE_ENV: f"1:{fifo}"})
    held = os.open(fifo, os.O_WRONLY)  # returns once the loader waits on it
    fill(disk)
    os.close(held)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 1
    lines = stderr.splitlines()
    assert lines[0].startswith(f"Loaded 1 of 4 documents into {db_path}: declared_totals 80, ")
    # the log holds 00.txt, and the database file has no room to take it
    assert lines[1:] == [
        f"error: {db_path}: the disk is full, so loading stopped at {folder / '01.txt'}; the 1 document "
        f"committed before it is kept, whole; {RESUME}; until then it is in WAL mode, and `sqlite-utils "
        f"disable-wal {db_path}` makes it the single file that `datasette serve -i` needs",
    ]
    kept = sorted([SEED_SLUG, f"{names[0]}-2021-部门预算"])
    assert slugs(db_path) == kept
    # with space again, the command the sentence names leaves one file, served immutable
    (disk / "filler").unlink()
    subprocess.run([sys.executable, "-m", "sqlite_utils", "disable-wal", str(db_path)], check=True)
    assert sorted(p.name for p in disk.iterdir()) == ["budget.db"]
    assert pragma(db_path, "integrity_check") == "ok"
    assert served_slugs(db_path) == kept
    # and the same command as before loads the rest
    assert load(db_path, folder).exit_code == 0
    assert slugs(db_path) == sorted([SEED_SLUG] + [f"{name}-2021-部门预算" for name in names])


def test_a_disk_full_only_for_the_rollups_keeps_every_document(tmp_path, monkeypatch):
    names = department_names(2)
    folder = folder_of(tmp_path / "downloads", names)
    # the pages a database holds with 00.txt committed and no rollups yet: a load killed there
    measured = tmp_path / "measured.db"
    fifo = tmp_path / "pause"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", "budget", "load", str(measured), str(folder), "--no-progress"],
        stderr=subprocess.DEVNULL, env={**os.environ, TEST_PAUSE_ENV: f"1:{fifo}"})
    held = os.open(fifo, os.O_WRONLY)
    process.kill()
    process.wait()
    os.close(held)
    pages = pragma(measured, "page_count")
    # the same writes, committed the same way, fit in those pages; the rollups do not
    db_path = tmp_path / "db" / "budget.db"
    db_path.parent.mkdir()
    monkeypatch.setenv(TEST_COMMIT_EACH_ENV, "1")
    monkeypatch.setenv(TEST_MAX_PAGES_ENV, str(pages))
    result = load(db_path, folder / "00.txt", extra=("--no-progress",))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Loaded 1 of 1 documents into {db_path}: declared_totals 80, ")
    assert lines[1:] == [
        f"error: {db_path}: the disk is full, so the rollups were not rebuilt; the 1 document of this batch "
        "is kept, whole, and the canned queries read the line tables instead, more slowly; free some space "
        "and run the same command again"]
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["budget.db"]
    slug = f"{names[0]}-2021-部门预算"
    assert served_slugs(db_path) == [slug]
    # the seed's figures (and its copies'): 201 一般公共服务支出 13,931,481 元
    rows = served_rows(db_path, "expenditure_by_function", document=slug, level="1")
    assert {r["code"]: r["total"] for r in rows}["201"] == 13931481
