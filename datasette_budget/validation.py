"""Every parameter the plugin reads from a request, checked in one place and the same way
on every route (chart specs and images, embed pages, query pages, the documents page, the
hierarchy facet). A value that is not valid raises :class:`InvalidParameter`, which each
view answers with a 400 that names the parameter and lists what it takes.

Numbers are ASCII digits only: ``str.isdigit()`` is true for ``²``, ``①`` and a full-width
``１``, and ``int()`` of a 4,300-digit string raises, so neither is used on a raw value.

``level("2", 3) == 2``; ``level("１", 3)`` raises ``InvalidParameter``.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

LEVEL_NAMES = {1: "类", 2: "款", 3: "项"}
SYSTEMS = {"department": "部门经济分类", "government": "政府经济分类"}

_DIGITS = re.compile(r"[0-9]{1,18}")
# codes are 3 to 7 digits (functional 201 / 20103 / 2010301, economic 301 / 30101)
_CODE = re.compile(r"[0-9]{3,12}")
MAX_SHOWN = 40  # characters of a rejected value quoted back in a message


class InvalidParameter(ValueError):
    """A parameter that is not valid; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def shown(value) -> str:
    """A rejected value quoted back, cut short: a 100 KB value is not echoed whole."""
    text = str(value)
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…")


def natural(name: str, raw: str | None, *, default: int | None = None, low: int = 0,
            high: int | None = None, help: str | None = None) -> int | None:
    """An integer written in ASCII digits, within ``low..high``; ``default`` when empty."""
    raw = (raw or "").strip()
    if not raw:
        return default
    if _DIGITS.fullmatch(raw):
        value = int(raw)
        if value >= low and (high is None or value <= high):
            return value
    within = f"{low} to {high}" if high is not None else f"{low} or more"
    raise InvalidParameter(f"{name} must be {help or 'a whole number from ' + within}; got {shown(raw)}.")


def levels_text(levels: int) -> str:
    choices = [f"{n}（{LEVEL_NAMES.get(n, n)}）" for n in range(1, levels + 1)]
    return "、".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


def level(raw: str | None, levels: int, default: int = 1) -> int:
    """A classification level, 1 (类) to ``levels``."""
    return natural("level", raw, default=default, low=1, high=levels, help=levels_text(levels))


def system(raw: str | None) -> str:
    raw = (raw or "").strip() or "department"
    if raw not in SYSTEMS:
        raise InvalidParameter(
            f"system must be department（部门经济分类） or government（政府经济分类）; got {shown(raw)}."
        )
    return raw


def code(name: str, raw: str | None) -> str | None:
    """A classification code: ASCII digits such as 201, 20103 or 2010301."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not _CODE.fullmatch(raw):
        raise InvalidParameter(f"{name} must be a code of digits such as 201; got {shown(raw)}.")
    return raw


def single(args, name: str) -> str | None:
    """The one value of a parameter; two different values of it are a conflict, not a choice."""
    values = args.getlist(name) if hasattr(args, "getlist") else ([args[name]] if name in args else [])
    distinct = list(dict.fromkeys(values))
    if len(distinct) > 1:
        raise InvalidParameter(
            f"{name} is given {len(values)} times with different values; give it once."
        )
    return distinct[0] if distinct else None


def web_url(url) -> str | None:
    """A user-supplied URL (``--source-url``) to link, only when it is http(s); else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if re.match(r"https?://[^\s/]", url, re.I) and not re.search(r"[\x00-\x1f\x7f\s]", url):
        return url
    return None


# --- facet configurations -------------------------------------------------------------


def facet_column(config) -> str:
    """The column of one ``_facet_*`` configuration: ``"function_code"`` (a plain value)
    or ``{"column": "function_code"}`` (JSON). Anything else is a 400."""
    if isinstance(config, dict):
        column = config.get("column", config.get("simple"))
        if isinstance(column, str) and column and set(config) <= {"column", "simple"}:
            return column
    raise InvalidParameter(
        'A facet takes a column name or {"column": "<column>"}; got '
        + shown(json.dumps(config, ensure_ascii=False) if not isinstance(config, str) else config) + "."
    )


def facet_query_error(query_string: str) -> str | None:
    """The message for a ``_facet*`` parameter of a table URL that Datasette's facets
    would fail on (JSON that does not parse, or that names no column; a ``_facet_size``
    that is not ASCII digits or ``max``), or None.

    Datasette parses every ``_facet*`` value that starts with ``{`` as JSON for every
    facet type, so ``_facet_hierarchy={`` would otherwise be a 500 from its column facet.
    """
    if "_facet" not in query_string:
        return None
    for key, values in parse_qs(query_string, keep_blank_values=True).items():
        if not key.startswith("_facet"):
            continue
        if key == "_facet_size":
            # Datasette runs int() on any value isdigit() accepts, "²" included
            bad = [v for v in values if v not in ("", "max") and not _DIGITS.fullmatch(v)]
            if bad:
                return f"_facet_size must be a whole number or max; got {shown(bad[0])}."
            continue
        for value in values:
            if not value.startswith("{"):
                continue
            try:
                config = json.loads(value)
            except (ValueError, RecursionError):
                return f"{key} is not valid JSON: {shown(value)}."
            try:
                facet_column(config)
            except InvalidParameter as e:
                return f"{key}: {e.message}"
    return None


def query_string_error(query_string: str) -> str | None:
    """The message for a query string Datasette itself would answer with a 500, or None:
    a NUL character (SQLite refuses it in SQL text, as in ``_facet=%00`` or ``_where=%00``)
    or a ``_facet*`` parameter it cannot parse (:func:`facet_query_error`)."""
    if "%00" in query_string or "\x00" in query_string:
        for key, values in parse_qs(query_string, keep_blank_values=True).items():
            if "\x00" in key or any("\x00" in v for v in values):
                return f"{shown(key)[1:-1]} holds a NUL character (%00), which no parameter takes."
    return facet_query_error(query_string)


# Datasette's own facets, whose column names a table page runs as SQL
COLUMN_FACETS = ("_facet", "_facet_array", "_facet_date")


def facet_columns(query_string: str) -> list[tuple[str, str]]:
    """(parameter, column) of each column that Datasette's own facets are asked for:
    ``_facet=department`` or ``_facet={"column": "department"}``."""
    found = []
    for key, values in parse_qs(query_string, keep_blank_values=True).items():
        if key not in COLUMN_FACETS:
            continue
        for value in values:
            try:
                column = facet_column(json.loads(value)) if value.startswith("{") else value
            except (ValueError, RecursionError, InvalidParameter):
                continue  # facet_query_error's to say
            found.append((key, column))
    return found


async def unknown_facet_column(datasette, path: str, query_string: str) -> str | None:
    """The message for a table page whose ``_facet`` names a column the table does not have,
    or None. Datasette 0.65 answers that with a 400, 1.0a41 with a 500 (its column facet runs
    the SQL unchecked): both get this 400."""
    from datasette.utils import tilde_decode

    asked = facet_columns(query_string)
    parts = path.strip("/").split("/")
    if not asked or len(parts) != 2:
        return None
    database, table = tilde_decode(parts[0]), tilde_decode(parts[1].rsplit(".", 1)[0] if parts[1].endswith(
        (".json", ".csv")) else parts[1])
    if database not in datasette.databases:
        return None
    db = datasette.get_database(database)
    if not (await db.table_exists(table) or table in await db.view_names()):
        return None
    columns = set(await db.table_columns(table))
    for key, column in asked:
        if column not in columns:
            return f"{key}: {shown(column)} is not a column of {table}."
    return None


async def unknown_sort_column(datasette, path: str, query_string: str) -> str | None:
    """The message for a table page sorted by a column it does not have, or by ``_sort`` and
    ``_sort_desc`` at once, or None. Datasette 0.65 answers both with a 500 (its DatasetteError
    has no status), 1.0a41 with a 400 saying the same: both get that sentence as a 400."""
    from datasette.utils import tilde_decode

    asked = {k: v for k, v in parse_qs(query_string, keep_blank_values=True).items() if k in ("_sort", "_sort_desc")}
    parts = path.strip("/").split("/")
    if not asked or len(parts) != 2:
        return None
    if len(asked) == 2:
        return "Cannot use _sort and _sort_desc at the same time."
    database, name = tilde_decode(parts[0]), tilde_decode(parts[1])
    table = name.rsplit(".", 1)[0] if name.endswith((".json", ".csv")) else name
    if database not in datasette.databases:
        return None
    db = datasette.get_database(database)
    if not await db.table_exists(table):
        return None
    columns = set(await db.table_columns(table)) | {"rowid"}
    for key, values in asked.items():
        for column in values:
            if column and column not in columns:
                return f"Cannot sort table by {shown(column)[1:-1]}."
    return None


def request_guard(app, datasette=None):
    """ASGI middleware: a request Datasette would fail on (:func:`query_string_error`,
    :func:`unknown_facet_column`, :func:`unknown_sort_column`) gets a 400 naming the parameter,
    before Datasette parses it."""
    from html import escape

    async def guarded(scope, receive, send):
        query = scope.get("query_string", b"") if scope.get("type") == "http" else b""
        if b"_facet" in query or b"%00" in query or b"\x00" in query or b"_sort" in query:
            text = query.decode("utf-8", "replace")
            message = query_string_error(text)
            if not message and datasette is not None and b"_facet" in query:
                message = await unknown_facet_column(datasette, scope.get("path", ""), text)
            if not message and datasette is not None and b"_sort" in query:
                message = await unknown_sort_column(datasette, scope.get("path", ""), text)
            if message:
                if scope.get("path", "").endswith(".json"):
                    body = json.dumps({"ok": False, "error": message, "status": 400}, ensure_ascii=False)
                    content_type = b"application/json; charset=utf-8"
                else:
                    body = f"<!DOCTYPE html><title>Invalid parameter</title><p>{escape(message)}</p>"
                    content_type = b"text/html; charset=utf-8"
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", content_type)]})
                await send({"type": "http.response.body", "body": body.encode("utf-8")})
                return
        await app(scope, receive, send)

    return guarded
