"""Vega-Lite charts of the canned aggregation queries.

A chart is a named entry of configuration that says which canned query it runs and
how to draw the rows. ``DEFAULT_CHARTS`` ships with the plugin; the ``charts:`` key of
the plugin configuration overrides it per chart::

    plugins:
      datasette-budget:
        charts:
          sangong:
            unit: 元
          income_by_source: false

This module validates chart parameters, runs the canned query through Datasette (so
no execute-sql permission is needed), builds the Vega-Lite v6 spec from the full
result and renders it to SVG or PNG with vl-convert. The views live in ``embed.py``.
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from datasette.database import QueryInterrupted
from datasette.utils import derive_named_parameters

from . import render_worker, validation

PLUGIN = "datasette-budget"
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

# The browser bundle in static/, pinned; embed pages and query pages load these.
SCRIPTS = (
    "vega-6.2.0.min.js",
    "vega-lite-6.4.1.min.js",
    "vega-embed-7.3.0.min.js",
    "chart.js",
)

# Browsers pick the first family they have; vl-convert needs a CJK family it can
# find in the directories registered by ensure_fonts().
FONT = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)

LEVEL_NAMES = {1: "类", 2: "款", 3: "项"}
SYSTEM_NAMES = {"department": "部门经济分类", "government": "政府经济分类"}

DEFAULT_CHART = {
    "query": None,  # canned query to run; defaults to the chart's name
    "kind": "bar",  # bar | stacked
    "title": None,
    "label": "name",  # category column
    "code": None,  # code column, shown before the label and used to drill down
    "value": "total",  # amount column (bar)
    "values": None,  # {column: legend label} (stacked)
    "include": None,  # only rows whose label column is one of these, in this order
    "labels": None,  # {label column value: label shown}
    "unit": "万元",  # 万元 or 元; amounts are stored in 元
    "levels": None,  # highest allowed value of the level parameter
    "drill": False,  # bars link to the next level, filtered by ?parent=CODE
    "width": 560,  # width of the plot in SVG/PNG images; embed pages fit their frame
    "bar_step": 28,  # height of one bar in SVG/PNG images
}

DEFAULT_CHARTS: dict[str, dict[str, Any]] = {
    "expenditure_by_function": {
        "title": "支出功能分类（{level_name}）",
        "code": "code",
        "levels": 3,
        "drill": True,
    },
    "expenditure_basic_project": {
        "query": "expenditure_by_function",
        "kind": "stacked",
        "title": "基本支出和项目支出：支出功能分类（{level_name}）",
        "code": "code",
        "values": {"basic": "基本支出", "project": "项目支出"},
        "levels": 3,
        "drill": True,
    },
    "expenditure_by_economic": {
        "title": "支出{system_name}（{level_name}）",
        "code": "code",
        "levels": 2,
    },
    "basic_by_kind": {
        "title": "基本支出：人员经费和公用经费",
        "label": "kind",
        "value": "amount",
    },
    "sangong": {
        "title": "“三公”经费",
        "label": "kind",
        "value": "amount",
        "include": ["abroad", "reception", "vehicle_purchase", "vehicle_operation"],
        "labels": {
            "abroad": "因公出国（境）费",
            "reception": "公务接待费",
            "vehicle_purchase": "公务用车购置费",
            "vehicle_operation": "公务用车运行维护费",
        },
    },
    "income_by_source": {
        "title": "收入来源",
        "label": "source",
        "value": "amount",
    },
}

DEFAULT_CACHE_MAX_AGE = 3600

# Limits on what one chart request may cost, each a key of the plugin configuration.
DEFAULT_LIMITS = {
    "render_time_limit_ms": 5000,  # waiting for a free renderer, and drawing, per image
    "render_max_bytes": 5_000_000,  # largest SVG or PNG answered
    "render_workers": None,  # renderer processes (default: one per core but one, at most 2)
    "chart_max_categories": 30,  # bars; the rest are drawn as one 其他 bar with their sum
    "chart_cache_size": 256,  # rendered images and specs kept per server (immutable databases)
    "chart_cache_bytes": 64_000_000,
}
OTHER_LABEL = "其他"


class ChartError(validation.InvalidParameter):
    """A request for a chart that cannot be answered; ``status`` is the HTTP status."""


# --- configuration ---------------------------------------------------------------


def plugin_config(datasette, database: str | None = None) -> dict:
    # 1.0a41 does not fall back to the top level when the database has configuration
    # of its own (metadata that names tables), so ask for the top level ourselves.
    config = datasette.plugin_config(PLUGIN, database=database) if database else None
    return config or datasette.plugin_config(PLUGIN) or {}


def charts_config(datasette, database: str | None = None) -> dict[str, dict]:
    """All charts of a database: the defaults merged with ``charts:`` configuration.

    ``{"sangong": {"unit": "元"}}`` changes one key of a default chart, a new name adds
    a chart, and ``false`` switches a chart off.
    """
    overrides = plugin_config(datasette, database).get("charts") or {}
    charts = {}
    for name in list(DEFAULT_CHARTS) + [n for n in overrides if n not in DEFAULT_CHARTS]:
        override = overrides.get(name, {})
        if override is False or override is None and name in overrides:
            continue
        chart = dict(DEFAULT_CHART)
        chart.update(copy.deepcopy(DEFAULT_CHARTS.get(name, {})))
        chart.update(override or {})
        chart["name"] = name
        chart["query"] = chart["query"] or name
        charts[name] = chart
    return charts


def limits(datasette, database: str | None = None) -> dict:
    """``DEFAULT_LIMITS`` with the configured values; a value that is not a positive whole
    number keeps the default."""
    config = plugin_config(datasette, database)
    result = dict(DEFAULT_LIMITS)
    for key in DEFAULT_LIMITS:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            result[key] = value
    return result


def get_chart(datasette, database: str, name: str) -> dict | None:
    return charts_config(datasette, database).get(name)


def chart_for_query(datasette, database: str, query_name: str) -> dict | None:
    """The chart shown on a canned query's page: the one named after the query,
    else the first chart that runs it."""
    charts = charts_config(datasette, database)
    if query_name in charts and charts[query_name]["query"] == query_name:
        return charts[query_name]
    for chart in charts.values():
        if chart["query"] == query_name:
            return chart
    return None


def cache_control(datasette, database: str) -> str:
    """Images and specs of an immutable database can be cached; a mutable one can
    change under the same URL."""
    db = datasette.get_database(database)
    if db.is_mutable or db.is_memory:
        return "no-cache"
    max_age = plugin_config(datasette, database).get("cache_max_age", DEFAULT_CACHE_MAX_AGE)
    return f"public, max-age={int(max_age)}"


# --- canned queries, version-independent -----------------------------------------


async def get_canned_query(datasette, database: str, name: str, actor) -> dict | None:
    """``{"name", "sql", "title", "params"}`` of a canned query, or None."""
    if hasattr(datasette, "get_canned_query"):  # 0.65
        query = await datasette.get_canned_query(database, name, actor)
        if not query:
            return None
        return {
            "name": name,
            "sql": query["sql"],
            "title": query.get("title"),
            "params": query.get("params"),
            "write": bool(query.get("write")),
        }
    query = await datasette.get_query(database, name)  # 1.0a
    if query is None:
        return None
    return {
        "name": name,
        "sql": query.sql,
        "title": query.title,
        "params": list(query.parameters or []),
        "write": bool(query.is_write),
    }


async def can_view_query(datasette, actor, database: str, name: str) -> bool:
    if hasattr(datasette, "allowed"):  # 1.0a
        from datasette.resources import QueryResource

        return await datasette.allowed(
            action="view-query", resource=QueryResource(database, name), actor=actor
        )
    visible, _ = await datasette.check_visibility(
        actor,
        permissions=[
            ("view-query", (database, name)),
            ("view-database", database),
            "view-instance",
        ],
    )
    return visible


# --- parameters --------------------------------------------------------------------


async def resolve(datasette, database: str, name: str, args, actor) -> dict:
    """Check a chart request and return what building it needs.

    Raises ChartError: 404 for an unknown database, chart or query, 403 when the actor
    may not see the query, 400 with a readable message for a parameter that is not valid.
    ``args`` is a mapping of query-string parameters (first value of each).
    """
    if database not in datasette.databases:
        raise ChartError(f"Database not found: {validation.shown(database)}", 404)
    chart = get_chart(datasette, database, name)
    if chart is None:
        raise ChartError(f"No chart named {validation.shown(name)} in database {database!r}", 404)
    query = await get_canned_query(datasette, database, chart["query"], actor)
    if query is None or query["write"]:
        raise ChartError(
            f"Chart {name!r} needs the canned query {chart['query']!r}, "
            f"which database {database!r} does not have",
            404,
        )
    if not await can_view_query(datasette, actor, database, query["name"]):
        raise ChartError("Permission denied", 403)

    db = datasette.get_database(database)
    names = query["params"] or await derive_named_parameters(db, query["sql"])
    accepted = set(names) | ({"parent"} if chart["drill"] else set())
    unknown = sorted(k for k in args if not k.startswith("_") and k not in accepted)
    if unknown:
        raise ChartError(
            f"Unknown parameter {', '.join(validation.shown(k)[1:-1] for k in unknown[:5])}. "
            f"This chart takes: {', '.join(sorted(accepted)) or 'no parameters'}."
        )
    params = {p: (args.get(p) or "").strip() for p in names}
    context: dict[str, Any] = {"document": None, "level": None, "system": None}

    if "document" in params:
        context["documents"] = await _documents(datasette, database)
        slug = params["document"]
        if slug:
            matching = [d for d in context["documents"] if d["slug"] == slug]
            if not matching:
                known = ", ".join(d["slug"] for d in context["documents"][:10])
                raise ChartError(
                    f"Unknown document {validation.shown(slug)}. Use a slug from the documents table"
                    + (f", such as: {known}." if known else ".")
                )
            context["document"] = matching[0]

    levels = int(chart["levels"] or 3)
    if "level" in params:
        context["level"] = validation.level(params["level"], levels)
        params["level"] = str(context["level"])

    if "system" in params:
        params["system"] = context["system"] = validation.system(params["system"])

    parent = validation.code("parent", args.get("parent")) if chart["drill"] else None
    if parent:
        level = context["level"]
        parent_level = await _code_level(datasette, database, parent)
        if parent_level is None:
            raise ChartError(f"Unknown code {parent!r} for parent.")
        if not args.get("level"):
            level = parent_level + 1
            params["level"] = str(level)
            context["level"] = level
        if level is None or parent_level >= level or parent_level >= levels:
            raise ChartError(
                f"parent {parent!r} is a {LEVEL_NAMES.get(parent_level, parent_level)}-level "
                f"code; level must be deeper than it."
            )
    context["parent"] = parent or None
    context["parent_name"] = (
        await _code_name(datasette, database, parent) if parent else None
    )
    return {
        "name": name,
        "chart": chart,
        "max_categories": limits(datasette, database)["chart_max_categories"],
        "database": database,
        "query": query,
        "params": params,
        "context": context,
    }


async def _documents(datasette, database: str) -> list[dict]:
    try:
        rows = await datasette.execute(
            database,
            "select slug, title, department, year, source_url from documents order by slug",
        )
    except Exception:
        # No documents table: nothing to validate a slug against.
        return []
    return [dict(row) for row in rows]


async def _code_level(datasette, database: str, code: str) -> int | None:
    try:
        rows = await datasette.execute(
            database, "select level from function_codes where code = :code", {"code": code}
        )
        row = rows.first()
    except Exception:
        row = None
    if row is not None and row["level"] is not None:
        return int(row["level"])
    # Function codes are 3, 5 and 7 digits for 类, 款 and 项.
    return {3: 1, 5: 2, 7: 3}.get(len(code)) if row is not None else None


async def _code_name(datasette, database: str, code: str) -> str | None:
    try:
        row = (
            await datasette.execute(
                database, "select name from function_codes where code = :code", {"code": code}
            )
        ).first()
    except Exception:
        return None
    return row["name"] if row else None


async def run(datasette, resolved: dict) -> list[dict]:
    """Rows of the canned query: the full result, not one page."""
    try:
        results = await datasette.execute(
            resolved["database"], resolved["query"]["sql"], resolved["params"], truncate=False
        )
    except QueryInterrupted:
        raise ChartError("The query behind this chart took too long; try again later.", 503)
    rows = [dict(row) for row in results.rows]
    parent = resolved["context"].get("parent")
    code = resolved["chart"]["code"]
    if parent and code:
        rows = [r for r in rows if str(r.get(code) or "").startswith(parent)]
    return rows


# --- specs ---------------------------------------------------------------------------


def _number(value) -> float:
    if value is None or value == "":
        return 0.0
    return float(Decimal(str(value)))


def _amount(value, unit: str) -> float:
    """元 → the chart's unit, rounded to what is shown (2 decimals of 万元, whole 元)."""
    amount = Decimal(str(value if value not in (None, "") else 0))
    if unit == "万元":
        return float((amount / 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return float(amount)


def _format(unit: str) -> str:
    return ",.2f" if unit == "万元" else ",.0f"


def _measure_columns(chart: dict) -> list[str]:
    return list(chart["values"] or {}) if chart["kind"] == "stacked" else [chart["value"]]


def _exact(value) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def group_tail(rows: list[dict], chart: dict, limit: int | None) -> list[dict]:
    """At most ``limit`` rows: the largest ``limit - 1`` in their order, then one 其他 row
    with the sum of the rest (exact, in 元), so the chart's total stays right.

    ``group_tail(rows_of_2000_items, chart, 30)`` has 29 items and ``其他（1,971 项）``.
    """
    if not limit or len(rows) <= limit:
        return rows
    columns = _measure_columns(chart)
    size = {id(r): abs(sum(_exact(r.get(c)) for c in columns)) for r in rows}
    kept = {id(r) for r in sorted(rows, key=lambda r: size[id(r)], reverse=True)[: limit - 1]}
    head = [r for r in rows if id(r) in kept]
    tail = [r for r in rows if id(r) not in kept]
    other: dict[str, Any] = {chart["label"]: f"{OTHER_LABEL}（{len(tail):,} 项）", "other_rows": len(tail)}
    for column in columns:
        total = sum(_exact(r.get(column)) for r in tail)
        other[column] = int(total) if total == total.to_integral_value() else float(total)
    if any(r.get("share") is not None for r in tail):
        other["share"] = float(sum(_exact(r.get("share")) for r in tail))
    return head + [other]


def chart_title(resolved: dict) -> str:
    chart, context = resolved["chart"], resolved["context"]
    title = chart["title"] or resolved["query"]["title"] or chart["name"]
    title = title.format(
        level_name=LEVEL_NAMES.get(context.get("level") or 1, ""),
        system_name=SYSTEM_NAMES.get(context.get("system") or "department", ""),
    )
    if context.get("parent"):
        title += f"：{context['parent']} {context.get('parent_name') or ''}".rstrip()
    return title


def source_text(resolved: dict) -> str:
    context = resolved["context"]
    if context.get("document"):
        return context["document"]["title"] or context["document"]["slug"]
    documents = context.get("documents")
    if documents is not None:
        if len(documents) == 1:
            return documents[0]["title"] or documents[0]["slug"]
        return f"全部 {len(documents)} 份文档合计"
    return ""


def build_spec(
    resolved: dict,
    rows: list[dict],
    *,
    drill_url: Callable[[str], str] | None = None,
    fit: bool = False,
) -> dict:
    """The Vega-Lite v6 spec of a chart for the given rows.

    ``drill_url(code)`` gives the link of a bar to the next level; ``fit`` sizes the
    chart to its container (embed pages) instead of the configured width.
    """
    chart = resolved["chart"]
    unit = chart["unit"] if chart["unit"] in ("万元", "元") else "万元"
    label_col, code_col = chart["label"], chart["code"]
    labels = chart["labels"] or {}
    # 其中： rows are parts of the row above: drawn beside it they would count twice
    rows = [r for r in rows if not str(r.get(label_col) or "").startswith("其中")]
    if chart["include"] is not None:
        order = {v: i for i, v in enumerate(chart["include"])}
        rows = sorted((r for r in rows if r.get(label_col) in order), key=lambda r: order[r[label_col]])

    rows = group_tail(rows, chart, resolved.get("max_categories"))

    level = resolved["context"].get("level")
    can_drill = bool(chart["drill"] and drill_url and code_col and level and level < (chart["levels"] or 3))
    data = []
    for row in rows:
        label = labels.get(row.get(label_col), row.get(label_col))
        label = "" if label is None else str(label)
        if code_col and row.get(code_col):
            label = f"{row[code_col]} {label}".strip()
        base = {"label": label}
        if "share" in row and row["share"] is not None:
            base["share"] = _number(row["share"])
        if can_drill and row.get(code_col):
            base["href"] = drill_url(str(row[code_col]))
        if chart["kind"] == "stacked":
            for order_index, (column, part) in enumerate((chart["values"] or {}).items()):
                data.append(
                    dict(base, part=part, order=order_index, amount=_amount(row.get(column), unit),
                         yuan=_number(row.get(column)))
                )
        else:
            data.append(
                dict(base, amount=_amount(row.get(chart["value"]), unit),
                     yuan=_number(row.get(chart["value"])))
            )

    amount_title = f"金额（{unit}）"
    label_title = chart.get("label_title") or ("科目" if code_col else "项目")
    tooltip = [
        {"field": "label", "type": "nominal", "title": label_title},
    ]
    if chart["kind"] == "stacked":
        tooltip.append({"field": "part", "type": "nominal", "title": "类型"})
    tooltip.append({"field": "amount", "type": "quantitative", "title": amount_title, "format": _format(unit)})
    if unit == "万元":
        tooltip.append({"field": "yuan", "type": "quantitative", "title": "金额（元）", "format": ",.0f"})
    if any("share" in d for d in data) and chart["kind"] != "stacked":
        tooltip.append({"field": "share", "type": "quantitative", "title": "占比（%）", "format": ".2f"})

    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "title": {
            "text": chart_title(resolved),
            "subtitle": f"{source_text(resolved)}　单位：{unit}".strip("　"),
            "anchor": "start",
        },
        "description": f"{chart_title(resolved)}（{unit}）",
        "width": "container" if fit else int(chart["width"]),
        "height": "container" if fit else {"step": int(chart["bar_step"])},
        "autosize": {"type": "fit", "contains": "padding"} if fit else {"type": "pad"},
        "data": {"values": data},
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "axis": {"labelFontSize": LABEL_FONT_SIZE, "titleFontSize": 12},
            "title": {"fontSize": 15, "subtitleFontSize": 12, "subtitleColor": "#555"},
        },
    }
    if not data:
        spec["mark"] = {"type": "text", "fontSize": 14, "color": "#555"}
        spec["data"] = {"values": [{"message": "这份文档没有这项数据"}]}
        spec["encoding"] = {"text": {"field": "message", "type": "nominal"}}
        spec["height"] = "container" if fit else 80
        return spec

    y = {
        "field": "label",
        "type": "nominal",
        "title": None,
        "sort": None,
        "axis": {"labelLimit": label_limit([d["label"] for d in data])},
    }
    x = {
        "field": "amount",
        "type": "quantitative",
        "title": amount_title,
        # Ticks without trailing zeros ("1,200"); bars and tooltips show 2 decimals.
        "axis": {"format": ",~f", "tickCount": 5, "labelOverlap": True},
    }
    bar: dict[str, Any] = {"type": "bar", "color": "#3b6ea5"}
    encoding: dict[str, Any] = {"y": y, "x": x, "tooltip": tooltip}
    if can_drill:
        encoding["href"] = {"field": "href", "type": "nominal"}
        bar["cursor"] = "pointer"
    if chart["kind"] == "stacked":
        parts = list((chart["values"] or {}).values())
        x["stack"] = "zero"
        encoding["color"] = {
            "field": "part",
            "type": "nominal",
            "title": None,
            "scale": {"domain": parts, "range": ["#3b6ea5", "#e39b3b", "#6aa56a", "#a55b5b"][: len(parts)]},
            "legend": {"orient": "top"},
        }
        encoding["order"] = {"field": "order", "type": "quantitative"}
        bar.pop("color")
        spec["mark"] = bar
        spec["encoding"] = encoding
        return spec

    # Room on the right for the value printed after the longest bar.
    largest = max((d["amount"] for d in data), default=0)
    if largest > 0:
        x["scale"] = {"domainMax": largest * 1.18}
    spec["layer"] = [
        {"mark": bar, "encoding": encoding},
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "color": "#333", "fontSize": 11},
            "encoding": {
                "y": y,
                "x": x,
                "text": {"field": "amount", "type": "quantitative", "format": _format(unit)},
            },
        },
    ]
    return spec


LABEL_LIMIT = 320  # widest category label drawn, in pixels; longer ones end in …
LABEL_FONT_SIZE = 12


def label_limit(labels: list[str]) -> int:
    """The y axis's ``labelLimit``: 0 (no limit) when no label can reach ``LABEL_LIMIT``, else
    ``LABEL_LIMIT``. No glyph of a CJK font is wider than 1 em, so a label of at most
    320 / 12 = 26 characters always fits; without a limit Vega measures each label once
    instead of twice (once to see whether to cut it): 30 % of drawing a 30-bar image.

    ``label_limit(["2010101 行政运行"])`` is 0.
    """
    if all(len(label) * LABEL_FONT_SIZE <= LABEL_LIMIT for label in labels):
        return 0
    return LABEL_LIMIT


def cache_key(resolved: dict, fmt: str, base_url: str) -> tuple:
    """What a chart's spec or image depends on: the resolved parameters (level normalised,
    defaults filled in), not the raw URL, and the site's address (bars link to it)."""
    return (resolved["database"], resolved["name"], fmt, base_url,
            tuple(sorted(resolved["params"].items())), resolved["context"].get("parent"))


class ChartCache:
    """A bounded LRU of rendered charts: at most ``entries`` items and ``max_bytes`` bytes,
    so distinct URLs cannot exhaust memory."""

    def __init__(self, entries: int, max_bytes: int):
        from collections import OrderedDict

        self.entries, self.max_bytes = entries, max_bytes
        self.items: "OrderedDict[tuple, tuple[bytes, str]]" = OrderedDict()
        self.bytes = 0
        self.hits = self.misses = 0

    def get(self, key):
        item = self.items.get(key)
        if item is None:
            self.misses += 1
            return None
        self.items.move_to_end(key)
        self.hits += 1
        return item

    def put(self, key, body: bytes, content_type: str) -> None:
        if len(body) > self.max_bytes:
            return
        if key in self.items:
            self.bytes -= len(self.items.pop(key)[0])
        self.items[key] = (body, content_type)
        self.bytes += len(body)
        while len(self.items) > self.entries or self.bytes > self.max_bytes:
            _, (old, _) = self.items.popitem(last=False)
            self.bytes -= len(old)


def chart_cache(datasette, database: str) -> ChartCache | None:
    """The server's chart cache, for an immutable database only (a mutable one can change
    under the same parameters)."""
    db = datasette.get_database(database)
    if db.is_mutable or db.is_memory:
        return None
    cache = datasette.__dict__.get("_budget_chart_cache")
    if cache is None:
        config = limits(datasette)
        cache = datasette._budget_chart_cache = ChartCache(config["chart_cache_size"], config["chart_cache_bytes"])
    return cache


# --- rendering ----------------------------------------------------------------------

# In worker processes (render_worker.py); these names stay for callers of this module.
cjk_font_directories = render_worker.cjk_font_directories
ensure_fonts = render_worker.ensure_fonts
render = render_worker.render_here
_vl_version = render_worker._vl_version
