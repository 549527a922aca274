"""Aggregations over all documents read load-time rollups; they must give exactly what the
line tables give, and be ignored once they no longer describe the loaded documents."""
import shutil
import sqlite3

import pytest
from datasette.app import Datasette

from conftest import SAMPLES, SEED, load
from variants import FAMILY, write_variant

QUERIES = [
    f"{name}.json?document=&{params}&_shape=array"
    for name, variants in {
        "expenditure_by_function": ["level=1", "level=2", "level=3", "level=3&phase=决算", "level=2&basis=单位",
                                    "level=1&basis=部门", "level=4"],
        "expenditure_by_economic": ["level=1", "level=2", "level=2&system=government", "level=1&phase=决算"],
        "basic_by_kind": ["", "basis=单位"],
    }.items()
    for params in variants
]
FACETS = [
    "function_expenditure.json?_facet_hierarchy=function_code&_size=0",
    "function_expenditure.json?_facet_hierarchy=function_code&_size=0&function_class=201",
    "function_expenditure.json?_facet_hierarchy=function_code&_size=0&function_class=201&function_section=20103",
    "economic_expenditure.json?_facet_hierarchy=economic_code&_size=0&economic_class=302",
    "function_income.json?_facet_hierarchy=function_code&_size=0",
]


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("family")
    for name, kwargs in FAMILY.items():
        write_variant(folder, name, **kwargs)
    if SAMPLES.exists():
        for pdf in SAMPLES.glob("*.pdf"):
            shutil.copy(pdf, folder / pdf.name)  # a temporary copy for this test only
    fresh = tmp_path_factory.mktemp("fresh") / "budget.db"
    result = load(fresh, folder)
    assert result.exit_code == 0, result.output
    stale = tmp_path_factory.mktemp("stale") / "budget.db"
    shutil.copy(fresh, stale)
    conn = sqlite3.connect(stale)
    with conn:  # as after a load killed before it rebuilt the rollups
        conn.execute("update rollup_state set version = 'killed'")
    conn.close()
    return fresh, stale


async def responses(db_path, paths):
    ds = Datasette([str(db_path)])
    await ds.invoke_startup()
    out = {}
    for path in paths:
        response = await ds.client.get(f"/budget/{path}")
        assert response.status_code == 200, (path, response.text)
        data = response.json()
        out[path] = data["facet_results"] if "facet_results" in data else data
    return out


@pytest.mark.asyncio
async def test_rollups_give_what_the_line_tables_give(databases):
    fresh, stale = databases
    from_rollups = await responses(fresh, QUERIES + FACETS)
    from_lines = await responses(stale, QUERIES + FACETS)
    for path in QUERIES + FACETS:
        assert from_rollups[path] == from_lines[path], path
    # and they are not trivially empty
    classes = {r["code"] for r in from_rollups[QUERIES[0]]}
    assert {"201", "205", "208", "210", "221"} <= classes


def test_rollups_are_read_when_fresh_and_ignored_when_stale(databases):
    fresh, stale = databases
    for path, expected in ((fresh, 1), (stale, 0)):
        conn = sqlite3.connect(path)
        from datasette_budget.rollups import FRESH_SQL

        assert conn.execute(f"select {FRESH_SQL}").fetchone()[0] == expected
        conn.close()


def test_reloading_rebuilds_the_rollups(tmp_path):
    db = tmp_path / "b.db"
    assert load(db, SEED).exit_code == 0
    conn = sqlite3.connect(db)
    level1 = conn.execute(
        "select code, total from rollups where source = 'function_expenditure' and scope = '预算|consolidated' "
        "and level = 1 order by code"
    ).fetchall()
    assert level1 == [("201", 13931481), ("205", 585000), ("208", 1572547), ("210", 490437), ("221", 1549784)]
    conn.close()
