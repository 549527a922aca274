"""Shared fixtures: a real SQLite database built from data/documents by the real CLI, and a
real Datasette serving it with the project's metadata.yml."""
import sqlite3
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ROOT / "data" / "documents"
SEED = DOCUMENTS / "zhengzhou-xinfang-2021-budget.txt"
SEED_SLUG = "郑州市信访局-2021-部门预算"
SAMPLES = ROOT.parent / "shared" / "samples"


def seed_lines():
    """The seed as the loader reads it: numbered lines with their pages."""
    from datasette_budget.documents import read_document

    return read_document(SEED).lines


def synthetic_lines(text: str):
    """Lines of a made-up snippet, all on page 1."""
    from datasette_budget.documents import Line

    return [Line(1, number, line) for number, line in enumerate(text.splitlines(), start=1)]


def rows(db_path, sql, params=()):
    """The rows a query gives on a database file, as dicts."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def wait_until_serving(base: str, process, log: Path, seconds: float = 60) -> None:
    """Return once the server at ``base`` answers ``/-/versions.json``; fail the test with the
    server's log when its process exits first or it does not answer within ``seconds``."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("datasette serve did not start:\n" + Path(log).read_text(errors="replace"))
            time.sleep(0.2)


def stop_server(process) -> None:
    """Stop a server process a test started: terminate it, and kill it if it lingers."""
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def load(db_path, *paths, extra=()):
    """Run ``datasette budget load`` the way a publisher would; returns click's Result."""
    return CliRunner().invoke(cli, ["budget", "load", str(db_path), *map(str, paths), *extra])


@pytest.fixture(scope="session")
def budget_db(tmp_path_factory) -> Path:
    db_path = tmp_path_factory.mktemp("site") / "budget.db"
    result = load(db_path, DOCUMENTS)
    assert result.exit_code == 0, result.output
    return db_path


@pytest.fixture(scope="session")
def metadata() -> dict:
    return yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))


@pytest_asyncio.fixture
async def ds(budget_db, metadata):
    datasette = Datasette([str(budget_db)], metadata=metadata, immutables=[])
    await datasette.invoke_startup()
    return datasette
