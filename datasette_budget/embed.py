"""Views for charts: Vega-Lite specs, SVG/PNG images and embed pages.

- ``/<database>/<chart>.vegalite?<params>``: the Vega-Lite v6 spec (JSON)
- ``/<database>/<chart>.svg`` and ``.png``: the chart rendered on the server
- ``/-/budget/embed/<chart>?<params>``: a page with only the chart, for an ``<iframe>``

Every chart named after a canned query is that query's chart, so
``/budget/expenditure_by_function.svg?level=2`` draws the query's result.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urlencode

from datasette.utils.asgi import Response

from . import charts, render_worker, validation
from .render import budget_databases

# The embed page runs only the plugin's own scripts and reads the spec from a JSON
# data block, so it needs no inline script, eval or network access beyond itself.
EMBED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors *"
)

DEFAULT_DATABASE = "budget"
FORMATS = {
    "vegalite": "application/json; charset=utf-8",
    "svg": "image/svg+xml; charset=utf-8",
    "png": "image/png",
}


def routes():
    return [
        (r"^/(?P<database>[^/.]+)/(?P<chart>[^/.]+)\.(?P<format>vegalite|svg|png)$", chart_view),
        (r"^/-/budget/embed/(?P<chart>[^/.]+)$", embed_view),
    ]


def _args(request) -> dict:
    """One value per parameter; a parameter given twice with different values is a 400."""
    return {key: validation.single(request.args, key) for key in request.args.keys()}


def _public_params(resolved: dict) -> dict:
    """The parameters to put in links: the query's, plus parent, without empty ones."""
    params = {k: v for k, v in resolved["params"].items() if v not in ("", None)}
    if resolved["context"].get("parent"):
        params["parent"] = resolved["context"]["parent"]
    return params


def _with_query(path: str, params: dict) -> str:
    return path + ("?" + urlencode(params) if params else "")


def embed_path(datasette, database: str, chart: str, params: dict) -> str:
    params = dict(params)
    if database != DEFAULT_DATABASE:
        params["_database"] = database
    return _with_query(datasette.urls.path(f"/-/budget/embed/{chart}"), params)


def image_path(datasette, database: str, chart: str, fmt: str, params: dict) -> str:
    return _with_query(datasette.urls.path(f"/{database}/{chart}.{fmt}"), params)


def query_path(datasette, database: str, query: str, params: dict, fmt: str | None = None) -> str:
    return _with_query(datasette.urls.query(database, query, format=fmt), params)


def _drill(datasette, request, resolved: dict, target: str):
    """Link of a bar to the next level, filtered to the bar's code."""
    params = {k: v for k, v in _public_params(resolved).items() if k not in ("level", "parent")}
    level = (resolved["context"].get("level") or 1) + 1

    def url(code: str) -> str:
        p = dict(params, level=str(level), parent=code)
        if target == "query":
            path = query_path(datasette, resolved["database"], resolved["query"]["name"], p)
        else:
            path = embed_path(datasette, resolved["database"], resolved["name"], p)
        return datasette.absolute_url(request, path)

    return url


def cors_headers(datasette, headers: dict) -> dict:
    """Datasette's own CORS headers when it runs with ``--cors``, none otherwise."""
    if getattr(datasette, "cors", False):
        from datasette.utils import add_cors_headers

        add_cors_headers(headers)
    return headers


def _headers(datasette, database: str | None) -> dict:
    headers = cors_headers(datasette, {"X-Content-Type-Options": "nosniff"})
    if database and database in datasette.databases:
        headers["Cache-Control"] = charts.cache_control(datasette, database)
    return headers


def _error_svg(message: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="60" viewBox="0 0 640 60">'
        '<rect width="640" height="60" fill="#fff5f5" stroke="#c33"/>'
        f'<text x="12" y="35" font-family="sans-serif" font-size="14" fill="#900">{escape(message)}</text>'
        "</svg>"
    )


def _error(fmt: str, message: str, status: int, headers: dict) -> Response:
    headers = dict(headers, **{"Cache-Control": "no-store"})
    if fmt == "svg":
        return Response(_error_svg(message), status=status, headers=headers, content_type=FORMATS["svg"])
    if fmt == "vegalite":
        return Response(
            json.dumps({"ok": False, "error": message, "status": status}, ensure_ascii=False),
            status=status, headers=headers, content_type=FORMATS["vegalite"],
        )
    return Response.text(message, status=status, headers=headers)


async def chart_view(datasette, request):
    database = request.url_vars["database"]
    name = request.url_vars["chart"]
    fmt = request.url_vars["format"]
    headers = _headers(datasette, database)
    try:
        resolved = await charts.resolve(datasette, database, name, _args(request), request.actor)
    except validation.InvalidParameter as e:
        return _error(fmt, e.message, e.status, headers)
    if fmt != "vegalite" and not render_worker.images_available():
        return _error(fmt, render_worker.IMAGES_MISSING, 501, headers)
    cache = charts.chart_cache(datasette, database)
    key = charts.cache_key(resolved, fmt, datasette.absolute_url(request, "/"))
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        headers["X-Budget-Cache"] = "hit"
        return Response(cached[0], headers=headers, content_type=cached[1])
    try:
        rows = await charts.run(datasette, resolved)
    except validation.InvalidParameter as e:
        return _error(fmt, e.message, e.status, headers)
    spec = charts.build_spec(resolved, rows, drill_url=_drill(datasette, request, resolved, "embed"))
    if fmt == "vegalite":
        body = json.dumps(spec, ensure_ascii=False, indent=2).encode("utf-8")
    else:
        limits = charts.limits(datasette, database)
        try:
            body, ms, waited = await render_worker.render(
                spec, fmt, time_limit_ms=limits["render_time_limit_ms"],
                max_bytes=limits["render_max_bytes"], workers=limits["render_workers"],
            )
        except render_worker.RenderError as e:
            return _error(fmt, e.message, e.status, headers)
        headers["Server-Timing"] = f"render;dur={ms:.1f}, render-queue;dur={waited:.1f}"
    if cache is not None:
        cache.put(key, body, FORMATS[fmt])
        headers["X-Budget-Cache"] = "miss"
    return Response(body, headers=headers, content_type=FORMATS[fmt])


def _default_database(datasette, name: str) -> str | None:
    if DEFAULT_DATABASE in datasette.databases:
        return DEFAULT_DATABASE
    for database in sorted(budget_databases(datasette)):  # never _internal or a database without the tables
        if charts.get_chart(datasette, database, name):
            return database
    return None


def spec_script(spec: dict) -> str:
    """JSON for a ``<script type="application/json">`` block: ``<`` escaped so the
    data can never close the element."""
    return json.dumps(spec, ensure_ascii=False).replace("<", "\\u003c")


async def chart_context(datasette, request, resolved: dict, rows: list, target: str, fit: bool) -> dict:
    """What the embed page and the query-page block show: spec, links, snippets."""
    database, name = resolved["database"], resolved["name"]
    params = _public_params(resolved)
    query_params = {k: v for k, v in params.items() if k != "parent"}
    spec = charts.build_spec(resolved, rows, drill_url=_drill(datasette, request, resolved, target), fit=fit)
    document = resolved["context"].get("document")
    documents = resolved["context"].get("documents") or []
    sources = [document] if document else documents
    embed_url = datasette.absolute_url(request, embed_path(datasette, database, name, params))
    svg_url = datasette.absolute_url(request, image_path(datasette, database, name, "svg", params))
    png_url = datasette.absolute_url(request, image_path(datasette, database, name, "png", params))
    title = charts.chart_title(resolved)
    return {
        "name": name,
        "title": title,
        "spec_json": spec_script(spec),
        "scripts": [datasette.urls.static_plugins(charts.PLUGIN, s) for s in charts.SCRIPTS],
        "css_url": datasette.urls.static_plugins(charts.PLUGIN, "chart.css"),
        "query_url": datasette.absolute_url(
            request, query_path(datasette, database, resolved["query"]["name"], query_params)
        ),
        "json_url": datasette.absolute_url(
            request,
            query_path(datasette, database, resolved["query"]["name"],
                       dict(query_params, _shape="array"), fmt="json"),
        ),
        "spec_url": datasette.absolute_url(
            request, image_path(datasette, database, name, "vegalite", params)
        ),
        "embed_url": embed_url,
        "svg_url": svg_url,
        "png_url": png_url,
        "sources": [
            {"title": d.get("title") or d.get("slug"), "url": validation.web_url(d.get("source_url"))}
            for d in sources[:5]
        ],
        "more_sources": max(0, len(sources) - 5),
        "iframe_snippet": (
            f'<iframe src="{escape(embed_url)}" title="{escape(title)}" width="100%" height="420" '
            f'style="border:0" loading="lazy"></iframe>'
        ),
        "img_snippet": f'<img src="{escape(svg_url)}" alt="{escape(title)}">',
    }


def _embed_error(datasette, message: str, status: int) -> Response:
    # No inline style: the page is under the same CSP as a chart.
    css_url = datasette.urls.static_plugins(charts.PLUGIN, "chart.css")
    body = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<title>图表无法显示</title><link rel="stylesheet" href="{escape(css_url)}"></head>'
        f'<body class="budget-embed"><p role="alert" class="budget-chart-error">'
        f"图表无法显示：{escape(message)}</p></body></html>"
    )
    return Response.html(
        body,
        status=status,
        headers={"Content-Security-Policy": EMBED_CSP, "Cache-Control": "no-store"},
    )


async def embed_view(datasette, request):
    name = request.url_vars["chart"]
    try:
        args = _args(request)
        database = args.pop("_database", None) or _default_database(datasette, name)
        if database is None:
            return _embed_error(datasette, f"No chart named {validation.shown(name)}.", 404)
        resolved = await charts.resolve(datasette, database, name, args, request.actor)
        rows = await charts.run(datasette, resolved)
    except validation.InvalidParameter as e:
        return _embed_error(datasette, e.message, e.status)
    context = await chart_context(datasette, request, resolved, rows, target="embed", fit=True)
    html = await datasette.render_template("budget_embed.html", {"chart": context}, request=request)
    headers = _headers(datasette, database)
    headers["Content-Security-Policy"] = EMBED_CSP
    return Response.html(html, headers=headers)


async def query_page_chart(datasette, request, database: str, query_name: str) -> dict | None:
    """The chart block above the table of a canned query page, or None."""
    chart = charts.chart_for_query(datasette, database, query_name)
    if chart is None:
        return None
    try:
        resolved = await charts.resolve(datasette, database, chart["name"], _args(request), request.actor)
        rows = await charts.run(datasette, resolved)
    except validation.InvalidParameter as e:
        if e.status == 404:
            return None
        return {"error": e.message, "title": chart.get("title") or chart["name"]}
    context = await chart_context(datasette, request, resolved, rows, target="query", fit=True)
    context["other_charts"] = [
        {
            "name": other["name"],
            "url": embed_path(datasette, database, other["name"], {k: v for k, v in _public_params(resolved).items() if k != "parent"}),
        }
        for other in charts.charts_config(datasette, database).values()
        if other["query"] == query_name and other["name"] != chart["name"]
    ]
    return context
