"""Coded tables read from their grid: each body row's cells, under header columns with label
paths, become a line item (a classification code, its name, its amounts), a 类/款 subtotal,
a declared 合计, a unit's row, or an unparsed line with its reason.

The grid says which column a figure is in, so nothing here counts amounts: a blank cell is
a known blank (0 元), a cell that is not a number is reported, and a column is what its
header labels say. Codes are read in every layout the family prints:

- split over 类 / 款 / 项 columns (``201 | 08 | 01``; the 类 row fills only the first);
- one code column (``2010301``);
- fused with the name (``[2010301]行政运行``, ``2010301-行政运行``, ``2010301 行政运行``);
- no code at all: the name is matched against the code list, the code marked inferred, or
  the row is reported.

``read_coded(table, "function", columns, rows)`` fills a :class:`ParsedTable`.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..amounts import to_yuan
from ..classification import reference
from ..vocabulary import (
    BASIC_COLUMN_WORDS,
    CARRYOVER_LABEL_RE,
    CODE_LABEL_RE,
    CODE_PART_LABELS,
    EXPENDITURE_COLUMN_WORDS,
    INCOME_COLUMN_WORDS,
    NAME_LABEL_RE,
    RUNNING_COST_COLUMN_WORDS,
    PRIOR_YEAR_LABEL_RE,
    ROW_NUMBER_LABEL_RE,
    TOTAL_ROW_RE,
    YEAR_LABEL_RE,
)
from .parsed import ParsedTable

# 18,129,249 / 120258,600 (a template printing only the last separator) / 87267272.44 / -3.5
AMOUNT_CELL_RE = re.compile(r"^-?\d[\d,]*(?:\.\d+)?$")
BLANK_CELLS = {"", "-", "—", "－", "--", "/"}
# [2010301]行政运行 / 【2010301】行政运行 / 2010301-行政运行 / 2010301 行政运行 / 2010301行政运行
FUSED_CODE_RE = re.compile(r"^[\[【(（]?(\d{3}(?:\d{2}){0,2})[\]】)）]?\s*[-－—.、:：]?\s*(\D.*)?$")
SPACED_CODE_RE = re.compile(r"^(\d{3})(?:\s+(\d{2}))?(?:\s+(\d{2}))?$")
UNIT_CODE_RE = re.compile(r"^\d{6}$")
UNIT_LABEL_RE = re.compile(r"单位|部门")
LABELLED_TOTAL_RE = re.compile(r"^(\S+?)(?:合计|总计)$")

SPECS = {
    "expenditure": EXPENDITURE_COLUMN_WORDS,
    "income": INCOME_COLUMN_WORDS,
    "basic": BASIC_COLUMN_WORDS,
    "running_cost": RUNNING_COST_COLUMN_WORDS,
}
GROUPS = {"basic": "basic", "project": "project"}
# the panel columns the loader stores; another panel's column is reported, not kept
PANEL_COLUMNS = {
    "expenditure": {"prior_year", "prior_year_total", "prior_year_basic", "prior_year_project",
                    "carryover_total", "carryover_basic", "carryover_project"},
    "income": set(),
    "basic": set(),
    "running_cost": set(),
}


def compact(text: str | None) -> str:
    return "".join((text or "").split())


def is_column_numbers(texts: list[str]) -> bool:
    """``** | ** | 1 | 2 | 3``: the row numbering the columns, printed under the header (also
    alone at the top of a continuation page)."""
    return bool(texts) and any(t == "**" or t in ("栏次", "行次") for t in texts) and all(
        t in ("**", "栏次", "行次", "甲", "乙", "丙") or t.isdigit() and len(t) <= 2 for t in texts)


def cell_amount(text: str | None, unit: str) -> tuple[int | float | None, str | None]:
    """(元, problem) of one cell: a blank cell is ``(None, None)``; a cell that is not a
    plain number is ``(None, reason)``. Commas are only separators inside a cell."""
    t = compact(text)
    if t in BLANK_CELLS:
        return None, None
    if not AMOUNT_CELL_RE.match(t):
        return None, f"cell {t!r} is not an amount"
    return to_yuan(Decimal(t.replace(",", "")), unit), None


def panel_of(path: tuple[str, ...], years: list[int]) -> str:
    """"" for this year's figures, "prior_year" or "carryover" for a panel beside them."""
    for label in path:
        t = compact(label)
        if PRIOR_YEAR_LABEL_RE.search(t):
            return "prior_year"
        if CARRYOVER_LABEL_RE.search(t) and not re.search(r"合计|总计", t):
            return "carryover"
        m = YEAR_LABEL_RE.search(t)
        if m and years and int(m.group(1)) < max(years):
            return "prior_year"
    return ""


def column_kind(path: tuple[str, ...], spec) -> str | None:
    """What a column of a coded table holds, from its labels (top → bottom).

    ``column_kind(("项目", "功能分类科目编码", "款"), ...) == "code:1"``;
    ``column_kind(("2026年预算数", "基本支出", "人员经费"), EXPENDITURE) == "basic_personnel"``.
    """
    labels = [compact(l) for l in path if compact(l)]
    if not labels:
        return None
    leaf = labels[-1]
    if leaf in CODE_PART_LABELS and (len(labels) == 1 or any(CODE_LABEL_RE.search(l) for l in labels)):
        return f"code:{CODE_PART_LABELS[leaf]}"
    if ROW_NUMBER_LABEL_RE.match(leaf):
        return "row_number"
    if CODE_LABEL_RE.search(leaf):
        return "code"
    if NAME_LABEL_RE.search(leaf):
        return "name"
    # an amount column: the deepest label that names a column, 合计/小计 under a group is the group
    for depth in range(len(labels) - 1, -1, -1):
        label = labels[depth]
        for column, pattern in spec:
            if re.search(pattern, label):
                if column == "total":
                    group = next((c for l in reversed(labels[:depth]) for c, p in spec
                                  if c in GROUPS and re.search(p, l)), None)
                    return group or "total"
                return column
    if YEAR_LABEL_RE.search(leaf):
        return "total"  # 2025年预算数: a panel of one column
    if any(CODE_LABEL_RE.search(l) for l in labels):
        return "code"
    if any(NAME_LABEL_RE.search(l) for l in labels):
        return "name"
    return None


def columns_of(paths: list[tuple[str, ...]], spec, allowed: set[str] | None = None) -> list[str | None]:
    """Each column's kind, with a panel prefix (``prior_year_total``; a one-column panel is
    just ``prior_year``; a panel column the loader does not store is ``unknown``). A second
    column of one kind (合计 beside the panel's 小计) is ``same:<kind>``: it must agree with
    the first, or the row is flagged."""
    years = [int(m.group(1)) for p in paths for l in p for m in [YEAR_LABEL_RE.search(compact(l))] if m]
    kinds = []
    panels = [panel_of(p, years) for p in paths]
    for path, panel in zip(paths, panels):
        kind = column_kind(path, spec)
        if kind is None and panel:
            kind = "total"  # a panel of one column: 2025年预算数
        if kind and panel and not kind.startswith(("code", "name", "row_number")):
            kind = panel if panels.count(panel) == 1 else f"{panel}_{kind}"
            if allowed is not None and kind not in allowed:
                kind = "unknown"
        kinds.append(kind)
    seen: set[str] = set()
    for n, kind in enumerate(kinds):
        if kind in seen and kind and not kind.startswith(("code", "row_number")) and kind != "unknown":
            # 合计 and the panel's 小计 both printed: the second must agree with the first
            kinds[n] = "name2" if kind == "name" else f"same:{kind}"
        seen.add(kind)
    return kinds


def _plus(a, b):
    total = Decimal(str(a)) + Decimal(str(b))
    return int(total) if total == total.to_integral_value() else float(total)


def split_code(text: str) -> tuple[str | None, str]:
    """(code, name) of a cell that may print both: ``[2010301]行政运行`` → ("2010301", "行政运行")."""
    t = text.strip()
    m = SPACED_CODE_RE.match(t)
    if m:
        return "".join(p for p in m.groups() if p), ""
    m = re.match(r"^(\d{3}(?:\s+\d{2}){1,2})\s+(\D.*)$", t)
    if m:
        return "".join(m.group(1).split()), m.group(2).strip()
    m = FUSED_CODE_RE.match(compact(t)) if t[:1] in "[【(（" or t[:1].isdigit() else None
    if m and len(m.group(1)) in (3, 5, 7):
        return m.group(1), (m.group(2) or "").strip()
    return None, t


def unparsed(row, reason: str, role: str) -> dict:
    return {"page": row.page, "line": row.line, "text": row.text, "reason": reason, "table_role": role}


def _names(system: str) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for code, r in reference(system).items():
        names.setdefault(compact(r["name"]), []).append(code)
    return names


NAME_CACHE: dict[str, dict[str, list[str]]] = {}


def infer_code(name: str, system: str) -> str | None:
    """The code of a name printed without one, when the code list has exactly one code for it."""
    if system not in NAME_CACHE:
        NAME_CACHE[system] = _names(system)
    codes = NAME_CACHE[system].get(compact(name), [])
    return codes[0] if len(codes) == 1 else None


def blocks_of(paths: list[tuple[str, ...]], spec) -> list[tuple[int, int]]:
    """(first, end) column ranges of the tables printed side by side in one grid: a block
    starts again where a code (or name) column follows the amounts of the block before
    (the 决算 基本支出 table: 人员经费 left, 公用经费 right)."""
    starts = [0]
    amounts = False
    for n, path in enumerate(paths):
        kind = column_kind(path, spec)
        if kind in ("code", "code:0", "name") and amounts:
            starts.append(n)
            amounts = False
        elif kind and not kind.startswith(("code", "name", "row_number")):
            amounts = True
    return list(zip(starts, starts[1:] + [len(paths)]))


def read_coded(table: ParsedTable, system: str, paths: list[tuple[str, ...]], rows, spec_name: str = "expenditure",
               header_labels: set[str] | None = None) -> ParsedTable:
    """Fill ``table`` from a grid: ``paths`` are the columns' header labels, ``rows`` the body
    rows (each with ``page``, ``line``, ``text`` and ``cells``, one per column, None when blank)."""
    blocks = blocks_of(paths, SPECS[spec_name])
    labels = header_labels or {compact(l) for p in paths for l in p if compact(l)}
    columns: list[str] = []
    for first, end in blocks:
        block_rows = [r._replace(cells=list(r.cells)[first:end]) for r in rows]
        _read_block(table, system, paths[first:end], block_rows, spec_name, labels)
        columns += [c for c in table.columns if c not in columns]
    table.columns = columns
    table.header = [" / ".join(p) for p in paths]
    separate_subtotals(table)
    mark_departments(table)
    return table


def mark_departments(table: ParsedTable) -> None:
    """In rows by unit, the department's own row (its code the prefix of its units' codes,
    or, by name only, the row that repeats the 合计 above the units) is kind ``department``:
    the units are the parts of 合计, the department row is their sum again."""
    units = [t for t in table.totals if t["kind"] == "unit"]
    codes = [u["code"] for u in units if u.get("code")]
    total = next((t for t in table.totals if t["kind"] == "total"), None)
    for n, unit in enumerate(units):
        code = unit.get("code")
        parent = code and any(c != code and c.startswith(code) for c in codes)
        repeats = (not code and total is not None and n == 0 and len(units) > 2
                   and unit["values"] == total["values"])
        if parent or repeats:
            unit["kind"] = "department"


def _read_block(table: ParsedTable, system: str, paths: list[tuple[str, ...]], rows, spec_name: str,
                labels: set[str]) -> None:
    spec = SPECS[spec_name]
    kinds = columns_of(paths, spec, {c for c, _ in spec} | PANEL_COLUMNS[spec_name])
    unit = table.unit
    role = table.role
    amount_columns = [(n, k) for n, k in enumerate(kinds)
                      if k and k != "unknown" and not k.startswith(("code", "name", "row_number", "same:"))]
    # a panel column the loader does not store, or a column no header word names
    unknown = [n for n, k in enumerate(kinds) if k == "unknown" or k is None]
    same = [(n, k[5:]) for n, k in enumerate(kinds) if k and k.startswith("same:")]
    table.columns = [k for _, k in amount_columns]
    if "basic" not in table.columns and {"basic_personnel", "basic_public"} <= set(table.columns):
        table.columns.insert(table.columns.index("basic_personnel"), "basic")
    # rows by budget unit (单位名称 / 部门代码 …) instead of by classification code
    by_unit = any(UNIT_LABEL_RE.search(compact(l)) and "科目" not in compact(l)
                  for n, k in enumerate(kinds) if k in ("code", "name") for l in paths[n])
    for row in rows:
        cells = list(row.cells) + [None] * (len(kinds) - len(row.cells))
        parts = {}
        code = name = None
        label_texts = []
        for n, kind in enumerate(kinds):
            text = (cells[n] or "").strip()
            if not text:
                continue
            if kind and kind.startswith("code:"):
                parts[int(kind[5:])] = compact(text)
            elif kind == "code":
                code = text
            elif kind in ("name", "name2"):
                name = text if name is None else f"{name} {text}"
        texts = [compact(c) for c in cells if compact(c)]
        if texts and all(t in labels for t in texts):
            continue  # the header printed again on a continuation page
        if is_column_numbers(texts):
            continue  # the column-number row under the header: ** ** 1 2 3
        if parts:
            joined = "".join(parts.get(i, "") for i in range(3))
            if TOTAL_ROW_RE.match(joined):
                label_texts.append(joined)
            elif re.fullmatch(r"\d{3}(\d{1,2}){0,2}", joined):
                code = "".join(p.zfill(2) if i else p for i, p in sorted(parts.items()))
            else:
                name = f"{joined} {name or ''}".strip()
        printed_code = code
        if code is not None and not re.fullmatch(r"\d+", compact(code)):
            c, rest = split_code(code)
            if c is None:
                label_texts.append(compact(code))
                code = None
            else:
                code = c
                name = f"{rest} {name or ''}".strip() or name
        elif code is not None:
            code = compact(code)
        inferred = False
        if code is None and name:
            c, rest = split_code(name)
            if c is not None:
                code, printed_code, name = c, name, rest
        values, problems = {}, []
        for n, column in amount_columns:
            value, problem = cell_amount(cells[n], unit)
            if problem:
                problems.append(problem)
            values[column] = 0 if value is None else value
        if "basic" not in values and "basic_personnel" in values and "basic_public" in values:
            # 基本支出 printed only as 人员经费 | 公用经费, with no subtotal column: their sum
            values["basic"] = _plus(values["basic_personnel"], values["basic_public"])
        printed = any(compact(cells[n]) not in BLANK_CELLS for n, _ in amount_columns)
        # a panel column the loader does not store: only a blank or 0 loses nothing
        dropped = [n for n in unknown if AMOUNT_CELL_RE.match(compact(cells[n]))
                   and cell_amount(cells[n], unit)[0] not in (None, 0)]
        if dropped:
            problems.append("a figure in a column that is not stored (" + ", ".join(
                "/".join(paths[n]) for n in dropped) + ")")
        disagreements = []
        for n, column in same:
            value, problem = cell_amount(cells[n], unit)
            if problem or (value or 0) != values.get(column, 0):
                disagreements.append(f"{'/'.join(paths[n])} prints {compact(cells[n])!r} beside the "
                                     f"{column} column's {compact(cells[[m for m, c in amount_columns if c == column][0]])!r}")
        if disagreements and not problems:
            # the row is read (its first column of each kind); the line is flagged
            table.unparsed.append(unparsed(row, "; ".join(disagreements), role))
        label = compact(" ".join(label_texts + ([name] if name and code is None else [])))
        if problems:
            table.unparsed.append(unparsed(row, "; ".join(problems), role))
            continue
        if code is None and TOTAL_ROW_RE.match(label or ""):
            table.totals.append({"kind": "total", "label": label.rstrip(":："), "code": None, "name": None,
                                 "page": row.page, "line": row.line, "values": values})
            continue
        labelled = LABELLED_TOTAL_RE.match(label or "") if code is None else None
        column = labelled and next((c for c, p in spec if c != "total" and re.search(p, labelled.group(1))), None)
        if column and "total" in values:
            # 人员经费合计 4884.09: a total of one column, printed under the table's amounts
            table.totals.append({"kind": "total", "label": label, "code": None, "name": None,
                                 "page": row.page, "line": row.line, "values": {column: values["total"]}})
            continue
        if by_unit:
            unit_code = compact(code) if code and re.fullmatch(r"\d+", compact(code)) else None
            if not name and not unit_code:
                if printed:
                    table.unparsed.append(unparsed(row, "a row with amounts but no unit", role))
                continue
            table.totals.append({"kind": "unit", "label": f"{unit_code or ''} {name or ''}".strip(),
                                 "code": unit_code, "name": name, "page": row.page, "line": row.line,
                                 "values": values})
            continue
        if code is None and name:
            inferred_code = infer_code(name, system) if printed else None
            if inferred_code:
                code, inferred = inferred_code, True
        if code is None:
            if printed:
                table.unparsed.append(unparsed(row, "a row with amounts but no classification code", role))
            elif texts:
                table.notes.append(row.text)
            continue
        if UNIT_CODE_RE.match(code):
            table.totals.append({"kind": "unit", "label": f"{code} {name or ''}".strip(), "code": code,
                                 "name": name, "page": row.page, "line": row.line, "values": values})
            continue
        if len(code) not in (3, 5, 7):
            table.unparsed.append(unparsed(row, f"code {code} is not a 类, 款 or 项 code", role))
            continue
        record = {"kind": "item", "code": code, "printed_code": printed_code, "name": name or "",
                  "page": row.page, "line": row.line, "values": values}
        if inferred:
            record["inferred_code"] = True
        table.rows.append(record)


def separate_subtotals(table: ParsedTable) -> None:
    """Rows whose code is a prefix of another row's code are subtotals (类/款 rows): the
    7-digit economic sub-items under a 5-digit 款 are its parts, never counted with it. A
    类 row printed without any 款 below it (a table by 类 only) is both its class's figure
    and a line item."""
    codes = [r["code"] for r in table.rows]
    prefixes = {c[:n] for c in codes for n in range(3, len(c))}
    items = []
    for row in table.rows:
        if row["code"] in prefixes:
            table.totals.append({**row, "kind": "subtotal", "label": f"{row['code']} {row['name']}"})
        else:
            if len(row["code"]) == 3:
                table.totals.append({**row, "kind": "subtotal", "label": f"{row['code']} {row['name']}"})
            items.append(row)
    table.rows = items
