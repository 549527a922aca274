"""收支总表 (and 财政拨款收支总表) read from its grid: panels side by side, each a 项目 column
and the amount columns after it (预算数; 本年预算 | 编制预算 | 上年结转; 合计 | 基本支出 …).
The panel's side is its label (收入 / 支出), else its place (income first).

Each panel cell becomes an item with its depth (1 for ``一、`` items, 2 for their ``1、`` /
``（一）`` parts, 0 for carry-overs), a declared total (本年收入合计, 支出总计 …), or nothing
for a blank cell. Items printed without numbering (a template that indents instead) take
their depth from the code list: a functional 类's name is depth 1, anything else is a part
of the item above it.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..classification import reference
from .coded import BLANK_CELLS, cell_amount, compact, is_column_numbers, unparsed
from .parsed import ParsedTable

NUMERALS = "一二三四五六七八九十"
TOTAL_RE = re.compile(r"^(本年收入合计|本年支出合计|收入总计|支出总计|收入合计|支出合计|总计|合计)$")
CARRY_RE = re.compile(r"^(上年结转|年初结转|年终结转|年末结转|结转下年|结转结余下年|结余分配|使用非财政拨款结余|用事业基金)")
CARRY_INCOME_RE = re.compile(r"^(上年结转|年初结转|使用非财政拨款结余|用事业基金)")
# 一、 / 一 一般公共预算资金、 (the comma placed after the name) / 1、 / 1. / （一） / (1)
TOP_MARKER_RE = re.compile(rf"^([{NUMERALS}]+)(?:、|\s+)\s*(.+?)、?$")
PART_MARKER_RE = re.compile(rf"^(?:\d{{1,2}}[、.．]|[（(](?:\d{{1,2}}|[{NUMERALS}]+)[）)])\s*(.+)$")
STRAY_RE = re.compile(r"^\d(?=[（(])")  # 1（一）一般公共预算资金: a stray digit before the label


def _class_names() -> dict[str, set[str]]:
    """A functional 类's name → its codes."""
    names: dict[str, set[str]] = {}
    for code, r in reference("function").items():
        if r["level"] == 1:
            names.setdefault(compact(r["name"]), set()).add(code)
    return names


@lru_cache(maxsize=256)
def _section_names(classes: frozenset[str]) -> dict[str, set[str]]:
    """The 款 of some 类: name → codes."""
    names: dict[str, set[str]] = {}
    for code, r in reference("function").items():
        if r["level"] == 2 and code[:3] in classes:
            names.setdefault(compact(r["name"]), set()).add(code)
    return names


def panels_of(paths: list[tuple[str, ...]]) -> list[tuple[str, int, list[int]]]:
    """(side, name column, amount columns) of each panel, left to right."""
    panels = []
    for n, path in enumerate(paths):
        labels = [compact(l) for l in path if compact(l)]
        if labels and labels[-1] in ("项目", "项目名称", "科目", "科目名称", "收入项目", "支出项目"):
            top = "".join(labels)
            side = "收入" if "收入" in top else "支出" if "支出" in top else None
            panels.append([side, n, []])
        elif panels:
            panels[-1][2].append(n)
    for i, panel in enumerate(panels):
        if panel[0] is None:
            panel[0] = "收入" if i == 0 else "支出"
    return [tuple(p) for p in panels]


def read_summary(table: ParsedTable, paths: list[tuple[str, ...]], rows) -> ParsedTable:
    unit = table.unit
    panels = panels_of(paths)
    # a column that holds no figure in any row, only text, is the item's name printed past
    # its cell's border (一、一般公共预 | 算): its text belongs to the name before it
    figures = {n for row in rows for n, c in enumerate(row.cells) if compact(c) and cell_amount(c, unit)[1] is None
               and compact(c) not in BLANK_CELLS}
    overflow = {n for _, _, amount_cols in panels for n in amount_cols if n not in figures}
    panels = [(side, name_col, [n for n in amount_cols if n not in overflow],
               [n for n in amount_cols if n in overflow]) for side, name_col, amount_cols in panels]
    table.header = [" / ".join(p) for p in paths]
    table.columns = ["amount"]
    classes = _class_names()
    state = {side: {"parent": None, "carry": None, "marked": False, "classes": set(), "section": None}
             for side in ("收入", "支出")}
    labels = {compact(l) for p in paths for l in p if compact(l)}
    for row in rows:
        cells = list(row.cells) + [None] * (len(paths) - len(row.cells))
        if not panels:
            break
        texts = [compact(c) for c in cells if compact(c)]
        if texts and all(t in labels for t in texts) or is_column_numbers(texts):
            continue  # the header printed again on a continuation page
        for side, name_col, amount_cols, spill in panels:
            label = " ".join((cells[name_col] or "").split()) + "".join(compact(cells[n]) for n in spill)
            amounts, problems = [], []
            for n in amount_cols:
                value, problem = cell_amount(cells[n], unit)
                if problem:
                    problems.append(problem)
                amounts.append(value)
            if problems:
                table.unparsed.append(unparsed(row, "; ".join(problems), table.role))
                continue
            if not label:
                if any(a is not None for a in amounts):
                    table.unparsed.append(unparsed(row, f"an amount on the {side} side without an item", table.role))
                continue
            _item(table, row, side, label, amounts, state[side], classes)
    for side in state.values():
        _indented_levels(table, side.get("indented", []), unit)
    return table


def _indented_levels(table: ParsedTable, indices: list[int], unit: str) -> None:
    """Items printed by name only under a 类 (湖州: 类 / 款 / 项 told apart by indentation,
    which the text does not keep): the first item under a 类 is a 款, the items after it are
    its 项 until they add up to it (within the rounding of 万元 figures), then a 款 again."""
    tolerance = 50 if unit == "万元" else 0
    section, running, parts = None, 0, 0
    for n in indices:
        row = table.rows[n]
        amount = row["values"]["amount"] or 0
        starts = section is None or row["parent"] != section["parent"]
        if not starts and abs(running - (section["values"]["amount"] or 0)) <= tolerance * parts and parts:
            starts = True  # the 款 above is complete
        if starts:
            section, running, parts = row, 0, 0
            continue
        row["depth"], row["parent"] = 3, section["name"]
        running += amount
        parts += 1


def _item(table, row, side, label, amounts, state, classes) -> None:
    text = STRAY_RE.sub("", compact(label))
    if label.strip() in ("项目", "项 目") or all(c in BLANK_CELLS for c in [text]):
        return
    first = amounts[0] if amounts else None
    previous = state.get("last")
    if (previous is not None and len(text) <= 3 and all(a is None for a in amounts) and not TOTAL_RE.match(text)
            and not TOP_MARKER_RE.match(text) and not PART_MARKER_RE.match(text)):
        # the end of the item above, wrapped onto a row of its own (三、国有资本经营预 / 算)
        previous["item"] += text
        previous["name"] += text
        return
    if TOTAL_RE.match(text):
        table.totals.append({"kind": "total", "label": text, "code": None, "name": None, "side": side,
                             "page": row.page, "line": row.line, "values": {"amount": first}})
        state["carry"] = state["last"] = None
        return
    top = TOP_MARKER_RE.match(STRAY_RE.sub("", label.strip()))
    part = PART_MARKER_RE.match(text)
    if CARRY_RE.match(text):
        depth, parent, name = 0, None, text
        state["carry"] = text
        if side == "支出" and CARRY_INCOME_RE.match(text):
            pass
    elif top:
        name = compact(top.group(2)).rstrip("、")
        state["marked"] = True
        if state["carry"]:
            depth, parent = 2, state["carry"]
        else:
            depth, parent = 1, None
            state["parent"] = name
    elif part:
        name = part.group(1)
        depth, parent = 2, state["carry"] or state["parent"]
    elif not state["marked"] and text in classes or state["parent"] is None and not state["carry"]:
        depth, parent, name = 1, None, text
        state["parent"] = name
        state["classes"] = classes.get(text, set())
        state["section"] = None
    else:
        depth, parent, name = 2, state["carry"] or state["parent"], text
    if depth == 2 and not state["marked"] and not state["carry"]:
        state.setdefault("indented", []).append(len(table.rows))
    table.rows.append({
        "kind": "item", "side": side, "item": label.strip(), "name": name, "depth": depth, "parent": parent,
        "page": row.page, "line": row.line, "values": {"amount": first},
        "extra_amounts": amounts[1:] if any(a is not None for a in amounts[1:]) else [],
    })
    state["last"] = table.rows[-1]
