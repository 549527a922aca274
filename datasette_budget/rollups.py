"""Rollups: sums per code and level over many documents, rebuilt after every load batch, so
that an aggregation over all documents reads a few thousand rows instead of every line row.

One table, ``rollups``: for each line table (``source``), code system (``hierarchy``, the
column the hierarchy facet is on), level and code, the row count and the sums of
``total``, ``basic`` and ``project``, per ``scope``:

- ``all``: every row of the table (what an unfiltered table page shows);
- ``预算|consolidated``, ``决算|部门`` …: the documents the canned queries count for that
  phase and basis (see :mod:`comparisons`).

``rollup_state.version`` records which documents the rollups were built from. A rollup is
used only while it matches ``documents`` (:data:`FRESH_SQL`); otherwise, say after a load
killed half-way, the queries and the facet fall back to the line tables.
"""
from __future__ import annotations

from .comparisons import COUNTED_DOCUMENTS

ROLLUP_COLUMNS = {
    "source": str, "scope": str, "hierarchy": str, "level": int, "code": str, "parent": str,
    "rows": int, "total": float, "basic": float, "project": float,
}
MEASURES = ("total", "basic", "project")

# source table -> {hierarchy column: level columns, top first}
SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "function_expenditure": {"function_code": ("function_class", "function_section", "function_code")},
    "function_budget_expenditure": {"function_code": ("function_class", "function_section", "function_code")},
    "function_income": {"function_code": ("function_class", "function_section", "function_code")},
    "economic_expenditure": {
        "economic_code": ("economic_class", "economic_code"),
        "government_code": ("government_class", "government_code"),
    },
    "economic_basic_expenditure": {"economic_code": ("economic_class", "economic_code")},
}
BASES = ("consolidated", "部门", "单位")

DOCUMENTS_VERSION_SQL = "select count(*) || ':' || coalesce(max(loaded_at), '') from documents"
# true while the rollups describe exactly the loaded documents
FRESH_SQL = f"coalesce((select version from rollup_state) = ({DOCUMENTS_VERSION_SQL}), 0)"
# the scope the canned queries read when document is empty
COUNTED_SCOPE_SQL = (
    "coalesce(nullif(:phase, ''), (select phase from documents order by phase = '预算' desc limit 1))"
    " || '|' || coalesce(nullif(:basis, ''), 'consolidated')"
)


def rebuild(db) -> int:
    """Recompute every rollup from the line tables (inside the caller's transaction);
    returns the number of rollup rows. ``rebuild(sqlite_utils.Database("budget.db"))``"""
    tables = set(db.table_names())
    if "documents" not in tables:
        return 0
    if "rollups" not in tables:
        db["rollups"].create(ROLLUP_COLUMNS)
        db["rollups"].create_index(["source", "scope", "hierarchy", "level", "parent", "code"])
    if "rollup_state" not in tables:
        db["rollup_state"].create({"id": int, "version": str}, pk="id")
    db.execute("delete from rollups")
    phases = [r[0] for r in db.execute("select distinct phase from documents").fetchall()]
    scopes = [("all", "select slug from documents", {})] + [
        (f"{phase}|{basis}", COUNTED_DOCUMENTS, {"phase": phase, "basis": "" if basis == "consolidated" else basis})
        for phase in phases
        for basis in BASES
    ]
    for source, hierarchies in SOURCES.items():
        if source not in tables:
            continue
        columns = set(db[source].columns_dict)
        measures = [m for m in MEASURES if m in columns]
        for hierarchy, levels in hierarchies.items():
            for scope, documents_sql, params in scopes:
                _rollup(db, source, hierarchy, levels, measures, scope, documents_sql, params)
    db["rollup_state"].upsert({"id": 1, "version": db.execute(DOCUMENTS_VERSION_SQL).fetchone()[0]}, pk="id")
    return db.execute("select count(*) from rollups").fetchone()[0]


def _rollup(db, source, hierarchy, levels, measures, scope, documents_sql, params) -> None:
    """One pass over the source rows grouped by all level columns, then each level summed
    from that: the same groups as grouping the rows by each level column directly."""
    sums = ", ".join(f"sum([{m}]) as [{m}]" for m in measures)
    level_list = ", ".join(f"[{c}]" for c in levels)
    db.execute("drop table if exists temp.rollup_pass")
    db.execute(
        f"create temp table rollup_pass as select {level_list}, count(*) as rows, {sums} "
        f"from [{source}] where document in ({documents_sql}) group by {level_list}",
        params,
    )
    measure_list = ", ".join(f"[{m}]" for m in measures)
    resum = ", ".join(f"sum([{m}])" for m in measures)
    for level, column in enumerate(levels, start=1):
        parent = f"[{levels[level - 2]}]" if level > 1 else "null"
        db.execute(
            f"insert into rollups (source, scope, hierarchy, level, code, parent, rows, {measure_list}) "
            f"select ?, ?, ?, ?, [{column}], {parent}, sum(rows), {resum} from temp.rollup_pass "
            f"where [{column}] is not null group by [{column}], {parent}",
            [source, scope, hierarchy, level],
        )
    db.execute("drop table temp.rollup_pass")
