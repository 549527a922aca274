"""Canned queries that compare documents: a function code across years, each department's
share, and budget against final accounts. Same shape as :data:`queries.QUERIES`.

Sums over several documents never count the same money twice. A 部门 document consolidates
the 单位 documents of its units, and a 决算 restates the money of its 预算, so a sum over
"all documents" counts (:data:`COUNTED_DOCUMENTS`):

- one phase: 预算, or 决算 when no 预算 is loaded (``phase`` chooses);
- ``basis`` empty (the default): 部门 documents, and a 单位 document only when the 部门 document
  that consolidates it (same year and phase, listing the unit among its 下属单位 or sharing
  its 3-digit department code) is not loaded; ``basis=部门`` or ``basis=单位`` takes only those.

The queries of :mod:`queries` take ``document`` empty to mean all documents;
:func:`counted_documents_only` makes that "all counted documents", keeping their names,
parameters and columns (``phase`` and ``basis`` are added as optional parameters).
"""
from __future__ import annotations

from .amounts import sql_exact as _exact, sql_sum

# ``document`` as queries.py filters it; replaced in those queries' SQL.
ALL_DOCUMENTS_FILTER = "(:document = '' or document = :document)"

# The 部门 document ``p`` consolidates the 单位 document ``d``.
CONSOLIDATES = """
p.level = '部门' and d.level = '单位' and p.year = d.year and p.phase = d.phase
and (p.region is null or d.region is null or p.region = d.region)
and (
  substr(p.unit_code, 1, 3) = substr(d.unit_code, 1, 3)
  or p.slug in (select o.document from organisation o where o.kind = '下属单位' and o.name = d.department)
)
"""

# The same test as CONSOLIDATES, for one 单位 document ``d``, written so that each branch is
# an index lookup (documents_consolidation, organisation by name) rather than a scan of every
# document: at tens of thousands of documents the scan made every query take seconds.
CONSOLIDATED = """(
  exists (
    select 1 from documents p
    where p.level = '部门' and p.year = d.year and p.phase = d.phase
      and substr(p.unit_code, 1, 3) = substr(d.unit_code, 1, 3)
      and (p.region is null or d.region is null or p.region = d.region)
  )
  or exists (
    select 1 from organisation o join documents p on p.slug = o.document
    where o.name = d.department and o.kind = '下属单位'
      and p.level = '部门' and p.year = d.year and p.phase = d.phase
      and (p.region is null or d.region is null or p.region = d.region)
  )
)"""
# What the two lookups above need.
INDEXES_SQL = [
    "create index if not exists documents_consolidation on documents (level, year, phase, substr(unit_code, 1, 3))",
    "create index if not exists organisation_name on organisation (name, kind)",
]

COUNTED_DOCUMENTS = f"""
select d.slug from documents d
where d.phase = coalesce(nullif(:phase, ''), (select phase from documents order by phase = '预算' desc limit 1))
  and case coalesce(nullif(:basis, ''), 'consolidated')
    when '部门' then d.level = '部门'
    when '单位' then d.level = '单位'
    when 'consolidated' then d.level = '部门' or not (d.level = '单位' and {CONSOLIDATED})
  end
"""

COUNTED_FILTER = f"((:document = '' and document in ({COUNTED_DOCUMENTS})) or document = :document)"

COUNTED_HELP = (
    " With document empty, the sum is over the counted documents, so no money is counted twice: "
    "one phase (预算, or 决算 when no 预算 is loaded; phase=预算 or 决算 to choose) and, per "
    "department and year, its 部门 document, or its 单位 documents when that 部门 document is not "
    "loaded (basis=部门 or basis=单位 to take only those)."
)

LEVEL = "coalesce(nullif(:level, ''), '1')"


def _code_match(alias: str) -> str:
    """Rows under ``:code`` at the code's own level (类 3, 款 5, 项 7 digits); empty = all."""
    return (
        f"(:code = '' or (case length(:code) when 3 then {alias}.function_class "
        f"when 5 then {alias}.function_section else {alias}.function_code end) = :code)"
    )


# Per department and year, over the ``docs`` of the query: the expenditure under ``:code``.
TOTALS_BY_DEPARTMENT_YEAR = f"""  select
    docs.department, docs.year,
    group_concat(distinct docs.slug) as documents,
    group_concat(distinct docs.level) as basis,
    sum(f.total) as raw_total,
    coalesce({sql_sum('f.total')}, 0) as total,
    coalesce({sql_sum('f.basic')}, 0) as basic,
    coalesce({sql_sum('f.project')}, 0) as project
  from docs
  left join function_expenditure f on f.document = docs.slug and {_code_match('f')}
  group by docs.department, docs.year
"""

FUNCTION_OVER_YEARS = f"""
with docs as (
  select slug, department, year, level from documents
  where slug in ({COUNTED_DOCUMENTS})
    and (:department = '' or department = :department)
),
years as (
{TOTALS_BY_DEPARTMENT_YEAR}),
growth as (
  select
    years.*,
    lag(year) over w as previous_year,
    lag(raw_total) over w as previous_raw
  from years
  window w as (partition by department order by year)
)
select
  department,
  year,
  nullif(:code, '') as code,
  case when :code = '' then '合计' else (select name from function_codes where code = :code) end as name,
  total,
  basic,
  project,
  previous_year,
  {_exact('previous_raw')} as previous_total,
  {_exact('coalesce(raw_total, 0) - previous_raw')} as growth,
  round(100.0 * (coalesce(raw_total, 0) - previous_raw) / nullif(previous_raw, 0), 2) as growth_rate,
  basis,
  documents
from growth
order by department, year
"""

DEPARTMENT_SHARE = f"""
with counted as (
  select slug, department, year, level from documents where slug in ({COUNTED_DOCUMENTS})
),
docs as (
  select * from counted
  where year = coalesce(cast(nullif(:year, '') as integer), (select max(year) from counted))
),
departments as (
{TOTALS_BY_DEPARTMENT_YEAR})
select
  department,
  year,
  nullif(:code, '') as code,
  case when :code = '' then '合计' else (select name from function_codes where code = :code) end as name,
  total,
  basic,
  project,
  round(100.0 * raw_total / nullif((select sum(raw_total) from departments), 0), 2) as share,
  basis,
  documents
from departments
order by raw_total desc, department
"""

EXECUTION_RATE = f"""
with pairs as (
  select
    b.department, b.year, b.level as document_level,
    b.slug as budget_document, f.slug as final_document
  from documents b
  join documents f
    on f.department = b.department and f.year = b.year and f.level = b.level and f.phase = '决算'
  where b.phase = '预算'
    and (:department = '' or b.department = :department)
    and (:year = '' or b.year = cast(:year as integer))
),
lines as (
  select
    pairs.*,
    case {LEVEL} when '1' then e.function_class when '2' then e.function_section
      when '3' then e.function_code end as code,
    case when e.document = pairs.budget_document then e.total end as budget_amount,
    case when e.document = pairs.final_document then e.total end as final_amount
  from pairs
  join function_expenditure e on e.document in (pairs.budget_document, pairs.final_document)
),
grouped as (
  select department, year, document_level, budget_document, final_document, code,
    sum(budget_amount) as raw_budget, sum(final_amount) as raw_final
  from lines
  where code is not null
  group by department, year, document_level, budget_document, final_document, code
  union all
  select department, year, document_level, budget_document, final_document, null,
    sum(budget_amount), sum(final_amount)
  from lines
  where code is not null
  group by department, year, document_level, budget_document, final_document
)
select
  department,
  year,
  document_level,
  grouped.code as code,
  case when grouped.code is null then '合计' else function_codes.name end as name,
  {_exact('coalesce(raw_budget, 0)')} as budget,
  {_exact('coalesce(raw_final, 0)')} as final,
  {_exact('coalesce(raw_final, 0) - coalesce(raw_budget, 0)')} as difference,
  round(100.0 * coalesce(raw_final, 0) / nullif(raw_budget, 0), 2) as execution_rate,
  budget_document,
  final_document
from grouped
left join function_codes on function_codes.code = grouped.code
order by department, year, document_level, grouped.code is not null, grouped.code
"""

COMPARISON_QUERIES = {
    "function_over_years": {
        "title": "功能科目历年变化 A function code across years",
        "description": "部门支出总体情况表 total, basic and project expenditure of one functional "
        "code (code: 类 3, 款 5 or 项 7 digits; empty for the whole budget) for each department "
        "and year, with the change from the department's previous loaded year (growth in 元, "
        "growth_rate in percent). department: as in the documents table; empty for all. "
        "basis says which documents were counted (部门 or 单位), documents lists them." + COUNTED_HELP,
        "sql": FUNCTION_OVER_YEARS,
        "params": ["department", "code", "phase", "basis"],
        "requires": ["documents", "organisation", "function_expenditure", "function_codes"],
    },
    "department_share": {
        "title": "各部门支出占比 Each department's share",
        "description": "Each department's expenditure (部门支出总体情况表) in one year (year: empty "
        "for the latest loaded), in 元, and its share of all departments' expenditure in percent; "
        "code restricts it to one functional code (类, 款 or 项). basis says which documents were "
        "counted (部门 or 单位), documents lists them." + COUNTED_HELP,
        "sql": DEPARTMENT_SHARE,
        "params": ["year", "code", "phase", "basis"],
        "requires": ["documents", "organisation", "function_expenditure", "function_codes"],
    },
    "execution_rate": {
        "title": "预算执行率 Budget against final accounts",
        "description": "For each department and year whose 预算 and 决算 documents (of the same level, "
        "部门 or 单位) are both loaded: expenditure by functional code (level 1 类, 2 款, 3 项) in the "
        "budget and in the final accounts, in 元, the difference, and execution_rate = 决算 / 预算 "
        "in percent. The row with no code is the total. department and year: empty for all.",
        "sql": EXECUTION_RATE,
        "params": ["department", "year", "level"],
        "requires": ["documents", "function_expenditure", "function_codes"],
    },
}


def counted_documents_only(queries: dict) -> dict:
    """The queries whose ``document`` empty meant every loaded document, rewritten so that it
    means the counted documents; names, parameters and columns are kept."""
    out = {}
    for name, query in queries.items():
        if ALL_DOCUMENTS_FILTER not in query["sql"]:
            continue
        out[name] = {
            **query,
            "sql": query["sql"].replace(ALL_DOCUMENTS_FILTER, COUNTED_FILTER),
            "description": query["description"] + COUNTED_HELP,
            "params": list(query["params"]) + [p for p in ("phase", "basis") if p not in query["params"]],
            "requires": list(dict.fromkeys(list(query["requires"]) + ["documents", "organisation"])),
        }
    return out
