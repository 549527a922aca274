"""Where things are on a PDF's pages: each numbered line's characters with their boxes,
and the ruling lines that tables draw.

:func:`read_pdf` reads a PDF once and gives both the numbered
:class:`~datasette_budget.documents.Line`\\ s every reading step uses (the same lines,
numbers and pages as ``documents.read_document``) and a :class:`PdfLayout` holding, for
each of those lines, its characters, and for each page its horizontal and vertical rules.
:mod:`datasette_budget.read.grid` reads a table's cells from them.

    >>> lines, layout = read_pdf("budget.pdf")
    >>> layout.line(lines[40].number).chars[0].x0
    74.2

Coordinates are points, ``x`` growing to the right and ``top`` growing down the page.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ..documents import Line
from ..pdf_text import Char, PageContent, group_lines, line_text, read_pages

# A path box at most this thick is a drawn line; thicker boxes are rectangles whose four
# edges are rules (tables drawn as one filled rectangle per cell).
RULE_THICKNESS = 2.5
# Rules closer than this are one rule (a border drawn twice, or by two adjacent cells).
RULE_MERGE = 1.5


class Rule(NamedTuple):
    """A ruling line: ``at`` is its y (horizontal) or x (vertical); it runs from ``start``
    to ``end`` along the other axis."""

    at: float
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class TextLine:
    """One numbered line as printed: its characters left to right, with their boxes."""

    number: int  # Line.number
    page: int
    text: str
    chars: tuple[Char, ...]
    top: float
    bottom: float

    @property
    def centre(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class PageLayout:
    number: int  # 1-based
    lines: list[TextLine]
    horizontal: list[Rule] = field(default_factory=list)  # sorted by y
    vertical: list[Rule] = field(default_factory=list)  # sorted by x

    @property
    def ruled(self) -> bool:
        return bool(self.horizontal or self.vertical)


@dataclass
class PdfLayout:
    """Every page's lines and rules; ``line(number)`` finds a numbered line's positions."""

    pages: list[PageLayout]
    _by_number: dict[int, TextLine] = field(default_factory=dict, repr=False)
    # numbers of the lines that are running headers and footers: the same text (its
    # figures aside) among the first or last two lines of three pages or more
    running: set[int] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self._by_number = {l.number: l for page in self.pages for l in page.lines}
        self.running = _running_lines(self.pages)

    def line(self, number: int) -> TextLine | None:
        return self._by_number.get(number)

    def page(self, number: int) -> PageLayout:
        return self.pages[number - 1]


_FIGURES_RE = re.compile(r"\d+")
# a line with an amount, or starting with a code or a total, is a table's row, never furniture
_ROW_RE = re.compile(r"\d[\d,]*\.\d|\d,\d{3}|^\s*\d{3,7}\s|^\s*(?:合\s*计|总\s*计)")


def _running_lines(pages: list[PageLayout]) -> set[int]:
    """Lines repeated at the top or bottom of pages (``苏州市审计局 2026 年度部门预算公开``,
    ``XX局部门预算 第 3 页``): page furniture, whatever they say."""
    seen: dict[str, list[int]] = {}
    for page in pages:
        edge = page.lines[:2] + page.lines[-2:] if len(page.lines) > 4 else page.lines
        for line in {l.number: l for l in edge}.values():
            if _ROW_RE.search(line.text):
                continue
            key = _FIGURES_RE.sub("#", "".join(line.text.split()))
            seen.setdefault(key, []).append(line.number)
    return {n for numbers in seen.values() if len(numbers) >= 3 for n in numbers}


def read_pdf(path: str | os.PathLike[str], extractor: str = "auto") -> tuple[list[Line], PdfLayout]:
    """The numbered lines of a PDF and their layout, from one reading of the file.

    The lines are those ``documents.read_document`` gives for the same file: numbered from 1
    across the document, one per visual line. Raises ``pdf_text.PdfError`` for a file that is
    not a readable PDF or has no text layer.
    """
    return layout_from_pages(read_pages(path, extractor, paths=True))


def layout_from_pages(contents: list[PageContent]) -> tuple[list[Line], PdfLayout]:
    """Number the lines of extracted pages and build their rules (see :func:`read_pdf`)."""
    lines: list[Line] = []
    pages: list[PageLayout] = []
    number = 0
    for page_number, content in enumerate(contents, start=1):
        text_lines = []
        for row in group_lines(content.chars):
            number += 1
            text = line_text(row)
            lines.append(Line(page_number, number, text))
            text_lines.append(TextLine(number, page_number, text, tuple(row),
                                       min(c.top for c in row), max(c.bottom for c in row)))
        horizontal, vertical = rules_from_paths(content.paths)
        pages.append(PageLayout(page_number, text_lines, horizontal, vertical))
    return lines, PdfLayout(pages)


def rules_from_paths(boxes: list[tuple[float, float, float, float]]) -> tuple[list[Rule], list[Rule]]:
    """Horizontal and vertical rules from path boxes ``(x0, top, x1, bottom)``.

    A thin box is a rule; a larger box is a rectangle and gives its four edges. Dots and
    boxes as small as a character are left out. Collinear rules that touch are joined.

        >>> rules_from_paths([(10, 20, 110, 20.5), (10, 20, 10.5, 60)])
        ([Rule(at=20.25, start=10, end=110)], [Rule(at=10.25, start=20, end=60)])
    """
    horizontal: list[Rule] = []
    vertical: list[Rule] = []
    for x0, top, x1, bottom in boxes:
        width, height = x1 - x0, bottom - top
        if width <= RULE_THICKNESS and height <= RULE_THICKNESS:
            continue
        if height <= RULE_THICKNESS:
            horizontal.append(Rule((top + bottom) / 2, x0, x1))
        elif width <= RULE_THICKNESS:
            vertical.append(Rule((x0 + x1) / 2, top, bottom))
        else:
            horizontal += [Rule(top, x0, x1), Rule(bottom, x0, x1)]
            vertical += [Rule(x0, top, bottom), Rule(x1, top, bottom)]
    return _join(horizontal), _join(vertical)


def _join(rules: list[Rule]) -> list[Rule]:
    """Join rules on (nearly) the same line whose spans touch or overlap; sorted by position."""
    if not rules:
        return []
    rules.sort()
    # group by position first, then join spans within each group
    groups: list[list[Rule]] = [[rules[0]]]
    for rule in rules[1:]:
        if rule.at - groups[-1][-1].at <= RULE_MERGE:
            groups[-1].append(rule)
        else:
            groups.append([rule])
    joined: list[Rule] = []
    for group in groups:
        at = sum(r.at for r in group) / len(group)
        spans = sorted((r.start, r.end) for r in group)
        start, end = spans[0]
        for s, e in spans[1:]:
            if s <= end + RULE_MERGE:
                end = max(end, e)
            else:
                joined.append(Rule(round(at, 2), start, end))
                start, end = s, e
        joined.append(Rule(round(at, 2), start, end))
    joined.sort()
    return joined
