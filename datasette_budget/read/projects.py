"""项目支出预算表 read from its grid: one line item per project (its name, the unit that
spends it, the function code printed above it, its amounts by source of funds and, where the
table prints one, its 绩效目标), the 类/款/项 rows, the 类型 and 一级项目 rows above the
projects and the 合计 row kept as declared totals.

The layouts of the family:

- 类 / 款 / 项 rows, each followed by its projects (序号, 项目名称, 预算数; 上海 10);
- one row per project with the unit that spends it (单位名称, 项目名称, 总计, 一般公共预算 …; 湖州 表10);
- 类型, 一级项目 and 二级项目 columns, each level on a row of its own (长春 预算表9).

- each unit and, indented below it, its projects in one 支出项目类别（资金使用单位） column,
  with a 绩效目标 text column (珠海 表12): the indentation of each cell's first line tells them
  apart (a wrapped name's later lines start at the cell's edge).

A grid whose projects cannot be told apart from its other rows raises, and the table is
recorded unreadable with the reason. ``read_projects(table, paths, rows)`` fills a :class:`ParsedTable`.
"""
from __future__ import annotations

import re

from ..vocabulary import CODE_PART_LABELS, PROJECT_COLUMN_WORDS, TOTAL_ROW_RE
from .coded import AMOUNT_CELL_RE, BLANK_CELLS, cell_amount, compact, is_column_numbers, split_code, unparsed
from .parsed import ParsedTable


def project_column(path: tuple[str, ...]) -> str | None:
    """What a column of a 项目支出 table holds, from its labels (top → bottom):
    ``project_column(("功能分类科目编码", "款")) == "code:1"``,
    ``project_column(("本年财政拨款", "一般公共预算")) == "general_budget"``."""
    labels = [compact(l) for l in path if compact(l)]
    if not labels:
        return None
    leaf = labels[-1]
    if leaf in CODE_PART_LABELS:
        return f"code:{CODE_PART_LABELS[leaf]}"
    carryover = any(re.search(r"结转", l) for l in labels)
    for kind, pattern in PROJECT_COLUMN_WORDS:
        if re.search(pattern, leaf):
            if carryover and kind in ("general_budget", "government_fund", "state_capital"):
                return f"carryover_{kind}"
            if kind == "total" and any("财政拨款" in l for l in labels[:-1]):
                return "carryover_total" if carryover else "appropriation"  # 财政拨款 / 合计
            return kind
    return None


def read_projects(table: ParsedTable, paths: list[tuple[str, ...]], rows, indents=None) -> ParsedTable:
    """``indents``: per row and column, (indent, character height) of the cell's first line,
    which tells a unit from its projects where one column prints both."""
    kinds = [project_column(p) for p in paths]
    if "unit_or_project" in kinds and "project" not in kinds:
        column = kinds.index("unit_or_project")
        rows = _units_and_projects(rows, column, [(r[column] if r and column < len(r) else None)
                                                  for r in indents or [None] * len(rows)])
        kinds[kinds.index("unit_or_project")] = "project"
        kinds.append("unit_name")
        paths = [*paths, ("单位名称",)]
    if "project" not in kinds:
        raise ValueError("no column names the projects (项目名称 / 二级项目): rows of units and of "
                         "projects cannot be told apart")
    labels = {compact(l) for p in paths for l in p if compact(l)}
    amount_columns = [(n, k) for n, k in enumerate(kinds) if k and k not in TEXT_KINDS and not k.startswith("code")]
    unknown = [n for n, k in enumerate(kinds) if k is None]
    table.columns = [k for _, k in amount_columns]
    table.header = [" / ".join(p) for p in paths]
    code = function_name = category = parent = None
    for row in rows:
        cells = list(row.cells) + [None] * (len(kinds) - len(row.cells))
        texts = [compact(c) for c in cells if compact(c)]
        if not texts or all(t in labels for t in texts) or is_column_numbers(texts):
            continue  # the header again on a continuation page, or the column numbers
        text = {k: (cells[n] or "").strip() for n, k in enumerate(kinds) if k and (cells[n] or "").strip()}
        values, problems = {}, []
        for n, column in amount_columns:
            value, problem = cell_amount(cells[n], table.unit)
            if problem:
                problems.append(problem)
            values[column] = 0 if value is None else value
        dropped = [n for n in unknown if AMOUNT_CELL_RE.match(compact(cells[n]))
                   and cell_amount(cells[n], table.unit)[0] not in (None, 0)]
        if dropped:
            problems.append("a figure in a column that is not stored (" + ", ".join("/".join(paths[n]) for n in dropped) + ")")
        if problems:
            table.unparsed.append(unparsed(row, "; ".join(problems), table.role))
            continue
        parts = {int(k[5:]): compact(v) for k, v in text.items() if k.startswith("code:")}
        joined = "".join(parts.get(i, "") for i in range(3))
        first = compact(next((t for t in [joined, *(text.get(k, "") for k in ("code", "category", "unit_name", "project"))] if t), ""))
        if TOTAL_ROW_RE.match(first) and "project" not in text or TOTAL_ROW_RE.match(compact(text.get("project", ""))):
            table.totals.append({"kind": "total", "label": "合计", "code": None, "name": None,
                                 "page": row.page, "line": row.line, "values": values})
            continue
        if joined or "code" in text:
            printed = joined or text["code"]
            c = "".join(p.zfill(2) if i else p for i, p in sorted(parts.items())) if joined else split_code(printed)[0]
            if not c or not re.fullmatch(r"\d{3}(\d{2}){0,2}", c):
                table.unparsed.append(unparsed(row, f"code {printed} is not a 类, 款 or 项 code", table.role))
                continue
            name = text.get("function_name") or split_code(printed)[1] or None
            table.totals.append({"kind": "subtotal", "label": f"{c} {name or ''}".strip(), "code": c, "name": name,
                                 "page": row.page, "line": row.line, "values": values})
            code, function_name = (c, name) if len(c) == 7 else (None, None)
            continue
        if "project" not in text:
            # a 类型 or 一级项目 row: the sum of the projects below it
            label = text.get("parent") or text.get("category") or text.get("unit_name")
            if label is None:
                if any(compact(cells[n]) not in BLANK_CELLS for n, _ in amount_columns):
                    table.unparsed.append(unparsed(row, "a row with amounts but no project", table.role))
                continue
            if "parent" in text:
                parent = text["parent"]
            elif "category" in text:
                category, parent = text["category"], None
            table.totals.append({"kind": "subtotal", "label": label, "code": None, "name": label,
                                 "page": row.page, "line": row.line, "values": values})
            continue
        table.rows.append({
            "kind": "item", "code": code, "name": function_name, "project": text["project"],
            "seq": int(text["seq"]) if text.get("seq", "").isdigit() else None,
            "unit_name": text.get("unit_name"), "category": text.get("category") or category,
            "parent_project": text.get("parent") or parent,
            "performance_target": " ".join(text["performance_target"].split()) if "performance_target" in text else None,
            "page": row.page, "line": row.line, "values": values})
    return table


def _units_and_projects(rows, column: int, indents) -> list:
    """Rows of a column that prints units and, indented below each, its projects: a unit's
    row becomes a 类型-like subtotal of its projects (its name in the unit column), each
    project row carries its unit. Raises when the indentation does not tell two levels apart."""
    named = [(row, ind) for row, ind in zip(rows, indents)
             if row.cells[column] and not TOTAL_ROW_RE.match(compact(row.cells[column]))]
    if not named:
        return [row._replace(cells=list(row.cells) + [None]) for row in rows]  # a 合计 at most: empty
    if any(ind is None for _, ind in named):
        raise ValueError("units and projects in one column, and the positions that tell them apart are not known")
    left = min(ind[0] for _, ind in named)
    height = max(ind[1] for _, ind in named)
    levels = {row.line: ind[0] - left >= 0.5 * height for row, ind in named}  # True: indented, a project
    if all(levels.values()) or not any(levels.values()):
        raise ValueError("units and projects in one column, not told apart by indentation")
    out, unit = [], None
    for row in rows:
        cells = list(row.cells)
        name = cells[column]
        if row.line in levels and not levels[row.line]:
            unit, cells[column] = name, None  # the unit's row: the subtotal of its projects
            out.append(row._replace(cells=cells + [name]))
        else:
            out.append(row._replace(cells=cells + [unit if row.line in levels else None]))
    return out


TEXT_KINDS = {"code", "function_name", "seq", "project", "parent", "category", "unit_name", "performance_target"}
