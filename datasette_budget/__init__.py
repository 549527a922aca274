"""datasette-budget: Chinese government budget disclosures in Datasette.

This module holds only the plugin hooks; the work is in the modules they call.
"""
from datasette import hookimpl


@hookimpl
def register_commands(cli):
    from .cli import budget

    cli.add_command(budget)


@hookimpl
def register_facet_classes():
    from .facets import HierarchyFacet

    return [HierarchyFacet]


@hookimpl
def canned_queries(datasette, database):
    async def inner():
        from .queries import canned_queries_for, table_names

        return canned_queries_for(await table_names(datasette, database))

    return inner


@hookimpl
def get_metadata(datasette, key, database, table):
    # Datasette 0.65: the shipped table metadata, for every database holding the budget tables.
    from .render import budget_databases
    from .site_metadata import metadata_for_lookup

    return metadata_for_lookup(key, database, budget_databases(datasette))


@hookimpl
def startup(datasette):
    async def inner():
        from . import render, site_metadata
        from .queries import canned_queries_for

        await render.remember_budget_databases(datasette)
        # Datasette 1.0a has no get_metadata hook: metadata is stored at startup.
        if hasattr(datasette, "set_resource_metadata"):
            for name in render.budget_databases(datasette):
                await site_metadata.apply_to_datasette(datasette, name)
        # Datasette 1.0a has no canned_queries hook: it takes queries through add_query().
        # They are the plugin's own SQL, so trusted: they run with default_allow_sql off.
        if hasattr(datasette, "add_query"):
            for name in render.budget_databases(datasette):
                db = datasette.get_database(name)
                for query_name, query in canned_queries_for(set(await db.table_names())).items():
                    await datasette.add_query(
                        name, query_name, query["sql"], title=query["title"],
                        description=query["description"], parameters=query["params"],
                        is_trusted=True,
                    )

    return inner


@hookimpl
def extra_css_urls(view_name, datasette):
    from .render import css_urls

    return css_urls(view_name, datasette)


@hookimpl
def render_cell(value, column, table, database, datasette):
    from .render import render_amount

    return render_amount(value, column, table, database, datasette)


# --- charts (embed, specs, images) ---
@hookimpl
def register_routes(datasette):
    from . import documents_page, embed

    return embed.routes() + documents_page.routes()


@hookimpl
def extra_template_vars(template, database, request, datasette):
    # Only canned-query pages: /<database>/<query> renders a query*.html template.
    if not (request and database and template and template.startswith("query")):
        return {}
    query_name = request.url_vars.get("table")
    if not query_name:
        return {}

    async def inner():
        from . import embed

        return {"budget_chart": await embed.query_page_chart(datasette, request, database, query_name)}

    return inner


@hookimpl
def asgi_wrapper(datasette):
    from .validation import request_guard

    return lambda app: request_guard(app, datasette)


# --- search (FTS over Chinese text) ---
@hookimpl(trylast=True)
def prepare_connection(conn):
    # Runs after Datasette's own escape_fts is registered and replaces it: a Chinese term
    # also matches the character-by-character index that search.py writes.
    from .search import escape_fts

    conn.create_function("escape_fts", 1, escape_fts)
