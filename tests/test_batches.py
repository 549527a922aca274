"""Batches: ``datasette budget load --jobs N`` on a folder gives the same database as one job,
a file that fails is reported at the end without stopping the batch, the exit status says
whether everything loaded, and in a script the command prints only its summary."""
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.cli import cli

from variants import FAMILY, write_variant


def load(db_path, *args):
    return CliRunner().invoke(cli, ["budget", "load", str(db_path), *map(str, args)])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    for name, kwargs in FAMILY.items():
        write_variant(folder, name, **kwargs)
    return folder


@pytest.fixture
def folder_with_failures(tmp_path) -> Path:
    """Five files in this order: good, empty, good, not a disclosure, good."""
    folder = tmp_path / "mixed"
    write_variant(folder, "1-xinfang-2021", **FAMILY["xinfang-2021"])
    (folder / "2-empty.txt").write_text("", encoding="utf-8")
    write_variant(folder, "3-minzheng-2021", **FAMILY["minzheng-2021"])
    (folder / "4-letter.txt").write_text("致全市信访干部的一封信\n\n同志们：新年好。\n", encoding="utf-8")
    write_variant(folder, "5-xinfang-2022", **FAMILY["xinfang-2022"])
    return folder


def content(db_path: Path) -> dict:
    """Every row of every table, the clock aside (``documents.loaded_at`` and the rollups'
    version, which is made of it)."""
    conn = sqlite3.connect(db_path)
    tables = [r[0] for r in conn.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name"
    )]
    out = {}
    for table in tables:
        if table == "rollup_state":
            continue
        columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])") if r[1] != "loaded_at"]
        if not columns:  # FTS shadow tables without named columns
            continue
        select = ", ".join(f"[{c}]" for c in columns)
        out[table] = sorted(conn.execute(f"select {select} from [{table}]").fetchall(), key=repr)
    conn.close()
    return out


def test_two_jobs_give_the_same_database_as_one(tmp_path, folder):
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    r1 = load(one, folder, "--jobs", "1")
    r2 = load(two, folder, "--jobs", "2")
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, r2.output
    first, second = content(one), content(two)
    assert len(first["documents"]) == len(FAMILY)
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table


def test_quiet_in_a_script_apart_from_the_summary(tmp_path, folder):
    result = load(tmp_path / "b.db", folder, "--jobs", "2")
    assert result.exit_code == 0
    lines = result.output.strip().split("\n")
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Loaded {len(FAMILY)} of {len(FAMILY)} documents into ")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_failures_are_reported_at_the_end_and_do_not_stop_the_batch(tmp_path, folder_with_failures, jobs):
    db = tmp_path / "b.db"
    result = load(db, folder_with_failures, "--jobs", jobs)
    assert result.exit_code == 1
    lines = result.output.strip().split("\n")
    assert lines[0].startswith("Loaded 3 of 5 documents into ")
    errors = lines[1:]
    assert len(errors) == 2, result.output
    assert errors[0].startswith("error: ") and "2-empty.txt" in errors[0] and "empty" in errors[0]
    assert errors[1].startswith("error: ") and "4-letter.txt" in errors[1]
    # the files after each failure loaded
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("select source_file from documents order by source_file")] == [
        "1-xinfang-2021.txt", "3-minzheng-2021.txt", "5-xinfang-2022.txt"
    ]


def test_exit_status_is_zero_when_everything_loaded_after_a_failed_run(tmp_path, folder_with_failures):
    db = tmp_path / "b.db"
    assert load(db, folder_with_failures).exit_code == 1
    for bad in ("2-empty.txt", "4-letter.txt"):
        (folder_with_failures / bad).unlink()
    result = load(db, folder_with_failures, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert "Loaded 3 of 3 documents" in result.output
    assert sqlite3.connect(db).execute("select count(*) from documents").fetchone()[0] == 3


def test_progress_bar_shows_count_rate_and_file_on_a_terminal(tmp_path, folder, monkeypatch):
    import click._termui_impl

    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)  # as on a terminal
    result = load(tmp_path / "b.db", folder, "--progress")
    assert result.exit_code == 0, result.output
    bar = result.output.replace("\r", "\n")
    assert f"{len(FAMILY)}/{len(FAMILY)}" in bar
    assert "/s xinfang-center-2021.txt" in bar
    assert "Loaded 6 of 6 documents" in bar
