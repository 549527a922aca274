"""Tables of the family that are not coded by a classification: 政府采购 (procurement).

A procurement grid lists groups and items under a 合计 row: 苏州's by 采购品目大类 (货物 /
服务 / 工程), then budget unit, then one row per item (专项名称, 经济科目, 采购品目名称,
采购组织形式, the funding sources, 总计); 重庆's one row per 大类 (项目编号, 项目, 总计 and the
funding sources). A row with a label in the first column alone is a group; the rows with
text in the other columns are the items, and the groups above an item (a 大类 is the item's ``category``, another label its
``unit_name``). Each item's amount is the 总计 column; the funding-source columns are listed
in the table's notes, not stored per item.
"""
from __future__ import annotations

import re

from .coded import BLANK_CELLS, cell_amount, compact, unparsed
from .parsed import ParsedTable

AMOUNT_LABEL_RE = re.compile(r"^(总计|合计|金额|预算数|预算金额|采购金额|小计)$")
CATEGORY_RE = re.compile(r"^(?:[A-Z]\s*)?(货物|服务|工程)(类)?$")
FIELDS = [  # (field, label pattern)
    ("category", r"品目大类|^采购类别$"),
    ("spec", r"专项名称|项目名称|经济科目"),
    ("item", r"采购品目名称|品目名称|^项目$|采购项目"),
    ("measure", r"组织形式|采购方式"),
    ("code", r"编号|编码|代码"),
]
TOTAL_RE = re.compile(r"^(合计|总计)[:：]?$")


def read_procurement(table: ParsedTable, paths: list[tuple[str, ...]], rows) -> ParsedTable:
    unit = table.unit
    labels = ["".join(compact(l) for l in p) for p in paths]
    leaves = [compact(p[-1]) if p else "" for p in paths]
    amount_col = next((n for n, l in enumerate(leaves) if AMOUNT_LABEL_RE.match(l)), None)
    table.header = [" / ".join(p) for p in paths]
    table.columns = ["quantity", "amount"]
    if amount_col is None:
        table.notes.append("unreadable: no 总计 / 金额 column in the header")
        return table
    fields: dict[int, list[str]] = {}
    for n, label in enumerate(labels):
        if n == amount_col:
            continue
        for name, pattern in FIELDS:
            if re.search(pattern, label):
                fields.setdefault(n, []).append(name)
                break
    text_cols = sorted(fields)
    others = [" / ".join(paths[n]) for n in range(len(paths)) if n != amount_col and n not in fields]
    if others:
        table.notes.append("columns not stored per item: " + ", ".join(others))
    parsed = []
    for row in rows:
        cells = list(row.cells) + [None] * (len(paths) - len(row.cells))
        amount, problem = cell_amount(cells[amount_col], unit)
        texts = {n: " ".join((cells[n] or "").split()) for n in text_cols if compact(cells[n]) not in BLANK_CELLS}
        if problem:
            table.unparsed.append(unparsed(row, problem, "procurement"))
            continue
        if not texts and amount is None:
            continue
        first = min(texts, default=None)
        label = texts.get(first, "")
        if TOTAL_RE.match(compact(label)):
            table.totals.append({"kind": "total", "label": "合计", "code": None, "name": None,
                                 "page": row.page, "line": row.line, "values": {"amount": amount or 0}})
            continue
        if first is None:
            table.unparsed.append(unparsed(row, "an amount without an item", "procurement"))
            continue
        parsed.append((row, first, texts, amount or 0))
    first_column = text_cols[0] if text_cols else None
    category = unit_name = None
    for row, first, texts, amount in parsed:
        label = texts[first]
        if set(texts) == {first_column} and len(text_cols) > 1:
            # a label in the first column alone: a group (a 大类, or a unit) of the items below
            if CATEGORY_RE.match(compact(label)):
                category, unit_name = CATEGORY_RE.match(compact(label)).group(1), None
            else:
                unit_name = label
            table.totals.append({"kind": "group", "label": label, "code": None, "name": None,
                                 "page": row.page, "line": row.line, "values": {"amount": amount}})
            continue
        record = {"kind": "item", "code": None, "name": None, "unit_name": unit_name, "category": category,
                  "item": None, "spec": None, "measure": None, "page": row.page, "line": row.line,
                  "values": {"quantity": None, "amount": amount}}
        for n, text in texts.items():
            for name in fields[n]:
                if name == "code":
                    continue
                record[name] = text if record.get(name) in (None, "") else f"{record[name]} / {text}"
        if record["item"] and CATEGORY_RE.match(compact(record["item"])) and not record["category"]:
            record["category"] = CATEGORY_RE.match(compact(record["item"])).group(1)
        table.rows.append(record)
    return table


# 部门整体绩效自评表 (a 决算-phase form): 预算安排 / 拨付情况 / 结余情况 by numbered column
EVALUATION_COLUMNS = [  # (field, pattern on the column's label), tried in order
    ("budget_total", r"^小计③|③=①\+②"),
    ("budget_initial", r"①$|预算安排金额.*①"),
    ("budget_adjustment", r"调整金额②"),
    ("paid", r"拨付金额④"),
    ("balance", r"结余金额⑥"),
]
ACTUAL_INDICATORS = [("basic_actual", r"基本经费投入成本"), ("project_actual", r"项目经费投入成本")]
WAN_RE = re.compile(r"\d万元")


def read_evaluation(table: ParsedTable, rows) -> tuple[ParsedTable, dict]:
    """The money of a 部门整体绩效自评表 and its cost indicators' actual values.

    Its grid has no header band of its own (the form's rows are its labels), so the row
    whose cells carry ①, ②, ③ … names the columns. The form prints no unit line; the unit
    is read from the indicators' target values (``≤3843.67万元``), and the table says so."""
    columns: dict[str, int] = {}
    actual_col = None
    fields: dict = {}
    unit = None
    for row in rows:
        texts = [compact(c) for c in row.cells]
        if any("①" in t for t in texts) and not columns:
            for n, t in enumerate(texts):
                if "率" in t or "%" in t:
                    continue
                field = next((f for f, p in EVALUATION_COLUMNS if re.search(p, t)), None)
                if field and field not in columns:
                    columns[field] = n
            continue
        if "实际完成值" in texts:
            actual_col = texts.index("实际完成值")
            continue
        if any(WAN_RE.search(t) for t in texts):
            unit = unit or "万元"
    table.unit = unit
    if unit is None:
        table.notes.append("unreadable: the form prints no unit, and no indicator gives one")
        return table, fields
    table.notes.append("unit 万元 read from the indicators' target values (the form prints no unit line)")
    for row in rows:
        texts = [compact(c) for c in row.cells]
        if columns and any(t in ("合计", "财政资金小计", "其他资金小计") or re.match(r"^[①②③]\S*财政资金$", t)
                           for t in texts):
            name = next(t for t in texts if t in ("合计", "财政资金小计", "其他资金小计")
                        or re.match(r"^[①②③]\S*财政资金$", t))
            values = {}
            for field, n in columns.items():
                value, problem = cell_amount(row.cells[n] if n < len(row.cells) else None, unit)
                if problem:
                    table.unparsed.append(unparsed(row, problem, table.role))
                    break
                values[field] = value
            else:
                table.rows.append({"kind": "item", "code": None, "name": name, "page": row.page,
                                   "line": row.line, "values": values})
                if name == "合计":
                    fields.update({k: v for k, v in values.items() if v is not None})
            continue
        for field, pattern in ACTUAL_INDICATORS:
            if actual_col is not None and any(re.search(pattern, t) for t in texts):
                value, problem = cell_amount(row.cells[actual_col], unit)
                if problem:
                    table.unparsed.append(unparsed(row, problem, table.role))
                elif value is not None:
                    fields[field] = value
    if fields:
        fields["unit"] = unit
    table.columns = [f for f, _ in EVALUATION_COLUMNS if f in columns]
    return table, fields
