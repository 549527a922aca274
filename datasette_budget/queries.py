"""Canned aggregation queries. Their names, parameters and columns are the JSON API:
``/budget/expenditure_by_function.json?document=…&level=1&_shape=array``.

``document`` takes a document slug; empty means all documents. ``level`` defaults to 1 (类).
A parameter outside its range selects no rows rather than a wrong level.
"""
from __future__ import annotations

from .amounts import sql_sum
from .rollups import COUNTED_SCOPE_SQL, FRESH_SQL

DOCUMENT_FILTER = "(:document = '' or document = :document)"
LEVEL = "coalesce(nullif(:level, ''), '1')"
# Over all documents, read the rollups while they are up to date (see rollups.py).
# ``mode`` is a one-row table joined first, so that SQLite skips the branch not taken
# without preparing it (the line-table branch would otherwise still compute its filter).
MODE = f"mode as (select (:document = '' and {FRESH_SQL}) as rollup)"
USE_ROLLUPS = "mode.rollup"


def _from_rollups(source: str, hierarchy: str, level: str) -> str:
    return (
        f"from mode, rollups where {USE_ROLLUPS} and source = '{source}' and hierarchy = {hierarchy}"
        f" and scope = {COUNTED_SCOPE_SQL} and level = cast({level} as integer)"
    )


def _by_code(table: str, code_table: str, prefix: str, max_level: int, where: str = "") -> str:
    code = f"case {LEVEL} when '1' then {prefix}_class when '2' then "
    code += f"{prefix}_section when '3' then {prefix}_code end" if max_level == 3 else f"{prefix}_code end"
    return f"""
with {MODE}, lines as (
  select code, total, basic, project
  {_from_rollups(table, "'" + prefix + "_code'", LEVEL)}
  union all
  select {code} as code, total, basic, project
  from mode, {table}
  where not {USE_ROLLUPS} and {DOCUMENT_FILTER}{where}
)
select
  lines.code as code,
  {code_table}.name as name,
  {sql_sum('lines.total')} as total,
  {sql_sum('lines.basic')} as basic,
  {sql_sum('lines.project')} as project,
  round(100.0 * sum(lines.total) / (select sum(total) from lines), 2) as share
from lines
left join {code_table} on {code_table}.code = lines.code
where lines.code is not null
group by lines.code
order by lines.code
"""


ECONOMIC_HIERARCHY = (
    "case coalesce(nullif(:system, ''), 'department') when 'department' then 'economic_code' "
    "when 'government' then 'government_code' end"
)

EXPENDITURE_BY_ECONOMIC = f"""
with {MODE}, lines as (
  select
    case coalesce(nullif(:system, ''), 'department')
      when 'department' then case {LEVEL} when '1' then economic_class when '2' then economic_code end
      when 'government' then case {LEVEL} when '1' then government_class when '2' then government_code end
    end as code,
    coalesce(nullif(:system, ''), 'department') as system,
    total, basic, project
  from mode, economic_expenditure
  where not {USE_ROLLUPS} and {DOCUMENT_FILTER}
  union all
  select code, coalesce(nullif(:system, ''), 'department'), total, basic, project
  {_from_rollups("economic_expenditure", ECONOMIC_HIERARCHY, LEVEL)}
)
select
  lines.code as code,
  coalesce(economic_codes.name, government_economic_codes.name) as name,
  {sql_sum('lines.total')} as total,
  {sql_sum('lines.basic')} as basic,
  {sql_sum('lines.project')} as project,
  round(100.0 * sum(lines.total) / (select sum(total) from lines), 2) as share
from lines
left join economic_codes on lines.system = 'department' and economic_codes.code = lines.code
left join government_economic_codes
  on lines.system = 'government' and government_economic_codes.code = lines.code
where lines.code is not null
group by lines.code
order by lines.code
"""

BASIC_BY_KIND = f"""
with {MODE}, lines as (
  select
    case when economic_class in ('301', '303') then '人员经费' else '公用经费' end as kind,
    economic_class, total
  from mode, economic_basic_expenditure
  where not {USE_ROLLUPS} and {DOCUMENT_FILTER}
  union all
  select case when code in ('301', '303') then '人员经费' else '公用经费' end, code, total
  {_from_rollups("economic_basic_expenditure", "'economic_code'", "1")}
)
select
  kind,
  group_concat(distinct economic_class) as codes,
  {sql_sum('total')} as amount,
  round(100.0 * sum(total) / (select sum(total) from lines), 2) as share
from lines
group by kind
order by kind = '公用经费', kind
"""

SANGONG = f"""
select '合计' as item, 'total' as kind, {sql_sum('amount')} as amount
from declared_totals
where table_role = 'sangong' and kind = 'total' and {DOCUMENT_FILTER}
having count(*) > 0
union all
select * from (
  select min(item) as item, kind, {sql_sum('amount')} as amount
  from sangong_items
  where {DOCUMENT_FILTER}
  group by kind
  order by min(seq)
)
"""

PROCUREMENT = f"""
select
  category, item, measure,
  sum(quantity) as quantity,
  {sql_sum('amount')} as amount
from procurement_items
where {DOCUMENT_FILTER}
group by category, item, measure
order by sum(amount) desc, item
"""

INCOME_SOURCES = [
    ("general_budget", "一般公共预算"),
    ("appropriation", "财政拨款"),
    ("government_fund", "政府性基金预算"),
    ("state_capital", "国有资本经营预算"),
    ("special_account", "财政专户管理的非税收入"),
    ("business", "事业收入"),
    ("operating", "事业单位经营收入"),
    ("superior_subsidy", "上级补助收入"),
    ("affiliated", "附属单位上缴收入"),
    ("other", "其他收入"),
    ("transfer", "上级转移支付"),
]

def _source_label(column: str, label: str) -> str:
    # 财政拨款 is part of 一般公共预算 where the table prints both (Zhengzhou), a source of its
    # own where it does not (Shanghai): say which, so nobody adds the two.
    if column == "appropriation":
        return f"case when (select count(general_budget) from income) > 0 then '其中：{label}' else '{label}' end"
    return f"'{label}'"


INCOME_BY_SOURCE = (
    f"""
with income as (
  select * from function_income where {DOCUMENT_FILTER}
),
sources as (
"""
    + "\n  union all\n".join(
        f"  select {n} as seq, {_source_label(column, label)} as source, {sql_sum(column)} as amount, "
        f"count({column}) as n from income"
        for n, (column, label) in enumerate(INCOME_SOURCES, start=1)
    )
    + """
)
select source, amount, round(100.0 * amount / (select sum(total) from income), 2) as share
from sources
where n > 0
order by seq
"""
)

DOCUMENT_PARAM_HELP = "document: a slug from the documents table; leave empty for all documents."

QUERIES = {
    "expenditure_by_function": {
        "title": "支出按功能分类汇总 Expenditure by functional classification",
        "description": "部门支出总体情况表 summed by 类 (level 1), 款 (2) or 项 (3), with basic and "
        "project expenditure and each code's share of the total, in 元. " + DOCUMENT_PARAM_HELP,
        "sql": _by_code("function_expenditure", "function_codes", "function", 3),
        "params": ["document", "level"],
        "requires": ["function_expenditure", "function_codes", "rollups", "rollup_state"],
    },
    "expenditure_by_economic": {
        "title": "支出按经济分类汇总 Expenditure by economic classification",
        "description": "一般公共预算支出 by 部门预算支出经济分类 (system=department, the default) or "
        "政府预算支出经济分类 (system=government), by 类 (level 1) or 款 (2), in 元. "
        + DOCUMENT_PARAM_HELP,
        "sql": EXPENDITURE_BY_ECONOMIC,
        "params": ["document", "level", "system"],
        "requires": ["economic_expenditure", "economic_codes", "government_economic_codes", "rollups", "rollup_state"],
    },
    "basic_by_kind": {
        "title": "基本支出：人员经费与公用经费 Basic expenditure by kind",
        "description": "人员经费 (301 工资福利支出 + 303 对个人和家庭的补助) and 公用经费 (the other "
        "classes: 302 商品和服务支出, 310 资本性支出 …) from the 一般公共预算基本支出 table, in 元. "
        + DOCUMENT_PARAM_HELP,
        "sql": BASIC_BY_KIND,
        "params": ["document"],
        "requires": ["economic_basic_expenditure", "rollups", "rollup_state"],
    },
    "sangong": {
        "title": "“三公”经费 Three public expenses",
        "description": "因公出国（境）费, 公务接待费 and 公务用车购置及运行费, with the declared 合计, in 元. "
        + DOCUMENT_PARAM_HELP,
        "sql": SANGONG,
        "params": ["document"],
        "requires": ["sangong_items", "declared_totals"],
    },
    "procurement": {
        "title": "政府采购 Government procurement",
        "description": "Procurement items with measure, quantity and amount in 元. " + DOCUMENT_PARAM_HELP,
        "sql": PROCUREMENT,
        "params": ["document"],
        "requires": ["procurement_items"],
    },
    "income_by_source": {
        "title": "收入按来源 Income by source",
        "description": "Income by funding source from the 部门收入总体情况表, in 元, with each source's "
        "share of total income (财政拨款 is part of 一般公共预算). " + DOCUMENT_PARAM_HELP,
        "sql": INCOME_BY_SOURCE,
        "params": ["document"],
        "requires": ["function_income"],
    },
}


async def table_names(datasette, database: str) -> set[str]:
    """The tables of a database. Datasette asks for the canned queries twice on every page
    of a database, so an immutable database's names are read once, not on every request (a
    query in a worker thread each time); a mutable one's are read each time, as they change."""
    db = datasette.get_database(database)
    if db.is_mutable:
        return set(await db.table_names())
    cache = datasette.__dict__.setdefault("_budget_table_names", {})
    if database not in cache:
        cache[database] = frozenset(await db.table_names())
    return cache[database]


def canned_queries_for(table_names: set[str]) -> dict:
    """The canned queries whose tables this database has, in Datasette's metadata form."""
    return {
        name: {k: v for k, v in query.items() if k != "requires"}
        for name, query in QUERIES.items()
        if set(query["requires"]) <= table_names
    }


from .comparisons import COMPARISON_QUERIES, counted_documents_only  # noqa: E402  (builds on QUERIES)

QUERIES.update({**counted_documents_only(QUERIES), **COMPARISON_QUERIES})

QUERIES["reconciliation"] = {
    "title": "核对 Reconciliation checks",
    "description": "Every figure of a document checked against the document itself: rows against their "
    "parts, tables against their 合计, tables against each other, and the 说明's 万元 figures, shares and "
    "year-over-year changes against the tables. status is pass, fail, unmatched (a narrative claim not tied "
    "to a figure) or skipped (the tables a rule needs are absent); leave it empty for all. expected, actual "
    "and difference are in the check's unit; source_lines are the document's line numbers. "
    + DOCUMENT_PARAM_HELP,
    "sql": """
select document, rule, scope, status, expected, actual, difference, unit, source_lines, note
from checks
where (:document = '' or document = :document)
  and (:status = '' or status = :status)
order by document,
  case status when 'fail' then 0 when 'unmatched' then 1 when 'skipped' then 2 else 3 end,
  id
""",
    "params": ["document", "status"],
    "requires": ["checks"],
}
