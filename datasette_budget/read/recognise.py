"""Recognising tables: which lines are table titles, the role each title names, and the
region of lines each table covers.

Reads only numbered lines (:class:`~datasette_budget.documents.Line`) and the title words
of :mod:`datasette_budget.vocabulary`.

Note for the readers of tables (interpret): the roles a region can have, and the table
each is (``vocabulary.TABLE_ROLES`` says the same, with the titles as printed):

- ``summary``: 收支总表 / 收支总体情况表 / 财务收支预算总表 / 收入支出决算总表
- ``income``: 收入总表 / 收入总体情况表 / 收入预算总表 / 收入决算表
- ``expenditure``: 支出总表 / 支出总体情况表 / 支出预算总表 (苏州: also 事业单位经营支出,
  上缴上级支出, 对附属单位补助支出 columns)
- ``appropriation_summary``: 财政拨款收支总表 / 财政拨款收支总体情况表
- ``appropriation_expenditure`` (new): 财政拨款支出预算表 (上海 05) / 财政拨款支出表（功能科目）
  (苏州 公开05): 财政拨款 by function code, 基本支出 may be split into 人员经费 / 公用经费
- ``appropriation_basic_expenditure`` (new): 财政拨款基本支出表（经济科目） (苏州 公开06)
- ``gpb_expenditure``: 一般公共预算支出表 / …支出情况表（按功能分类科目） / 一般公共预算拨款支出预算表
  (泉州 五) / …支出功能分类预算表; the text reader still reads a header saying 经济分类 (the seed's
  second 一般公共预算支出情况表) as ``economic_expenditure``
- ``economic_expenditure``: now also a title role: 一般公共预算支出经济分类情况表 (泉州 八: 基本 +
  项目 by economic 类)
- ``basic_expenditure``: 一般公共预算基本支出表 / …基本支出情况表（按经济分类科目） /
  …基本支出部门预算经济分类预算表 / 泉州 九 …基本支出经济分类情况表
- ``project_economic_expenditure`` (new): 一般公共预算项目支出情况表（按经济分类科目） (珠海 表7)
- ``department_basic_expenditure`` (new): 部门预算基本支出预算表 (珠海 表11)
- ``project_expenditure`` (new): 项目支出预算表 (湖州 表10) / 财政拨款项目支出预算表 (上海 10) /
  项目支出表 (长春 预算表9) / 部门预算项目支出及其他支出预算表 (珠海 表12)
- ``sangong``: “三公”经费支出表 / “三公”经费和机关运行经费预算表 / 行政经费及“三公”经费预算表 (珠海 表8) /
  “三公”经费、会议费、培训费支出表 (苏州 公开09)
- ``running_cost`` (new): 一般公共预算机关运行经费支出预算表 (苏州 公开12)
- ``fund_expenditure``, ``capital_expenditure``, ``procurement``: as before, with every city's wording
- performance forms (no unit line; read by performance.py, and the 自评表 from its grid): ``performance_overall``
  (部门整体绩效目标表), ``performance_project`` (项目绩效目标表, 项目支出绩效表 湖州 表11,
  专项资金绩效目标表 重庆 表十一), ``performance_evaluation`` (new: 部门整体绩效自评表, 宁德; a document
  with only this form is a 决算 with no tables: load it with no tables rather than refuse it).

A role with no reader yet is still recorded: :func:`unreadable_table` gives the row (status
``unreadable``, its page and the reason; tables.table_parser does so for the roles the text
reader does not read). :func:`read_or_unreadable` wraps a reader so an exception becomes an
unreadable table and the rest of the document loads (disclosure.py wraps the grid readers).
:func:`one_table_per_role` keeps the first table of a role and says where the others are
(document_tables is keyed on (document, role)).

Regions (:func:`find_tables`) now end at the next title, at the next title-like line of a table
the vocabulary does not know, or at a heading that is no table (第三部分…, …情况说明, 名词解释,
绩效目标表及说明): the narrative printed after the last table is no longer inside its region, so
read it from the last region's start to the first performance form or the end of the document.
A title printed again on a continuation page (same title, same number or same header) extends
the region instead of starting a second one. The lines of a table's number (表一, 公开 01 表),
of a numbered heading naming it (五、一般公共预算拨款支出预算表) and a running page header at the
top of the page where a region ends belong to no region. A table printed without a title is
found by its header (``vocabulary.HEADER_ROLES``) when the document has no titled table of
that role: its region starts at its unit line, and its title is empty.

A region's unit line may come after its first dozen lines (a wide table printed in strips
prints 单位：元 only over its last strip: 上海 数据局's 收入预算总表): :func:`table_unit` takes the
first one anywhere in the region. A reader that finds no unit should say so (a note or a flag),
not read the figures as 元.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..documents import Line
from ..vocabulary import (
    CONTINUED_RE,
    END_HEADING_RE,
    HEADER_ROLES,
    PERFORMANCE_ROLES,
    ROLE_TITLES,
    TABLE_NUMBER_RE,
    TITLE_QUALIFIER_RE,
)
from .parsed import ParsedTable

UNIT_RE = re.compile(r"单位\s*[:：]\s*(万元|元)")
# The unit line as recognition sees it: also 单位：万 wrapped before its 元 (长春 预算表5)
UNIT_NEARBY_RE = re.compile(r"单位\s*[:：]\s*(?:万元|元|万(?=\s|$))")
# The heading of the tables' part of a disclosure, not a table: 2026年度部门预算表, …2024年度部门决算表
PART_TITLE_RE = re.compile(r"^(第[一二三四五六七八九十]+部分)?(\d{4}\s*年度?)?\S{0,30}?(部门|单位)(综合)?(预算|决算)(公开)?表$")
# A unit printed at the end of a line (a title's or a label's): … 单位：万元
UNIT_AT_END_RE = re.compile(r"(?:^|\s)(?:金额)?单位\s*[:：]\s*(?:万元|元)\s*$")
CJK_RE = re.compile(r"[\u4e00-\u9fff]{2}")
# A table of contents entry or a list item naming a table: 1. …表, 五、…表, （十一）…表
LIST_ITEM_RE = re.compile(r"^(\d+[.．、]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])")
# One of these is in every heading END_HEADING_RE matches
END_HEADING_WORDS_RE = re.compile("部分|说明|名词|绩效")
# The longest title (a department's long name before a long title), spaces removed
LONGEST_TITLE = 80
# How many pages a table printed in strips may span before its part with the unit line
SPLIT_PAGES = 4
# How far below its title a table prints its unit line, and how much of its header is
# compared to tell a repeated title (a continuation) from a new table with the same title
UNIT_WINDOW = 6
HEADER_LINES = 3
# How many lines below a unit line may hold the header of a table printed without a title
UNTITLED_HEADER_LINES = 8
# The longest tail of a title wrapped onto a second line (…经济分类 / 预算表)
WRAPPED_TAIL = 12

__all__ = [
    "PERFORMANCE_ROLES", "ROLE_TITLES", "UNIT_RE", "compact", "find_tables", "one_table_per_role", "read_or_unreadable",
    "role_of_title", "split_title", "table_unit", "unknown_tables", "unreadable_after", "unreadable_table",
]


def compact(text: str) -> str:
    """The text without whitespace (str.split's whitespace is exactly the regex ``\\s``)."""
    return "".join(text.split())


def split_title(text: str) -> tuple[str, str, str]:
    """(number, title, qualifiers) of a printed title, spaces removed.

    ``split_title("公开 05 表 财政拨款支出表（功能科目）") == ("公开05表", "财政拨款支出表", "（功能科目）")``
    """
    t = compact(text)
    number = ""
    m = TABLE_NUMBER_RE.match(t)
    if m and m.end() < len(t):
        number, t = m.group(0).rstrip("：:、.．"), t[m.end():]
    qualifiers = ""
    while t.endswith(("）", ")")):
        q = TITLE_QUALIFIER_RE.search(t)
        if not q or q.start() == 0:
            break
        qualifiers, t = q.group(0) + qualifiers, t[: q.start()]
    return number, t, qualifiers


def role_of_title(text: str) -> str | None:
    """The role of a line that is a table title, else None.

    ``role_of_title("郑州市信访局部门收支总体情况表") == "summary"``;
    ``role_of_title("表1：收支总体情况表") == "summary"``;
    ``role_of_title("收支总表（预算表 1）") == "summary"``.
    """
    if "表" not in text:
        return None  # most lines: no need to look further
    return _role(_title_text(text))


def _title_text(text: str) -> str | None:
    """The title with its qualifiers, number removed, when the line can be a title at all
    (also when the title shares its line with the unit: ``收支总表 单位：万元``)."""
    text = _without_unit(text)
    _, t, qualifiers = split_title(text)
    if not t.endswith("表") or len(t) > LONGEST_TITLE or any(c in t for c in "《》。，…：；"):
        return None
    if LIST_ITEM_RE.match(t):
        return None  # a table of contents entry or a list item naming a table
    if _is_number_line(t):
        return None  # 公开 01 表: only the number of the title below
    return t + qualifiers


def _without_unit(text: str) -> str:
    """A line's text before a unit printed at its end, and the labels beside it
    (``2026年部门收支总体情况表 编制单位：X 单位：元`` → ``2026年部门收支总体情况表``)."""
    m = UNIT_AT_END_RE.search(text)
    if not m:
        return text
    tokens = text[: m.start()].split()
    while tokens and ("：" in tokens[-1] or ":" in tokens[-1]):
        tokens.pop()  # 编制单位：X, 单位名称：X
    return " ".join(tokens)


def _role(title: str | None) -> str | None:
    if title is None:
        return None
    return next((role for role, pattern in ROLE_TITLES if pattern.search(title)), None)


def _wrapped_title(lines: list[Line], i: int) -> str | None:
    """A title wrapped over two lines (…部门预算经济分类 / 预算表): the joined title, when only
    the two lines together name a table."""
    if i + 1 >= len(lines) or "表" not in lines[i + 1].text:
        return None  # most lines
    first, second = compact(lines[i].text), compact(lines[i + 1].text)
    if not first or first.endswith("表") or not second.endswith("表") or len(second) > WRAPPED_TAIL:
        return None
    if not CJK_RE.search(first) or LIST_ITEM_RE.match(second) or _is_number_line(second):
        return None  # a page number or a list item above a numbered heading: no wrapped title
    if _role(_title_text(second)) is not None:
        return None
    joined = _title_text(first + second)
    return joined if _role(joined) is not None else None


def _numbered_title(lines: list[Line], i: int) -> str | None:
    """A title numbered like a list item (``一、部门收支总表``), when it is one: its unit line
    follows, it is no entry of a table of contents (no other numbered title beside it), and
    the title itself is not printed again below it (泉州: 五、…表 over 2026年度…表)."""
    t = compact(_without_unit(lines[i].text))
    m = LIST_ITEM_RE.match(t)
    if not m or not _has_unit_line(lines, i):
        return None
    title = _title_text(t[m.end():])
    role = _role(title)
    if role is None:
        return None
    for j in (i - 1, i + 1, i + 2):
        if 0 <= j < len(lines) and j != i:
            other = compact(lines[j].text)
            if LIST_ITEM_RE.match(other) and other.endswith("表"):
                return None  # a table of contents
            if j > i and _role(_title_text(lines[j].text)) == role:
                return None  # the heading above the title
    return title


def _is_number_line(text: str) -> bool:
    """表一, 公开 01 表, 单位预算表10: a line that is only a table's number."""
    t = compact(text)
    m = TABLE_NUMBER_RE.match(t)
    return bool(m) and m.end() == len(t)


def _number_above(lines: list[Line], i: int) -> str:
    """The table number printed on its own line just above a title (表01, 公开 01 表)."""
    for line in lines[max(0, i - 2) : i][::-1]:
        if _is_number_line(line.text):
            return compact(line.text)
    return ""


def _has_unit_line(lines: list[Line], i: int) -> bool:
    window = " ".join(line.text for line in lines[i : i + UNIT_WINDOW])
    return bool(UNIT_NEARBY_RE.search(window))


def _header(lines: list[Line], start: int, end: int) -> tuple[str, ...]:
    """The header lines below a title: the lines before the first one with a figure, but the
    unit line and blanks (a few at most)."""
    out = []
    for line in lines[start + 1 : end]:
        t = compact(line.text)
        if not t or UNIT_NEARBY_RE.search(t):
            continue
        if re.search(r"\d", t) or len(out) == HEADER_LINES:
            break
        out.append(t)
    return tuple(out)


def _is_end_heading(text: str) -> bool:
    """A heading that is no table: 第三部分 …, 其他相关情况说明, 名词解释, 绩效目标表及说明."""
    if not END_HEADING_WORDS_RE.search(text):
        return False  # most lines: the heading regex need not look
    t = compact(text)
    return len(t) <= 40 and bool(END_HEADING_RE.match(t))


def find_tables(lines: list[Line]) -> list[tuple[str, int, int]]:
    """(role, start index, end index) of each table region, one per table.

    A title (numbered, qualified, wrapped over two lines or sharing its line with the unit)
    counts when a unit line (单位：元) follows within five lines, except for the performance
    forms, which print none, and for the first strip of a wide table whose unit is printed
    over its last strip. A table without a title is found by its header (:func:`_untitled`).
    A region runs to the next title, to the title of a table the vocabulary does not know, or
    to a heading that is no table; the next table's number (表一) and a running page header are
    not part of it. A title printed again on a continuation page extends its table.

    ``[role for role, _, _ in find_tables(read_document(SEED).lines)][:2] == ["summary", "income"]``
    """
    titles = []  # (index, role or None for an unknown table, number, title)
    stops = []  # indices where a region ends: unknown titles, headings, number lines
    unitless = []  # titles of a known table with no unit line below them
    wrapped_at = -1
    for i, line in enumerate(lines):
        if i == wrapped_at:
            continue  # the second line of a title wrapped over two
        text = line.text
        title = _title_text(text) if "表" in text else None
        role = _role(title)
        if role is None:
            joined = _wrapped_title(lines, i)
            if joined is not None:
                title, role, wrapped_at = joined, _role(joined), i + 1
        if title is None and "表" in text:
            title = _numbered_title(lines, i)
            role = _role(title)
        if title is not None:
            if role in PERFORMANCE_ROLES or _has_unit_line(lines, i):
                number = split_title(text)[0] or _number_above(lines, i)
                titles.append((i, role, number, title))
                continue
            if role is None and "绩效" in title:
                stops.append(i)  # a performance form the vocabulary does not know: no unit line
                continue
            if role is not None:
                unitless.append((i, role, split_title(text)[0] or _number_above(lines, i), title))
        if _is_end_heading(text):
            stops.append(i)
    parts = _split_parts(lines, titles, unitless)
    titles = sorted(titles + [t for t in unitless if t[0] in parts.values()])
    known = [t for t in titles if t[1] is not None]
    starts = sorted(known + _untitled(lines, titles, {t[1] for t in known}), key=lambda t: t[0])
    title_at = {t[0] for t in titles} | {t[0] for t in starts}
    boundaries = sorted(title_at | set(stops))
    furniture = _running_headers(lines)
    regions: list[list] = []  # [role, start, end, number, title]
    for index, role, number, title in starts:
        end = next((b for b in boundaries if b > index), len(lines))
        end = _before_number_lines(lines, index, end, title_at, furniture)
        previous = regions[-1] if regions else None
        if previous and (parts.get(index) == previous[1] or _continues(lines, previous, index, role, number, title)):
            previous[2] = end
            continue
        regions.append([role, index, end, number, title])
    return [(role, start, end) for role, start, end, _, _ in regions]


def _split_parts(lines: list[Line], titles: list, unitless: list) -> dict[int, int]:
    """A wide table printed in strips, its unit line only over the last (上海 数据局's 收入预算总表:
    合计 … 事业单位经营收入 on pages 8–9, 其他收入 and 单位：元 on pages 10–11): a title without a
    unit line is the table's when the same title follows, with its unit, within a few pages.
    Returns {index of the later title: index of the first}, the later part of the same table."""
    parts = {}
    for i, role, _, title in unitless:
        later = next((t for t in titles if t[0] > i and t[1] == role), None)
        if later and later[3] == title and lines[later[0]].page is not None and lines[i].page is not None \
                and 0 < lines[later[0]].page - lines[i].page <= SPLIT_PAGES:
            parts[later[0]] = i
    return parts


def unknown_tables(lines: list[Line]) -> list[tuple[int | None, int, str]]:
    """(page, line number, title) of each table whose title the vocabulary does not know: a
    title-like line with a unit line below it, but the headings of a part (2026年度部门预算表).
    Its rows are read by no reader; say so rather than drop them in silence."""
    out = []
    for i, line in enumerate(lines):
        if "表" not in line.text:
            continue
        title = _title_text(line.text)
        if title is None or _role(title) is not None or PART_TITLE_RE.search(title):
            continue
        if _has_unit_line(lines, i) and _wrapped_title(lines, i) is None:
            out.append((line.page, line.number, title))
    return out


def _untitled(lines: list[Line], titles: list, found: set[str]) -> list:
    """Tables printed without a title the vocabulary knows: a unit line that is not a title's,
    followed by a header whose words name one role (三公 items, 采购品目, 经济分类 with 人员经费 /
    公用经费) of which the document has no titled table. The region starts at the unit line (the
    line above it may be the last row of the table before)."""
    own = set()  # each title's own unit line: the first below it
    for t, *_ in titles:
        own.update(next(([j] for j in range(t, min(t + UNIT_WINDOW, len(lines)))
                         if UNIT_NEARBY_RE.search(lines[j].text)), []))
    out = []
    for i, line in enumerate(lines):
        if i in own or not UNIT_NEARBY_RE.search(line.text):
            continue
        header = ""  # the lines below the unit line, to the first with figures or a sentence's punctuation
        for below in lines[i + 1 : i + 1 + UNTITLED_HEADER_LINES]:
            if re.search(r"\d{2}|[。，；]", below.text):
                break
            header += compact(below.text)
        role = next((r for r, patterns in HEADER_ROLES if all(p.search(header) for p in patterns)), None)
        if role is None or role in found or role in (t[1] for t in out):
            continue
        out.append((i, role, "", ""))
    return out


def _before_number_lines(lines: list[Line], start: int, end: int, title_at: set[int],
                         furniture: set[str]) -> int:
    """Move a region's end above what belongs to the next table or to the next page: the next
    table's number line and numbered heading (公开 01 表 / 五、一般公共预算拨款支出预算表 above the
    title), and a running header printed at the top of the page where the region ends."""
    if end >= len(lines):
        return end
    page = lines[end].page
    k = end
    while k - 1 > start:
        text = lines[k - 1].text
        t = compact(text)
        if not t or (end in title_at and (_is_number_line(text) or (LIST_ITEM_RE.match(t) and t.endswith("表")))):
            k -= 1
            continue
        if t in furniture and lines[k - 1].page == page:
            k -= 1
            continue
        break
    # only blank lines above: keep them in the region, as before
    if all(not lines[j].text.strip() for j in range(k, end)):
        return end
    return k


def _running_headers(lines: list[Line]) -> set[str]:
    """Text printed as the first line of many pages (苏州市X 2026 年度部门预算公开): page furniture."""
    first: dict[int, str] = {}
    for line in lines:
        if line.page is not None and line.page not in first and line.text.strip():
            first[line.page] = compact(line.text)
    counts: dict[str, int] = {}
    for t in first.values():
        counts[t] = counts.get(t, 0) + 1
    return {t for t, n in counts.items() if n >= max(3, len(first) // 3)}


def _continues(lines: list[Line], previous: list, index: int, role: str, number: str, title: str) -> bool:
    """Whether a title repeats the previous table's on a continuation page."""
    p_role, p_start, p_end, p_number, p_title = previous
    page, p_page = lines[index].page, lines[p_start].page
    if role != p_role or (page is not None and page == p_page):
        return False
    if CONTINUED_RE.search(title):
        return True
    if CONTINUED_RE.sub("", title) != CONTINUED_RE.sub("", p_title):
        return False
    if number and p_number:
        return number == p_number
    # no number on one of the pages: the same header below the title (the seed prints two
    # tables under one title, with different headers)
    return _header(lines, index, index + 12) == _header(lines, p_start, p_start + 12)


# why a table whose unit is not printed is not read: its figures could be 元 or 万元
NO_UNIT = "it prints no unit (单位：元 or 单位：万元), so its figures cannot be read exactly"


def table_unit(region: list[Line]) -> str | None:
    """The unit a table region prints (万元 or 元), also when its cell wraps 单位：万 / 元, and
    when only a later part prints it (a wide table printed in strips): the first in the region."""
    for n, line in enumerate(region):
        m = UNIT_RE.search(line.text)
        if m:
            return m.group(1)
        if UNIT_NEARBY_RE.search(line.text):  # 单位：万 with 元 on a line below
            if any(compact(l.text) == "元" for l in region[n + 1 : n + 4]):
                return "万元"
    return None


def without_guessed_unit(table: ParsedTable, lines: list[Line]) -> ParsedTable:
    """The table, or, when it has rows but no unit was found, an unreadable table saying so:
    a reader must not store figures as 元 that may be 万元."""
    if table.unit or not (table.rows or table.totals):
        return table
    region = [line for line in lines if table.first_line <= line.number <= table.last_line]
    return unreadable_table(table.role, region, NO_UNIT)


def one_table_per_role(tables: list[ParsedTable]) -> tuple[list[ParsedTable], list[str]]:
    """The tables, the first of each role only, and a sentence for each later one: a document
    has one table of a role (document_tables is keyed on it), and one printed twice under
    different headers is said, not loaded twice nor lost with the whole document."""
    kept: dict[str, ParsedTable] = {}
    said = []
    for table in tables:
        first = kept.get(table.role)
        if first is None:
            kept[table.role] = table
            continue
        said.append(f"page {table.page}, line {table.first_line}: a second {table.role} table ({table.title or 'untitled'}, "
                    f"lines {table.first_line}–{table.last_line}); only the first, on page {first.page}, is loaded")
    return [t for t in tables if kept.get(t.role) is t], said


def unreadable_table(role: str, region: list[Line], reason: str) -> ParsedTable:
    """A table that was recognised but cannot be read: recorded with its page and the reason
    (document_tables.status ``unreadable``), so the rest of the document still loads."""
    title = region[0] if region else None
    table = UnreadableTable(
        role=role, title=compact(title.text) if title else "", first_line=title.number if title else 0,
        last_line=region[-1].number if region else 0, page=title.page if title else None,
        unit=table_unit(region), reason=reason,
    )
    table.notes.append(f"unreadable: {reason}")
    return table


@dataclass
class UnreadableTable(ParsedTable):
    """A :class:`ParsedTable` with no rows, whose status says it could not be read."""

    reason: str = ""

    @property
    def status(self) -> str:
        return "unreadable"


def read_or_unreadable(role: str, region: list[Line], read: Callable[[], ParsedTable]) -> ParsedTable:
    """``read()``, or an unreadable table naming the page and the error when it raises."""
    try:
        return read()
    except Exception as e:  # a reader's bug or a layout it cannot take: never the whole document
        return unreadable_after(role, region, e)


def unreadable_after(role: str, region: list[Line], error: Exception) -> ParsedTable:
    """The unreadable table for a reader that raised ``error`` on ``region``."""
    page = region[0].page if region else None
    where = f"page {page}" if page is not None else f"line {region[0].number}" if region else "its region"
    return unreadable_table(role, region, f"the table on {where} could not be read ({type(error).__name__}: {error})")
