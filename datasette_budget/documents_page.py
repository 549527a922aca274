"""The documents page: what is loaded, with each document's check status, unparsed lines,
tables, and links to its rows.

- ``/-/budget/documents``: HTML, every budget database (``?_database=budget`` for one)
- ``/-/budget/documents.json``: the same as JSON

Paginated: ``_size`` documents a page (default 100), ``_next`` from the previous page's
``next`` link. The query runs under Datasette's ``sql_time_limit_ms``; past it the page is
a 400 that names the limit, as Datasette's own views answer.
"""
from __future__ import annotations

from urllib.parse import urlencode

from datasette.database import QueryInterrupted
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response

from . import validation
from .comparisons import CONSOLIDATES
from .embed import cors_headers

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

# Line tables linked from each document, with their labels.
ROW_LINKS = [
    ("function_expenditure", "功能分类支出"),
    ("function_income", "收入"),
    ("economic_expenditure", "经济分类支出"),
    ("economic_basic_expenditure", "基本支出"),
    ("sangong_items", "三公经费"),
    ("procurement_items", "政府采购"),
    ("project_expenditure", "项目支出"),
    ("performance_targets", "绩效目标"),
    ("narrative", "说明"),
]
QUERY_LINKS = [("expenditure_by_function", "按功能分类汇总"), ("expenditure_by_economic", "按经济分类汇总")]


def routes():
    return [(r"^/-/budget/documents(?P<format>\.json)?$", documents_view)]


def documents_sql(columns: set[str], tables: set[str]) -> str:
    """One row per document; optional parts only when this database has them."""
    check_status = "d.check_status" if "check_status" in columns else "null"
    if "checks" in tables:
        checks = """
  (select count(*) from checks c where c.document = d.slug) as checks,
  (select count(*) from checks c where c.document = d.slug and c.status = 'fail') as failed_checks,"""
    else:
        checks = "\n  null as checks,\n  null as failed_checks,"
    return f"""
select
  d.slug, d.title, d.department, d.unit_code, d.region, d.year, d.phase, d.level,
  d.source_file, d.source_url, d.loaded_at, d.row_count, d.unparsed_count, d.warning_count,
  {check_status} as check_status,{checks}
  (select count(*) from document_tables t where t.document = d.slug and t.status != 'missing') as tables_found,
  (select count(*) from document_tables t where t.document = d.slug and t.status = 'missing') as tables_missing,
  (select group_concat(p.slug, ', ') from documents p where {CONSOLIDATES}) as consolidated_in
from (
  select * from documents
  order by department, year, level, phase, slug
  limit :limit offset :offset
) d
order by d.department, d.year, d.level, d.phase, d.slug
"""


def _status(row: dict) -> str | None:
    """The document's check status: its own column when the loader wrote one, else from checks."""
    if row["check_status"]:
        return row["check_status"]
    if not row["checks"]:
        return None
    return "fail" if row["failed_checks"] else "pass"


def _link(datasette, database: str, table: str, slug: str) -> str:
    return datasette.urls.table(database, table) + "?" + urlencode({"document": slug})


async def database_documents(datasette, database: str, size: int = PAGE_SIZE, offset: int = 0) -> dict:
    """One page of a database's documents: ``{"documents", "count", "next"}``.

    Raises QueryInterrupted past ``sql_time_limit_ms``.
    """
    db = datasette.get_database(database)
    tables = set(await db.table_names())
    columns = set(await db.table_columns("documents"))
    count = (await db.execute("select count(*) from documents")).rows[0][0]
    result = await db.execute(documents_sql(columns, tables), {"limit": size, "offset": offset})
    documents = []
    for row in result.rows:
        doc = dict(row)
        slug = doc["slug"]
        doc["check_status"] = _status(doc)
        doc["url"] = datasette.urls.row(database, "documents", tilde_encode(slug))
        doc["links"] = [
            {"label": label, "table": table, "url": _link(datasette, database, table, slug)}
            for table, label in ROW_LINKS
            if table in tables
        ] + [
            {"label": label, "query": query,
             "url": datasette.urls.query(database, query) + "?" + urlencode({"document": slug})}
            for query, label in QUERY_LINKS
        ]
        # a source URL is the publisher's word: link it only when it is a web address
        doc["source_href"] = validation.web_url(doc["source_url"])
        doc["checks_url"] = _link(datasette, database, "checks", slug) if "checks" in tables else None
        doc["unparsed_url"] = _link(datasette, database, "unparsed", slug)
        doc["tables_url"] = _link(datasette, database, "document_tables", slug)
        documents.append(doc)
    following = offset + size
    return {"documents": documents, "count": count, "offset": offset,
            "next": str(following) if following < count else None}


async def _can_view(datasette, actor, database: str) -> bool:
    if hasattr(datasette, "allowed"):  # 1.0a
        from datasette.resources import DatabaseResource

        return await datasette.allowed(action="view-database", resource=DatabaseResource(database), actor=actor)
    visible, _ = await datasette.check_visibility(
        actor, permissions=[("view-database", database), "view-instance"]
    )
    return visible


def _page_url(datasette, format: str | None, params: dict) -> str:
    return datasette.urls.path("/-/budget/documents" + (format or "")) + ("?" + urlencode(params) if params else "")


async def documents_view(datasette, request):
    from .render import budget_databases

    format = request.url_vars.get("format")
    headers = cors_headers(datasette, {}) if format else {}

    def error(message: str, status: int) -> Response:
        if format:
            return Response.json({"ok": False, "error": message, "status": status}, status=status, headers=headers)
        return Response.text(message, status=status)

    try:
        wanted = validation.single(request.args, "_database")
        size = validation.natural("_size", validation.single(request.args, "_size"), default=PAGE_SIZE,
                                  low=1, high=MAX_PAGE_SIZE)
        offset = validation.natural("_next", validation.single(request.args, "_next"), default=0,
                                    help="the next link of the page before")
    except validation.InvalidParameter as e:
        return error(e.message, e.status)
    names = sorted(budget_databases(datasette))
    if wanted:
        if wanted not in names:
            return error(f"No budget database named {validation.shown(wanted)}"
                         + (f"; try {', '.join(names)}." if names else "."), 404)
        names = [wanted]
    elif offset:
        # _next pages through one database
        return error("_next needs _database, as in the page's next link.", 400)
    databases = []
    for name in names:
        if not await _can_view(datasette, request.actor, name):
            continue
        try:
            page = await database_documents(datasette, name, size, offset)
        except QueryInterrupted:
            limit = getattr(datasette, "sql_time_limit_ms", None) or datasette.setting("sql_time_limit_ms")
            return error(
                f"Listing the documents of {name} took longer than sql_time_limit_ms ({limit} ms); "
                "ask for fewer with _size, or raise the limit with --setting sql_time_limit_ms.", 400
            )
        next_params = {"_database": name, "_next": page["next"]}
        if size != PAGE_SIZE:
            next_params["_size"] = size
        databases.append({
            "name": name, "url": datasette.urls.database(name), **page,
            "next_url": _page_url(datasette, format, next_params) if page["next"] else None,
        })
    if format:
        return Response.json({"ok": True, "databases": databases}, headers=headers)
    html = await datasette.render_template(
        "budget_documents.html",
        {"databases": databases, "json_url": _page_url(datasette, ".json", {
            k: v for k, v in {"_database": wanted, "_size": size if size != PAGE_SIZE else None,
                              "_next": offset or None}.items() if v})},
        request=request,
    )
    return Response.html(html)
