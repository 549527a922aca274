"""Loading: write parsed disclosures into SQLite with sqlite-utils.

Each document is one transaction: its old rows are deleted and its new rows written
together, or nothing is written at all. A batch shares one connection.
"""
from __future__ import annotations

import datetime
import itertools
import json
import os
import re
import sqlite3
import stat
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlite_utils
from datasette.utils import escape_sqlite

from . import classification, comparisons
from .disclosure import Disclosure, read_disclosure
from .documents import DEFAULT_MAX_FILE_SIZE, DocumentError, not_regular
from .tables import FUNDS, ParsedTable

EXPENDITURE_AMOUNTS = [
    "total", "basic", "basic_wages", "basic_family", "basic_goods", "basic_capital",
    "project", "project_social", "project_debt", "project_construction", "project_other",
    "remit_superior", "operating", "affiliated_subsidy",
    # 基本支出 split into 人员经费 | 公用经费; panels beside this year's: the year before, the carry-over
    "basic_personnel", "basic_public", "prior_year", "prior_year_total", "prior_year_basic", "prior_year_project",
    "carryover_total", "carryover_basic", "carryover_project",
]
INCOME_AMOUNTS = [
    "total", "general_budget", "appropriation", "government_fund", "state_capital",
    "special_account", "business", "operating", "superior_subsidy", "affiliated", "other", "transfer",
    "carryover",
]
BASIC_AMOUNTS = ["total", "appropriation", "personnel", "public"]
PROJECT_AMOUNTS = [
    "total", "appropriation", "general_budget", "government_fund", "state_capital", "special_account", "other",
    "carryover_general_budget", "carryover_government_fund", "carryover_state_capital",
]

FUNCTION_FKS = [
    ("function_code", "function_codes", "code"),
    ("function_class", "function_codes", "code"),
    ("function_section", "function_codes", "code"),
]
ECONOMIC_FKS = [
    ("economic_code", "economic_codes", "code"),
    ("economic_class", "economic_codes", "code"),
]
GOVERNMENT_FKS = [
    ("government_code", "government_economic_codes", "code"),
    ("government_class", "government_economic_codes", "code"),
]
# Covering indexes for the hierarchy facet: each level's group-by reads only the index,
# unfiltered, drilled one level (class → section, section → code), or within one document.
FUNCTION_INDEXES = [
    ["function_class", "function_section", "function_code", "total"],
    ["document", "function_class", "function_section", "function_code", "total"],
    ["function_section", "function_code", "total"],
    ["function_code"],
]
LINE = {"id": int, "document": str, "page": int, "line": int}
# 1 where the table printed a name without its code and the code was matched from the code lists
INFERRED = {"code_inferred": int}
FUNCTION_COLUMNS = {"function_code": str, "function_class": str, "function_section": str, "name": str, **INFERRED}
ECONOMIC_LINE_COLUMNS = {"economic_code": str, "economic_class": str, "name": str, **INFERRED}
ECONOMIC_INDEXES = [["document", "economic_class", "total"], ["economic_class", "total"], ["economic_code"]]
# tables by economic code beside the 基本支出 table, each of its own (role -> table): they
# hold the same money as it and as each other, so they are never one table
ECONOMIC_LINE_TABLES = {
    "appropriation_basic_expenditure": "appropriation_basic_expenditure",
    "project_economic_expenditure": "project_economic_expenditure",
    "running_cost": "running_cost_expenditure",
}

# table -> (columns, foreign keys besides document, indexes)
SCHEMA: dict[str, tuple[dict, list, list]] = {
    "summary_items": (
        {**LINE, "statement": str, "side": str, "seq": int, "item": str, "name": str, "depth": int,
         "parent": str, "amount": float, "other_amounts": str},
        [], [["document", "statement"]],
    ),
    "function_income": (
        {**LINE, **FUNCTION_COLUMNS, **{c: float for c in INCOME_AMOUNTS}},
        FUNCTION_FKS, [["document"], ["function_class", "total"], ["function_section"], ["function_code"]],
    ),
    "function_expenditure": (
        {**LINE, **FUNCTION_COLUMNS, **{c: float for c in EXPENDITURE_AMOUNTS}},
        FUNCTION_FKS, FUNCTION_INDEXES,
    ),
    "function_budget_expenditure": (
        {**LINE, "fund": str, **FUNCTION_COLUMNS, **{c: float for c in EXPENDITURE_AMOUNTS}},
        FUNCTION_FKS, FUNCTION_INDEXES + [["fund"]],
    ),
    "economic_expenditure": (
        {**LINE, "economic_code": str, "economic_class": str, "economic_name": str,
         "government_code": str, "government_class": str, "government_name": str, **INFERRED,
         **{c: float for c in EXPENDITURE_AMOUNTS}},
        ECONOMIC_FKS + GOVERNMENT_FKS,
        [["document", "economic_class", "total"], ["economic_class", "total"], ["economic_code"],
         ["government_class", "total"], ["government_code"]],
    ),
    "economic_basic_expenditure": (
        {**LINE, **ECONOMIC_LINE_COLUMNS, **{c: float for c in BASIC_AMOUNTS}}, ECONOMIC_FKS, ECONOMIC_INDEXES,
    ),
    # 财政拨款支出表（功能科目）: the 财政拨款 part of function_expenditure, a table of its own
    "appropriation_expenditure": (
        {**LINE, **FUNCTION_COLUMNS, **{c: float for c in EXPENDITURE_AMOUNTS}},
        FUNCTION_FKS, FUNCTION_INDEXES,
    ),
    **{table: ({**LINE, **ECONOMIC_LINE_COLUMNS, **{c: float for c in BASIC_AMOUNTS}}, ECONOMIC_FKS, ECONOMIC_INDEXES)
       for table in ECONOMIC_LINE_TABLES.values()},
    # 项目支出预算表: one row per project
    "project_expenditure": (
        {**LINE, "function_code": str, "function_class": str, "function_section": str, "function_name": str,
         "seq": int, "category": str, "parent_project": str, "project": str, "unit_name": str,
         **{c: float for c in PROJECT_AMOUNTS}, "performance_target": str},
        FUNCTION_FKS, [["document"], ["function_code"]],
    ),
    # 部门预算基本支出预算表: 基本支出 of each unit by 支出项目类别 as printed (no codes)
    "department_basic_expenditure": (
        {**LINE, "unit_name": str, "item": str, **{c: float for c in PROJECT_AMOUNTS}},
        [], [["document"]],
    ),
    "sangong_items": (
        {**LINE, "seq": int, "item": str, "label": str, "kind": str, "depth": int, "amount": float,
         "budget_amount": float, "unit_name": str, "prior_year_amount": float, "carryover_amount": float},
        [], [["document"]],
    ),
    "procurement_items": (
        {**LINE, "function_code": str, "unit_name": str, "category": str, "item": str, "spec": str,
         "measure": str, "quantity": int, "amount": float, "unit_price": float},
        [("function_code", "function_codes", "code")], [["document"]],
    ),
    "declared_totals": (
        {**LINE, "table_role": str, "kind": str, "label": str, "code": str, "side": str,
         "column": str, "amount": float},
        [], [["document", "table_role"]],
    ),
    "unparsed": (
        {**LINE, "table_role": str, "text": str, "reason": str},
        [], [["document"]],
    ),
    "duties": ({**LINE, "seq": int, "text": str}, [], [["document"]]),
    "organisation": ({**LINE, "kind": str, "seq": int, "name": str}, [], [["document"]]),
    "staffing": ({**LINE, "category": str, "count": int}, [], [["document"]]),
    "vehicles": ({**LINE, "kind": str, "count": int, "as_of": str}, [], [["document"]]),
    "glossary": ({**LINE, "seq": int, "term": str, "definition": str}, [], [["document"]]),
    "narrative": ({**LINE, "part": str, "heading": str, "text": str, "last_line": int}, [], [["document"]]),
    "performance_targets": (
        {**LINE, "seq": int, "kind": str, "name": str, "title": str, "fields": str, "last_line": int},
        [], [["document"]],
    ),
    "performance_indicators": (
        {**LINE, "target": str, "level1": str, "level2": str, "level3": str, "value": str, "unit": str},
        [], [["document"]],
    ),
}
DOCUMENT_COLUMNS = {
    "slug": str, "title": str, "department": str, "unit_code": str, "region": str, "year": int,
    "phase": str, "level": str, "source_file": str, "source_url": str, "sha256": str,
    "loaded_at": str, "line_count": int, "table_count": int, "row_count": int,
    "unparsed_count": int, "warning_count": int, "warnings": str, "check_status": str, "check_summary": str,
}
DOCUMENT_TABLE_COLUMNS = {
    "document": str, "role": str, "title": str, "unit": str, "page": int, "first_line": int,
    "last_line": int, "columns": str, "row_count": int, "status": str, "notes": str,
}
COMMIT_SECONDS = 1.0
COMMIT_DOCUMENTS = 500
# For tests only: "K:PATH" commits after every document and, once K documents are committed
# and the next one is written but not committed, blocks reading the FIFO at PATH until its
# writer closes it. A test that holds the FIFO open knows where the loader is when it kills it.
TEST_PAUSE_ENV = "DATASETTE_BUDGET_TEST_PAUSE"
# For tests only: "1" commits after every document, so what a test sees does not depend on
# how many documents fit in a second.
TEST_COMMIT_EACH_ENV = "DATASETTE_BUDGET_TEST_COMMIT_EACH"
# For tests only: "N" sets the loader's ``pragma max_page_count``, so that SQLite gives its
# real "database or disk is full" once the database would pass N pages, without a full disk.
TEST_MAX_PAGES_ENV = "DATASETTE_BUDGET_TEST_MAX_PAGES"
CODE_COLUMNS = {"code": str, "name": str, "level": int, "parent": str, "verified": int, "source": str}


class LoadConnection(sqlite3.Connection):
    """A connection whose commits can be held, so that sqlite-utils' own ``with conn:``
    blocks join the document's transaction instead of committing half of it."""

    holding = False
    in_batch = False  # a Batch's transaction is open: documents are savepoints within it
    schema_ready = False  # set by ensure_schema once every table exists

    def commit(self):
        if not self.holding:
            super().commit()

    def __exit__(self, exc_type, exc, tb):
        if self.holding:
            return False
        return super().__exit__(exc_type, exc, tb)


@contextmanager
def transaction(db: sqlite_utils.Database):
    """One write transaction: sqlite-utils' own commits inside it are held until the end,
    and any error rolls all of it back. Inside a :class:`Batch`, a savepoint of the batch's
    transaction instead: written whole, or not at all."""
    conn = db.conn
    if conn.in_batch:
        conn.execute("savepoint document")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("rollback to document")
                conn.execute("release document")
            else:  # SQLite rolled the whole transaction back (a full disk, say)
                conn.in_batch = False
                conn.holding = False
            conn.schema_ready = False  # what ensure_schema created may have been rolled back
            raise
        conn.execute("release document")
        return
    conn.holding = True
    try:
        conn.execute("begin immediate")
        yield
        conn.holding = False
        conn.commit()
    except BaseException:
        conn.holding = False
        conn.rollback()
        conn.schema_ready = False  # what ensure_schema created may have been rolled back
        raise
    finally:
        conn.holding = False


class Batch:
    """Documents written to one connection in a shared transaction, each inside a savepoint
    of its own, committed together once COMMIT_SECONDS have passed or COMMIT_DOCUMENTS are
    written.

    A commit per document costs more than the document's rows: the write-ahead log is
    written and checkpointed and the full-text index flushes a new segment every time.
    A document is still whole or absent: a failed one is rolled back to its savepoint,
    and a crash loses at most the last uncommitted second of work, never half a document.
    """

    def __init__(self, db_path: str | Path):
        self.db_path = db_path
        self.db: sqlite_utils.Database | None = None  # opened by the first write
        self.pending: list[dict] = []  # report entries written since the last commit
        self.started = 0.0
        self.committed = 0  # documents committed so far
        pause = os.environ.get(TEST_PAUSE_ENV)
        self.pause = (int(pause.split(":", 1)[0]), pause.split(":", 1)[1]) if pause else None
        each = pause or os.environ.get(TEST_COMMIT_EACH_ENV)
        self.group = 1 if each else COMMIT_DOCUMENTS  # documents per commit at most

    def write(self, prepared: Prepared, source_url: str | None, replace: bool = False) -> dict:
        if self.db is None:
            refuse_conflict_unopened(self.db_path, prepared, replace)  # the file stays as it was
            self.db = connect(self.db_path)
            # the schema, rollup_state included, committed before any document: a load killed
            # during its first group still leaves a database that every canned query reads
            with transaction(self.db):
                ensure_schema(self.db)
            # and into the database file, where `datasette serve -i` (which ignores the log) finds it
            self.db.execute("pragma wal_checkpoint(passive)")
        conn = self.db.conn
        if not conn.in_batch:
            conn.execute("begin immediate")
            conn.in_batch = conn.holding = True
            self.started = time.monotonic()
        counts = write_document(self.db, prepared, source_url, replace)
        if self.pause and self.pause[0] == self.committed:
            with open(self.pause[1], "rb") as fifo:  # returns once the test's end is open
                fifo.read()  # and this once it is closed: the test kills the loader first
            self.pause = None
        return counts

    @property
    def open(self) -> bool:
        return self.db is not None and self.db.conn.in_batch

    def due(self) -> bool:
        return self.open and (time.monotonic() - self.started >= COMMIT_SECONDS
                              or len(self.pending) >= self.group)

    def commit(self) -> tuple[list[dict], str | None]:
        """Commit; returns the entries committed (or lost) and the error, if the commit failed."""
        entries, self.pending = self.pending, []
        if not self.open:
            return entries, ("the batch's transaction was rolled back" if entries else None)
        conn = self.db.conn
        conn.in_batch = conn.holding = False
        try:
            conn.commit()
        except sqlite3.DatabaseError as e:
            conn.rollback()
            conn.schema_ready = False
            return entries, str(e)
        self.committed += len(entries)
        return entries, None


def write_error(path: Path, db_path: str | Path, error: sqlite3.DatabaseError) -> str:
    """One sentence for a document that could not be written. A constraint its rows break is
    the reader's fault, not the user's: say what it means, not SQLite's words."""
    if isinstance(error, sqlite3.IntegrityError) and str(error).startswith("UNIQUE constraint failed"):
        what = ("two of its tables were recognised as the same table" if "document_tables" in str(error)
                else "two of its rows were read as the same row")
        return f"{path}: not loaded: {what}; please report the file (the other documents are loaded)"
    return f"{path}: could not be written to {db_path} ({error})"  # e.g. a trigger's own message


def connect(db_path: str | Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(db_path), factory=LoadConnection, timeout=60)
    # While loading, commit to a write-ahead log without an fsync per document: a crash or
    # SIGKILL still leaves every committed document whole. finish() folds the log back.
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = normal")
    if os.environ.get(TEST_MAX_PAGES_ENV):
        conn.execute(f"pragma max_page_count = {int(os.environ[TEST_MAX_PAGES_ENV])}")
    return sqlite_utils.Database(conn)


def disk_full(error: BaseException | str) -> bool:
    """Whether SQLite's error is SQLITE_FULL: "database or disk is full"."""
    if isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) is not None:
        return error.sqlite_errorcode == sqlite3.SQLITE_FULL
    return "database or disk is full" in str(error)


def finish(db: sqlite_utils.Database, full: bool = False) -> tuple[bool, bool]:
    """After a batch: rebuild the rollups, gather statistics for the query planner, and fold
    the write-ahead log into the database file, leaving the single file that ``datasette
    serve -i`` (immutable) needs. Another loader still writing keeps it in WAL mode; the
    last one to finish folds it. Once the disk is ``full`` the rollups stay as they were
    (the queries see they are stale and read the line tables): writing them would add to the
    log what the database file has no room to take. Returns (rollups rebuilt, file folded)."""
    from . import rollups

    rebuilt = False
    if not full:
        try:
            with transaction(db):
                rollups.rebuild(db)
            rebuilt = True
            db.execute("analyze")
        except sqlite3.OperationalError as e:
            if not disk_full(e):
                raise
    try:
        db.execute("pragma wal_checkpoint(truncate)")
        db.execute("pragma journal_mode = delete")
    except sqlite3.OperationalError:
        pass  # busy: another process has the file open, or no room to fold the log
    return rebuilt, db.execute("pragma journal_mode").fetchone()[0] != "wal"


def disk_full_message(db_path, file: str | None, kept: int, folded: bool) -> str:
    """The one sentence for a batch that a full disk stopped at ``file``, or (None) that left
    no room for the rollups once every document was written."""
    documents, are = (f"{kept} document", "is") if kept == 1 else (f"{kept} documents", "are")
    if file is None:
        message = (f"{db_path}: the disk is full, so the rollups were not rebuilt; the {documents} of this batch "
                   f"{are} kept, whole, and the canned queries read the line tables instead, more slowly; free "
                   "some space and run the same command again")
    else:
        what = f"the {documents} committed before it {are} kept, whole" if kept else "no document of this batch was kept"
        message = (f"{db_path}: the disk is full, so loading stopped at {file}; {what}; free some space and run "
                   "the same command again (documents already loaded are replaced, not doubled)")
    if not folded:
        message += (f"; until then it is in WAL mode, and `sqlite-utils disable-wal {db_path}` makes it the "
                    "single file that `datasette serve -i` needs")
    return message


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create every table and index that is missing (idempotent). Tables are never dropped,
    so a connection that has seen the schema complete does not look again."""
    if getattr(db.conn, "schema_ready", False):
        return
    from . import checks
    for system, (name, _) in classification.SYSTEMS.items():
        if not db[name].exists():
            db[name].create(CODE_COLUMNS, pk="code", foreign_keys=[("parent", name, "code")])
            # the whole reference list, so every code can be browsed and labelled
            db[name].insert_all(classification.reference(system).values(), ignore=True)
    if not db["documents"].exists():
        db["documents"].create(DOCUMENT_COLUMNS, pk="slug")
    if not db["document_tables"].exists():
        db["document_tables"].create(
            DOCUMENT_TABLE_COLUMNS, pk=("document", "role"), foreign_keys=[("document", "documents", "slug")]
        )
    for name, (columns, fks, indexes) in SCHEMA.items():
        if db[name].exists():
            # a database written before a column was added: the column, empty for old rows
            present = db[name].columns_dict
            for column, kind in columns.items():
                if column not in present:
                    db[name].add_column(column, kind)
            continue
        db[name].create(columns, pk="id", foreign_keys=[("document", "documents", "slug")] + fks)
        for index in indexes:
            db[name].create_index(index, if_not_exists=True)
    for sql in comparisons.INDEXES_SQL:
        db.execute(sql)
    from . import rollups, search

    checks.ensure_checks_table(db)
    search.ensure_fts(db)
    if not db["rollup_state"].exists():
        rollups.rebuild(db)  # creates the rollup tables; documents not yet rolled up make them stale
    db.conn.schema_ready = True


def delete_document(db: sqlite_utils.Database, slug: str) -> None:
    for name in list(SCHEMA) + ["document_tables", "checks", "prior_year"]:
        if db[name].exists():
            db.execute(f"delete from [{name}] where document = ?", [slug])
    db.execute("delete from documents where slug = ?", [slug])


@dataclass
class Prepared:
    """Everything to write for one document, computed without the database, so that it can
    be done in a worker process while the main process writes the previous document. Only
    rows cross between the processes, not the parsed document."""

    slug: str
    document: dict  # the documents row, but for loaded_at and source_url (set when written)
    rows: dict[str, list[dict]]
    codes: list[tuple[str, list[dict], bool]]  # (code table, rows, whether the rows replace)
    checks: list[dict]
    prior_year: list[dict]
    unparsed: int
    warnings: list[str]
    previous: dict | None = None  # set when written: the document of the same identity it replaced


def prepare(doc: Disclosure) -> Prepared:
    from . import checks

    rows = document_rows(doc)
    check_rows, prior_year = checks.compute_checks(doc)
    return Prepared(doc.slug, {**document_row(doc, rows), **checks.check_status(check_rows)}, rows,
                    code_rows(doc), check_rows, prior_year, len(doc.unparsed), doc.warnings)


def write_document(db: sqlite_utils.Database, prepared: Prepared, source_url: str | None = None,
                   replace: bool = False) -> dict:
    """Replace one document's rows, whole or not at all; returns rows written per table.

    A document of the same identity loaded from another file is an :class:`IdentityConflict`
    unless ``replace``; see :func:`previous_load`."""
    from . import checks, search

    slug = prepared.slug
    counts: dict[str, int] = {}
    with transaction(db):
        ensure_schema(db)
        if previous_load(db, prepared, replace):
            search.unindex_document(db, slug)
            delete_document(db, slug)
        rows = prepared.rows
        loaded_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        insert_rows(db, "documents", DOCUMENT_COLUMNS,
                    [{**prepared.document, "source_url": source_url, "loaded_at": loaded_at}])
        for table, table_rows in rows.items():
            columns = DOCUMENT_TABLE_COLUMNS if table == "document_tables" else SCHEMA[table][0]
            insert_rows(db, table, columns, table_rows)
            counts[table] = len(table_rows)
        for table, code_rows_, replace in prepared.codes:
            if replace:
                insert_rows(db, table, CODE_COLUMNS, code_rows_, upsert_key="code")
            else:
                insert_rows(db, table, CODE_COLUMNS, code_rows_, verb="insert or ignore")
        search.index_document(db, slug, [t for t, r in rows.items() if r])
        insert_rows(db, "checks", checks.CHECK_COLUMNS, prepared.checks)
        insert_rows(db, "prior_year", checks.PRIOR_YEAR_COLUMNS, prepared.prior_year)
    return counts


class IdentityConflict(DocumentError):
    """A file whose identity (department, year, level, phase) is already loaded from another file."""


def previous_load(db: sqlite_utils.Database | sqlite3.Connection, prepared: Prepared,
                  replace: bool) -> dict | None:
    """The loaded document this one replaces (``None`` if its identity is new), recorded in
    ``prepared.previous`` with ``same_file``: loading the same file again (same name or same
    content) replaces its rows; a different file of the same identity is refused, with a
    sentence naming the file loaded before (the caller names the new one), unless ``replace``."""
    row = db.execute("select source_file, sha256 from documents where slug = ?", [prepared.slug]).fetchone()
    if row is None:
        return None
    source_file, sha256 = row
    same = source_file == prepared.document["source_file"] or sha256 == prepared.document["sha256"]
    if not same and not replace:
        raise IdentityConflict(
            f"{prepared.slug} is already loaded from {source_file}, a "
            "different file; give --replace to replace it with this one, or a --manifest row that gives "
            "this file its own department, year, level or phase")
    prepared.previous = {"slug": prepared.slug, "source_file": source_file, "same_file": same}
    return prepared.previous


def refuse_conflict_unopened(db_path: str | Path, prepared: Prepared, replace: bool) -> None:
    """:func:`previous_load` on a read-only connection, before the loader opens the database for
    writing (which changes the file even when nothing is written)."""
    if not Path(db_path).is_file():
        return
    try:
        conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    except sqlite3.DatabaseError:
        return  # the write's own check still refuses it
    try:
        if conn.execute("select 1 from sqlite_master where type = 'table' and name = 'documents'").fetchone():
            previous_load(conn, prepared, replace)
    except sqlite3.DatabaseError:
        pass  # not readable read-only (another writer's log, say): the write's own check still refuses it
    finally:
        conn.close()
    prepared.previous = None  # set again by the write


def insert_rows(db: sqlite_utils.Database, table: str, columns: dict, rows: list[dict], *,
                verb: str = "insert", upsert_key: str | None = None) -> None:
    """Insert rows into a table of the loader's own schema: one prepared statement over every
    row (``executemany``), the integer ``id`` left to SQLite. ``verb="insert or ignore"``
    keeps rows already there; ``upsert_key`` updates them instead (as sqlite-utils' ``upsert_all``).

    sqlite-utils' ``insert_all`` inspects each value to JSON-encode lists and dicts; these rows
    hold only strings, numbers and nulls, and their columns are declared in the schema, so they
    go to SQLite as they are, several times faster. A column the schema does not declare is an
    error, as it would be for ``insert_all``.
    """
    if not rows:
        return
    names = [c for c in columns if c != "id"]
    declared = set(names)
    for row in rows:
        if not row.keys() <= declared:
            raise ValueError(f"{table} has no column {', '.join(sorted(row.keys() - declared))}")
    sql = "{} into {} ({}) values ({})".format(
        verb, escape_sqlite(table), ", ".join(map(escape_sqlite, names)), ", ".join("?" * len(names)))
    if upsert_key:
        sql += f" on conflict ({escape_sqlite(upsert_key)}) do update set " + ", ".join(
            f"{escape_sqlite(c)} = excluded.{escape_sqlite(c)}" for c in names if c != upsert_key)
    db.conn.executemany(sql, [tuple(map(row.get, names)) for row in rows])


def document_row(doc: Disclosure, rows: dict) -> dict:
    line_tables = ("function_income", "function_expenditure", "function_budget_expenditure",
                   "economic_expenditure", "economic_basic_expenditure", "sangong_items",
                   "procurement_items", "summary_items", "appropriation_expenditure",
                   "project_expenditure", "department_basic_expenditure", *ECONOMIC_LINE_TABLES.values())
    return {
        "slug": doc.slug,
        "title": doc.title,
        **doc.meta,
        "source_file": doc.source.path.name,
        "sha256": doc.source.sha256,
        "line_count": len(doc.source.lines),
        "table_count": sum(1 for t in doc.tables),
        "row_count": sum(len(rows.get(t, [])) for t in line_tables),
        "unparsed_count": len(doc.unparsed),
        "warning_count": len(doc.warnings),
        "warnings": json.dumps(doc.warnings, ensure_ascii=False),
    }


def _where(row: dict, doc: Disclosure) -> dict:
    return {"document": doc.slug, "page": row.get("page"), "line": row.get("line")}


def _function_parts(code: str) -> dict:
    cls, section, _ = classification.parts(code, "function")
    return {"function_code": code, "function_class": cls, "function_section": section}


def _inferred(row: dict) -> dict:
    """``code_inferred``: 1 where the code was matched from the printed name, else 0."""
    return {"code_inferred": 1 if row.get("inferred_code") else 0}


def _economic_parts(code: str | None, prefix: str) -> dict:
    if not code:
        return {f"{prefix}_code": None, f"{prefix}_class": None}
    return {f"{prefix}_code": code, f"{prefix}_class": code[:3]}


def document_rows(doc: Disclosure) -> dict[str, list[dict]]:
    """Every row to write for a document, keyed by table."""
    out: dict[str, list[dict]] = {name: [] for name in SCHEMA}
    out["document_tables"] = []
    for table in doc.tables:
        out["document_tables"].append(_document_table_row(doc, table))
        _table_rows(doc, table, out)
    for role in doc.missing_roles:
        out["document_tables"].append({
            "document": doc.slug, "role": role, "title": None, "unit": None, "page": None,
            "first_line": None, "last_line": None, "columns": "[]", "row_count": 0,
            "status": "missing", "notes": None,
        })
    for u in doc.unparsed:
        out["unparsed"].append({**_where(u, doc), "table_role": u.get("table_role"), "text": u["text"],
                                "reason": u["reason"]})
    _narrative_rows(doc, out)
    return out


def _document_table_row(doc: Disclosure, table: ParsedTable) -> dict:
    return {
        "document": doc.slug, "role": table.role, "title": table.title, "unit": table.unit,
        "page": table.page, "first_line": table.first_line, "last_line": table.last_line,
        "columns": json.dumps(table.columns), "row_count": len(table.rows), "status": table.status,
        "notes": "\n".join(table.notes) or None,
    }


def _table_rows(doc: Disclosure, table: ParsedTable, out: dict) -> None:
    role = table.role
    for total in table.totals:
        for column, amount in total["values"].items():
            out["declared_totals"].append({
                **_where(total, doc), "table_role": role, "kind": total["kind"], "label": total.get("label"),
                "code": total.get("code"), "side": total.get("side"), "column": column, "amount": amount,
            })
    if role in ("summary", "appropriation_summary"):
        for seq, row in enumerate(table.rows, start=1):
            out["summary_items"].append({
                **_where(row, doc), "statement": role, "side": row["side"], "seq": seq, "item": row["item"],
                "name": row["name"], "depth": row["depth"], "parent": row["parent"],
                "amount": row["values"]["amount"],
                "other_amounts": json.dumps(row["extra_amounts"]) if row["extra_amounts"] else None,
            })
    elif role == "income":
        for row in table.rows:
            out["function_income"].append({**_where(row, doc), **_function_parts(row["code"]),
                                           "name": row["name"], **_inferred(row), **row["values"]})
    elif role == "expenditure":
        for row in table.rows:
            out["function_expenditure"].append({**_where(row, doc), **_function_parts(row["code"]),
                                                "name": row["name"], **_inferred(row), **row["values"]})
    elif role == "appropriation_expenditure":
        for row in table.rows:
            out["appropriation_expenditure"].append({**_where(row, doc), **_function_parts(row["code"]),
                                                     "name": row["name"], **_inferred(row), **row["values"]})
    elif role in FUNDS:
        for row in table.rows:
            out["function_budget_expenditure"].append({
                **_where(row, doc), "fund": FUNDS[role], **_function_parts(row["code"]),
                "name": row["name"], **_inferred(row), **row["values"]})
    elif role == "economic_expenditure":
        for row in table.rows:
            out["economic_expenditure"].append({
                **_where(row, doc), **_economic_parts(row["code"], "economic"),
                "economic_name": row["economic_name"],
                **_economic_parts(row["government_code"], "government"),
                "government_name": row["government_name"], **_inferred(row), **row["values"]})
    elif role == "basic_expenditure" or role in ECONOMIC_LINE_TABLES:
        for row in table.rows:
            out[ECONOMIC_LINE_TABLES.get(role, "economic_basic_expenditure")].append({
                **_where(row, doc), **_economic_parts(row["code"], "economic"), "name": row["name"],
                **_inferred(row), **row["values"]})
    elif role == "project_expenditure":
        for row in table.rows:
            parts = _function_parts(row["code"]) if row["code"] else {
                "function_code": None, "function_class": None, "function_section": None}
            out["project_expenditure"].append({
                **_where(row, doc), **parts, "function_name": row["name"], "seq": row["seq"],
                "category": row["category"], "parent_project": row["parent_project"], "project": row["project"],
                "unit_name": row["unit_name"], **row["values"], "performance_target": row["performance_target"]})
    elif role == "department_basic_expenditure":
        for row in table.rows:
            out["department_basic_expenditure"].append({
                **_where(row, doc), "unit_name": row["unit_name"], "item": row["project"], **row["values"]})
    elif role == "sangong":
        for seq, row in enumerate(table.rows, start=1):
            out["sangong_items"].append({
                **_where(row, doc), "seq": seq, "item": row["item"], "label": row["label"],
                "kind": row["kind"], "depth": row.get("depth", 1), "amount": row["values"]["amount"],
                "budget_amount": row["values"].get("budget_amount"), "unit_name": row.get("unit_name"),
                "prior_year_amount": row["values"].get("prior_year_amount"),
                "carryover_amount": row["values"].get("carryover_amount")})
    elif role == "procurement":
        for row in table.rows:
            quantity, amount = row["values"]["quantity"], row["values"]["amount"]
            out["procurement_items"].append({
                **_where(row, doc), "function_code": row["code"], "unit_name": row["unit_name"],
                "category": row["category"], "item": row["item"], "spec": row["spec"],
                "measure": row["measure"], "quantity": quantity, "amount": amount,
                "unit_price": round(amount / quantity, 2) if quantity else None})


def _narrative_rows(doc: Disclosure, out: dict) -> None:
    story = doc.narrative
    for d in story.get("duties", []):
        out["duties"].append({**_where(d, doc), "seq": d["seq"], "text": d["text"]})
    seqs: dict[str, int] = {}
    for o in story.get("organisation", []):
        seqs[o["kind"]] = seqs.get(o["kind"], 0) + 1
        out["organisation"].append({**_where(o, doc), "kind": o["kind"], "seq": seqs[o["kind"]], "name": o["name"]})
    for s in story.get("staffing", []):
        out["staffing"].append({**_where(s, doc), "category": s["category"], "count": s["count"]})
    for v in story.get("vehicles", []):
        out["vehicles"].append({**_where(v, doc), "kind": v["kind"], "count": v["count"], "as_of": v.get("as_of")})
    for g in story.get("glossary", []):
        out["glossary"].append({**_where(g, doc), "seq": g["seq"], "term": g["term"], "definition": g["definition"]})
    for s in story.get("sections", []):
        out["narrative"].append({"document": doc.slug, "page": s.get("page"), "line": s.get("first_line"),
                                 "last_line": s.get("last_line"), "part": s.get("part"),
                                 "heading": s.get("heading"), "text": s.get("text")})
    for seq, t in enumerate(doc.performance.get("targets", []), start=1):
        out["performance_targets"].append({
            "document": doc.slug, "page": t.get("page"), "line": t.get("first_line"),
            "last_line": t.get("last_line"), "seq": seq, "kind": t.get("kind"), "name": t.get("name"),
            "title": t.get("title"), "fields": json.dumps(t.get("fields", {}), ensure_ascii=False)})
    for i in doc.performance.get("indicators", []):
        out["performance_indicators"].append({
            **_where(i, doc), "target": i.get("target"), "level1": i.get("level1"), "level2": i.get("level2"),
            "level3": i.get("level3"), "value": i.get("value"), "unit": i.get("unit")})


PARENT_SUFFIX_RE = re.compile(r"^(?P<name>.+?)（(?P<parent>.+)）$")


def document_code_names(doc: Disclosure) -> dict[str, dict[str, str]]:
    """Code → name as the document prints it, per code system.

    Zhengzhou prints ``行政运行（政府办公厅（室）及相关机构事务）``: the parent's name in
    brackets to tell apart names that repeat under different parents. The code already
    does that, so the bracket is dropped when it is the parent's name.
    """
    names: dict[str, dict[str, str]] = {"function": {}, "economic": {}, "government": {}}
    for table in doc.tables:
        rows = table.rows + [t for t in table.totals if t.get("kind") == "subtotal"]
        for row in rows:
            code, name = row.get("code"), row.get("name")
            if not code or not name:
                continue
            if table.role in ("economic_expenditure",):
                names["economic"][code] = row["economic_name"]
                if row.get("government_code") and row.get("government_name"):
                    names["government"][row["government_code"]] = row["government_name"]
            elif table.role == "basic_expenditure":
                names["economic"][code] = name
            elif table.role != "procurement":
                names["function"][code] = _without_parent_suffix(code, name)
    return names


def _without_parent_suffix(code: str, name: str) -> str:
    m = PARENT_SUFFIX_RE.match(name)
    parent = classification.parent_of(code)
    if m and parent:
        ref = classification.reference("function").get(parent)
        if ref and ref["name"] == m.group("parent"):
            return m.group("name")
    return name


def code_rows(doc: Disclosure) -> list[tuple[str, list[dict], bool]]:
    """The codes a document uses, with their parents, for the code tables: (table, rows,
    replace). Its own names replace earlier ones; reference and missing codes are added only
    where absent."""
    out = []
    for system, names in document_code_names(doc).items():
        table = classification.SYSTEMS[system][0]
        rows = classification.code_rows(system, names)
        out.append((table, [r for r in rows if r["source"] == "document"], True))
        out.append((table, [r for r in rows if r["source"] != "document"], False))
    # procurement rows point at function codes too
    codes = {r["code"] for t in doc.tables if t.role == "procurement" for r in t.rows if r.get("code")}
    if codes:
        ref = classification.reference("function")
        extra = []
        for code in codes:
            for part in classification.parts(code):
                if part:
                    extra.append(ref.get(part) or {"code": part, "name": None, "level": classification.level_of(part),
                                                   "parent": classification.parent_of(part), "verified": 0,
                                                   "source": "missing"})
        out.append(("function_codes", extra, False))
    return out


# What a document in a folder is named: a PDF or extracted text. Other files (README.md,
# a .csv of figures, a .json manifest …) are skipped with a note; named directly, any file is read.
DOCUMENT_SUFFIXES = {".pdf", ".txt", ".text"}


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[dict]]:
    """The regular files named directly, and the documents inside named folders (sorted,
    hidden ones skipped); and every other path met, with the sentence that says why it was
    skipped: ``{"file", "error"}`` for a folder that cannot be listed, a FIFO or device, a
    broken link, a link back to a folder already read; ``{"file", "note"}`` for a file of a
    folder that is not a document (:data:`DOCUMENT_SUFFIXES`). Nothing is opened but folders."""
    files: list[Path] = []
    skipped: list[dict] = []
    folders: set[tuple[int, int]] = set()

    def skip(path: Path, error: str) -> None:
        skipped.append({"file": str(path), "error": error})

    def visit(path: Path, named: bool = False) -> None:
        try:
            info = path.stat()
        except OSError as e:
            return skip(path, f"{path}: cannot be read ({e.strerror}); expected a budget disclosure file or a folder of them")
        if stat.S_ISREG(info.st_mode):
            if named or path.suffix.lower() in DOCUMENT_SUFFIXES:
                files.append(path)
            else:
                skipped.append({"file": str(path), "note": f"{path}: skipped, not a document (expected "
                                f"{', '.join(sorted(DOCUMENT_SUFFIXES))} files in a folder)"})
        elif not stat.S_ISDIR(info.st_mode):
            skip(path, not_regular(path, info.st_mode))
        elif (info.st_dev, info.st_ino) in folders:
            skip(path, f"{path}: is a link to a folder already read, so it was not read again")
        else:
            folders.add((info.st_dev, info.st_ino))
            try:
                with os.scandir(path) as entries:
                    names = sorted(e.name for e in entries if not e.name.startswith("."))
            except OSError as e:
                return skip(path, f"{path}: the folder cannot be read ({e.strerror}), so none of its files were loaded")
            for name in names:
                visit(path / name)

    for p in map(Path, paths):
        visit(p, named=True)
    return files, skipped


def _prepare(args) -> tuple[Path, Prepared | None, str | None]:
    path, extractor, max_size, identity = args
    try:
        return path, prepare(read_disclosure(path, extractor, identity, max_size)), None
    except DocumentError as e:
        return path, None, str(e)


def prepared_in_order(files: list[Path], extractor: str, jobs: int, max_size: int | None,
                      identities: dict[Path, dict] | None = None) -> Iterator[tuple]:
    """(path, prepared, error) per file, in order. With ``jobs > 1`` files are read and
    checked in worker processes, at most ``4 × jobs`` ahead of the writer, so memory stays
    flat however long the batch."""
    tasks = ((f, extractor, max_size, (identities or {}).get(f)) for f in files)
    if jobs <= 1 or len(files) <= 1:
        yield from map(_prepare, tasks)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending = deque(pool.submit(_prepare, t) for t in itertools.islice(tasks, 4 * jobs))
        try:
            while pending:
                result = pending.popleft().result()
                for task in itertools.islice(tasks, 1):
                    pending.append(pool.submit(_prepare, task))
                yield result
        except GeneratorExit:  # the writer stopped (a full disk): read no more files
            pool.shutdown(cancel_futures=True)
            raise


def with_full_path(path: Path, warnings: list[str]) -> list[str]:
    """The warnings as the terminal shows them, each naming the file by its full path. The
    database keeps them with the file's name: a path would publish the loader's folders."""
    return [f"{path}{w[len(path.name):]}" if w.startswith(f"{path.name}: ") else w for w in warnings]


def load_paths(
    db_path: str | Path,
    paths: Iterable[str | Path],
    *,
    source_url: str | None = None,
    extractor: str = "auto",
    jobs: int = 1,
    max_file_size: int | None = DEFAULT_MAX_FILE_SIZE,
    on_document: Callable[[dict], None] | None = None,
    replace: bool = False,
    identities: dict[Path, dict] | None = None,
) -> dict:
    """Load every file into ``db_path``; each document is written whole or not at all.

    ``load_paths("budget.db", ["data/documents"])`` returns ``{"files": 2, "loaded": [...],
    "failed": [...], "skipped": [...]}``: the regular files found, and an entry per file
    committed, per file that failed and per path skipped (:func:`expand_paths`). A file that
    fails is reported and does not stop the batch, nor undo other files. Documents are
    committed in groups (:class:`Batch`); ``loaded`` lists committed ones only.
    ``identities`` maps a file to what a manifest says of it (:func:`read.identity.manifest_identities`);
    ``replace`` lets a file replace a document of its identity loaded from another file.
    """
    files, skipped = expand_paths(paths)
    identities = identities or {}
    report: dict = {"files": len(files), "loaded": [], "failed": [], "skipped": skipped}
    batch = Batch(db_path)  # opens the database with the first document that parses
    full: dict = {}  # once the disk is full: the file the batch stopped at

    def settle() -> None:
        entries, error = batch.commit()
        if not error:
            report["loaded"].extend(entries)
        elif full or disk_full(error):
            full.setdefault("file", entries[0]["file"])  # uncommitted, they are not kept
        else:
            report["failed"].extend({"file": e["file"], "error": f"{e['file']}: could not be written to "
                                     f"{db_path} ({error})"} for e in entries)

    try:
        for path, prepared, error in prepared_in_order(files, extractor, jobs, max_file_size, identities):
            if error:
                entry = {"file": str(path), "error": error}
                report["failed"].append(entry)
            else:
                try:
                    counts = batch.write(prepared, identities.get(path, {}).get("source_url") or source_url,
                                         replace)
                except IdentityConflict as e:
                    entry = {"file": str(path), "error": f"{path}: {e}"}
                    report["failed"].append(entry)
                except sqlite3.DatabaseError as e:
                    if disk_full(e):
                        # every file after it would fail the same way: stop, keeping what fits
                        full["file"] = str(path)
                        settle()
                        break
                    entry = {"file": str(path), "error": write_error(path, db_path, e)}
                    report["failed"].append(entry)
                    if batch.pending and not batch.open:
                        settle()  # the documents before it went with the transaction
                else:
                    entry = {"file": str(path), "slug": prepared.slug,
                             "rows": {k: v for k, v in counts.items() if v},
                             "unparsed": prepared.unparsed, "warnings": with_full_path(path, prepared.warnings),
                             "previous": prepared.previous}
                    batch.pending.append(entry)
                if batch.due():
                    settle()
            if on_document:
                on_document(entry)
            if full:
                break
    finally:
        if batch.db is not None:
            settle()  # also when interrupted: the documents written whole are kept
            rebuilt, folded = finish(batch.db, full=bool(full))
            batch.db.close()
            if full or not rebuilt:
                report["failed"].append({"file": full.get("file", str(db_path)), "error": disk_full_message(
                    db_path, full.get("file"), len(report["loaded"]), folded)})
    return report
