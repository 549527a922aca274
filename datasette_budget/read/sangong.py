"""The “三公” table read from its grid, in each of the family's forms:

- horizontal: one row of figures under a header of items (合计 | 因公出国(境)费 | 公务用车购置及
  运行费 (小计 / 购置费 / 运行费) | 公务接待费), with the extra columns printed beside them
  (机关运行经费, 会议费, 培训费, 科研因公出国(境)费用);
- per unit: a 合计 row, then one row per budget unit (``unit_name``);
- panels side by side: 2025 | 2026 (the year before in ``prior_year_amount``), 当年预算 |
  上年结转结余 (the carry-over in ``carryover_amount``), 预算数 | 决算数;
- vertical: one item per row (``合计``, ``1、因公出国（境）费用``, ``其中：（1）公务用车购置费`` …)
  under a 预算数 or 合计 column.

Every figure is a row of kind ``total``, ``abroad``, ``reception``, ``vehicle``,
``vehicle_purchase``, ``vehicle_operation`` (the 三公 items), or a related figure printed in
the same table (``running_cost``, ``meeting``, ``training``, ``administrative``), never
part of the 三公 total.
"""
from __future__ import annotations

import re

from .coded import BLANK_CELLS, cell_amount, compact, is_column_numbers, panel_of, unparsed
from .parsed import ParsedTable
from ..vocabulary import NAME_LABEL_RE, ROW_NUMBER_LABEL_RE, YEAR_LABEL_RE

# (kind, pattern on one label with its spaces removed), tried in order
ITEM_WORDS = [
    ("running_cost", r"机关运行经费"),
    ("administrative", r"行政经费"),
    ("meeting", r"会议费"),
    ("training", r"培训费"),
    ("abroad_research", r"科研.*出国"),
    ("vehicle_purchase", r"(?<!及)购置费"),
    ("vehicle_operation", r"(?<!及)运行(维护)?费"),
    ("vehicle", r"公务用车"),
    ("abroad", r"因公出国"),
    ("reception", r"公务接待"),
    ("total", r"三公|^合计$|^总计$"),
]
# a label that only says "this group's sum": its group (the label above it) gives the kind
SUBTOTAL_LABEL_RE = re.compile(r"^(小计|合计|计)$")
LABELS = {
    "total": "“三公”经费合计", "abroad": "因公出国（境）费", "abroad_general": "因公出国（境）费",
    "abroad_research": "科研因公出国（境）费", "reception": "公务接待费", "vehicle": "公务用车购置及运行费",
    "vehicle_purchase": "公务用车购置费", "vehicle_operation": "公务用车运行费",
    "running_cost": "机关运行经费", "meeting": "会议费", "training": "培训费", "administrative": "行政经费",
}
# depth: 1 for the parts of the 三公 total, 2 for their parts, 0 for figures beside the 三公
DEPTHS = {"abroad": 1, "reception": 1, "vehicle": 1, "vehicle_purchase": 2, "vehicle_operation": 2,
          "abroad_general": 2, "abroad_research": 2, "running_cost": 0, "meeting": 0, "training": 0,
          "administrative": 0, "total": 1}
# the panel's figure goes to this value of the row
PANEL_VALUES = {"": "amount", "prior_year": "prior_year_amount", "carryover": "carryover_amount",
                "budget": "budget_amount"}
MARKER_RE = re.compile(r"^(其中[:：])?([（(][0-9一二三四五六七八九十]+[）)]|[0-9一二三四五六七八九十]+[、.．])?")


def label_kind(text: str) -> str | None:
    t = compact(text).replace("“", "").replace("”", "").replace('"', "")
    t = MARKER_RE.sub("", t) or t
    for kind, pattern in ITEM_WORDS:
        if re.search(pattern, t):
            return kind
    return None


def column_item(path: tuple[str, ...]) -> str | None:
    """The item of a horizontal table's column, from its labels: the deepest label naming an
    item; ``小计`` under a group is the group (under a panel label, the panel's 三公 total)."""
    labels = [compact(l) for l in path if compact(l)]
    for depth in range(len(labels) - 1, -1, -1):
        label = labels[depth]
        if SUBTOTAL_LABEL_RE.match(label):
            group = next((label_kind(l) for l in reversed(labels[:depth]) if label_kind(l)), None)
            return group or "total"
        kind = label_kind(label)
        if kind:
            parent = next((label_kind(l) for l in reversed(labels[:depth]) if label_kind(l)), None)
            if kind == "abroad" and parent == "abroad":
                return "abroad_general"  # 因公出国（境）费 beside 科研因公出国（境）费用 under their 小计
            return kind
    return None


def read_sangong(table: ParsedTable, paths: list[tuple[str, ...]], rows) -> ParsedTable:
    """Fill ``table`` from a grid of the 三公 table."""
    unit = table.unit
    years = [int(m.group(1)) for p in paths for l in p for m in [YEAR_LABEL_RE.search(compact(l))] if m]
    panels = [panel_of(p, years) for p in paths]
    leaves = [compact(p[-1]) if p else "" for p in paths]
    if "预算数" in leaves and "决算数" in leaves:
        # 预算数 | 决算数 under each item: a final account's own figure is its 决算数
        panels = [("budget" if leaf == "预算数" else panel) for leaf, panel in zip(leaves, panels)]
    items = [column_item(p) for p in paths]
    is_name = [bool(any(NAME_LABEL_RE.search(compact(l)) or compact(l) in ("单位", "预算单位") for l in p))
               and items[n] is None for n, p in enumerate(paths)]
    table.header = [" / ".join(p) for p in paths]
    table.columns = ["amount"]
    horizontal = sum(1 for i in items if i) >= 2
    labels = {compact(l) for p in paths for l in p if compact(l)}
    for row in rows:
        cells = list(row.cells) + [None] * (len(paths) - len(row.cells))
        texts = [compact(c) for c in cells if compact(c) not in BLANK_CELLS]
        if not texts:
            continue
        if is_column_numbers(texts) or all(t in labels for t in texts):
            continue  # the column-number row (** ** 1 2 3), or the header printed again
        if horizontal:
            _horizontal_row(table, row, cells, items, panels, is_name, unit)
        else:
            _vertical_row(table, row, cells, paths, panels, unit)
    return table


def _record(kind: str, row, values: dict, label: str | None = None, unit_name: str | None = None) -> dict:
    return {"kind": kind, "item": LABELS.get(kind, label or kind), "label": label or LABELS.get(kind, kind),
            "depth": DEPTHS.get(kind, 1), "page": row.page, "line": row.line, "values": values,
            "code": None, "name": None, "unit_name": unit_name}


def _horizontal_row(table, row, cells, items, panels, is_name, unit) -> None:
    name = " ".join(compact(c) for n, c in enumerate(cells) if is_name[n] and compact(c)) or None
    values: dict[str, dict] = {}
    problems = []
    for n, kind in enumerate(items):
        if not kind:
            if not is_name[n] and compact(cells[n]) not in BLANK_CELLS:
                problems.append(f"cell {compact(cells[n])!r} is under no 三公 column")
            continue
        value, problem = cell_amount(cells[n], unit)
        if problem:
            problems.append(problem)
            continue
        key = PANEL_VALUES.get(panels[n], f"{panels[n]}_amount")
        slot = values.setdefault(kind, {})
        if key in slot:
            continue  # a column printed twice (“三公”经费合计 and the panel's 小计): the first
        slot[key] = 0 if value is None else value
    if problems:
        table.unparsed.append(unparsed(row, "; ".join(problems), "sangong"))
        return
    department = name is None or re.match(r"^(合计|总计)", name)
    unit_name = None if department else name
    for kind in [k for k in LABELS if k in values]:
        v = values[kind]
        v.setdefault("amount", 0)
        record = _record(kind, row, v, unit_name=unit_name)
        if kind == "total":
            # the department's 合计, or a unit's: a declared figure its items add up to
            table.totals.append({**record, "kind": "total" if department else "unit",
                                 "label": "合计" if department else name})
        else:
            table.rows.append(record)


def _vertical_row(table, row, cells, paths, panels, unit) -> None:
    at = next((n for n, c in enumerate(cells) if compact(c) and not re.fullmatch(r"-?[\d,]+(\.\d+)?", compact(c))),
              None)
    label = cells[at] if at is not None else None
    amounts = [(n, c) for n, c in enumerate(cells) if n != at]
    kind = label_kind(label or "")
    if kind is None:
        if any(compact(c) not in BLANK_CELLS for _, c in amounts):
            table.unparsed.append(unparsed(row, "a row of the 三公 table that names no 三公 item", "sangong"))
        return
    values = {}
    for n, c in amounts:
        if ROW_NUMBER_LABEL_RE.match(compact(paths[n][-1] if paths[n] else "")):
            continue
        value, problem = cell_amount(c, unit)
        if problem:
            table.unparsed.append(unparsed(row, problem, "sangong"))
            return
        key = PANEL_VALUES.get(panels[n], f"{panels[n]}_amount")
        if key not in values:
            values[key] = 0 if value is None else value  # the first column: 合计 / 预算数
    if "amount" not in values:
        values["amount"] = 0
    text = compact(label)
    if kind == "total" and not table.totals:
        table.totals.append({**_record("total", row, values, text), "label": text})
        return
    record = _record(kind, row, values, MARKER_RE.sub("", text) or text)
    record["label"] = text
    if re.match(r"^(其中[:：])?([（(]\d+[）)]|\d+[、.．])", text) and kind in ("vehicle_purchase", "vehicle_operation"):
        record["depth"] = 2
    table.rows.append(record)
