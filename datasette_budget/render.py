"""Display: amounts in HTML cells with thousands separators and their unit (元).

JSON is untouched: it keeps the raw numbers.
"""
from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from .amounts import format_wan, format_yuan
from .loader import BASIC_AMOUNTS, EXPENDITURE_AMOUNTS, INCOME_AMOUNTS, PROJECT_AMOUNTS

AMOUNT_COLUMNS = frozenset(EXPENDITURE_AMOUNTS + INCOME_AMOUNTS + BASIC_AMOUNTS + PROJECT_AMOUNTS
                           + ["amount", "unit_price", "sum"])
INFERRED_MARKUP = Markup('<span class="budget-inferred" title="表中只印名称，编码按名称从科目表匹配">1 由名称推断</span>')
# Tables whose amount columns are not 元 (counts, quantities) are simply not listed here.
NOT_AMOUNT_TABLES = frozenset({"documents", "document_tables", "staffing", "vehicles", "checks", "unparsed",
                               "function_codes", "economic_codes", "government_economic_codes"})


async def remember_budget_databases(datasette) -> None:
    """Note which attached databases hold budget tables, so cells elsewhere are left alone."""
    names = set()
    for name, db in datasette.databases.items():
        if name.startswith("_"):
            continue
        tables = set(await db.table_names())
        if {"documents", "function_expenditure"} <= tables:
            names.add(name)
    datasette._budget_databases = names


def budget_databases(datasette) -> set[str]:
    return getattr(datasette, "_budget_databases", set())


def render_amount(value, column, table, database, datasette):
    """``18129249`` in a 元 column becomes ``18,129,249 元`` (with 万元 on hover); None when not ours.

    Datasette calls this for every cell of every HTML table page, so the cheapest tests
    come first and each distinct amount is formatted once.
    """
    if column == "code_inferred" and value == 1 and database in budget_databases(datasette):
        return INFERRED_MARKUP  # the code was not printed: said on the row, not only in the metadata
    if column not in AMOUNT_COLUMNS or table in NOT_AMOUNT_TABLES or type(value) not in (int, float):
        return None  # type(), not isinstance(): True and False are ints, and not amounts
    if database not in budget_databases(datasette):
        return None
    return amount_markup(value)


@lru_cache(maxsize=4096)
def amount_markup(value: int | float) -> Markup:
    """Equal amounts format alike (``1`` and ``1.0`` both as ``1``), so the value is the key."""
    return Markup(
        f'<span class="budget-amount" title="{escape(format_wan(value))} 万元">{escape(format_yuan(value))} 元</span>'
    )


def css_urls(view_name: str, datasette) -> list[str]:
    """The facet and amount styles, on the pages that show them (tables, rows, queries)."""
    if view_name not in ("table", "row", "query", "database"):
        return []
    return [datasette.urls.static_plugins("datasette-budget", "budget.css")]
