"""Full-text search: item names, project names, narrative and glossary, through Datasette's
``?_search=``.

SQLite's tokenizers treat a run of Chinese characters as one word, so ``信访`` would not find
``信访事务``. The index therefore holds the text with every CJK character as its own token,
and :func:`escape_fts` (Datasette's SQL function of that name, which builds the ``MATCH``
of every ``?_search=``) turns a Chinese term into the phrase of its characters, which
matches wherever the characters stand together, as a substring search does.

Each ``X_fts`` table is an FTS5 table with external content ``content=[X]``, the form
Datasette detects, so ``/budget/narrative?_search=信访`` works with no configuration. Its
index is written here, inside the document's load transaction: rows are unindexed before a
document is replaced (:func:`unindex_document`) and indexed after (:func:`index_document`).
Rebuilding these tables with another tool (``sqlite-utils rebuild-fts``) would index the text
unsegmented; load the documents again instead.
"""
from __future__ import annotations

import re

from datasette.utils import escape_sqlite

# table -> the text columns searched
SEARCHED: dict[str, tuple[str, ...]] = {
    "function_expenditure": ("name",),
    "function_budget_expenditure": ("name",),
    "function_income": ("name",),
    "economic_expenditure": ("economic_name", "government_name"),
    "economic_basic_expenditure": ("name",),
    "summary_items": ("name",),
    "sangong_items": ("item",),
    "procurement_items": ("category", "item", "unit_name"),
    "project_expenditure": ("project", "parent_project", "unit_name", "performance_target"),
    "department_basic_expenditure": ("unit_name", "item"),
    "appropriation_expenditure": ("name",),
    "appropriation_basic_expenditure": ("name",),
    "project_economic_expenditure": ("name",),
    "running_cost_expenditure": ("name",),
    "performance_targets": ("name", "title"),
    "performance_indicators": ("level1", "level2", "level3"),
    "narrative": ("heading", "text"),
    "glossary": ("term", "definition"),
    "duties": ("text",),
    "organisation": ("name",),
}
SEGMENT_FUNCTION = "budget_fts_segment"

# CJK ideographs, their extensions and compatibility forms
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
CJK_RE = re.compile(f"([{CJK}])")
_ESCAPE_FTS_RE = re.compile(r'\s+|(".*?")')  # as datasette.utils.escape_fts splits a query


def segment(text: str | None) -> str | None:
    """Every CJK character as its own token: ``segment("信访事务 2021年") == "信 访 事 务 2021 年"``."""
    if text is None:
        return None
    # splitting on the (captured) characters puts each one in a piece of its own
    return " ".join(" ".join(CJK_RE.split(str(text))).split())


def escape_fts(query: str) -> str:
    """Datasette's ``escape_fts``, with each Chinese term also searched as the phrase of its
    characters: ``escape_fts("信访") == '("信访" OR "信 访")'``; terms are joined by AND. Terms without CJK characters
    are escaped exactly as Datasette does, so other databases search as before."""
    if query.count('"') % 2:
        query += '"'
    bits = [b for b in _ESCAPE_FTS_RE.split(query) if b and b != '""']
    terms, grouped = [], False
    for bit in bits:
        quoted = bit if bit.startswith('"') else f'"{bit}"'
        inner = quoted[1:-1]
        if CJK_RE.search(inner):
            terms.append(f'({quoted} OR "{segment(inner)}")')
            grouped = True
        else:
            terms.append(quoted)
    # FTS5 takes no implicit AND next to a bracket
    return (" AND " if grouped else " ").join(terms)


def register_functions(conn) -> None:
    conn.create_function(SEGMENT_FUNCTION, 1, segment, deterministic=True)


def fts_table(table: str) -> str:
    return f"{table}_fts"


def _existing(db, table: str) -> bool:
    return bool(db.execute(
        "select 1 from sqlite_master where name = ?", [table]
    ).fetchone())


def ensure_fts(db) -> None:
    """Create the FTS tables that are missing and index the rows already loaded (idempotent).

    Plain ``CREATE VIRTUAL TABLE`` statements, so it can run inside the load transaction
    (sqlite-utils' ``enable_fts`` would commit it half-way).
    """
    register_functions(db.conn)
    for table, columns in SEARCHED.items():
        if not _existing(db, table) or _existing(db, fts_table(table)):
            continue
        db.execute(
            f"create virtual table {escape_sqlite(fts_table(table))} using fts5("
            + ", ".join(escape_sqlite(c) for c in columns)
            + f", content=[{table}], content_rowid=id, tokenize='unicode61')"
        )
        db.execute(_index_sql(table, columns, where=""))


def _segmented(columns) -> str:
    return ", ".join(f"{SEGMENT_FUNCTION}({escape_sqlite(c)})" for c in columns)


def _index_sql(table: str, columns, where: str) -> str:
    return (
        f"insert into {escape_sqlite(fts_table(table))} (rowid, "
        + ", ".join(escape_sqlite(c) for c in columns)
        + f") select id, {_segmented(columns)} from {escape_sqlite(table)} {where}"
    )


def index_document(db, slug: str, tables=None) -> None:
    """Add one document's rows to the search index (after they are written); ``tables``, when
    given, are the tables the document has rows in."""
    register_functions(db.conn)
    for table, columns in SEARCHED.items():
        if tables is not None and table not in tables:
            continue
        if _existing(db, fts_table(table)):
            db.execute(_index_sql(table, columns, "where document = ?"), [slug])


def unindex_document(db, slug: str) -> None:
    """Remove one document's rows from the search index (before they are deleted).

    External-content FTS5 deletes by giving back the values that were indexed.
    """
    register_functions(db.conn)
    for table, columns in SEARCHED.items():
        name = fts_table(table)
        if not _existing(db, name):
            continue
        db.execute(
            f"insert into {escape_sqlite(name)} ({escape_sqlite(name)}, rowid, "
            + ", ".join(escape_sqlite(c) for c in columns)
            + f") select 'delete', id, {_segmented(columns)} from {escape_sqlite(table)} where document = ?",
            [slug],
        )
