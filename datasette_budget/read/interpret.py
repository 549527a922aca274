"""A table's grid (:mod:`datasette_budget.read.grid`) read as what its role says it is:
the reader of each table family fills a :class:`ParsedTable` from the grid's columns and
rows, and every line of the region that is neither header nor row but looks like one
(a code or 合计 with amounts) is reported as unparsed, so nothing is dropped in silence.

``table_from_grid("gpb_expenditure", lines, start, end, grid)`` → ParsedTable.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from ..documents import Line
from .coded import compact, read_coded
from .others import read_evaluation, read_procurement
from .parsed import ParsedTable
from .projects import read_projects
from .recognise import NO_UNIT, table_unit
from .sangong import read_sangong
from .summary import read_summary

UNIT_RE = re.compile(r"单位\s*[:：]\s*(万\s*元|万|元)")
# a line outside the grid that still reads like a table row: a code or a total, then a figure
ROW_LIKE_RE = re.compile(r"^(?:\[?\d{3,7}\]?|合\s*计|总\s*计)\s.*\d[\d,]*\.?\d*$")
NOTE_RE = re.compile(r"^(?:注|备注|说明)\s*\d*\s*[:：]")

CODED = {
    # role: (code system, column words)
    "income": ("function", "income"),
    "expenditure": ("function", "expenditure"),
    "gpb_expenditure": ("function", "expenditure"),
    "fund_expenditure": ("function", "expenditure"),
    "capital_expenditure": ("function", "expenditure"),
    "economic_expenditure": ("economic", "expenditure"),
    "basic_expenditure": ("economic", "basic"),
    # the tables beside those: 财政拨款 by function and by economic code, 项目支出 by
    # economic code, 机关运行经费 by economic code
    "appropriation_expenditure": ("function", "expenditure"),
    "appropriation_basic_expenditure": ("economic", "basic"),
    "project_economic_expenditure": ("economic", "basic"),
    "running_cost": ("economic", "running_cost"),
}
# the roles this module reads; the others keep the text reader
GRID_ROLES = set(CODED) | {"summary", "appropriation_summary", "sangong", "procurement", "performance_evaluation",
                           "project_expenditure", "department_basic_expenditure"}


class Row(NamedTuple):
    page: int
    line: int
    text: str
    cells: list


def grid_rows(grid) -> list[Row]:
    rows = []
    for cells, numbers in zip(grid.rows, grid.row_lines):
        present = [c for c in cells if c is not None]
        page = present[0].page if present else grid.page
        line = numbers[0] if numbers else (present[0].line if present else grid.title_line)
        rows.append(Row(page, line, " | ".join(c.text if c else "" for c in cells),
                        [c.text if c is not None else None for c in cells]))
    return rows


AMOUNT_OR_CODE_RE = re.compile(r"^-?[\d,]*\d(?:\.\d+)?$|^\[?\d{3,7}\]?(?!\d|\s*年)")


def header_from_rows(rows: list[Row], width: int) -> tuple[list[tuple[str, ...]], list[Row]]:
    """Columns' labels from the leading rows that hold no figure and no code, for a grid
    whose header was not told apart from its body: a label in the top row runs over the
    blank cells to its right (a panel: 2025年预算数 | 2026年预算数); below it, each cell labels
    its own column."""
    n = 0
    while n < len(rows) and not any(AMOUNT_OR_CODE_RE.match(compact(c)) for c in rows[n].cells if c):
        n += 1
    head, body = rows[:n], rows[n:]
    paths: list[list[str]] = [[] for _ in range(width)]
    for i, row in enumerate(head):
        current = None
        for j in range(width):
            text = compact(row.cells[j]) if j < len(row.cells) else ""
            if text:
                current = text
                paths[j].append(text)
            elif i == 0 and current:
                paths[j].append(current)
    return [tuple(p) for p in paths], body


def rows_after_grid(layout, lines: list[Line], stop: int, end: int, grid) -> tuple[list[Row], int]:
    """Rows printed after the grid ends (a 合计 alone on the next page, without header or
    rules), each character placed in the grid's column its centre falls in; and the index
    after the last of them. Only lines that read like rows (a code or 合计, then figures)."""
    rows: list[Row] = []
    index = stop
    columns = grid.columns
    while index < end and layout is not None:
        line = lines[index]
        text = line.text.strip()
        if not ROW_LIKE_RE.match(text):
            break
        positioned = layout.line(line.number)
        if positioned is None:
            break
        cells: list[list] = [[] for _ in columns]
        for char in positioned.chars:
            centre = (char.x0 + char.x1) / 2
            column = next((n for n, c in enumerate(columns) if c.x0 <= centre <= c.x1), None)
            if column is None:
                if char.text.strip():
                    return rows, index  # printed outside the grid's columns: not a row of it
                continue
            cells[column].append(char)
        texts = [_chars_text(chars) or None for chars in cells]
        rows.append(Row(line.page or grid.last_page, line.number, " | ".join(t or "" for t in texts), texts))
        index += 1
    return rows, index


def first_line_indents(layout, grid, rows: list[Row]) -> list[list[tuple[float, float] | None]]:
    """Per row and column, where the cell's text starts on its first line, from the column's
    left edge, and the characters' height: (indent, height), or None for a blank cell. A
    wrapped name's later lines start at the edge; its first line shows the indentation."""
    if layout is None:
        return [[None] * len(grid.columns) for _ in rows]
    out = []
    for cells in grid.rows:
        indents: list[tuple[float, float] | None] = []
        for column, cell in zip(grid.columns, cells):
            positioned = layout.line(cell.line) if cell is not None else None
            chars = [c for c in (positioned.chars if positioned else []) if c.text.strip()
                     and column.x0 <= (c.x0 + c.x1) / 2 <= column.x1]
            indents.append((chars[0].x0 - column.x0, chars[0].bottom - chars[0].top) if chars else None)
        out.append(indents)
    # rows read after the grid (a 合计 alone on the next page) have no cells to measure
    return out + [[None] * len(grid.columns) for _ in rows[len(out):]]


def _chars_text(chars) -> str:
    words, previous = [], None
    for c in chars:
        if c.text.isspace():
            previous = None
            continue
        gap = previous is not None and c.x0 - previous.x1 >= 0.2 * max(c.bottom - c.top, 1.0)
        if not words or previous is None or gap:
            words.append("")
        words[-1] += c.text
        previous = c
    return " ".join(w for w in words if w)


def table_from_grid(role: str, lines: list[Line], start: int, end: int, grid, layout=None) -> ParsedTable:
    """The table of a region whose grid was read."""
    region = lines[start:end]
    stop = max(grid.end_index, start + 1)
    unit = table_unit(region)  # a wide table printed in strips may print it on its last strip only
    if unit is None:  # 元 or 万元 is never guessed: the table is recorded unreadable
        raise ValueError(NO_UNIT)
    table = ParsedTable(role=role, title=compact(region[0].text), first_line=region[0].number,
                        last_line=lines[stop - 1].number, page=region[0].page, unit=unit)
    paths = [tuple(c.labels) for c in grid.columns]
    rows = grid_rows(grid)
    if not any(paths):
        paths, rows = header_from_rows(rows, len(paths))
    after, after_end = rows_after_grid(layout, lines, stop, end, grid)
    if after:
        rows += after
        stop = after_end
        table.last_line = lines[stop - 1].number
    if role in ("summary", "appropriation_summary"):
        read_summary(table, paths, rows)
    elif role == "sangong":
        read_sangong(table, paths, rows)
    elif role == "procurement":
        read_procurement(table, paths, rows)
    elif role in ("project_expenditure", "department_basic_expenditure"):
        # 部门预算基本支出预算表 (珠海 表11): units and, indented below each, its 支出项目类别 as printed
        read_projects(table, paths, rows, first_line_indents(layout, grid, rows))
    else:
        system, spec = CODED[role]
        head = "".join(l for p in paths for l in p)
        if role == "gpb_expenditure" and "经济分类" in head and "功能分类" not in head:
            system = "economic"
        read_coded(table, system, paths, rows, spec)
        if role in ("economic_expenditure", "gpb_expenditure") and system == "economic":
            table.kind = "economic"
            for row in table.rows + [t for t in table.totals if t.get("kind") == "subtotal"]:
                row.update(economic_name=row.get("name"), government_code=None, government_name=None)
        elif role == "gpb_expenditure":
            table.kind = "function"
    by_number = {l.number: l for l in lines[start:end]}
    for number in grid.other_lines:
        line = by_number.get(number)
        if line is not None and NOTE_RE.match(line.text.strip()):
            table.notes.append(line.text)
        elif line is not None and ROW_LIKE_RE.match(line.text.strip()):
            table.unparsed.append(_unparsed(line, "a line of the table outside its grid", role))
    # the grid ends before the region does: what follows must not hold rows of the table
    for line in lines[stop:end]:
        if ROW_LIKE_RE.match(line.text.strip()):
            table.unparsed.append(_unparsed(line, "a table row after the end of the table's grid", role))
    table.unparsed.sort(key=lambda u: u["line"])
    return table


def _unparsed(line: Line, reason: str, role: str) -> dict:
    return {"page": line.page, "line": line.number, "text": line.text, "reason": reason, "table_role": role}


def evaluation_from_grid(lines: list[Line], start: int, end: int, grid) -> tuple[ParsedTable, dict]:
    """A 部门整体绩效自评表 and the fields of its target (see :func:`others.read_evaluation`)."""
    stop = max(grid.end_index, start + 1)
    table = ParsedTable(role="performance_evaluation", title=compact(lines[start].text), first_line=lines[start].number,
                        last_line=lines[stop - 1].number, page=lines[start].page)
    return read_evaluation(table, grid_rows(grid))
