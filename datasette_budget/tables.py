"""Recognising tables: find each standard table by its title, read its columns from its
header, and split its lines into rows (code, name, amounts), declared totals, known
header/note lines, and unparsed lines.

Every line inside a table region ends up in exactly one of those places.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from .amounts import AMOUNT, is_amount, parse_amount, printed_to_yuan, to_yuan
from .classification import normalise_code
from .documents import Line
# Recognising titles and regions lives in read/recognise.py; re-exported for the callers here.
from .read.parsed import ParsedTable  # noqa: F401  (read and written by every table reader)
from .read.recognise import (  # noqa: F401
    PERFORMANCE_ROLES,
    ROLE_TITLES,
    UNIT_RE,
    compact,
    find_tables,
    read_or_unreadable,
    role_of_title,
    unreadable_after,
    unreadable_table,
)

# The fund a function-classified expenditure table reports.
FUNDS = {
    "gpb_expenditure": "一般公共预算",
    "fund_expenditure": "政府性基金预算",
    "capital_expenditure": "国有资本经营预算",
}

PAGE_NUMBER_RE = re.compile(r"^(?:-\s*\d+\s*-|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
NOTE_RE = re.compile(r"^(?:注|备注|说明)\s*[:：]")
TOTAL_LABEL_RE = re.compile(r"^(?:合\s*计|总\s*计)$")
CODE_TOKEN_RE = re.compile(r"^\d{3,7}$")
CODE_PART_RE = re.compile(r"^\d{1,2}$")
DIGITS_RE = re.compile(r"\d")
ADJACENT_DIGITS_RE = re.compile(r"\d,?\d")

# Columns by role: (column, pattern in the header with its spaces removed).
EXPENDITURE_COLUMNS = [
    ("total", r"合计"),
    ("basic", r"基本支出"),
    ("basic_wages", r"工资福利"),
    ("basic_family", r"对个人和家庭"),
    ("basic_goods", r"商品(和)?服务"),
    ("basic_capital", r"资本性"),
    ("project", r"项目支出"),
    ("project_social", r"社会事业"),
    ("project_debt", r"债务项目"),
    ("project_construction", r"基本建设"),
    ("project_other", r"其他项目"),
    ("remit_superior", r"上缴上级支出"),
    ("operating", r"经营支出"),
    ("affiliated_subsidy", r"对附属单位补"),
]
EXPENDITURE_GROUPS = {
    "basic": ["basic_wages", "basic_family", "basic_goods", "basic_capital"],
    "project": ["project_social", "project_debt", "project_construction", "project_other"],
}
INCOME_COLUMNS = [
    ("total", r"合计"),
    ("general_budget", r"一般公共预算"),
    ("appropriation", r"财政拨款"),
    ("government_fund", r"政府性基金"),
    ("state_capital", r"国有资本经营"),
    ("special_account", r"财政专户"),
    ("business", r"(?<!单位)事业收入"),
    ("operating", r"经营收入"),
    ("superior_subsidy", r"上级补助"),
    ("affiliated", r"附属单位"),  # 附属单位上缴收入, whose cell can wrap around the other labels
    ("other", r"其他各|其他收入"),
    ("transfer", r"上级转|转移支付"),
]
INCOME_GROUPS = {"general_budget": ["appropriation"]}
BASIC_COLUMNS = [
    ("total", r"合计|小计|决算数"),
    ("appropriation", r"财政拨款"),
    ("personnel", r"人员经费"),
    ("public", r"公用经费"),
]

SANGONG_KINDS = [
    ("total", r"合\s*计|^合计"),
    ("vehicle_operation", r"运行"),
    ("vehicle_purchase", r"购置"),
    ("abroad", r"出国"),
    ("reception", r"接待"),
    ("vehicle", r"公务用?车"),
]

SUMMARY_TOTAL_RE = re.compile(r"^(本年收入合计|本年支出合计|收入总计|支出总计|总计|合计)")
SUMMARY_MARKER_RE = re.compile(
    r"(?:(?<=\s)|^|(?<=\d))"
    r"(?P<marker>[一二三四五六七八九十]+、|\d{1,2}、|\d{1,2}\.(?!\d)|（\d{1,2}）|\(\d{1,2}\)|"
    r"本年收入合计|本年支出合计|收入总计|支出总计|总计|"
    r"年初\S{0,8}?结转和结余|年末\S{0,8}?结转和结余|上年结转(?:结余)?|结转下年|使用非财政拨款结余|结余分配|"
    r"用事业基金弥补收支差额)"
)
# Items outside the year's income and expenditure (carry-over and balances): depth 0, and the
# numbered items printed under them are their parts.
CARRY_RE = re.compile(r"^(年初|年末|上年结转|结转下年|使用非财政拨款结余|结余分配|用事业基金)")
CARRY_SIDES = [("收入", r"^(年初|上年结转|使用非财政拨款结余|用事业基金)"), ("支出", r"^(年末|结转下年|结余分配)")]
CHINESE_NUMERALS = "一二三四五六七八九十"
CHINESE_MARKER_RE = re.compile(rf"^([{CHINESE_NUMERALS}]+)、")  # 二十二、
NUMBER_RE = re.compile(r"(\d+)")


# every row's code is normalised, and the same codes come back in every table and document
cached_normalise_code = lru_cache(maxsize=4096)(normalise_code)


def new_table(role: str, region: list[Line]) -> ParsedTable:
    """An empty table for a region whose first line is its title (or, for a table printed
    without a title, recognised by its header, its unit line: the title is then empty)."""
    title = region[0]
    return ParsedTable(role=role, title="" if _untitled(region) else compact(title.text), first_line=title.number,
                       last_line=region[-1].number, page=title.page)


def _untitled(region: list[Line]) -> bool:
    return bool(UNIT_RE.search(region[0].text)) and role_of_title(region[0].text) is None


def content_lines(table: ParsedTable, region: list[Line]):
    """(index, line, text) of each line of a table region that can hold rows or headers.

    Blank lines and page numbers are skipped; the unit line sets ``table.unit``; a note
    (注：/备注：) and every line after it go to ``table.notes``.
    """
    in_note = False
    first = 0 if _untitled(region) else 1  # an untitled table's first line is its unit line
    for index, line in enumerate(region[first:], start=first):
        text = line.text.strip()
        if not text or PAGE_NUMBER_RE.match(text):
            continue
        unit = UNIT_RE.search(text) if table.unit is None else None
        if unit:
            table.unit = unit.group(1)
            continue
        if in_note or NOTE_RE.match(text):
            in_note = True
            table.notes.append(text)
            continue
        yield index, line, text


def unparsed(line: Line, reason: str, role: str) -> dict:
    return {"page": line.page, "line": line.number, "text": line.text, "reason": reason, "table_role": role}


def header_columns(header: str | list[str], spec: list[tuple[str, str]], groups: dict[str, list[str]]) -> list[str]:
    """Columns in printed order, from a table's header lines.

    A PDF header loses its cell boundaries: a label that wraps inside its cell is split over
    lines above and below the others. Labels printed on one line are in printed order; the
    order of the rest is taken from the family's standard column order (``spec``), which
    also puts a group's sub-columns (基本支出: 工资福利 …) after the group.

    ``header_columns(["合计 财政拨款收入 事业收入 其他收入", "经营收入"], INCOME_COLUMNS, INCOME_GROUPS)``
    is ``["total", "appropriation", "business", "operating", "other"]``.
    """
    lines = [header] if isinstance(header, str) else header
    return list(_header_columns(tuple(lines), tuple(spec)))


@lru_cache(maxsize=256)
def _header_columns(lines: tuple[str, ...], spec: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """:func:`header_columns`, cached: the documents of one template print the same headers."""
    joined = compact("".join(lines))
    rank = {column: n for n, (column, _) in enumerate(spec)}
    found = [column for column, pattern in spec if re.search(pattern, joined)]
    after = _printed_before(lines, spec, found)
    columns: list[str] = []
    remaining = list(found)
    while remaining:
        ready = [c for c in remaining if not (after[c] - set(columns))] or remaining
        column = min(ready, key=lambda c: rank[c])
        columns.append(column)
        remaining.remove(column)
    return tuple(columns)


def _printed_before(lines: list[str], spec, found: list[str]) -> dict[str, set[str]]:
    """Column -> the columns printed before it on one of the header lines."""
    after: dict[str, set[str]] = {c: set() for c in found}
    for line in lines:
        text = compact(line)
        positions = []
        for column, pattern in spec:
            if column in after:
                m = re.search(pattern, text)
                if m:
                    positions.append((m.start(), column))
        positions.sort()
        for (_, a), (_, b) in zip(positions, positions[1:]):
            if a != b and a not in after[b] and b not in _preceding(after, a):
                after[b].add(a)
    return after


def _preceding(after: dict[str, set[str]], column: str) -> set[str]:
    """Every column that must come before ``column`` (transitively)."""
    seen: set[str] = set()
    todo = list(after.get(column, ()))
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.add(c)
            todo.extend(after.get(c, ()))
    return seen


def split_amounts(tokens: list[str]) -> tuple[list[str], list[str], str | None]:
    """Split tokens into (leading text tokens, trailing amount tokens, problem).

    A trailing token that looks like an amount but has stray characters is a problem.
    """
    i = len(tokens)
    while i > 0 and is_amount(tokens[i - 1]):
        i -= 1
    problem = None
    if i > 0 and _looks_like_damaged_amount(tokens[i - 1]):
        problem = f"amount {tokens[i - 1]!r} has stray characters"
    return tokens[:i], tokens[i:], problem


def _looks_like_damaged_amount(token: str) -> bool:
    """``1O,341,481``, ``585,00x``, ``3,590,000元``: mostly an amount, with stray characters."""
    # most tokens are names without two adjacent digits: test that first, it is the cheapest
    if not ADJACENT_DIGITS_RE.search(token) or is_amount(token):
        return False
    digits = sum(c.isdigit() or c == "," for c in token)
    return digits >= 3 and digits / len(token) >= 0.6


def split_code(tokens: list[str]) -> tuple[str | None, list[str]]:
    """Leading code tokens: ``201 03 01`` (spaced) or ``2010301`` (compact)."""
    if not tokens or not CODE_TOKEN_RE.match(tokens[0]):
        return None, tokens
    if len(tokens[0]) == 3:
        n = 1
        while n < 3 and n < len(tokens) and CODE_PART_RE.match(tokens[n]) and n + 1 < len(tokens):
            n += 1
        return " ".join(tokens[:n]), tokens[n:]
    return tokens[0], tokens[1:]


def assign(columns: list[str], amounts: list[str], unit: str) -> dict | None:
    """Map a row's amounts onto the table's columns; None when the count does not fit.

    When a row prints fewer amounts than there are columns (blank cells vanish from the
    text), the amounts are taken as the leading columns only if the row's own identities
    (total = basic + project, total = the sum of the funding sources, and so on) then hold
    and prove the blank columns zero; they are stored as 0. Anything else is left to the
    caller to report, never shifted silently.

    ``assign(["total", "basic", "project", "operating"], ["9.50", "9.50", "0.00"], "万元")``
    is ``{"total": 95000, "basic": 95000, "project": 0, "operating": 0}``.
    """
    values = [printed_to_yuan(a, unit) for a in amounts]
    if len(values) == len(columns):
        return dict(zip(columns, values))
    if len(values) > len(columns) or not values:
        return None
    candidate = dict(zip(columns, values))
    if _identities_hold(candidate, columns) and _explains_rest(candidate, columns):
        return {c: candidate.get(c, 0) for c in columns}
    return None


EXPENDITURE_EXTRAS = ("remit_superior", "operating", "affiliated_subsidy")


def _additive(columns: list[str]) -> tuple[str, list[str]] | None:
    """The kind of table and the columns that add up to its total."""
    if "basic" in columns or "project" in columns:
        return "expenditure", [c for c in ("basic", "project") + EXPENDITURE_EXTRAS if c in columns]
    if "personnel" in columns or "public" in columns:
        return "basic", [c for c in ("personnel", "public") if c in columns]
    members = {m for g, subs in INCOME_GROUPS.items() if g in columns for m in subs}
    income = [c for c, _ in INCOME_COLUMNS if c != "total" and c in columns and c not in members]
    return ("income", income) if income else None


def _identities_hold(row: dict, columns: list[str]) -> bool:
    from decimal import Decimal

    def d(c):
        return Decimal(str(row.get(c) or 0))

    kind = _additive(columns)
    if "total" not in row or kind is None:
        return False
    checks = [d("total") == sum((d(c) for c in kind[1] if c in row), Decimal(0))]
    for group, subs in EXPENDITURE_GROUPS.items():
        present = [s for s in subs if s in row]
        if group in row and present and len(present) == len([s for s in subs if s in columns]):
            checks.append(d(group) == sum((d(s) for s in present), Decimal(0)))
    return all(checks)


def _explains_rest(row: dict, columns: list[str]) -> bool:
    # The columns left blank must be ones whose absence the printed ones already account for:
    # parts of a total that the printed parts already add up to, sub-columns of a zero group.
    from decimal import Decimal

    kind = _additive(columns)
    explained = set(kind[1]) if kind else set()
    for group, subs in list(EXPENDITURE_GROUPS.items()) + list(INCOME_GROUPS.items()):
        if group in row and Decimal(str(row[group])) == 0:
            explained.update(subs)
        if group not in row and group in explained:
            explained.update(subs)  # a blank group proven zero has zero sub-columns
    missing = [c for c in columns if c not in row]
    return all(c in explained for c in missing)


# Header lines of a coded table; a line before the first row without any of these words
# may instead be the first part of the first row's wrapped name.
HEADER_WORD_RE = re.compile(r"科目|编码|名称|合计|小计|总计|分类|决算数|预算数|^项\s*目$|^类(\s|$)|类\s*款")
# ``人员经费合计 4884.09 公用经费合计 480.66``: labelled totals side by side
LABELLED_TOTALS_RE = re.compile(rf"^(?:\S*(?:合计|小计|总计)\s+{AMOUNT}\s*)+$")
TOTAL_COLUMNS = [("personnel", r"人员经费"), ("public", r"公用经费")]


@dataclass
class CodedScan:
    """A coded table as its lines read, before wrapped names are joined back.

    Joining depends on the names known from the rest of the document and reading the lines
    does not, so the scan is kept and joined again when better names are known.
    """
    table: ParsedTable  # rows without their wrapped parts, and never returned itself
    code_system: str
    header_lines: list[Line]
    streams: dict[str, list]  # for wrapping.attach_fragments
    row_index: dict[int, int]  # id(wrapping.Row) -> its record's index in table.rows


def scan_coded_table(role: str, region: list[Line], spec, groups, code_system: str = "function") -> CodedScan:
    """Read the lines of a table whose rows start with a classification code (or 合计 / a unit
    code) into rows, totals and name fragments.

    :func:`join_wrapped_names` then joins names that wrap onto lines above or below their code
    line (:mod:`datasette_budget.wrapping`), using the names known from the rest of the
    document and the reference code list. A table printed as two tables side by side (the 决算
    基本支出 table: 人员经费 left, 公用经费 right) is split at the second code of each line,
    and a line with one half is given to the side that holds its class.
    """
    from . import wrapping

    table = new_table(role, region)
    header_lines: list[Line] = []
    seen_header: set[str] = set()
    two_column = False
    streams: dict[str, list] = {"left": [], "right": []}
    side_classes: dict[str, set[str]] = {"left": set(), "right": set()}
    last_single_side = None
    row_index: dict[int, int] = {}  # id(wrapping.Row) -> index in table.rows
    code_lines: list[tuple[int, dict[str, wrapping.Row]]] = []  # (index in region, rows by side)
    fragments: list[tuple[int, Line]] = []
    pending: tuple[Line, list[str]] | None = None  # a code line with neither name nor amounts

    def barrier():
        for stream in streams.values():
            stream.append(wrapping.BARRIER)

    def start_rows():
        nonlocal two_column
        if not table.columns:
            table.header = [l.text for l in header_lines]
            table.columns = header_columns([l.text for l in header_lines], spec, groups)
            two_column = _is_two_column(table.header, spec)
            # trailing header lines without header words may start the first row's name
            candidates = []
            for l in reversed(header_lines):
                if HEADER_WORD_RE.search(l.text) or any(re.search(p, compact(l.text)) for _, p in spec):
                    break
                candidates.insert(0, l)
            streams["left"].extend(candidates)

    def add_row(line: Line, code: str, rest: list[str], side: str) -> None:
        """``code, rest``: the line's tokens as :func:`split_code` splits them."""
        name_tokens, amounts, problem = split_amounts(rest)
        if problem:
            table.unparsed.append(unparsed(line, problem, role))
            barrier()
            return
        values = assign(table.columns, amounts, table.unit or "元")
        if values is None:
            table.unparsed.append(
                unparsed(line, f"{len(amounts)} amounts for {len(table.columns)} columns ({', '.join(table.columns)})", role)
            )
            barrier()
            return
        record = {"page": line.page, "line": line.number, "values": values}
        normalised = cached_normalise_code(code)
        name = " ".join(name_tokens).strip()
        if len(normalised) == 6:  # a unit code such as 034001: the department's own row
            record.update(kind="unit", label=f"{normalised} {name}", code=normalised, name=name)
            table.totals.append(record)
            barrier()
            return
        record.update(kind="item", code=normalised, printed_code=code, name=name)
        table.rows.append(record)
        row = wrapping.Row(normalised, name)
        row_index[id(row)] = len(table.rows) - 1
        streams[side].append(row)
        side_classes[side].add(normalised[:3])
        code_lines[-1][1][side] = row

    for index, line, text in content_lines(table, region):
        tokens = text.split()
        code, rest = split_code(tokens)
        if pending is not None:
            # ``22102`` / ``住房改革支出 461.08 461.08 0.00``: a code alone, its row on the next line
            pending_line, pending_tokens = pending
            pending = None
            if code is None:
                name_tokens, amounts, _ = split_amounts(tokens)
                if amounts and name_tokens:
                    code_lines.append((index, {}))
                    add_row(Line(pending_line.page, pending_line.number, f"{pending_line.text} {text}"),
                            *split_code(pending_tokens + tokens), "left")
                    continue
            code_lines.append((index - 1, {}))
            add_row(pending_line, *split_code(pending_tokens), "left")
        # tokens hold no whitespace, so joining them is compacting them
        is_total = (bool(TOTAL_LABEL_RE.match(tokens[0])) or "".join(tokens[:2]) in ("合计", "总计")) and bool(
            DIGITS_RE.search(text)
        )
        if not is_total and code is None and table.columns and LABELLED_TOTALS_RE.match(text):
            _labelled_totals(table, line, tokens)
            barrier()
            continue
        if not is_total and code is None:
            if not table.rows and not table.totals:
                header_lines.append(line)
                seen_header.add(text)
            elif text in seen_header:
                continue
            elif not DIGITS_RE.search(text):
                fragments.append((index, line))
                for stream in streams.values():
                    stream.append(line)  # placed in one side's stream below
            else:
                table.unparsed.append(unparsed(line, "not a row: no classification code", role))
                barrier()
            continue
        start_rows()
        if is_total:
            label_tokens = tokens[:2] if "".join(tokens[:2]) in ("合计", "总计") and not TOTAL_LABEL_RE.match(tokens[0]) else tokens[:1]
            rest = tokens[len(label_tokens):]
            name_tokens, amounts, problem = split_amounts(rest)
            if problem:
                table.unparsed.append(unparsed(line, problem, role))
                continue
            values = assign(table.columns, amounts, table.unit or "元")
            if values is None:
                table.unparsed.append(
                    unparsed(line, f"{len(amounts)} amounts for {len(table.columns)} columns ({', '.join(table.columns)})", role)
                )
            else:
                table.totals.append({"page": line.page, "line": line.number, "values": values, "kind": "total",
                                     "label": compact(" ".join(label_tokens)), "code": None, "name": None})
            barrier()
            continue
        if not rest:  # neither name nor amounts
            pending = (line, tokens)
            continue
        segments = _two_column_segments(tokens) if two_column else [tokens]
        code_lines.append((index, {}))
        if len(segments) == 2:
            add_row(line, *split_code(segments[0]), "left")
            add_row(line, *split_code(segments[1]), "right")
        else:
            side = "left"
            if two_column:
                cls = cached_normalise_code(code)[:3]
                if cls in side_classes["left"]:
                    side = "left"
                elif cls in side_classes["right"]:
                    side = "right"
                elif last_single_side:
                    side = last_single_side
                last_single_side = side
            add_row(line, code, rest, side)
    if pending is not None:
        code_lines.append((len(region), {}))
        add_row(pending[0], *split_code(pending[1]), "left")
    if not table.columns:
        table.header = [l.text for l in header_lines]
        table.columns = header_columns([l.text for l in header_lines], spec, groups)
    # each fragment line is in both streams; keep it only in its side's
    for index, line in fragments:
        side = _fragment_side(index, code_lines) if two_column else "left"
        other = streams["right" if side == "left" else "left"]
        other[:] = [x for x in other if x is not line]
    if not two_column:
        streams["right"] = []
    return CodedScan(table, code_system, header_lines, streams, row_index)


def join_wrapped_names(scan: CodedScan, known: dict[str, set[str]] | None = None) -> ParsedTable:
    """The table of a scan, its wrapped names joined back with the help of ``known`` names.

    Builds a new table each time (the scan's records are copied, not changed), so a scan
    can be joined again with other names.
    """
    from . import wrapping

    table = replace(scan.table, columns=list(scan.table.columns), rows=[dict(r) for r in scan.table.rows],
                    totals=[dict(t) for t in scan.table.totals], unparsed=list(scan.table.unparsed),
                    notes=list(scan.table.notes))
    consumed: set[int] = set()
    for stream in scan.streams.values():
        # every Row of a stream gets its above and below set anew here
        leftovers = wrapping.attach_fragments(stream, scan.code_system, known)
        for x in stream:
            if isinstance(x, wrapping.Row):
                record = table.rows[scan.row_index[id(x)]]
                record["name"] = x.name
                record["wrapped"] = bool(x.above or x.below)
                consumed.update(id(f) for f in x.above + x.below)
        for x in leftovers:
            table.unparsed.append(unparsed(x, "a line without a code or amounts inside the table", table.role))
    table.header = [l.text for l in scan.header_lines if id(l) not in consumed]
    table.unparsed.sort(key=lambda u: u["line"])
    _separate_subtotals(table)
    return table


def _is_two_column(header: list[str], spec) -> bool:
    """Two tables side by side repeat both the name column and an amount column on one line."""
    for line in header:
        text = compact(line)
        if text.count("科目名称") >= 2 and any(len(re.findall(p, text)) >= 2 for _, p in spec):
            return True
    return False


def _two_column_segments(tokens: list[str]) -> list[list[str]]:
    """``301 工资福利支出 4816.14 302 商品和服务支出 440.90`` → the two rows."""
    for j in range(1, len(tokens)):
        if CODE_TOKEN_RE.match(tokens[j]) and len(tokens[j]) >= 3 and is_amount(tokens[j - 1]):
            left, right = tokens[:j], tokens[j:]
            if split_amounts(left)[1] and split_amounts(right)[1] and split_code(left)[0]:
                return [left, right]
    return [tokens]


def _fragment_side(index: int, code_lines: list[tuple[int, dict]]) -> str:
    """The side of a two-column table a name fragment belongs to: the side of its
    neighbouring code lines when they hold only one side, else the side whose neighbouring
    row printed no name, else the left."""
    before = [rows for i, rows in code_lines if i < index][-1:]
    after = [rows for i, rows in code_lines if i > index][:1]
    neighbours = before + after
    for side in ("left", "right"):
        if any(rows.get(side) is not None and not rows[side].own for rows in neighbours):
            return side
    sides = {side for rows in neighbours for side in rows}
    if len(sides) == 1:
        return sides.pop()
    return "left"


def _labelled_totals(table: ParsedTable, line: Line, tokens: list[str]) -> None:
    """``人员经费合计 4884.09 公用经费合计 480.66``: one declared total per label."""
    for label, amount in zip(tokens[::2], tokens[1::2]):
        column = next((c for c, p in TOTAL_COLUMNS if re.search(p, label)), "total")
        table.totals.append({"page": line.page, "line": line.number, "kind": "total", "label": label,
                             "code": None, "name": None,
                             "values": {column: printed_to_yuan(amount, table.unit or "元")}})


def _separate_subtotals(table: ParsedTable) -> None:
    """Rows whose code is a prefix of another row's code are subtotals (类/款 rows)."""
    codes = [r["code"] for r in table.rows]
    prefixes = {c[:n] for c in codes for n in range(3, len(c))}
    items = []
    for row in table.rows:
        if row["code"] in prefixes:
            row["kind"] = "subtotal"
            row["label"] = f"{row['code']} {row['name']}"
            table.totals.append(row)
        else:
            items.append(row)
    table.rows = items


def scan_economic_table(region: list[Line]) -> CodedScan:
    return scan_coded_table("economic_expenditure", region, EXPENDITURE_COLUMNS, EXPENDITURE_GROUPS, "economic")


# 基本工资 501 01 工资奖金津补贴_行政: the department's name, the government code and its name
ECONOMIC_NAME_RE = re.compile(r"^(?P<name>.*?)\s+(?P<gov>\d{3}(?: \d{1,2})?|\d{5})\s+(?P<gov_name>.+)$")


def _economic_names(table: ParsedTable) -> ParsedTable:
    """Each row's name split into its economic name, government code and government name."""
    table.kind = "economic"
    for row in table.rows + [t for t in table.totals if t["kind"] == "subtotal"]:
        # name_tokens hold: 基本工资 501 01 工资奖金津补贴_行政
        m = ECONOMIC_NAME_RE.match(row["name"])
        if m:
            row["economic_name"] = m.group("name")
            row["government_code"] = normalise_code(m.group("gov"))
            row["government_name"] = m.group("gov_name")
        else:
            row["economic_name"] = row["name"]
            row["government_code"] = None
            row["government_name"] = None
    return table


def parse_summary_table(role: str, region: list[Line]) -> ParsedTable:
    """收支总表: income items (left) and expenditure items (right) side by side on a line.

    A blank cell vanishes, so an item without an amount is followed directly by the next
    item (``八、其他收入 八、社会保障和就业支出 754.75``): items are split at their
    markers, and each amount belongs to the item before it. A name that wraps
    (``二十二、灾害防治及应急管理支`` / ``出``) is joined back.
    """
    table = new_table(role, region)
    last_marker = {"收入": {}, "支出": {}}
    parents = {"收入": None, "支出": None}
    carry = {"收入": None, "支出": None}
    started = False
    previous_line_items: list[dict] = []
    for _, line, text in content_lines(table, region):
        segments = _summary_segments(text)
        if not segments:
            if not started:
                table.header.append(text)
            elif previous_line_items and _is_name_continuation(previous_line_items[-1], text):
                item = previous_line_items[-1]
                item["item"] += text
                item["name"] += compact(text)
                previous_line_items = []
            else:
                table.unparsed.append(unparsed(line, "a line without an item inside the summary table", role))
            continue
        started = True
        sides = _summary_sides(segments, last_marker)
        previous_line_items = []
        for (marker, label, amounts, problem), side in zip(segments, sides):
            if problem:
                table.unparsed.append(unparsed(line, problem, role))
                continue
            values = [printed_to_yuan(a, table.unit or "元") for a in amounts]
            item = (marker + label).strip()
            if SUMMARY_TOTAL_RE.match(item):
                table.totals.append({"kind": "total", "label": compact(item), "code": None, "name": None,
                                     "side": side, "page": line.page, "line": line.number,
                                     "values": {"amount": values[0] if values else None}})
                carry = {"收入": None, "支出": None}
                continue
            if CARRY_RE.match(item):
                depth, parent = 0, None
                carry[side] = compact(item)
                last_marker[side] = {}
            else:
                depth = 1 if CHINESE_MARKER_RE.match(marker) else 2
                if depth == 1 and carry[side]:
                    depth, parent = 2, carry[side]
                elif depth == 1:
                    parents[side] = compact(label)
                    parent = None
                else:
                    parent = parents[side]
            record = {
                "kind": "item", "side": side, "item": item, "name": compact(label) or compact(item), "depth": depth,
                "parent": parent, "page": line.page, "line": line.number,
                "values": {"amount": values[0] if values else None},
                "extra_amounts": values[1:],
            }
            table.rows.append(record)
            previous_line_items.append(record)
    return table


def _is_name_continuation(item: dict, text: str) -> bool:
    """``出`` after ``二十二、灾害防治及应急管理支``: a short line, or one that completes a
    functional class name, continues the item above it."""
    from .classification import reference

    if DIGITS_RE.search(text) or len(text.split()) != 1:
        return False
    joined = item["name"] + compact(text)
    classes = {r["name"] for r in reference("function").values() if r["level"] == 1}
    return len(compact(text)) <= 3 or joined in classes


def _summary_segments(text: str) -> list[tuple[str, str, list[str], str | None]]:
    """(marker, label, amounts, problem) for each item printed on a summary line."""
    matches = list(SUMMARY_MARKER_RE.finditer(text))
    if not matches or matches[0].start() != 0:
        # a line whose first item has no number marker (e.g. 使用非财政拨款结余)
        if not matches and not DIGITS_RE.search(text):
            return []
        bare = re.match(r"^(\S+?)\s", text)
        if not bare and not matches:
            return []
    segments = []
    bounds = [m.start() for m in matches] + [len(text)]
    if matches and matches[0].start() != 0:
        bounds = [0] + bounds
        markers = [""] + [m.group("marker") for m in matches]
    else:
        markers = [m.group("marker") for m in matches]
    if not matches:
        bounds = [0, len(text)]
        markers = [""]
    for n, marker in enumerate(markers):
        chunk = text[bounds[n] : bounds[n + 1]].strip()
        body = chunk[len(marker):].strip()
        tokens = body.split()
        label_tokens, amounts, problem = split_amounts(tokens)
        segments.append((marker, " ".join(label_tokens), amounts, problem))
    return segments


def _numeral_value(marker: str) -> tuple[int, int] | None:
    """(depth, number) of an item marker: 一、 → (1, 1); 3、 → (2, 3)."""
    m = CHINESE_MARKER_RE.match(marker)
    if m:
        s = m.group(1)
        if s == "十":
            return 1, 10
        if s.startswith("十"):
            return 1, 10 + CHINESE_NUMERALS.index(s[1]) + 1
        if s.endswith("十"):
            return 1, (CHINESE_NUMERALS.index(s[0]) + 1) * 10
        if "十" in s:
            a, b = s.split("十")
            return 1, (CHINESE_NUMERALS.index(a) + 1) * 10 + CHINESE_NUMERALS.index(b) + 1
        return 1, CHINESE_NUMERALS.index(s) + 1
    m = NUMBER_RE.search(marker)
    if m:
        return 2, int(m.group(1))
    return None


def _summary_sides(segments, last_marker) -> list[str]:
    """Which side each segment belongs to. Two segments: income then expenditure. One
    segment: the side whose numbering it continues, else by its wording."""
    if len(segments) >= 2:
        sides = ["收入", "支出"] + ["支出"] * (len(segments) - 2)
    else:
        marker, label, _, _ = segments[0]
        value = _numeral_value(marker)
        side = None
        if SUMMARY_TOTAL_RE.match(marker + label):
            side = "收入" if "收入" in marker + label else "支出"
        elif CARRY_RE.match(marker):
            side = next(s for s, p in CARRY_SIDES if re.match(p, marker))
        elif value:
            depth, number = value
            fits = [s for s in ("收入", "支出") if last_marker[s].get(depth, 0) + 1 == number]
            if len(fits) == 1:
                side = fits[0]
        if side is None:
            side = "支出" if "支出" in label else "收入"
        sides = [side]
    for (marker, _, _, _), side in zip(segments, sides):
        value = _numeral_value(marker)
        if value:
            depth, number = value
            last_marker[side][depth] = number
            if depth == 1:
                last_marker[side][2] = 0
    return sides


SANGONG_NUMBER_RE = re.compile(r"^(其中[:：])?([（(]?\d+[）)]?[、.]?)")
SANGONG_PART_RE = re.compile(r"^(其中[:：])?[（(]\d+[）)]")


def parse_sangong_table(region: list[Line]) -> ParsedTable:
    """三公 table printed one item per line (label then amount)."""
    table = new_table("sangong", region)
    for _, line, text in content_lines(table, region):
        label_tokens, amounts, problem = split_amounts(text.split())
        if problem:
            table.unparsed.append(unparsed(line, problem, "sangong"))
            continue
        if not amounts:
            if not table.rows and not table.totals:
                table.header.append(text)
            else:
                table.unparsed.append(unparsed(line, "a line without an amount inside the 三公 table", "sangong"))
            continue
        label = compact(" ".join(label_tokens))
        if len(amounts) > 1 and not label and not table.rows and not table.totals:
            problem = _sangong_grid(table, line, amounts)
            if problem:
                table.unparsed.append(unparsed(line, problem, "sangong"))
            continue
        if len(amounts) != 1 or not label:
            table.unparsed.append(unparsed(line, f"expected an item and one amount, found {len(amounts)} amounts", "sangong"))
            continue
        kind = next((k for k, p in SANGONG_KINDS if re.search(p, label)), None)
        value = printed_to_yuan(amounts[0], table.unit or "元")
        item = SANGONG_NUMBER_RE.sub("", label)
        # 其中：（1）… and （2）… are parts of the item above them
        depth = 2 if SANGONG_PART_RE.match(label) else 1
        record = {"kind": kind or "other", "item": item, "label": label, "depth": depth, "page": line.page,
                  "line": line.number, "values": {"amount": value}, "code": None, "name": None}
        if kind == "total":
            record["kind"] = "total"
            table.totals.append(record)
        else:
            table.rows.append(record)
    table.columns = ["amount"]
    return table


# The 三公 table printed as one line of figures under a multi-level header, in the family's
# usual column order; a printed label line fixes the order of the labels on it.
SANGONG_COLUMNS = [
    ("total", r"合计"),
    ("abroad", r"因公出国"),
    ("vehicle", r"公务用车购置及运行(维护)?费|小计"),
    ("vehicle_purchase", r"(?<!用车)购置费"),
    ("vehicle_operation", r"(?<!及)运行(维护)?费"),
    ("reception", r"公务接待"),
    ("running_cost", r"机关运行经"),
]
SANGONG_LABELS = {
    "total": "合计", "abroad": "因公出国（境）费", "vehicle": "公务用车购置及运行费",
    "vehicle_purchase": "公务用车购置费", "vehicle_operation": "公务用车运行费", "reception": "公务接待费",
    "running_cost": "机关运行经费",
}


def _sangong_grid(table: ParsedTable, line: Line, amounts: list[str]) -> str | None:
    """Read a one-line 三公 table: its columns come from the header, in an order that the
    header's lines allow and the row's own sums (合计 = 出国 + 接待 + 用车; 用车 = 购置 + 运行)
    confirm. With 预算数/决算数 pairs, ``amount`` is the document's own phase's figure.
    Returns a problem, or None when the line was read."""
    from itertools import permutations

    joined = compact("".join(table.header))
    found = [c for c, p in SANGONG_COLUMNS if re.search(p, joined)]
    if not found or len(amounts) % len(found):
        return f"{len(amounts)} amounts for the {len(found)} columns of the header"
    per = len(amounts) // len(found)
    subs = ["amount"]
    if per == 2:
        pair = next((l for l in table.header if "预算数" in l and "决算数" in l), "预算数 决算数")
        subs = ["budget_amount", "amount"] if pair.index("预算数") < pair.index("决算数") else ["amount", "budget_amount"]
    elif per != 1:
        return f"{len(amounts)} amounts for the {len(found)} columns of the header"
    if len(found) > 8:
        return "too many columns to tell apart"
    from decimal import Decimal

    numbers = [parse_amount(a) for a in amounts]
    after = _printed_before(table.header, SANGONG_COLUMNS, found)
    solutions = set()
    for order in permutations(found):
        if any(a in after[b] for i, b in enumerate(order) for a in order[i + 1:]):
            continue
        cells = {c: tuple(numbers[i * per:(i + 1) * per]) for i, c in enumerate(order)}
        ok = True
        for k in range(per):
            v = {c: cells[c][k] for c in cells}
            parts = [c for c in ("abroad", "reception", "vehicle") if c in v]
            if "total" in v and parts and v["total"] != sum((v[c] for c in parts), Decimal(0)):
                ok = False
            vparts = [c for c in ("vehicle_purchase", "vehicle_operation") if c in v]
            if "vehicle" in v and vparts and v["vehicle"] != sum((v[c] for c in vparts), Decimal(0)):
                ok = False
        if ok:
            solutions.add(tuple(sorted(cells.items())))
    if len(solutions) > 1:
        # blank-free figures that fit more than one order (0.00 in several columns): the
        # family's usual order decides, when it is one of them
        usual = header_columns(table.header, SANGONG_COLUMNS, {})
        reading = tuple(sorted((c, tuple(numbers[i * per:(i + 1) * per])) for i, c in enumerate(usual)))
        if reading in solutions:
            solutions = {reading}
    if len(solutions) != 1:
        return (f"cannot tell which of the {len(amounts)} amounts belongs to which column "
                f"({len(solutions)} readings fit the header and the sums)")
    cells = dict(solutions.pop())
    unit = table.unit or "元"
    for seq, column in enumerate(c for c, _ in SANGONG_COLUMNS if c in cells):
        values = {sub: to_yuan(cells[column][k], unit) for k, sub in enumerate(subs)}
        record = {"kind": column, "item": SANGONG_LABELS[column], "label": SANGONG_LABELS[column],
                  # 机关运行经费 is printed in the table but is not part of the 三公 total
                  "depth": 2 if column in ("vehicle_purchase", "vehicle_operation") else 0 if column == "running_cost" else 1,
                  "page": line.page, "line": line.number, "values": values, "code": None, "name": None}
        (table.totals if column == "total" else table.rows).append(record)
    return None


def parse_procurement_table(region: list[Line]) -> ParsedTable:
    """政府采购预算表: code, unit, procurement item, catalogue item, [spec], measure, quantity, amount."""
    table = new_table("procurement", region)
    for _, line, text in content_lines(table, region):
        tokens = text.split()
        if TOTAL_LABEL_RE.match(tokens[0]) or compact(" ".join(tokens[:2])) == "合计":
            rest = tokens[1:] if TOTAL_LABEL_RE.match(tokens[0]) else tokens[2:]
            if len(rest) == 2 and all(is_amount(t) for t in rest):
                table.totals.append({"kind": "total", "label": "合计", "code": None, "name": None,
                                     "page": line.page, "line": line.number,
                                     "values": {"quantity": int(parse_amount(rest[0])),
                                                "amount": printed_to_yuan(rest[1], table.unit or "元")}})
            else:
                table.unparsed.append(unparsed(line, "expected 合计, a quantity and an amount", "procurement"))
            continue
        code, rest = split_code(tokens)
        if code is None:
            if not table.rows and not table.totals:
                table.header.append(text)
            else:
                table.unparsed.append(unparsed(line, "not a row: no classification code", "procurement"))
            continue
        if len(rest) < 6 or not is_amount(rest[-1]) or not is_amount(rest[-2]):
            table.unparsed.append(unparsed(line, "expected unit, item, catalogue, measure, quantity and amount", "procurement"))
            continue
        unit_name, category, item = rest[0], rest[1], rest[2]
        spec = " ".join(rest[3:-3]) or None
        table.rows.append({
            "kind": "item", "code": normalise_code(code), "name": None, "unit_name": unit_name,
            "category": category, "item": item, "spec": spec, "measure": rest[-3],
            "page": line.page, "line": line.number,
            "values": {"quantity": int(parse_amount(rest[-2])),
                       "amount": printed_to_yuan(rest[-1], table.unit or "元")},
        })
    table.columns = ["quantity", "amount"]
    return table


def is_economic_header(region: list[Line]) -> bool:
    head = compact(" ".join(l.text for l in region[1:12]))
    return "经济分类" in head and "功能分类" not in head


def parse_table(role: str, region: list[Line], known: dict[str, dict[str, set[str]]] | None = None) -> ParsedTable:
    """Dispatch a table region to the parser for its role.

    ``known``: names the document prints for each code elsewhere, per code system
    (``{"function": {"21011": {"行政事业单位医疗"}}}``), to join wrapped names back.
    """
    return table_parser(role, region)(known)


def table_parser(role: str, region: list[Line]) -> Callable[[dict | None], ParsedTable]:
    """Read a table region now; the returned ``parse(known)`` gives the table for the known
    names (as :func:`parse_table` does) and can be called again with other names.

    Only joining wrapped names depends on the known names, so a document that parses its
    tables a second time, with the names the first parse found, reads each line once.

    A table that raises while read, or of a role this reader does not read, is an unreadable
    table (its page and the reason), never the end of the whole document.
    """
    if role not in TEXT_ROLES:
        table = unreadable_table(role, region, f"no reader yet for the rows of {compact(region[0].text)}")
        return lambda known=None: table
    try:
        if role in ("summary", "appropriation_summary"):
            table = parse_summary_table(role, region)
        elif role == "sangong":
            table = parse_sangong_table(region)
        elif role == "procurement":
            table = parse_procurement_table(region)
        else:
            parse = _coded_table_parser(role, region)
            return lambda known=None: read_or_unreadable(role, region, lambda: parse(known))
    except Exception as e:  # a reader's failure is the table's, not the document's
        table = unreadable_after(role, region, e)
    return lambda known=None: table  # no wrapped names to join


# The roles the text reader reads (the others are recorded as unreadable until a reader reads them)
TEXT_ROLES = frozenset({
    "summary", "appropriation_summary", "income", "expenditure", "gpb_expenditure", "economic_expenditure",
    "basic_expenditure", "sangong", "fund_expenditure", "capital_expenditure", "procurement",
})


def _coded_table_parser(role: str, region: list[Line]) -> Callable[[dict | None], ParsedTable]:
    # the seed's 一般公共预算支出情况表 says 经济分类 only in its header; 泉州's says so in its title
    economic = role == "economic_expenditure" or (role == "gpb_expenditure" and is_economic_header(region))
    if economic:
        scan = scan_economic_table(region)
    elif role == "income":
        scan = scan_coded_table(role, region, INCOME_COLUMNS, INCOME_GROUPS)
    elif role == "basic_expenditure":
        scan = scan_coded_table(role, region, BASIC_COLUMNS, {}, "economic")
    else:
        scan = scan_coded_table(role, region, EXPENDITURE_COLUMNS, EXPENDITURE_GROUPS)

    def parse(known: dict[str, dict[str, set[str]]] | None = None) -> ParsedTable:
        table = join_wrapped_names(scan, (known or {}).get(scan.code_system))
        if economic:
            return _economic_names(table)
        if role == "gpb_expenditure":
            table.kind = "function"
        return table

    return parse
