"""Reconciliation: every figure checked against the document itself, into the ``checks`` table.

Three families of rules, each with a stable id:

- within a table: ``row.total=basic+project``, ``row.basic=parts``, ``row.project=parts``,
  ``row.income_total=sources``, ``row.economic_class=column``, ``table.sum=declared_total``,
  ``table.sum=subtotal``, ``table.sum=parent_item``, ``table.balance``;
- across tables: ``cross.*`` (收支总表 = detail tables, functional = economic, 基本支出 table =
  economic basic column, economic classes = function-table columns, 三公 = economic items,
  procurement = 办公设备购置);
- the narrative against the tables: ``narrative.claim``, ``narrative.share``,
  ``narrative.unit_price``, ``narrative.quantity``, ``narrative.change``,
  ``narrative.change_rate``, ``narrative.change_sum``, ``narrative.change_balance``.

Amounts are compared exactly as ``Decimal`` 元. A check's ``status`` is pass, fail,
unmatched (a claim not tied to any figure) or skipped (its tables are absent).
Failed checks never fail a load: they are findings about the document.
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from . import claims as narrative_claims
from .amounts import format_yuan, yuan_to_decimal

CHECK_COLUMNS = {
    "id": int, "document": str, "rule": str, "scope": str, "expected": float, "actual": float,
    "difference": float, "unit": str, "status": str, "source_lines": str, "note": str,
}
PRIOR_YEAR_COLUMNS = {
    "id": int, "document": str, "year": int, "item": str, "current": float, "change": float,
    "prior": float, "current_source": str, "source_line": int, "source_lines": str,
}
STATUSES = ("pass", "fail", "unmatched", "skipped")

WAN = Decimal(10000)
ZERO = Decimal(0)

EXPENDITURE_ROLES = ("expenditure", "gpb_expenditure", "fund_expenditure", "capital_expenditure", "economic_expenditure")
CODED_ROLES = ("income",) + EXPENDITURE_ROLES + ("basic_expenditure",)
BASIC_PARTS = ("basic_wages", "basic_family", "basic_goods", "basic_capital")
PROJECT_PARTS = ("project_social", "project_debt", "project_construction", "project_other")
EXTRA_PARTS = ("remit_superior", "operating", "affiliated_subsidy")
INCOME_SOURCES = ("general_budget", "government_fund", "state_capital", "special_account", "business",
                  "operating", "superior_subsidy", "affiliated", "other", "transfer", "carryover")
# economic class -> the basic sub-column of the function tables it belongs in
CLASS_COLUMNS = {"301": "basic_wages", "302": "basic_goods", "303": "basic_family", "309": "basic_capital",
                 "310": "basic_capital"}
COLUMN_LABELS = {
    "total": "合计", "basic": "基本支出", "project": "项目支出", "basic_wages": "工资福利支出",
    "basic_family": "对个人和家庭的补助支出", "basic_goods": "商品服务支出", "basic_capital": "资本性支出",
    "project_social": "社会事业和经济发展项目", "project_debt": "债务项目", "project_construction": "基本建设项目",
    "project_other": "其他项目", "general_budget": "一般公共预算", "appropriation": "财政拨款",
    "government_fund": "政府性基金预算", "state_capital": "国有资本经营预算", "special_account": "财政专户管理的非税收入",
    "business": "事业收入", "operating": "经营收入", "superior_subsidy": "上级补助收入", "affiliated": "附属单位上缴收入",
    "other": "其他收入", "transfer": "上级转移支付", "amount": "金额", "quantity": "数量",
}
# 收支总表 items -> the column of the detail table that holds the same money
SUMMARY_INCOME_ITEMS = [
    (r"^一般公共预算$", "general_budget"), (r"^财政拨款$", "appropriation"), (r"政府性基金", "government_fund"),
    (r"国有资本经营", "state_capital"), (r"财政专户", "special_account"), (r"^事业收入", "business"),
    (r"^事业单位经营收入|^经营收入", "operating"), (r"上级补助", "superior_subsidy"), (r"附属单位", "affiliated"),
    (r"^其他(各项)?收入$", "other"), (r"转移支付", "transfer"),
]
SUMMARY_EXPENDITURE_ITEMS = [
    (r"^基本支出$", "basic"), (r"^项目支出$", "project"), (r"工资福利", "basic_wages"),
    (r"个人和家庭", "basic_family"), (r"商品(和)?服务", "basic_goods"), (r"资本性", "basic_capital"),
    (r"社会事业", "project_social"), (r"债务项目", "project_debt"), (r"基本建设", "project_construction"),
    (r"^其他项目$", "project_other"),
]
# 三公 kinds -> department economic code of the same money
SANGONG_ECONOMIC = {"abroad": "30212", "reception": "30217", "vehicle_operation": "30231", "vehicle_purchase": "31013"}
SANGONG_LABELS = {"abroad": "因公出国（境）费", "reception": "公务接待费", "vehicle": "公务用车购置及运行费",
                  "vehicle_operation": "公务用车运行维护费", "vehicle_purchase": "公务用车购置费", "total": "三公经费"}


# the SUMMARY_*_ITEMS and RESOLVE patterns, each compiled once (re.search(str) looks its
# cache up on every call, and these are tried for every row and every claim)
_regex = cache(re.compile)
COMPACT_RE = re.compile(r"[“”\"\s]")
FUNCTION_LEVELS_RE = re.compile(r"([^（）()]+?)[（(](类|款|项)[）)]")
SPACE_RE = re.compile(r"\s")
CARRY_PARENT_RE = re.compile(r"^[一二三四五六七八九十]*、?(上年结转|年初结转)")


def D(value) -> Decimal:
    """``yuan_to_decimal``, with the common case (an int) first: it is called for every
    amount of every check."""
    if value.__class__ is int:
        return Decimal(value)
    return yuan_to_decimal(value)


def ensure_checks_table(db) -> None:
    if not db["checks"].exists():
        db["checks"].create(CHECK_COLUMNS, pk="id", foreign_keys=[("document", "documents", "slug")])
        db["checks"].create_index(["document", "status"])
        db["checks"].create_index(["document", "rule"])
    else:
        missing = {c: t for c, t in CHECK_COLUMNS.items() if c not in db["checks"].columns_dict}
        for column, kind in missing.items():
            db["checks"].add_column(column, kind)
    if not db["prior_year"].exists():
        db["prior_year"].create(PRIOR_YEAR_COLUMNS, pk="id", foreign_keys=[("document", "documents", "slug")])
        db["prior_year"].create_index(["document"])


def check_status(rows: list[dict]) -> dict:
    """The document's ``check_status`` (fail when any check failed) and ``check_summary``."""
    counts = Counter(r["status"] for r in rows)
    return {"check_status": "fail" if counts["fail"] else "pass",
            "check_summary": ", ".join(f"{s} {counts[s]}" for s in STATUSES)}


def compute_checks(doc) -> tuple[list[dict], list[dict]]:
    """(checks, prior-year rows) of a parsed disclosure; pure, nothing is written."""
    out = Checks(doc)
    tables = {t.role: t for t in doc.tables}
    within_table(out, tables)
    across_tables(out, tables, doc)
    prior = against_narrative(out, tables, doc)
    return out.rows, prior


class Checks:
    """Collects check rows for one document."""

    def __init__(self, doc):
        self.slug = doc.slug
        self.rows: list[dict] = []
        self._source_lines: dict[tuple, str] = {}  # the lines of a check -> their JSON

    def add(self, rule: str, scope: str, expected=None, actual=None, *, status: str | None = None,
            lines=(), note: str | None = None, unit: str = "元", tolerance: Decimal = ZERO) -> dict:
        difference = None
        if expected is not None and actual is not None:
            difference = actual - expected
            if status is None:
                status = "pass" if abs(difference) <= tolerance else "fail"
        row = {
            "document": self.slug, "rule": rule, "scope": scope,
            "expected": _number(expected), "actual": _number(actual), "difference": _number(difference),
            "unit": unit, "status": status or "skipped", "source_lines": self.source_lines(lines), "note": note,
        }
        self.rows.append(row)
        return row

    def source_lines(self, lines) -> str:
        """The JSON of a check's lines; a row's checks, and a total's checks column by
        column, share theirs, so each is written once."""
        key = tuple(lines)
        text = self._source_lines.get(key)
        if text is None:
            text = self._source_lines[key] = _json_lines(key)
        return text

    def skip(self, rule: str, scope: str, missing: list[str]) -> None:
        self.add(rule, scope, status="skipped", note="this document has no " + ", ".join(missing) + " table")


def _number(value):
    if value is None:
        return None
    whole = int(value)
    if whole == value:
        return whole
    return float(value)


def _json_lines(lines) -> str:
    """``json.dumps`` of the sorted distinct line numbers, without the encoder's overhead
    (a list of ints prints the same either way)."""
    return "[" + ", ".join(map(str, sorted({int(n) for n in lines if n is not None}))) + "]"


# -- helpers over parsed tables ---------------------------------------------------------


WHOLE_YUAN = frozenset({int, type(None)})  # the types of a column of whole 元 (None reads as 0)


def _sum(amounts: list) -> Decimal:
    """``sum(D(a) for a in amounts)``. Whole 元 (nearly every table) are summed as ints:
    the same Decimal, without making one per amount."""
    if WHOLE_YUAN.issuperset(map(type, amounts)):
        return Decimal(sum(filter(None, amounts)))
    return sum((D(a) for a in amounts), ZERO)


def _column_sum(rows: list[dict], column: str) -> Decimal:
    return _sum([r["values"].get(column) for r in rows])


def _row_sum(values: dict, columns: list[str]) -> Decimal:
    return _sum([values.get(c) for c in columns])


def _declared(table, kind: str = "total") -> dict | None:
    return next((t for t in table.totals if t.get("kind") == kind), None)


def _table_total(table, column: str) -> tuple[Decimal, list[int]]:
    """A table's declared 合计 for a column, else the sum of its rows."""
    total = _declared(table)
    if total and column in total["values"]:
        return D(total["values"][column]), [total["line"]]
    # a table by budget unit that prints no 合计: its units (the department's row when printed)
    rows = table.rows or [t for t in table.totals if t.get("kind") == "department"] or [
        t for t in table.totals if t.get("kind") == "unit"]
    return _column_sum(rows, column), [r["line"] for r in rows]


def _summary_item(table, side: str, pattern: str) -> dict | None:
    search = _regex(pattern).search
    return next((r for r in table.rows if r["side"] == side and search(r["name"])), None)


def _summary_total(table, side: str) -> dict | None:
    return next((t for t in table.totals if t.get("side") == side), None)


def _label(row: dict) -> str:
    return row.get("code") or row.get("label") or row.get("item") or ""


# -- within a table ----------------------------------------------------------------------


def within_table(out: Checks, tables: dict) -> None:
    for role in EXPENDITURE_ROLES:
        if role not in tables:
            out.skip("row.total=basic+project", role, [role])
            continue
        table = tables[role]
        cols = table.columns
        # the same for every row of the table: whether it has total/basic/project, and the parts
        totalled = {"total", "basic", "project"} <= set(cols)
        total_parts = ["basic", "project", *[c for c in EXTRA_PARTS if c in cols]]
        groups = []  # (rule, group column, the parts it has)
        for group, parts in (("basic", BASIC_PARTS), ("project", PROJECT_PARTS)):
            present = [p for p in parts if p in cols]
            if group in cols and present:
                groups.append((f"row.{group}=parts", group, present))
        for row in table.totals + table.rows:
            v, where, lines = row["values"], f"{role} {_label(row)}", [row["line"]]
            if totalled:
                out.add("row.total=basic+project", where, D(v.get("total")), _row_sum(v, total_parts), lines=lines)
            for rule, group, present in groups:
                out.add(rule, where, D(v.get(group)), _row_sum(v, present), lines=lines)
        if role == "economic_expenditure":
            economic_class_columns(out, table)
        declared_totals(out, role, table)
    if "income" in tables:
        table = tables["income"]
        sources = income_sources(table.columns)
        for row in table.totals + table.rows:
            out.add("row.income_total=sources", f"income {_label(row)}", D(row["values"].get("total")),
                    _row_sum(row["values"], sources), lines=[row["line"]])
        declared_totals(out, "income", table)
    else:
        out.skip("row.income_total=sources", "income", ["income"])
    if "basic_expenditure" in tables:
        table = tables["basic_expenditure"]
        if {"total", "personnel", "public"} <= set(table.columns):
            for row in table.totals + table.rows:
                out.add("row.total=personnel+public", f"basic_expenditure {_label(row)}", D(row["values"].get("total")),
                        D(row["values"].get("personnel")) + D(row["values"].get("public")), lines=[row["line"]])
        declared_totals(out, "basic_expenditure", table)
    else:
        out.skip("table.sum=declared_total", "basic_expenditure", ["basic_expenditure"])
    for role in ("summary", "appropriation_summary"):
        if role in tables:
            summary_sums(out, role, tables[role])
        else:
            out.skip("table.sum=declared_total", role, [role])
    if "sangong" in tables:
        sangong_sums(out, tables["sangong"])
    else:
        out.skip("table.sum=declared_total", "sangong", ["sangong"])
    if "procurement" in tables:
        declared_totals(out, "procurement", tables["procurement"])
    else:
        out.skip("table.sum=declared_total", "procurement", ["procurement"])
    beside_tables(out, tables)


# tables printed beside the main ones, checked only where printed
BESIDE_ROLES = ("appropriation_expenditure", "appropriation_basic_expenditure", "project_economic_expenditure",
                "running_cost")
PROJECT_SOURCES = ("general_budget", "government_fund", "state_capital", "special_account", "other",
                   "carryover_general_budget", "carryover_government_fund", "carryover_state_capital")


def beside_tables(out: Checks, tables: dict) -> None:
    """The 合计 identities of the 财政拨款, 项目支出 and 机关运行经费 tables: each row's parts add
    up to its total, and the rows to their 合计 and 类/款 subtotals."""
    for role in BESIDE_ROLES:
        if role not in tables:
            continue
        table = tables[role]
        cols = set(table.columns)
        for row in table.totals + table.rows:
            v, where, lines = row["values"], f"{role} {_label(row)}", [row["line"]]
            if {"total", "basic", "project"} <= cols:
                out.add("row.total=basic+project", where, D(v.get("total")), _row_sum(v, ["basic", "project"]), lines=lines)
            if {"basic", "basic_personnel", "basic_public"} <= cols:
                out.add("row.basic=parts", where, D(v.get("basic")),
                        _row_sum(v, ["basic_personnel", "basic_public"]), lines=lines)
            if {"total", "personnel", "public"} <= cols:
                out.add("row.total=personnel+public", where, D(v.get("total")),
                        D(v.get("personnel")) + D(v.get("public")), lines=lines)
        declared_totals(out, role, table)
    for role in ("project_expenditure", "department_basic_expenditure"):
        if role in tables:
            project_sums(out, tables[role])


def project_sums(out: Checks, table) -> None:
    """项目支出预算表: each project's sources add up to its total; the projects add up to 合计,
    to the 类/款/项 row they are printed under and to their 类型 / 一级项目 / unit rows. The
    same for the 部门预算基本支出预算表's items under their units."""
    role = table.role
    sources = [c for c in PROJECT_SOURCES if c in table.columns]
    if "total" in table.columns and sources:
        for row in table.totals + table.rows:
            out.add("row.total=sources", f"{role} {row.get('project') or row.get('label')}",
                    D(row["values"].get("total")), _row_sum(row["values"], sources), lines=[row["line"]])
    funds = [c for c in ("general_budget", "government_fund", "state_capital") if c in table.columns]
    if "appropriation" in table.columns and funds:
        for row in table.totals + table.rows:
            out.add("row.appropriation=funds", f"{role} {row.get('project') or row.get('label')}",
                    D(row["values"].get("appropriation")), _row_sum(row["values"], funds), lines=[row["line"]])
    for total in table.totals:
        if total["kind"] == "total":
            items = table.rows
        elif total.get("code"):
            items = [r for r in table.rows if (r.get("code") or "").startswith(total["code"])]
        else:
            items = [r for r in table.rows
                     if total["label"] in (r.get("category"), r.get("parent_project"), r.get("unit_name"))]
        rule = "table.sum=declared_total" if total["kind"] == "total" else "table.sum=subtotal"
        lines = [total["line"]] + [r["line"] for r in items]
        for column, amount in total["values"].items():
            out.add(rule, f"{role} {total.get('label')} {column}", D(amount), _column_sum(items, column),
                    lines=lines, note=None if items else "no projects were read")


def income_sources(columns: list[str]) -> list[str]:
    """The columns that add up to an income row's total. 财政拨款 is part of 一般公共预算
    where the table prints both (其中); where there is no 一般公共预算 column (Shanghai's
    合计 财政拨款收入 事业收入 …, final accounts' 本年收入合计 财政拨款收入 上级补助收入 …)
    it is a source of its own."""
    sources = [c for c in INCOME_SOURCES if c in columns]
    if "appropriation" in columns and "general_budget" not in columns:
        sources.insert(0, "appropriation")
    return sources


def _economic_group(code: str | None) -> str:
    """人员经费 (301 工资福利 + 303 对个人和家庭的补助) or 公用经费 (302, 310 and the rest)."""
    return "personnel" if (code or "")[:3] in ("301", "303") else "public"


def declared_totals(out: Checks, role: str, table) -> None:
    """Line items add up to the declared 合计 row, the department row and 类/款 subtotals."""
    if not table.rows and not table.totals:
        out.add("table.sum=declared_total", role, status="skipped", note="the table is printed empty",
                lines=[table.first_line])
        return
    # a table by budget unit (单位名称 rows, no codes): its units are the parts of 合计 and
    # of the department's own row, and are not checked against anything themselves
    units = [] if table.rows else [t for t in table.totals if t.get("kind") == "unit"]
    for total in table.totals:
        kind = total.get("kind")
        if kind == "subtotal":
            items = [r for r in table.rows if r["code"].startswith(total["code"])]
            rule = "table.sum=subtotal"
        elif kind == "unit" and units:
            continue
        elif kind in ("total", "unit", "department"):
            items = units or table.rows
            rule = "table.sum=declared_total"
        else:
            continue
        lines = [total["line"]] + [r["line"] for r in items]
        for column, amount in total["values"].items():
            these, note = items, None if items else "no line items were read"
            if column in ("personnel", "public") and column not in table.columns and "total" in table.columns:
                # 决算 基本支出 tables print one 决算数 per row and 人员经费合计 / 公用经费合计 below:
                # 人员经费 = classes 301 + 303, 公用经费 = 302 + 310 and any other class
                these = [r for r in items if _economic_group(r.get("code")) == column]
                note = ("the rows of classes " + ("301 + 303" if column == "personnel" else "302 + 310 …")
                        + " (决算数)")
                out.add(rule, f"{role} {total.get('label') or total.get('code')} {column}", D(amount),
                        _column_sum(these, "total"), lines=[total["line"]] + [r["line"] for r in these], note=note)
                continue
            out.add(rule, f"{role} {total.get('label') or total.get('code')} {column}", D(amount),
                    _column_sum(these, column), lines=lines, note=note)


def economic_class_columns(out: Checks, table) -> None:
    """Each economic row's basic amount sits in the column of its class (310 → 资本性支出)."""
    for row in table.rows:
        column = CLASS_COLUMNS.get(row["code"][:3])
        basic = D(row["values"].get("basic"))
        if not column or "basic" not in table.columns or column not in table.columns or basic == 0:
            continue
        actual = D(row["values"].get(column))
        note = None
        if actual != basic:
            booked = [c for c in BASIC_PARTS if c != column and D(row["values"].get(c))]
            note = (f"{row['code']} {row.get('economic_name') or row['name']} is class {row['code'][:3]}, "
                    f"which belongs in {COLUMN_LABELS[column]}, but is booked in "
                    + (", ".join(COLUMN_LABELS[c] for c in booked) or "no column"))
        out.add("row.economic_class=column", f"economic_expenditure {row['code']} {COLUMN_LABELS[column]}", basic,
                actual, lines=[row["line"]], note=note)


def summary_sums(out: Checks, role: str, table) -> None:
    for side in ("收入", "支出"):
        total = _summary_total(table, side)
        tops = _summary_tops(table, side)
        blanks = [r["name"] for r in tops if r["values"]["amount"] is None]
        note = ("printed blank, read as 0: " + "、".join(blanks)) if blanks else None
        if total:
            out.add("table.sum=declared_total", f"{role} {side} {total['label']}", D(total["values"]["amount"]),
                    _column_sum(tops, "amount"), lines=[total["line"]] + [r["line"] for r in tops], note=note)
        else:
            out.add("table.sum=declared_total", f"{role} {side}", status="skipped", note=f"no {side}合计 row was read")
        for parent in tops:
            children = [r for r in table.rows if r["side"] == side and r["depth"] == 2 and r["parent"] == parent["name"]]
            if not children or parent["values"]["amount"] is None:
                continue
            out.add("table.sum=parent_item", f"{role} {side} {parent['item']}", D(parent["values"]["amount"]),
                    _column_sum(children, "amount"), lines=[parent["line"]] + [r["line"] for r in children])
        grand = _summary_grand_total(table, side)
        if total and grand:
            carry = _summary_carry(table, side)
            out.add("table.sum=declared_total",
                    f"{role} {side} {grand['label']} = {total['label']} + " + " + ".join(r["name"] for r in carry),
                    D(grand["values"]["amount"]), D(total["values"]["amount"]) + _column_sum(carry, "amount"),
                    lines=[grand["line"], total["line"]] + [r["line"] for r in carry])
    balance(out, role, table)


def balance(out: Checks, role: str, table) -> None:
    """收入 = 支出. A budget balances this year's income and spending; final accounts balance
    总计 = 总计: 本年收入 + 年初结转和结余 (+ 使用非财政拨款结余) = 本年支出 + 年末结转和结余 (+ 结余分配)."""
    income, spending = _summary_total(table, "收入"), _summary_total(table, "支出")
    if not (income and spending):
        return
    carry_in, carry_out = _summary_carry(table, "收入"), _summary_carry(table, "支出")
    grand_in, grand_out = _summary_grand_total(table, "收入"), _summary_grand_total(table, "支出")
    if grand_in and grand_out:
        out.add("table.balance", f"{role} 总计 = 总计 (收入 {grand_in['label']} = 支出 {grand_out['label']})",
                D(grand_in["values"]["amount"]), D(grand_out["values"]["amount"]),
                lines=[grand_in["line"], grand_out["line"]])
    elif any(r["values"]["amount"] for r in carry_in + carry_out):
        out.add("table.balance", f"{role} 本年收入 + 结转 = 本年支出 + 结转",
                D(income["values"]["amount"]) + _column_sum(carry_in, "amount"),
                D(spending["values"]["amount"]) + _column_sum(carry_out, "amount"),
                lines=[income["line"], spending["line"]] + [r["line"] for r in carry_in + carry_out])
    else:
        out.add("table.balance", f"{role} 收入合计 = 支出合计", D(income["values"]["amount"]),
                D(spending["values"]["amount"]), lines=[income["line"], spending["line"]])


def _summary_tops(table, side: str) -> list[dict]:
    """The items of a side's 本年合计: its top-level items printed above that total (the
    carry-overs printed below it, and their parts, belong to 总计)."""
    total = _summary_total(table, side)
    tops = [r for r in table.rows if r["side"] == side and r["depth"] == 1]
    if total is not None and not any(r["line"] <= total["line"] for r in tops):
        # 合计 printed first, above its items (重庆): its items are the ones below it
        return tops
    return [r for r in tops if total is None or r["line"] <= total["line"]]


def _summary_carry(table, side: str) -> list[dict]:
    """Carry-over items of a side (年初结转和结余, 使用非财政拨款结余 / 年末结转和结余, 结余分配):
    printed below 本年合计 at the top level."""
    total = _summary_total(table, side)
    if total is None:
        return []
    first = not any(r["line"] <= total["line"] for r in table.rows if r["side"] == side and r["depth"] == 1)
    return [r for r in table.rows if r["side"] == side and r["depth"] == 0 and (first or r["line"] > total["line"])]


def _summary_grand_total(table, side: str) -> dict | None:
    """A side's 总计 row printed below its 本年合计 row, when the table prints both."""
    first = _summary_total(table, side)
    return next((t for t in table.totals if t.get("side") == side and t is not first and "总计" in t["label"]), None)


def sangong_sums(out: Checks, table) -> None:
    total = _declared(table)
    # rows per budget unit (unit_name) are checked against their unit's 合计, not the department's
    department = [r for r in table.rows if not r.get("unit_name")]
    tops = [r for r in department if r["depth"] == 1]
    if total:
        out.add("table.sum=declared_total", "sangong 合计", D(total["values"]["amount"]), _column_sum(tops, "amount"),
                lines=[total["line"]] + [r["line"] for r in tops])
    for unit in (t for t in table.totals if t.get("kind") == "unit" and t.get("unit_name")):
        parts = [r for r in table.rows if r.get("unit_name") == unit["unit_name"] and r["depth"] == 1]
        out.add("table.sum=declared_total", f"sangong {unit['unit_name']} 合计", D(unit["values"]["amount"]),
                _column_sum(parts, "amount"), lines=[unit["line"]] + [r["line"] for r in parts])
    units = [t for t in table.totals if t.get("kind") == "unit" and t.get("unit_name")]
    if total and units:
        out.add("table.sum=declared_total", "sangong 合计 = its units", D(total["values"]["amount"]),
                _column_sum(units, "amount"), lines=[total["line"]] + [u["line"] for u in units])
    for n, row in enumerate(table.rows):
        if row["depth"] != 1:
            continue
        # an item's parts are the depth-2 rows right below it; 机关运行经费 (depth 0), printed
        # in the same table, is no part of 三公
        children = []
        for following in table.rows[n + 1:]:
            if following["depth"] != 2 or following.get("unit_name") != row.get("unit_name"):
                break
            children.append(following)
        if children:
            out.add("table.sum=parent_item", f"sangong {row['item']}", D(row["values"]["amount"]),
                    _column_sum(children, "amount"), lines=[row["line"]] + [r["line"] for r in children])


# -- across tables -----------------------------------------------------------------------


def across_tables(out: Checks, tables: dict, doc) -> None:
    def need(rule: str, scope: str, *roles: str) -> bool:
        missing = [r for r in roles if r not in tables or not (tables[r].rows or tables[r].totals)]
        if missing:
            out.skip(rule, scope, missing)
        return not missing

    budget = doc.meta.get("phase") != "决算"
    if need("cross.summary=income", "summary 收入 / income", "summary", "income"):
        summary, income = tables["summary"], tables["income"]
        total = _summary_total(summary, "收入")
        amount, lines = _table_total(income, "total")
        scope = "本年收入合计 = income 合计"
        if total and "carryover" in income.columns and total["label"].startswith("本年"):
            # the income table's 合计 includes its 上年结转 column; 本年收入合计 does not
            amount -= _table_total(income, "carryover")[0]
            scope = "本年收入合计 = income 合计 - 上年结转"
        if total:
            out.add("cross.summary=income", scope, amount, D(total["values"]["amount"]),
                    lines=lines + [total["line"]])
        for pattern, column in SUMMARY_INCOME_ITEMS:
            item = _summary_item(summary, "收入", pattern)
            if item and column in income.columns:
                amount, lines = _table_total(income, column)
                out.add("cross.summary=income", f"{item['item']} = income {column}", amount,
                        D(item["values"]["amount"]), lines=lines + [item["line"]],
                        note="printed blank in 收支总表, read as 0" if item["values"]["amount"] is None else None)
    if need("cross.summary=expenditure", "summary 支出 / expenditure", "summary", "expenditure"):
        summary_vs_expenditure(out, tables["summary"], tables["expenditure"], "cross.summary=expenditure")
        summary_classes(out, tables["summary"], [tables["expenditure"]], "cross.summary=expenditure", tables)
    if "appropriation_summary" in tables and "gpb_expenditure" in tables:
        funds = [tables[r] for r in ("gpb_expenditure", "fund_expenditure", "capital_expenditure")
                 if r in tables and (r == "gpb_expenditure" or tables[r].rows or tables[r].totals)]
        summary_classes(out, tables["appropriation_summary"], funds, "cross.appropriation_summary=fund_tables", tables)
    if budget and need("cross.income=expenditure", "income / expenditure", "income", "expenditure"):
        income, spending = tables["income"], tables["expenditure"]
        a, la = _table_total(income, "total")
        b, lb = _table_total(spending, "total")
        out.add("cross.income=expenditure", "收入合计 = 支出合计 (收支平衡)", a, b, lines=la + lb)
        spent = {r["code"]: r for r in spending.rows}
        for row in income.rows:
            match = spent.get(row["code"])
            out.add("cross.income=expenditure", f"function {row['code']} {row['name']}", D(row["values"].get("total")),
                    D(match["values"].get("total")) if match else ZERO,
                    lines=[row["line"]] + ([match["line"]] if match else []),
                    note=None if match else "no expenditure row with this code")
    if need("cross.appropriation_summary=fund_tables", "appropriation_summary", "appropriation_summary"):
        appropriation_vs_funds(out, tables)
    if need("cross.function_total=economic_total", "gpb_expenditure / economic_expenditure",
            "gpb_expenditure", "economic_expenditure"):
        function, economic = tables["gpb_expenditure"], tables["economic_expenditure"]
        for column in function.columns:
            if column not in economic.columns:
                continue
            a, la = _table_total(function, column)
            out.add("cross.function_total=economic_total", f"一般公共预算 {COLUMN_LABELS.get(column, column)}", a,
                    _column_sum(economic.rows, column), lines=la + [r["line"] for r in economic.rows])
    if need("cross.basic_table=economic_basic", "basic_expenditure / economic_expenditure",
            "basic_expenditure", "economic_expenditure"):
        basic_vs_economic(out, tables["basic_expenditure"], tables["economic_expenditure"])
    if need("cross.economic_class=function_column", "economic_expenditure classes", "economic_expenditure"):
        economic_classes(out, tables)
    if need("cross.sangong=economic", "sangong / economic_expenditure", "sangong", "economic_expenditure"):
        sangong, economic = tables["sangong"], tables["economic_expenditure"]
        by_class = bool(economic.rows) and all(len(r["code"]) == 3 for r in economic.rows)
        if by_class:
            out.add("cross.sangong=economic", "sangong / economic_expenditure", status="skipped",
                    note="the economic table prints 类 rows only, not the 款 of the 三公 items")
        for kind, code in SANGONG_ECONOMIC.items() if not by_class else ():
            row = next((r for r in sangong.rows if r["kind"] == kind and not r.get("unit_name")), None)
            items = [r for r in economic.rows if r["code"] == code]
            out.add("cross.sangong=economic", f"{SANGONG_LABELS[kind]} = economic {code}",
                    _column_sum(items, "total"), D(row["values"]["amount"]) if row else ZERO,
                    lines=([row["line"]] if row else []) + [r["line"] for r in items],
                    note=None if row else "not printed in the 三公 table, read as 0")
    if need("cross.procurement=equipment", "procurement / economic_expenditure", "procurement", "economic_expenditure"):
        procurement, economic = tables["procurement"], tables["economic_expenditure"]
        amount, lines = _table_total(procurement, "amount")
        items = [r for r in economic.rows if r["code"] == "31002"]
        others = sorted({r["category"] for r in procurement.rows} - {"办公设备购置"})
        out.add("cross.procurement=equipment", "政府采购合计 = economic 31002 办公设备购置", _column_sum(items, "total"),
                amount, lines=lines + [r["line"] for r in items],
                note=("procurement also covers " + "、".join(others)) if others else None)


def summary_vs_expenditure(out: Checks, summary, spending, rule: str) -> None:
    total = _summary_total(summary, "支出")
    if total:
        amount, lines = _table_total(spending, "total")
        out.add(rule, f"本年支出合计 = {spending.role} 合计", amount, D(total["values"]["amount"]), lines=lines + [total["line"]])
    for pattern, column in SUMMARY_EXPENDITURE_ITEMS:
        item = _summary_item(summary, "支出", pattern)
        if item and column in spending.columns:
            amount, lines = _table_total(spending, column)
            out.add(rule, f"{item['item']} = {spending.role} {COLUMN_LABELS[column]}", amount, D(item["values"]["amount"]),
                    lines=lines + [item["line"]],
                    note="printed blank in 收支总表, read as 0" if item["values"]["amount"] is None else None)


@cache
def _function_reference() -> dict[str, dict]:
    """The functional classification's reference rows, read from the package data once
    rather than for every document (and twice more per document)."""
    from .classification import reference

    return reference("function")


def function_names(tables: dict) -> dict[str, set[str]]:
    """Function code -> its names: as the document's own tables print them (rows and 类/款
    subtotal rows), and as the reference data names them."""
    names: dict[str, set[str]] = {code: {ref["name"]} for code, ref in _function_reference().items()}
    for role in ("income", "expenditure", "gpb_expenditure", "fund_expenditure", "capital_expenditure"):
        if role not in tables:
            continue
        for row in tables[role].rows + [t for t in tables[role].totals if t.get("kind") == "subtotal"]:
            if row.get("code") and row.get("name"):
                names.setdefault(row["code"], set()).add(SPACE_RE.sub("", row["name"]))
    return names


def code_amount(table, code: str) -> tuple[Decimal, list[int], bool]:
    """A function code's total in a table: its printed row or 类/款 subtotal row, else the sum of
    its line items. (amount, lines, whether the table has the code at all)."""
    printed = next((r for r in table.totals + table.rows if r.get("code") == code), None)
    if printed is not None:
        return D(printed["values"].get("total")), [printed["line"]], True
    items = [r for r in table.rows if (r.get("code") or "").startswith(code)]
    return _column_sum(items, "total"), [r["line"] for r in items], bool(items)


def summary_classes(out: Checks, summary, details: list, rule: str, tables: dict) -> None:
    """The 收支总表's 支出 items that name a functional class (卫生健康支出) = that class in the
    detail tables (for the 财政拨款收支总表: summed over the three fund tables)."""
    names = function_names(tables)
    classes = {name: code for code, found in names.items() if len(code) == 3 for name in found}
    for item in _summary_tops(summary, "支出"):
        code = classes.get(item["name"])
        if code is None:
            continue
        amount, lines, present = ZERO, [], False
        for table in details:
            a, where, found = code_amount(table, code)
            amount, lines, present = amount + a, lines + where, present or found
        printed = item["values"]["amount"]
        if printed is None and not present:
            continue
        out.add(rule, f"{item['item']} = " + " + ".join(t.role for t in details) + f" {code}", amount, D(printed),
                lines=lines + [item["line"]],
                note=("printed blank, read as 0" if printed is None else None) if present
                else f"no {code} row in the detail table")


def appropriation_vs_funds(out: Checks, tables: dict) -> None:
    summary = tables["appropriation_summary"]
    funds = [("gpb_expenditure", r"^一般公共预算$"), ("fund_expenditure", r"政府性基金"),
             ("capital_expenditure", r"国有资本经营")]
    total_spent, lines, missing = ZERO, [], []
    for role, pattern in funds:
        item = _summary_item(summary, "收入", pattern)
        if role not in tables:
            missing.append(role)
            continue
        amount, where = _table_total(tables[role], "total")
        total_spent += amount
        lines += where
        # the fund's 上年结转 (printed under 二、上年结转) is spent in the fund's table too
        search = _regex(pattern).search
        carry = next((r for r in summary.rows if r["side"] == "收入" and r["depth"] == 2 and r is not item
                      and CARRY_PARENT_RE.match(r.get("parent") or "") and search(r["name"])), None)
        if item:
            printed = D(item["values"]["amount"]) + (D(carry["values"]["amount"]) if carry else ZERO)
            out.add("cross.appropriation_summary=fund_tables",
                    f"{item['item']}{' + ' + carry['parent'] + ' ' + carry['item'] if carry else ''} = {role} 合计",
                    amount, printed,
                    lines=where + [item["line"]] + ([carry["line"]] if carry else []),
                    note="printed blank in 财政拨款收支总表, read as 0" if item["values"]["amount"] is None else None)
    total = _summary_total(summary, "支出")
    if total and not missing:
        out.add("cross.appropriation_summary=fund_tables", "财政拨款 本年支出合计 = sum of the three fund tables",
                total_spent, D(total["values"]["amount"]), lines=lines + [total["line"]])
    elif missing:
        out.skip("cross.appropriation_summary=fund_tables", "财政拨款 本年支出合计", missing)


def basic_vs_economic(out: Checks, basic, economic) -> None:
    if "basic" not in economic.columns:
        out.add("cross.basic_table=economic_basic", "basic_expenditure / economic_expenditure", status="skipped",
                note="the economic table prints no 基本支出 column")
        return
    if economic.rows and all(len(r["code"]) == 3 for r in economic.rows):
        # an economic table by 类 only (泉州): compare class by class
        for row in economic.rows:
            items = [r for r in basic.rows if r["code"][:3] == row["code"]]
            out.add("cross.basic_table=economic_basic", f"economic {row['code']} {row.get('economic_name') or row['name']}",
                    _column_sum(items, "total"), D(row["values"].get("basic")),
                    lines=[row["line"]] + [r["line"] for r in items])
        amount, lines = _table_total(basic, "total")
        out.add("cross.basic_table=economic_basic", "基本支出 合计", amount, _column_sum(economic.rows, "basic"),
                lines=lines + [r["line"] for r in economic.rows])
        return
    by_code: dict[str, list[dict]] = {}
    for row in economic.rows:
        by_code.setdefault(row["code"], []).append(row)
    seen = set()
    for row in basic.rows:
        items = by_code.get(row["code"], [])
        seen.add(row["code"])
        out.add("cross.basic_table=economic_basic", f"economic {row['code']} {row['name']}", D(row["values"].get("total")),
                _column_sum(items, "basic"), lines=[row["line"]] + [r["line"] for r in items],
                note=None if items else "not in the economic table")
    for code, items in by_code.items():
        if code not in seen and _column_sum(items, "basic"):
            out.add("cross.basic_table=economic_basic", f"economic {code} {items[0].get('economic_name')}", ZERO,
                    _column_sum(items, "basic"), lines=[r["line"] for r in items], note="not in the 基本支出 table")
    amount, lines = _table_total(basic, "total")
    out.add("cross.basic_table=economic_basic", "基本支出 合计", amount, _column_sum(economic.rows, "basic"),
            lines=lines + [r["line"] for r in economic.rows])


def economic_classes(out: Checks, tables: dict) -> None:
    """Economic-class sums of the basic column = the matching columns of the function tables
    and 收支总表 (301 工资福利, 302 商品服务, 303 对个人和家庭的补助, 310 资本性)."""
    economic = tables["economic_expenditure"]
    economic_total = _table_total(economic, "total")[0]
    classes: dict[str, list[dict]] = {}
    for row in economic.rows:
        classes.setdefault(row["code"][:3], []).append(row)
    targets = []
    for role in ("gpb_expenditure", "expenditure"):
        if role in tables and tables[role].rows:
            targets.append((role, tables[role]))
    for role in ("summary", "appropriation_summary"):
        if role in tables and tables[role].rows:
            targets.append((role, tables[role]))
    for column in ("basic_wages", "basic_goods", "basic_family", "basic_capital"):
        codes = sorted(c for c, col in CLASS_COLUMNS.items() if col == column)
        items = [r for c in codes for r in classes.get(c, [])]
        amount = _column_sum(items, "basic")
        label = "+".join(c for c in codes if c in classes) or codes[0]
        misbooked = [r for r in economic.rows if CLASS_COLUMNS.get(r["code"][:3]) and CLASS_COLUMNS[r["code"][:3]] != column
                     and D(r["values"].get(column))]
        stray = [r for r in items if D(r["values"].get(column)) != D(r["values"].get("basic"))]
        note_rows = misbooked + stray
        note = ("economic rows booked in another class's column: " + "; ".join(
            f"{r['code']} {r.get('economic_name')} (line {r['line']})" for r in note_rows)) if note_rows else None
        for role, table in targets:
            scope = f"economic {label} basic = {role} {COLUMN_LABELS[column]}"
            if role in ("summary", "appropriation_summary"):
                pattern = next(p for p, c in SUMMARY_EXPENDITURE_ITEMS if c == column)
                item = _summary_item(table, "支出", pattern)
                total = _summary_total(table, "支出")
                if item is None:
                    continue
                if total and D(total["values"]["amount"]) != economic_total:
                    out.add("cross.economic_class=function_column", scope, status="skipped",
                            note="the statement covers other funds than 一般公共预算", lines=[item["line"]])
                    continue
                expected, lines = D(item["values"]["amount"]), [item["line"]]
                blank = item["values"]["amount"] is None
            else:
                if column not in table.columns:
                    continue
                if role == "expenditure" and _table_total(table, "total")[0] != economic_total:
                    out.add("cross.economic_class=function_column", scope, status="skipped",
                            note="the table covers other funds than 一般公共预算")
                    continue
                expected, lines = _table_total(table, column)
                blank = False
            out.add("cross.economic_class=function_column", scope, expected, amount,
                    lines=lines + [r["line"] for r in items + misbooked],
                    note="; ".join(n for n in [note, "printed blank, read as 0" if blank else None] if n) or None)


# -- the narrative against the tables -------------------------------------------------------


class Figure(dict):
    """A table figure a claim can be tied to: label, amount (元), lines, and its base for shares."""


def _figure(label: str, amount, lines, base: "Figure | None" = None, key: str | None = None, note=None) -> Figure:
    return Figure(label=label, amount=amount, lines=[n for n in lines if n is not None], base=base, key=key or label,
                  note=note)


def figures(tables: dict, doc) -> dict:
    """Named figures of the tables, for the resolver."""
    f: dict = {}
    if "summary" in tables:
        s = tables["summary"]
        for side, key in (("收入", "income_total"), ("支出", "expenditure_total")):
            t = _summary_total(s, side)
            if t:
                f[key] = _figure(f"收支总表 {t['label']}", D(t["values"]["amount"]), [t["line"]], key=key,
                                 note="printed blank, read as 0" if t["values"].get("amount") is None else None)
        grand = _summary_grand_total(s, "收入")
        if grand:
            f["grand_total"] = _figure(f"收支总表 {grand['label']}", D(grand["values"]["amount"]), [grand["line"]])
        else:  # 本年收入合计 73606.56 … 上年结转结余 7600.00 … 收入合计 81206.56
            first = _summary_total(s, "收入")
            carried = next((t for t in s.totals if t.get("side") == "收入" and t is not first
                            and re.fullmatch(r"收入(合计|总计)", COMPACT_RE.sub("", t["label"]))), None)
            if carried and carried["values"].get("amount") is not None:
                f["income_with_carryover"] = _figure(f"收支总表 {carried['label']}", D(carried["values"]["amount"]),
                                                     [carried["line"]])
        for row in s.rows:
            f[f"summary:{row['side']}:{row['name']}"] = _figure(
                f"收支总表 {row['item']}", D(row["values"]["amount"]), [row["line"]], key=f"summary:{row['side']}:{row['name']}",
                note="printed blank, read as 0" if row["values"]["amount"] is None else None)
    for role, key in (("income", "income_total"), ("expenditure", "expenditure_total")):
        if key not in f and role in tables:
            amount, lines = _table_total(tables[role], "total")
            f[key] = _figure(f"{role} 合计", amount, lines, key=key)
    if "expenditure" in tables:
        e = tables["expenditure"]
        for column in ("basic", "project", "basic_wages", "basic_family", "basic_goods", "basic_capital"):
            if column not in e.columns:
                continue
            amount, lines = _table_total(e, column)
            f[f"expenditure:{column}"] = _figure(f"部门支出总体情况表 {COLUMN_LABELS[column]}", amount, lines,
                                                 base=f.get("expenditure_total"), key=f"expenditure:{column}")
        f.update(function_classes(e, "expenditure", f.get("expenditure_total")))
    if "income" in tables:
        i = tables["income"]
        for column in i.columns:
            amount, lines = _table_total(i, column)
            f[f"income:{column}"] = _figure(f"部门收入总体情况表 {COLUMN_LABELS.get(column, column)}", amount, lines,
                                            base=f.get("income_total"))
    if "gpb_expenditure" in tables and (tables["gpb_expenditure"].rows or tables["gpb_expenditure"].totals):
        g = tables["gpb_expenditure"]
        amount, lines = _table_total(g, "total")
        f["gpb_total"] = _figure("一般公共预算支出情况表 合计", amount, lines, key="gpb_total",
                                 base=f.get("expenditure_total"))
        f.update(function_classes(g, "gpb", f["gpb_total"]))
    if "appropriation_summary" in tables:
        a = tables["appropriation_summary"]
        for row in a.rows:
            f[f"appropriation:{row['side']}:{row['name']}"] = _figure(
                f"财政拨款收支总表 {row['item']}", D(row["values"]["amount"]), [row["line"]],
                note="printed blank, read as 0" if row["values"]["amount"] is None else None)
    if "basic_expenditure" in tables:
        b = tables["basic_expenditure"]
        amount, lines = _table_total(b, "total")
        f["basic_table_total"] = base = _figure("一般公共预算基本支出情况表 合计", amount, lines)
        personnel = [r for r in b.rows if r["code"][:3] in ("301", "303")]
        public = [r for r in b.rows if r["code"][:3] not in ("301", "303")]
        f["personnel"] = _figure("基本支出表 301+303 (人员经费)", _column_sum(personnel, "total"),
                                 [r["line"] for r in personnel], base=base)
        f["public"] = _figure("基本支出表 302+310 … (公用经费)", _column_sum(public, "total"),
                              [r["line"] for r in public], base=base)
        for column, label in (("personnel", "人员经费"), ("public", "公用经费")):
            if column in b.columns:  # the table's own 人员经费 / 公用经费 columns: 30399 may be printed as 公用经费
                amount, lines = _table_total(b, column)
                f[column] = _figure(f"基本支出表 {label} column", amount, lines, base=base)
        for total in b.totals:  # 人员经费合计 / 公用经费合计 as the table prints them
            for column in ("personnel", "public"):
                if total.get("kind") == "total" and column in total["values"] and column not in b.columns:
                    f[column] = _figure(f"基本支出表 {total['label']}", D(total["values"][column]), [total["line"]],
                                        base=base)
                    printed = [t for t in b.totals if t.get("kind") == "total" and set(t["values"]) & {"personnel", "public"}]
                    if len(printed) == 2:  # 人员经费合计 + 公用经费合计 is the table's total
                        base["amount"] = sum((D(v) for t in printed for v in t["values"].values()), ZERO)
                        base["lines"] = [t["line"] for t in printed]
    if "sangong" in tables:
        t = tables["sangong"]
        total = _declared(t)
        if total:
            f["sangong:total"] = _figure("三公 合计", D(total["values"]["amount"]), [total["line"]])
        for row in t.rows:
            f.setdefault(f"sangong:{row['kind']}", _figure(f"三公 {row['label']}", D(row["values"]["amount"]), [row["line"]],
                                                           base=f.get("sangong:total") if row["depth"] else None))
        for kind in ("abroad", "reception", "vehicle_operation", "vehicle_purchase"):
            if "sangong:total" in f:
                f.setdefault(f"sangong:{kind}", _figure(f"三公 {SANGONG_LABELS[kind]} (not printed)", ZERO, [],
                                                        note="not printed in the 三公 table, read as 0"))
    if "procurement" in tables:
        p = tables["procurement"]
        amount, lines = _table_total(p, "amount")
        f["procurement:total"] = _figure("政府采购预算表 合计", amount, lines)
        for row in p.rows:
            f[f"procurement:{row['item']}"] = row
    f["_tables"] = tables
    targets = doc.performance.get("targets", []) if doc.performance else []
    projects = [t for t in targets if t.get("kind") == "项目"]
    for t in projects:
        amount = (t.get("fields") or {}).get("项目本年度金额")
        if amount:
            f[f"project:{t.get('name')}"] = _figure(f"支出项目绩效目标表 {t.get('name')} 项目本年度金额",
                                                    Decimal(amount), [t.get("first_line")])
    for key, value in f.items():
        if isinstance(value, Figure):
            value["key"] = key
    f["_classes"] = [(key, key.split(":class:")[1]) for key in f if ":class:" in key]  # (key, class name)
    return f


def function_classes(table, prefix: str, base) -> dict:
    names = _function_reference()
    out = {}
    classes: dict[str, list[dict]] = {}
    for row in table.rows:
        classes.setdefault(row["code"][:3], []).append(row)
    printed = {t["code"]: t for t in table.totals
               if t.get("kind") == "subtotal" and t.get("code") and len(t["code"]) == 3
               and t["values"].get("total") is not None}
    for code, rows in classes.items():
        name = (names.get(code) or {}).get("name") or code
        if code in printed:  # the 类 row as printed: its 项 rows, each rounded to 0.01, may add up to 0.01 more or less
            row = printed[code]
            out[f"{prefix}:class:{name}"] = _figure(f"{table.role} {code} {name} (类 row)", D(row["values"]["total"]),
                                                    [row["line"]], base=base)
            continue
        out[f"{prefix}:class:{name}"] = _figure(f"{table.role} {code} {name}", _column_sum(rows, "total"),
                                                [r["line"] for r in rows], base=base)
    return out


# subject pattern -> figure keys to try, in order; context (section) patterns narrow some
RESOLVE = [
    (r"三公", None, ["sangong:total"]),
    (r"因公出国", None, ["sangong:abroad"]),
    (r"购置及运行", None, ["sangong:vehicle"]),
    (r"公务用车购置|公务车购置", None, ["sangong:vehicle_purchase"]),
    (r"公务用车运行", None, ["sangong:vehicle_operation"]),
    (r"公务接待", None, ["sangong:reception"]),
    (r"运行经费", None, ["sangong:running_cost", "expenditure:basic_goods"]),
    (r"采购", None, ["procurement:total"]),
    (r"人员经费", None, ["personnel"]),
    (r"公用经费", None, ["public"]),
    (r"工资福利", None, ["summary:支出:工资福利支出", "expenditure:basic_wages"]),
    (r"商品和?服务", None, ["summary:支出:商品服务支出", "summary:支出:商品和服务支出", "expenditure:basic_goods"]),
    (r"个人和家庭", None, ["summary:支出:对个人和家庭的补助支出", "expenditure:basic_family"]),
    (r"资本性", None, ["summary:支出:资本性支出", "expenditure:basic_capital"]),
    (r"整体绩效", None, ["expenditure:basic"]),
    (r"专项经费|绩效目标金额", None, ["project:*", "expenditure:project"]),
    (r"基本支出", r"一般公共预算(财政拨款)?基本支出", ["basic_table_total"]),
    (r"基本支出", None, ["expenditure:basic"]),
    (r"项目支出", None, ["expenditure:project"]),
    (r"一般公共预算收支", None, ["appropriation:收入:一般公共预算"]),
    (r"一般公共预算(财政)?拨款支出|一般公共预算支出", None, ["gpb_total"]),
    (r"政府性基金.*收支|政府性基金收支", None, ["appropriation:收入:政府性基金预算"]),
    (r"国有资本经营.*收支", None, ["appropriation:收入:国有资本经营预算"]),
    (r"政府性基金", None, ["summary:收入:政府性基金预算", "summary:收入:政府性基金", "income:government_fund"]),
    (r"国有资本经营", None, ["summary:收入:国有资本经营预算", "income:state_capital"]),
    (r"财政拨款", None, ["summary:收入:财政拨款", "income:appropriation"]),
    (r"行政事业性收费", None, ["summary:收入:行政事业性收费收入"]),
    (r"专项收入", None, ["summary:收入:专项收入"]),
    (r"有偿使用", None, ["summary:收入:国有资源资产有偿使用收入", "summary:收入:国有资产资源有偿使用收入"]),
    (r"其他收入", None, ["summary:收入:其他一般公共预算收入", "summary:收入:其他收入", "summary:收入:其他各项收入",
                       "income:other"]),
    (r"转移支付", None, ["summary:收入:上级转移支付", "income:transfer"]),
    (r"经营收入", None, ["summary:收入:事业单位经营收入", "summary:收入:经营收入", "income:operating"]),
    (r"上级补助收入", None, ["summary:收入:上级补助收入", "income:superior_subsidy"]),
    (r"附属单位上缴", None, ["summary:收入:附属单位上缴收入", "income:affiliated"]),
    (r"事业收入", None, ["summary:收入:事业收入", "income:business"]),
    (r"^一般公共预算$", None, ["summary:收入:一般公共预算", "income:general_budget"]),
    (r"(收入支出|收支)总计$", None, ["grand_total", "income_total"]),
    (r"收入(预算)?(总计|合计)?$", None, ["income_total"]),
    (r"(^|本年|部门)支出(预算)?(总计|合计)?$|支出(预算)?(总计|合计)$", None, ["expenditure_total"]),
]


# a part of the procurement total: 政府采购货物预算 / 拟采购工程支出 / 一般公共预算拨款政府采购
PROCUREMENT_PART_RE = re.compile(r"货物|工程|服务|拨款|基金|资金")
# a source of income named with 收入: 一般公共预算拨款收入 / 财政专户管理资金收入 are not the income total
INCOME_SOURCE_RE = re.compile(r"拨款|专户|资金|事业|经营|上级|附属|其他|结转|基金|一般公共预算|国有|收费")
# the 说明 of the 财政拨款 tables: 三、财政拨款情况说明 / 一般公共预算当年拨款情况说明
APPROPRIATION_CONTEXT_RE = re.compile(r"财政拨款|拨款情况")


def resolve(subject: str, context: str, figs: dict, kind: str) -> tuple[Figure | None, str | None]:
    """The figure a claim's subject names; (None, reason) when none is found."""
    fig, reason = _resolve(subject, context, figs, kind)
    if (fig is not None and APPROPRIATION_CONTEXT_RE.search(context) and kind == "amount"
            and str(fig.get("key", "")).startswith("expenditure:") and not _appropriation_only(figs)):
        # 财政拨款 基本支出 33325.21万元 in the 财政拨款 说明: the table of all funds holds more money
        return None, (f"the 财政拨款 part of {fig['label']}; this document's income is not all 财政拨款, "
                      "so the table of all funds does not hold it")
    carried = figs.get("grand_total") or figs.get("income_with_carryover")
    if (fig is not None and fig.get("key") == "income_total" and "本年" not in subject
            and carried and carried["amount"] != fig["amount"]):
        # 本部门收入预算 66307.98万元: the income with 上年结转 (收入总计) or without (本年收入合计)
        return Figure(fig, alternative=carried), None
    return fig, reason


# 政府采购品目: A 货物 (设备, 家具, 车辆 …), B 工程, C 服务; the tables print the class or the 品目
PROCUREMENT_CLASSES = [("货物", re.compile(r"货物|设备|购置|家具|车辆|用品|器材")), ("工程", re.compile(r"工程")),
                       ("服务", re.compile(r"服务"))]


def procurement_part(subject: str, compact: str, figs: dict) -> tuple[Figure | None, str | None]:
    """政府采购货物预算 486.50万元: the rows of the procurement table of that class (货物/工程/服务),
    when every row's 品目 tells its class; a part by source of funds (一般公共预算拨款政府采购)
    is not in the table."""
    part = next((name for name, _ in PROCUREMENT_CLASSES if name in compact), None)
    if part is None or re.search(r"拨款|基金|资金", compact):
        return None, f"{subject}: the procurement table does not split procurement by source of funds"
    table = figs["_tables"].get("procurement")
    if table is None:
        return None, "the table holding procurement is not in this document"
    classes = []
    for row in table.rows:
        found = [name for name, pattern in PROCUREMENT_CLASSES if pattern.search(row.get("category") or "")]
        classes.append(found[0] if len(found) == 1 else None)
    if not table.rows or None in classes:
        return None, f"{subject}: the procurement table does not say which of its rows are {part}"
    rows = [r for r, c in zip(table.rows, classes) if c == part]
    return _figure(f"政府采购预算表 {part} rows", _column_sum(rows, "amount"), [r["line"] for r in rows],
                   key=f"procurement:class:{part}"), None


def _appropriation_only(figs: dict) -> bool:
    """All of the year's income is 财政拨款: the tables of all funds are those of 财政拨款."""
    total = figs.get("income_total")
    appropriation = next((figs[k] for k in ("summary:收入:财政拨款", "income:appropriation") if k in figs), None)
    return bool(total and appropriation and total["amount"] == appropriation["amount"])


def _resolve(subject: str, context: str, figs: dict, kind: str) -> tuple[Figure | None, str | None]:
    compact = COMPACT_RE.sub("", subject)
    if compact.startswith("主要用于"):
        # “农林水支出”科目 83万元，主要用于人员经费 18万元: a use of that item's money, not the department's
        return None, f"{subject}: what the item before it is used for, not a figure of the tables"
    path = FUNCTION_LEVELS_RE.findall(compact)
    if path and kind == "amount":
        return function_figure(path, context, figs)
    if "procurement:total" not in figs and (kind in ("unit_price", "quantity") or "采购" in context):
        return None, "the table holding procurement is not in this document"
    if "采购" in compact and kind == "amount" and PROCUREMENT_PART_RE.search(compact):
        return procurement_part(subject, compact, figs)
    if kind in ("unit_price", "quantity") or (kind == "amount" and "采购" in context and "采购" not in compact):
        for key, row in figs.items():
            if key.startswith("procurement:") and key != "procurement:total" and compact and compact in row["item"]:
                return row, None
        if kind in ("unit_price", "quantity"):
            return None, f"no procurement item named {subject}"
    for name_key, name in figs["_classes"]:
        if compact == name or compact.endswith(name):
            prefix = "gpb" if "一般公共预算" in context and f"gpb:class:{name}" in figs else "expenditure"
            return figs.get(f"{prefix}:class:{name}") or figs[name_key], None
    for pattern, context_pattern, keys in RESOLVE:
        if not _regex(pattern).search(compact):
            continue
        if context_pattern and not _regex(context_pattern).search(context + compact):
            continue
        if keys == ["income_total"] and INCOME_SOURCE_RE.search(compact):
            continue  # 财政专户管理资金收入 0万元: one source of income, not the total
        if pattern == "财政拨款" and re.search(r"费.*财政拨款", compact):
            continue  # 委托业务费财政拨款总额: the 财政拨款 part of a cost, not the 财政拨款 income
        for key in keys:
            if key.endswith("*"):
                matches = [v for k, v in figs.items() if k.startswith(key[:-1])]
                if len(matches) == 1:
                    return matches[0], None
                continue
            if key in figs:
                return figs[key], None
        return None, "the table holding " + " / ".join(keys) + " is not in this document"
    return None, f"no table figure is known for {subject!r}"


def function_figure(path: list[tuple[str, str]], context: str, figs: dict) -> tuple[Figure | None, str | None]:
    """The figure a “一般公共服务支出（类）统计信息事务（款）专项普查活动（项）” names: walk the
    functional codes by the names the document's tables (and the reference) print for them,
    and take that code's figure from the 一般公共预算 table, else the all-funds table."""
    tables = figs.get("_tables") or {}
    names = function_names(tables)
    levels = {"类": 3, "款": 5, "项": 7}
    code, missed = "", []
    for name, level in path:
        width = levels[level]
        found = [c for c, n in names.items() if len(c) == width and c.startswith(code) and name in n]
        if len(found) == 1:
            code = found[0]
        else:
            missed.append(f"{name}（{level}）")
    if not code or (missed and len(code) < 7 and any(level == "项" for _, level in path)):
        # a 款 printed under another name: the 项 may still be found under its class
        name = next((n for n, level in path if level == "项"), None)
        prefix = code[:3]
        found = [c for c, n in names.items() if len(c) == 7 and prefix and c.startswith(prefix) and name in n]
        if len(found) == 1:
            code = found[0]
        if not code or len(found) != 1 and missed:
            return None, "no functional code is named " + "".join(f"{n}（{l}）" for n, l in path)
    note = ("printed as " + "、".join(missed) + f"; tied by the other names to {code}") if missed else None
    appropriation = "一般公共预算" in context or bool(APPROPRIATION_CONTEXT_RE.search(context))
    roles = ["gpb_expenditure", "expenditure"] if appropriation else ["expenditure", "gpb_expenditure"]
    for role in roles:
        if role not in tables:
            continue
        amount, lines, present = code_amount(tables[role], code)
        if present:
            base = figs.get("gpb_total") if role == "gpb_expenditure" else figs.get("expenditure_total")
            name = sorted(names.get(code, {""}))[0]
            return _figure(f"{tables[role].role} {code} {name}", amount, lines, base=base,
                           key=f"{role}:code:{code}", note=note), None
    return None, f"no row {code} in the function tables"


def _wan(yuan: Decimal) -> Decimal:
    return yuan / WAN


def _compare(claimed: Decimal, decimals: int, exact: Decimal) -> tuple[str, str | None]:
    """pass when the claim is the exact figure rounded to its printed precision; a claim
    that matches only when the figure is truncated passes with a note saying so."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP)
    truncated = exact.quantize(quantum, rounding=ROUND_DOWN)
    shown = _plain(exact.quantize(Decimal(1).scaleb(-max(decimals + 2, 4))))
    if claimed == rounded:
        if decimals < 2 and exact != rounded:
            return "pass", f"printed to {decimals} decimal place(s); the figure is {shown}"
        return "pass", None
    if claimed == truncated:
        return "pass", f"matches only by truncation: {shown} rounds to {rounded}, the document prints {claimed}"
    return "fail", f"rounded to the printed precision the figure is {rounded}"


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))


def narrative_sections(doc) -> list[dict]:
    """The 说明's sections: those before the first table and those printed after the last
    (:func:`disclosure.read_disclosure` reads both)."""
    return list((doc.narrative or {}).get("sections", []))


def against_narrative(out: Checks, tables: dict, doc) -> list[dict]:
    sections = narrative_sections(doc)
    found = narrative_claims.parse_claims(sections, doc.source.lines)
    if not found:
        out.add("narrative.claim", "说明", status="skipped", note="no amounts were found in the narrative")
        return []
    figs = figures(tables, doc)
    year = doc.meta.get("year")
    tied: dict[int, Figure] = {}  # id(claim) -> figure
    skipped: dict[int, str] = {}  # id(claim) -> why its figure's table is absent
    stated_current: dict[str, tuple[Decimal, object]] = {}  # figure key -> (万元 as stated, claim)
    changes: dict[str, object] = {}  # figure key -> change claim
    prior_rows: list[dict] = []
    for claim in found:
        scope = f"说明 {claim.heading}: {claim.subject} {claim.value}{claim.unit}".strip()
        if claim.kind == "share":
            base_claim = claim.refers_to
            fig = tied.get(id(base_claim)) if base_claim is not None else None
            base = fig.get("base") if fig else None
            if base_claim is not None and id(base_claim) in skipped:
                out.add("narrative.share", scope, status="skipped", lines=claim.lines, note=skipped[id(base_claim)])
                continue
            if not fig or not base or not base["amount"]:
                out.add("narrative.share", scope, status="unmatched", lines=claim.lines,
                        note="could not tell which figure this share is of" if not fig else f"no total for {fig['label']}")
                continue
            exact = fig["amount"] / base["amount"] * 100
            status, note = _compare(claim.value, claim.decimals, exact)
            out.add("narrative.share", f"{scope} of {base['label']}", exact.quantize(Decimal("0.0001")), claim.value,
                    status=status, lines=claim.lines + fig["lines"] + base["lines"], note=note, unit="%")
            continue
        if claim.kind == "prior":
            # 2023年当年预算执行数为 60.13万元: last year's figure, stored, and the base of the rate
            current = claim.refers_to.value if claim.refers_to is not None else None
            prior_rows.append({
                "document": doc.slug, "year": claim.year or (year - 1 if year else None), "item": claim.subject,
                "current": _number(current * WAN) if current is not None else None,
                "change": _number((current - claim.value) * WAN) if current is not None else None,
                "prior": _number(claim.value * WAN), "current_source": "narrative",
                "source_line": claim.lines[0] if claim.lines else None, "source_lines": json.dumps(claim.lines),
            })
            continue
        if claim.kind == "budget":
            out.add("narrative.budget_figure", scope, status="skipped", lines=claim.lines,
                    note="年初预算: a figure of the year's budget, not of this document's tables; "
                         "it is the base of the completion rate stated with it")
            continue
        if claim.kind == "execution_rate" or (claim.kind == "change_rate" and claim.prior is not None):
            current, base = claim.refers_to, claim.prior
            rule = f"narrative.{claim.kind}"
            if current is None or not base.value:
                out.add(rule, scope, status="skipped" if current is not None else "unmatched", lines=claim.lines,
                        note="the figure it is measured from is 0" if current is not None
                        else "could not tell which figure this rate is of")
                continue
            if claim.kind == "execution_rate":
                exact, formula = current.value / base.value * 100, f"{current.value} / {base.value}"
            else:
                exact = (current.value - base.value) / base.value * 100
                formula = f"({current.value} - {base.value}) / {base.value}"
            status, note = _compare(claim.value, claim.decimals, exact)
            out.add(rule, f"{scope} = {formula}", exact.quantize(Decimal("0.0001")), claim.value, status=status,
                    lines=claim.lines + current.lines + base.lines, note=note, unit="%")
            continue
        if claim.kind == "change_rate":
            change = claim.refers_to
            key = tied[id(change)]["key"] if change is not None and id(change) in tied else None
            current = stated_current.get(key, (None,))[0] if key else None
            if change is not None and id(change) in skipped:
                out.add("narrative.change_rate", scope, status="skipped", lines=claim.lines, note=skipped[id(change)])
                continue
            if change is None or current is None:
                out.add("narrative.change_rate", scope, status="unmatched", lines=claim.lines,
                        note="could not tell which change this rate is of")
                continue
            prior = current - change.value
            if prior == 0:
                out.add("narrative.change_rate", scope, status="skipped", lines=claim.lines, note="prior-year figure is 0")
                continue
            exact = change.value / prior * 100
            status, note = _compare(claim.value, claim.decimals, exact)
            out.add("narrative.change_rate", f"{scope} = {change.value} / {_plain(prior)}", exact.quantize(Decimal("0.0001")),
                    claim.value, status=status, lines=claim.lines + change.lines, note=note, unit="%")
            continue
        fig, reason = resolve(claim.subject, claim.heading, figs, claim.kind)
        if claim.kind == "change" and fig is None and claim.refers_to is not None and id(claim.refers_to) in tied:
            fig, reason = tied[id(claim.refers_to)], None
        elif claim.kind == "change" and fig is None and claim.refers_to is not None and id(claim.refers_to) in skipped:
            reason = skipped[id(claim.refers_to)]
        if fig is None:
            status = "skipped" if reason and "not in this document" in reason else "unmatched"
            if status == "skipped":
                skipped[id(claim)] = reason
            out.add(f"narrative.{'claim' if claim.kind == 'amount' else claim.kind}", scope, status=status,
                    lines=claim.lines, note=reason)
            continue
        tied[id(claim)] = fig
        if claim.kind == "change":
            key = fig["key"]
            changes[key] = claim
            if key in stated_current:
                current, source = stated_current[key][0], "narrative"
            else:
                current, source = _wan(fig["amount"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "table"
            prior = current - claim.value
            prior_year = claim.year or (year - 1 if year else None)
            prior_rows.append({
                "document": doc.slug, "year": prior_year, "item": claim.subject or fig["label"],
                "current": _number(current * WAN), "change": _number(claim.value * WAN), "prior": _number(prior * WAN),
                "current_source": source, "source_line": claim.lines[0] if claim.lines else None,
                "source_lines": json.dumps(claim.lines),
            })
            out.add("narrative.change", f"{scope} ({fig['label']})", prior * WAN, current * WAN, status="pass",
                    lines=claim.lines,
                    note=f"implies {prior_year} {claim.subject or fig['label']} {_plain(prior)}万元 = "
                         f"{_plain(current)} {'-' if claim.value >= 0 else '+'} {_plain(abs(claim.value))}")
            continue
        if claim.kind == "quantity":
            exact = Decimal(fig["values"]["quantity"])
            out.add("narrative.quantity", f"{scope} ({fig['item']})", exact, claim.value, lines=claim.lines + [fig["line"]],
                    unit="件", note=None if claim.unit == fig.get("measure") else f"the table counts in {fig.get('measure')}")
            continue
        if claim.kind == "unit_price":
            quantity = Decimal(fig["values"]["quantity"] or 0)
            if not quantity:
                out.add("narrative.unit_price", scope, status="unmatched", lines=claim.lines, note="quantity 0 in the table")
                continue
            exact = _wan(D(fig["values"]["amount"]) / quantity)
            status, note = _compare(claim.value, claim.decimals, exact)
            out.add("narrative.unit_price", f"{scope} ({fig['item']})", exact, claim.value, status=status,
                    lines=claim.lines + [fig["line"]], note=note, unit="万元")
            continue
        if "values" in fig:  # a procurement row named by its item
            fig = _figure(f"政府采购 {fig['item']}", D(fig["values"]["amount"]), [fig["line"]])
            tied[id(claim)] = fig
        exact = _wan(fig["amount"])
        status, note = _compare(claim.value, claim.decimals, exact)
        if status == "fail" and fig.get("alternative"):
            # a bare 收入 names either income total: it is the one it equals, if any
            other = fig["alternative"]
            other_status, other_note = _compare(claim.value, claim.decimals, _wan(other["amount"]))
            if other_status == "pass":
                fig = _figure(other["label"], other["amount"], other["lines"], key=other.get("key"),
                              note=f"收入 read as {other['label']} (with 上年结转), not {fig['label']}")
                exact, status, note = _wan(fig["amount"]), other_status, other_note
            else:
                note = f"{note}; it is not {other['label']} {_plain(_wan(other['amount']))} either"
        if status == "fail" and "printed blank" in (fig.get("note") or ""):
            # a blank cell read as 0 can confirm a stated 0, not refute a figure: it may be one not read
            out.add("narrative.claim", f"{scope} ({fig['label']})", status="unmatched", lines=claim.lines + fig["lines"],
                    note=f"{fig['label']} is printed blank in the table")
            continue
        notes = [n for n in (note, fig.get("note")) if n]
        out.add("narrative.claim", f"{scope} = {fig['label']}", exact, claim.value, status=status,
                lines=claim.lines + fig["lines"], note="; ".join(notes) or None, unit="万元")
        stated_current.setdefault(fig["key"], (claim.value, claim))
    for claim in found:
        if claim.kind == "amount" and len(claim.parts) >= 2:
            parts_sum(out, claim)
    change_sums(out, changes, stated_current, figs)
    return prior_rows


def parts_sum(out: Checks, total) -> None:
    """An amount and the parts its 其中 lists (政府采购预算 1662.44万元，其中：货物 93.98、工程
    815.87、服务 752.59): the parts add up to it. Parts that add up to less may be a partial
    list (其中 names some of the money), so only a sum that equals passes and one that
    exceeds the total fails."""
    # the parts name the same kind of money: 政府采购货物预算 … of 政府采购预算, 基本支出 … of 支出预算
    stem = re.sub(r"(预算|金额|总额|[（(].*?[）)])", "", re.sub(r"[“”\s]", "", total.subject))[-2:]
    if len(stem) < 2 or not all(stem in c.subject for c in total.parts):
        return
    parts = sum((c.value for c in total.parts), ZERO)
    scope = (f"说明 {total.heading}: {total.subject} {total.value}万元 = "
             + " + ".join(f"{c.subject} {c.value}" for c in total.parts)).strip()
    lines = total.lines + [n for c in total.parts for n in c.lines]
    if parts < total.value:
        out.add("narrative.parts_sum", scope, total.value, parts, status="skipped", unit="万元", lines=lines,
                note="the parts listed after 其中 add up to less than the total: they may name only some of it")
        return
    out.add("narrative.parts_sum", scope, total.value, parts, unit="万元", lines=lines,
            note=None if parts == total.value else "the parts listed after 其中 add up to more than the total")


# a total's stated change = the sum of its items' stated changes
def change_sums(out: Checks, changes: dict, stated_current: dict, figs: dict) -> None:
    relations = [("sangong:total", ["sangong:abroad", "sangong:vehicle_purchase", "sangong:vehicle_operation",
                                    "sangong:reception"])]
    # income total = the three funds of the 财政拨款收支总表, when all income is 财政拨款
    funds = ["appropriation:收入:一般公共预算", "appropriation:收入:政府性基金预算", "appropriation:收入:国有资本经营预算"]
    appropriation_total = sum((figs[k]["amount"] for k in funds if k in figs), ZERO)
    if "income_total" in figs and figs["income_total"]["amount"] == appropriation_total:
        relations.append(("income_total", funds))
    for total_key, item_keys in relations:
        total = changes.get(total_key)
        if total is None:
            continue
        stated = [changes[k] for k in item_keys if k in changes]
        missing = [k for k in item_keys if k not in changes and k in figs and figs[k]["amount"]]
        scope = f"{total.subject} {total.value}万元 = " + " + ".join(f"{c.subject} {c.value}" for c in stated)
        if missing:
            out.add("narrative.change_sum", scope, status="skipped", lines=total.lines,
                    note="no stated change for " + "、".join(figs[k]["label"] for k in missing))
            continue
        items = sum((c.value for c in stated), ZERO)
        note = None
        if items != total.value:
            note = (f"the stated change of {total.subject} ({total.value}万元) is not the sum of its items' stated changes "
                    f"({_plain(items)}万元)")
        out.add("narrative.change_sum", scope, total.value, items, unit="万元",
                lines=total.lines + [n for c in stated for n in c.lines], note=note)
    income, spending = changes.get("income_total"), changes.get("expenditure_total")
    if income is not None and spending is not None:
        out.add("narrative.change_balance", f"收入 change {income.value} = 支出 change {spending.value}", income.value,
                spending.value, unit="万元", lines=income.lines + spending.lines)


# -- the report ------------------------------------------------------------------------------


def report_lines(db_path: str | Path, document: str | None = None) -> tuple[list[str], bool]:
    """The reconciliation report of a database: per document, counts per status, then each
    fail and unmatched check (and each pass that carries a note). Returns (lines, any failed)."""
    conn = sqlite3.connect(f"file:{Path(db_path)}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        if "checks" not in tables or "documents" not in tables:
            return [f"{db_path}: no checks; load documents with `datasette budget load` first."], False
        where, params = ("where slug = ?", [document]) if document else ("", [])
        docs = [r["slug"] for r in conn.execute(f"select slug from documents {where} order by slug", params)]
        if document and not docs:
            return [f"{db_path}: no document {document!r}."], False
        lines: list[str] = []
        failed = False
        for slug in docs:
            rows = conn.execute("select * from checks where document = ? order by id", [slug]).fetchall()
            counts = Counter(r["status"] for r in rows)
            failed = failed or counts["fail"] > 0
            lines.append(f"{slug}: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES))
            for status in ("fail", "unmatched"):
                for r in (r for r in rows if r["status"] == status):
                    lines.append(_report_line(r))
            noted = [r for r in rows if r["status"] == "pass" and r["note"]]
            if noted:
                lines.append(f"  passed with a note ({len(noted)}):")
                lines.extend(_report_line(r) for r in noted)
            prior = conn.execute("select * from prior_year where document = ? order by id", [slug]).fetchall() \
                if "prior_year" in tables else []
            if prior:
                lines.append(f"  prior-year figures implied by the stated changes ({len(prior)}):")
                for p in prior:
                    lines.append(f"    {p['year']} {p['item']}: {_plain(yuan_to_decimal(p['prior']) / WAN)}万元 "
                                 f"(line {p['source_line']})")
            lines.append("")
        return lines, failed
    finally:
        conn.close()


def _format(value, unit) -> str:
    if value is None:
        return "—"
    if unit == "元":
        return format_yuan(value)
    return _plain(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))


def _report_line(r) -> str:
    unit = r["unit"] or "元"
    lines = json.loads(r["source_lines"] or "[]")
    where = f"lines {', '.join(map(str, lines))}" if lines else "no lines"
    text = (f"  {r['status'].upper():9} {r['rule']}  [{r['scope']}]  expected {_format(r['expected'], unit)}, "
            f"actual {_format(r['actual'], unit)}, difference {_format(r['difference'], unit)} {unit}; {where}")
    if r["note"]:
        text += f"\n            {r['note']}"
    return text
