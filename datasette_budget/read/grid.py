"""A table's grid read from the page: columns with their header labels, and each body
cell in the column its position falls in.

The API (what the table readers in ``read/`` build on)
------------------------------------------------------

``lines, layout = read_pdf(path)`` (:mod:`datasette_budget.read.layout`)
    The numbered lines of a PDF (the same ``Line`` s, numbers and pages as
    ``documents.read_document``) and their layout, read once.

``grid_for_region(layout, lines, start, end) -> Grid | None``
    The grid of the table whose title is ``lines[start]``, reading no further than
    ``lines[end - 1]`` (``start``/``end`` as ``find_tables`` returns them). ``None`` when
    the region holds no grid (no header and body could be told apart).

:class:`Grid`
    ``columns``: one :class:`Column` per column of the body, left to right, each with
    ``labels``, the header cells above it from top to bottom, without spaces (``科 目``
    is ``科目``): a merged cell gives its
    label to every column under it, so 基本支出 over 人员经费 | 公用经费 gives
    ``("基本支出", "人员经费")`` and ``("基本支出", "公用经费")``. Column-number rows
    (``** | ** | 1 | 2 | 3``, 栏次) are header lines but give no labels.

    ``rows``: the body rows in reading order across pages; each is a list with one entry
    per column: a :class:`Cell`, or ``None`` for a blank cell (known to be blank: nothing
    is printed inside its box). Text wrapped inside a cell is joined (``1682.7`` over
    ``6`` is ``1682.76``; a name wrapped over two lines is one name, without a space).

    ``row_lines``: for each row, the line numbers its text sits on (a wrapped row spans
    several lines). ``header_lines``: line numbers of header rows (repeated headers on
    continuation pages included). ``other_lines``: line numbers inside the region that are
    in neither (title, unit line, notes, page furniture, text after the grid). Every line
    from ``lines[start]`` to ``lines[end_index - 1]`` is in one of ``row_lines``,
    ``header_lines`` and ``other_lines``; in two only when the text layer put characters
    of two rows on one line (their centres on either side of a rule; seen only in 绩效 forms).

    ``end_index``: index into ``lines`` just after the grid's last line: the table ends
    where its grid ends (the lines from there to ``end`` belong to no table).

    ``ruled``: True when the columns come from the ruling lines the PDF draws, False when
    they were clustered from character positions (a page without drawn borders).
    ``grid.labels()`` lists the columns' label paths.

``grid_for_region(..., rules=False)`` clusters positions even where rules are drawn (the
comparison of both readings is ``bench/grid_methods.py``).

:class:`Cell`
    ``text`` as printed (spaces between words on one line kept, lines of a wrapped cell
    joined), ``page``, ``line`` (number of the first line the cell's text is on) and the
    box of its characters.

How it reads
------------
Ruled pages (rules are thin paths, the edges of cell rectangles, or the segments of a grid
drawn as one path; see ``read/layout.py``): the rules, and the ends of vertical rules for
grids drawn cell by cell, cut the grid into bands; every character goes to the band and
column its centre falls in. A band whose one column holds whole amounts on two lines holds
several rows (no rule between them) and is read line by line; otherwise its lines are the
wrapped text of its cells. The header is the bands above the first body band (one holding
an amount, a code, a numbered item or only total labels), title and unit bands aside; its
cells are merged where the grid draws no border between them. A page goes on to the next
only if nothing but page furniture (page numbers, running headers and footers) follows its
grid; the next page continues the table while its columns match, and a repeated header is
recognised by its labels.

Pages without column rules: the columns are the runs of x positions the body's words
cover, aligned in order with the header's lowest labels (a label over no run heads a
column left blank throughout); rows are the bands between horizontal rules where the page
draws them, else lines, a line without figures joining the nearer row when it sits closer
to it than rows sit to each other.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from ..documents import Line
from ..pdf_text import WORD_GAP, Char
from .layout import PageLayout, PdfLayout, Rule, TextLine

__all__ = ["Cell", "Column", "Grid", "grid_for_region"]


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    page: int
    line: int  # Line.number of the first line the text is on
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass
class Column:
    index: int
    labels: tuple[str, ...]  # header cells above the column, top to bottom
    x0: float
    x1: float


@dataclass
class Grid:
    title_line: int  # Line.number of the title
    page: int  # page of the first row (or of the title)
    last_page: int
    columns: list[Column]
    rows: list[list[Cell | None]]
    row_lines: list[tuple[int, ...]]
    header_lines: list[int] = field(default_factory=list)
    other_lines: list[int] = field(default_factory=list)
    ruled: bool = True
    end_index: int = 0

    def labels(self) -> list[tuple[str, ...]]:
        return [c.labels for c in self.columns]


# -- what a cell's text is ---------------------------------------------------------------

AMOUNT_TEXT_RE = re.compile(r"^-?[\d,]*\d(?:\.\d+)?$")
# a code (3, 5 or 7 digits; 6 for a unit), not a year (2025年预算数)
CODE_TEXT_RE = re.compile(r"^\[?(?:\d{3}|\d{5,7})\]?(?![\d年])")
# an item of a list of rows: 一、本年收入, （一）, 1、 (a row even when its figures are blank)
ITEM_MARKER_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}、)")
TOTAL_TEXT_RE = re.compile(r"^(?:合\s*计|总\s*计|本年收入合计|本年支出合计|收入总计|支出总计)")
UNIT_TEXT_RE = re.compile(r"单位\s*[:：]|编制单位|预算单位\s*[:：]|单位名称\s*[:：]")
COLUMN_NUMBER_RE = re.compile(r"^(?:\d{1,2}|\*+|[甲乙丙丁]|栏次|行次|—+|-+)$")
# page numbers: 12, - 12 -, — 456 —, 第 3 页 共 9 页, 3/9
PAGE_FURNITURE_RE = re.compile(
    r"^(?:[-—–－]*\d{0,4}[-—–－]*|第\d+页(?:[,，]?共\d+页)?|\d+/\d+)$")

# tolerances, in points
EDGE = 2.0  # a rule reaches a band when it ends within this of the band's edge
MIN_BAND = 2.0  # thinner bands are the gap between a doubled rule
COLUMN_MATCH = 3.0  # a continuation page's column borders within this of the first page's


def _is_body_text(texts: list[str]) -> bool:
    """A row of the body: it holds an amount, a code or a numbered item (一、…), or only
    total labels (a 合计 row whose cells are blank; a header row holds 合计 among other
    labels)."""
    labels = other = 0
    for t in texts:
        c = t.replace(" ", "")
        if not c:
            continue
        if AMOUNT_TEXT_RE.match(c) or CODE_TEXT_RE.match(c) or ITEM_MARKER_RE.match(c):
            return True
        if TOTAL_TEXT_RE.match(c):
            labels += 1
        else:
            other += 1
    return labels > 0 and not other


def _is_column_numbers(texts: list[str]) -> bool:
    parts = [p for t in texts for p in t.split()]
    return len(parts) >= 2 and all(COLUMN_NUMBER_RE.match(p) for p in parts) and \
        sum(p.isdigit() for p in parts) >= 2


def _join_chars(chars: list[Char]) -> str:
    """Characters of one line of one cell, left to right, as words joined by spaces."""
    words: list[str] = []
    word: list[str] = []
    previous = None
    for c in chars:
        if c.text.isspace() or not c.text.isprintable():
            if word:
                words.append("".join(word))
                word = []
            continue
        if word and previous is not None and c.x0 - previous >= WORD_GAP * max(c.bottom - c.top, 1.0):
            words.append("".join(word))
            word = []
        word.append(c.text)
        previous = c.x1
    if word:
        words.append("".join(word))
    return " ".join(words)


def _cell(pieces: list[tuple[TextLine, list[Char]]]) -> Cell | None:
    """A cell from the characters it holds on each line (lines top to bottom, each line's
    characters left to right)."""
    texts = []
    first = None
    x0 = top = float("inf")
    x1 = bottom = float("-inf")
    for line, chars in pieces:
        text = _join_chars(chars)
        if not text:
            continue
        if first is None:
            first = line
        texts.append(text)
        x0 = min(x0, chars[0].x0)
        x1 = max(x1, max(c.x1 for c in chars))
        top = min(top, min(c.top for c in chars))
        bottom = max(bottom, max(c.bottom for c in chars))
    if first is None:
        return None
    text = texts[0]
    for more in texts[1:]:
        # wrapped Chinese and wrapped figures join as they are; wrapped words keep a space
        text += " " + more if text[-1:].isascii() and text[-1:].isalpha() and more[:1].isascii() \
            and more[:1].isalpha() else more
    return Cell(text, first.page, first.number, x0, x1, top, bottom)


# -- ruled pages -------------------------------------------------------------------------

@dataclass
class _Band:
    top: float
    bottom: float
    lines: dict[int, TextLine] = field(default_factory=dict)  # number -> line
    chars: list[tuple[TextLine, Char]] = field(default_factory=list)
    words: list[str] | None = None  # _band_cell_texts, once

    def texts(self) -> list[str]:
        return [_join_chars(sorted((c for l, c in self.chars if l.number == n), key=lambda c: c.x0))
                for n in sorted(self.lines)]


@dataclass
class _PageGrid:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    bands: list[_Band]
    boundaries: list[float]  # x of column borders, left to right
    vertical: "_Verticals"
    horizontal: list[Rule]
    inside: set[int]  # numbers of lines in the grid


def _components(vertical: list[Rule]) -> list[tuple[float, float, list[Rule]]]:
    """Vertical rules grouped into grids: runs of rules whose y spans overlap or touch."""
    out: list[tuple[float, float, list[Rule]]] = []
    for rule in sorted(vertical, key=lambda r: r.start):
        if out and rule.start <= out[-1][1] + EDGE * 2:
            top, bottom, rules = out[-1]
            rules.append(rule)
            out[-1] = (top, max(bottom, rule.end), rules)
        else:
            out.append((rule.start, rule.end, [rule]))
    return out


def _cluster(values: list[float], tolerance: float) -> list[float]:
    values = sorted(values)
    groups: list[list[float]] = []
    for v in values:
        if groups and v - groups[-1][-1] <= tolerance:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def _ruled_page_grid(page: PageLayout, lines: list[TextLine]) -> _PageGrid | None:
    """The first grid of the page holding any of ``lines``, with its bands filled."""
    if len(page.vertical) < 2 or not lines:
        return None
    wanted = {l.number for l in lines}
    for top, bottom, rules in _components(page.vertical):
        xs = _cluster([r.at for r in rules], EDGE)
        if len(xs) < 3 or bottom - top < 5:
            continue  # no rules inside a frame: its columns are clustered
        inside = [l for l in lines if top - EDGE <= l.centre <= bottom + EDGE]
        if not inside:
            continue
        x0, x1 = xs[0], xs[-1]
        horizontal = [h for h in page.horizontal
                      if top - EDGE <= h.at <= bottom + EDGE and h.end > x0 + EDGE and h.start < x1 - EDGE]
        ys = _cluster([h.at for h in horizontal] + [r.start for r in rules] + [r.end for r in rules], EDGE)
        edges = [y for y in ys if top - EDGE <= y <= bottom + EDGE]
        bands = [_Band(a, b) for a, b in zip(edges, edges[1:]) if b - a >= MIN_BAND]
        if not bands:
            continue
        tops = [b.top for b in bands]
        for line in inside:
            for char in line.chars:
                cx = (char.x0 + char.x1) / 2
                if not x0 <= cx <= x1 or char.text.isspace():
                    continue
                cy = (char.top + char.bottom) / 2
                i = bisect_right(tops, cy) - 1
                if i < 0 or cy > bands[i].bottom:
                    continue
                bands[i].chars.append((line, char))
                bands[i].lines[line.number] = line
        numbers = {n for b in bands for n in b.lines}
        if not numbers & wanted:
            continue
        return _PageGrid(page.number, top, bottom, x0, x1, [b for b in bands if b.chars],
                         xs, _Verticals(rules), horizontal, numbers)
    return None


class _Verticals:
    """A grid's vertical rules by x, to ask quickly whether one crosses a band."""

    def __init__(self, rules: list[Rule]):
        self.xs: list[float] = []
        self.spans: list[list[tuple[float, float]]] = []
        for rule in sorted(rules):
            if self.xs and rule.at - self.xs[-1] <= EDGE:
                self.spans[-1].append((rule.start, rule.end))
            else:
                self.xs.append(rule.at)
                self.spans.append([(rule.start, rule.end)])

    def crosses(self, x: float, top: float, bottom: float) -> bool:
        """A vertical rule at ``x`` covers the band from ``top`` to ``bottom``."""
        slack = max(EDGE, (bottom - top) * 0.3)
        i = bisect_right(self.xs, x)
        for k in (i - 1, i):
            if 0 <= k < len(self.xs) and abs(self.xs[k] - x) <= EDGE:
                if any(start <= top + slack and end >= bottom - slack for start, end in self.spans[k]):
                    return True
        return False


def _crosses(rules: _Verticals, x: float, top: float, bottom: float) -> bool:
    return rules.crosses(x, top, bottom)


def _separated(horizontal: list[Rule], y: float, x: float) -> bool:
    """Bands meeting at ``y`` are separated at ``x``: a rule there, or no horizontal rule at
    that height anywhere (a grid drawn cell by cell marks rows by its vertical rules' ends)."""
    near = [h for h in horizontal if abs(h.at - y) <= EDGE]
    if not near:
        return True
    return any(h.start - EDGE <= x <= h.end + EDGE for h in near)


def _leaf_boundaries(grid: _PageGrid, header: list[_Band], body: list[_Band]) -> list[float]:
    """Column borders: the vertical rules crossing a body band or the header's last band
    (a table whose body is one merged 合计 row still has the header's columns)."""
    bands = body + header[-1:]
    if not bands:
        return grid.boundaries
    kept = [x for x in grid.boundaries
            if any(_crosses(grid.vertical, x, b.top, b.bottom) for b in bands)]
    if len(kept) < 2:
        return grid.boundaries
    return kept


def _band_cells(band: _Band, boundaries: list[float], vertical: _Verticals | None = None) -> list[Cell | None]:
    """The band's cells, one per column. With ``vertical`` (a ruled grid), a cell the grid
    merges over several columns (no rule between them in this band) goes to the leftmost.

    ``band.chars`` holds each line's characters left to right, lines top to bottom, so one
    walk along the borders places them."""
    ncols = len(boundaries) - 1
    owner = list(range(ncols))
    if vertical is not None:
        for j in range(1, ncols):
            if not vertical.crosses(boundaries[j], band.top, band.bottom):
                owner[j] = owner[j - 1]
    pieces: list[list[tuple[TextLine, list[Char]]]] = [[] for _ in range(ncols)]
    current = None
    j = 0
    inner = boundaries[1:-1]
    for line, char in band.chars:
        if line is not current:
            current, j = line, 0
            last = [None] * ncols  # the piece of this line in each column
        cx = (char.x0 + char.x1) / 2
        while j < len(inner) and cx >= inner[j]:
            j += 1
        k = owner[j]
        piece = last[k]
        if piece is None:
            piece = last[k] = (line, [])
            pieces[k].append(piece)
        piece[1].append(char)
    return [_cell(p) if p else None for p in pieces]


FULL_AMOUNT_RE = re.compile(r"^-?(?:\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+|\d{3,})$")


def _rows_of_band(band: _Band, boundaries: list[float]) -> list[_Band]:
    """A band is one row, its lines the wrapped text of its cells, unless one column holds
    whole amounts on two of its lines: then the grid draws no rules between rows, and each
    line is a row. (A wrapped amount leaves a fragment, ``1682.7`` over ``6``.)"""
    if len(band.lines) < 2:
        return [band]
    by_line: dict[int, list[tuple[TextLine, Char]]] = {}
    for line, char in band.chars:
        by_line.setdefault(line.number, []).append((line, char))
    seen: dict[int, set[int]] = {}
    for number, pairs in by_line.items():
        line = band.lines[number]
        chars = sorted((c for _, c in pairs), key=lambda c: c.x0)
        for text, x0, x1 in _words(TextLine(number, line.page, "", tuple(chars), line.top, line.bottom)):
            if FULL_AMOUNT_RE.match(text):
                j = bisect_right(boundaries, (x0 + x1) / 2)
                seen.setdefault(j, set()).add(number)
    if not any(len(numbers) > 1 for numbers in seen.values()):
        return [band]
    parts = []
    for number in sorted(by_line, key=lambda n: band.lines[n].top):
        line = band.lines[number]
        parts.append(_Band(line.top, line.bottom, {number: line}, by_line[number]))
    return parts


def _header_labels(grid: _PageGrid, header: list[_Band], boundaries: list[float]) -> list[tuple[str, ...]]:
    """Labels per column from the header bands, merging cells the grid draws as one."""
    ncols = len(boundaries) - 1
    if not header or ncols < 1:
        return [()] * max(ncols, 0)
    centres = [(a + b) / 2 for a, b in zip(boundaries, boundaries[1:])]
    parent = list(range(len(header) * ncols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r, band in enumerate(header):
        for j in range(ncols - 1):
            if not _crosses(grid.vertical, boundaries[j + 1], band.top, band.bottom):
                union(r * ncols + j, r * ncols + j + 1)
        if r + 1 < len(header):
            nxt = header[r + 1]
            if nxt.top - band.bottom > EDGE * 2:
                continue  # a band without characters between them
            for j in range(ncols):
                if not _separated(grid.horizontal, band.bottom, centres[j]):
                    union(r * ncols + j, (r + 1) * ncols + j)
    # characters of each merged cell
    cells: dict[int, dict[int, tuple[TextLine, list[Char]]]] = {}
    for r, band in enumerate(header):
        for line, char in band.chars:
            cx = (char.x0 + char.x1) / 2
            j = min(max(bisect_right(boundaries, cx) - 1, 0), ncols - 1)
            root = find(r * ncols + j)
            entry = cells.setdefault(root, {}).get(line.number)
            if entry is None:
                cells[root][line.number] = (line, [char])
            else:
                entry[1].append(char)
    texts = {root: _cell(sorted(p.values(), key=lambda e: e[0].top)) for root, p in cells.items()}
    labels = []
    for j in range(ncols):
        seen: list[int] = []
        for r in range(len(header)):
            root = find(r * ncols + j)
            if root not in seen:
                seen.append(root)
        column = tuple("".join(texts[root].text.split()) for root in seen if texts.get(root) is not None)
        labels.append(column)
    return labels


def _compatible(first: list[float], other: list[float]) -> bool:
    if abs(len(first) - len(other)) > max(1, len(first) // 5):
        return False
    matched = sum(any(abs(a - b) <= COLUMN_MATCH for b in other) for a in first)
    return matched >= 0.8 * len(first)


# -- unruled pages: columns clustered from positions -------------------------------------

def _words(line: TextLine) -> list[tuple[str, float, float]]:
    out = []
    word: list[Char] = []
    for c in line.chars:
        if c.text.isspace() or not c.text.isprintable():
            if word:
                out.append(word)
                word = []
            continue
        if word and c.x0 - word[-1].x1 >= WORD_GAP * max(c.bottom - c.top, 1.0):
            out.append(word)
            word = []
        word.append(c)
    if word:
        out.append(word)
    return [("".join(c.text for c in w), w[0].x0, max(c.x1 for c in w)) for w in out]


def _runs(spans: list[tuple[float, float]]) -> list[list[float]]:
    """Overlapping x spans merged into runs, left to right."""
    runs: list[list[float]] = []
    for x0, x1 in sorted(spans):
        if runs and x0 <= runs[-1][1] + 1.0:
            runs[-1][1] = max(runs[-1][1], x1)
        else:
            runs.append([x0, x1])
    return runs


def _clustered_boundaries(body: list[TextLine], header: list[TextLine] | None = None) -> list[float]:
    """Column borders from positions: the runs of x the body's words cover, matched in
    order with the header's lowest labels (those with no label below them). A label matched
    to no run heads a column left blank in every row; a border goes in the middle of every
    gap between columns."""
    runs = [(a, b) for a, b in _runs([(x0, x1) for line in body for _, x0, x1 in _words(line)])]
    leaves: list[tuple[float, float]] = []
    if header:
        words = [(x0, x1, line.top) for line in header for _, x0, x1 in _words(line)]
        leaves = sorted((x0, x1) for x0, x1, top in words
                        if not any(t > top and x0 < b1 and x1 > b0 for b0, b1, t in words))
    spans = _align(runs, leaves)
    if not spans:
        return []
    borders = [spans[0][0] - 1]
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        borders.append((a1 + b0) / 2 if a1 <= b0 else ((a0 + a1) / 2 + (b0 + b1) / 2) / 2)
    borders.append(spans[-1][1] + 1)
    return borders


def _align(runs: list[tuple[float, float]], leaves: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Columns from body runs and leaf labels aligned in order (least total distance between
    centres; leaving a run or a label unmatched costs half the runs' spacing)."""
    if not leaves:
        return runs
    if not runs:
        return leaves
    centres = [(a + b) / 2 for a, b in runs]
    spacing = sorted(b - a for a, b in zip(centres, centres[1:]))
    skip = (spacing[len(spacing) // 2] if spacing else 60.0) / 2
    n, m = len(leaves), len(runs)
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    step: list[list[str]] = [[""] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if here == inf:
                continue
            if i < n and j < m:
                d = abs((leaves[i][0] + leaves[i][1]) / 2 - centres[j])
                if here + d < cost[i + 1][j + 1]:
                    cost[i + 1][j + 1], step[i + 1][j + 1] = here + d, "match"
            if i < n and here + skip < cost[i + 1][j]:
                cost[i + 1][j], step[i + 1][j] = here + skip, "label"
            if j < m and here + skip < cost[i][j + 1]:
                cost[i][j + 1], step[i][j + 1] = here + skip, "run"
    spans: list[tuple[float, float]] = []
    i, j = n, m
    while i or j:
        kind = step[i][j]
        if kind == "match":
            i, j = i - 1, j - 1
            spans.append((min(runs[j][0], leaves[i][0]), max(runs[j][1], leaves[i][1])))
        elif kind == "label":
            i -= 1
            spans.append(leaves[i])
        else:
            j -= 1
            spans.append(runs[j])
    return sorted(spans, key=lambda s: (s[0] + s[1]) / 2)


def _join_wrapped(body: list[TextLine]) -> list[list[TextLine]]:
    """Lines grouped into rows. Lines closer together than rows usually are (the median
    distance) hold one row's wrapped cells; when such a group holds several lines with a
    figure, code or total, each of those starts its own row and the others join the nearest."""
    if len(body) < 2:
        return [[l] for l in body]
    gaps = [b.centre - a.centre for a, b in zip(body, body[1:])]
    pitch = sorted(gaps)[len(gaps) // 2]
    groups: list[list[TextLine]] = [[body[0]]]
    for line, gap in zip(body[1:], gaps):
        if gap < 0.75 * pitch:
            groups[-1].append(line)
        else:
            groups.append([line])
    rows: list[list[TextLine]] = []
    for group in groups:
        anchors = [l for l in group if _is_body_text([w for w, _, _ in _words(l)])]
        if len(anchors) < 2:
            rows.append(group)
            continue
        parts = {a.number: [a] for a in anchors}
        for line in group:
            if line.number not in parts:
                nearest = min(anchors, key=lambda a: abs(a.centre - line.centre))
                parts[nearest.number].append(line)
        rows.extend(sorted(p, key=lambda l: l.top) for _, p in sorted(parts.items()))
    return rows


def _rows_by_rules(body: list[TextLine], horizontal: list[Rule]) -> list[list[TextLine]] | None:
    """Rows between the horizontal rules drawn across the body, where there are any (a
    table ruled between rows only); None where there are none. A band between two rules
    holding several lines with figures is read line by line."""
    if not body or not horizontal:
        return None
    x0 = min(l.chars[0].x0 for l in body)
    x1 = max(l.chars[-1].x1 for l in body)
    top, bottom = body[0].top, body[-1].bottom
    across = [h.at for h in horizontal
              if top < h.at < bottom and min(h.end, x1) - max(h.start, x0) >= 0.5 * (x1 - x0)]
    interior = _cluster(across, EDGE)
    if not interior:
        return None
    bands: list[list[TextLine]] = [[] for _ in range(len(interior) + 1)]
    for line in body:
        bands[bisect_right(interior, line.centre)].append(line)
    rows: list[list[TextLine]] = []
    for band in bands:
        anchors = sum(_is_body_text([w for w, _, _ in _words(l)]) for l in band)
        rows.extend(_join_wrapped(band) if anchors > 1 else [band] if band else [])
    return rows


def _line_cells(lines: list[TextLine], boundaries: list[float]) -> list[Cell | None]:
    band = _Band(min(l.top for l in lines), max(l.bottom for l in lines), {l.number: l for l in lines},
                 [(l, c) for l in lines for c in l.chars if not c.text.isspace()])
    return _band_cells(band, boundaries)


def _clustered_labels(header: list[TextLine], boundaries: list[float]) -> list[tuple[str, ...]]:
    """Each header word goes to every column it covers a good part of (a group label over
    two columns goes to both), else to the nearest column; words over the same columns on
    consecutive lines are one label wrapped in its cell (``一般公共预`` over ``算``)."""
    ncols = len(boundaries) - 1
    words = [(text, x0, x1, line) for line in header for text, x0, x1 in _words(line)]
    centres = [(boundaries[j] + boundaries[j + 1]) / 2 for j in range(ncols)]
    widths = sorted(boundaries[j + 1] - boundaries[j] for j in range(ncols))
    slack = widths[len(widths) // 2] / 2 if widths else 0.0
    def covered(x0: float, x1: float) -> list[int]:
        width = max(x1 - x0, 1.0)
        hit = [j for j in range(ncols)
               if min(x1, boundaries[j + 1]) - max(x0, boundaries[j]) >= min(0.5 * width, 0.2 * (boundaries[j + 1] - boundaries[j]))]
        if not hit:
            centre = (x0 + x1) / 2
            hit = [min(range(ncols), key=lambda j: abs(centres[j] - centre))]
        return hit

    own = [covered(x0, x1) for _, x0, x1, _ in words]
    cells: list[list] = []  # [columns, text, bottom, height]
    for n, (text, x0, x1, line) in enumerate(words):
        height = max(line.bottom - line.top, 1.0)
        hit = own[n]
        under = [own[m] for m, (_, a, b, l) in enumerate(words) if l.top > line.top and a < x1 and b > x0]
        if any(h != hit for h in under):
            # a group label over other columns' labels (not its own text wrapped): every column
            # whose middle it reaches (give or take half a column), and those of the labels under it
            hit = sorted({j for h in under for j in h} | {j for j in range(ncols) if x0 - slack <= centres[j] <= x1 + slack})
        key = tuple(hit)
        above = next((c for c in reversed(cells) if c[0] == key), None)
        if above is not None and line.top - above[2] <= 0.6 * height and above[2] < line.bottom:
            above[1] += text
            above[2] = line.bottom
        else:
            cells.append([key, text, line.bottom, height])
    labels: list[list[str]] = [[] for _ in range(ncols)]
    for columns, text, _, _ in cells:
        for j in columns:
            labels[j].append("".join(text.split()))
    return [tuple(l) for l in labels]


# -- the region --------------------------------------------------------------------------

def _is_furniture(text: str) -> bool:
    """A page number (``— 1 0 —`` when its glyphs are placed one by one) or nothing."""
    return bool(PAGE_FURNITURE_RE.match("".join(text.split())))


def grid_for_region(layout: PdfLayout, lines: list[Line], start: int, end: int,
                    rules: bool = True) -> Grid | None:
    """The grid of the table titled ``lines[start]`` (see the module docstring).

    ``rules=False`` ignores the ruling lines and clusters positions on every page (to
    compare both readings; the corpus measure is in ``bench/grid_methods.py``)."""
    region = lines[start:end]
    if not region:
        return None
    title = region[0]
    by_page: dict[int, list[TextLine]] = {}
    for line in region:
        text_line = layout.line(line.number)
        if text_line is not None:
            by_page.setdefault(text_line.page, []).append(text_line)
    if not by_page:
        return None
    index_of = {line.number: start + i for i, line in enumerate(region)}
    grid = Grid(title.number, title.page or 1, title.page or 1, [], [], [])
    columns: list[float] | None = None
    header_texts: set[str] = set()
    used: set[int] = set()  # line numbers placed in rows or header
    last_number = title.number
    for page_number in sorted(by_page):
        page_lines = by_page[page_number]
        if page_number == title.page:
            candidates = [l for l in page_lines if l.number != title.number]
        else:
            candidates = page_lines
        page = layout.page(page_number)
        page_grid = _ruled_page_grid(page, candidates) if rules else None
        placed = _UNRULED
        if page_grid is not None:
            placed = _read_ruled(grid, page_grid, columns, header_texts, title)
        if placed is _UNRULED:
            placed = _read_clustered(grid, candidates, columns, header_texts, page.horizontal)
        if placed is None:
            break  # this page does not continue the table
        boundaries, numbers, ruled = placed
        if columns is None:
            columns = boundaries
            grid.ruled = ruled
            grid.page = page_number
        else:
            grid.ruled = grid.ruled and ruled
        used |= numbers
        grid.last_page = page_number
        if numbers:
            last_number = max(last_number, max(numbers))
        # the table goes on to the next page only if nothing but page furniture follows it
        after = [l for l in page_lines if l.number > max(numbers, default=0) and l.number not in numbers]
        if any(not _is_furniture(l.text) and l.number not in layout.running for l in after):
            break
    if columns is None or not grid.rows and not any(c.labels for c in grid.columns):
        return None  # an empty table still has its header's columns
    _drop_empty_columns(grid)
    # the grid ends after its last row or header line; following furniture is other
    grid.end_index = index_of.get(last_number, start) + 1
    while grid.end_index < end and (_is_furniture(lines[grid.end_index].text)
                                    or lines[grid.end_index].number in layout.running):
        grid.end_index += 1
    row_numbers = {n for r in grid.row_lines for n in r}
    header_numbers = set(grid.header_lines)
    grid.other_lines = [l.number for l in lines[start:grid.end_index]
                        if l.number not in row_numbers and l.number not in header_numbers]
    return grid


def _drop_empty_columns(grid: Grid) -> None:
    """A column with no label and no cell is a stray rule's gap (a frame drawn outside)."""
    keep = [j for j, c in enumerate(grid.columns) if c.labels or any(r[j] is not None for r in grid.rows)]
    if len(keep) == len(grid.columns):
        return
    grid.columns = [Column(n, grid.columns[j].labels, grid.columns[j].x0, grid.columns[j].x1)
                    for n, j in enumerate(keep)]
    grid.rows = [[r[j] for j in keep] for r in grid.rows]


_UNRULED = object()


def _read_ruled(grid: Grid, page_grid: _PageGrid, columns: list[float] | None,
                header_texts: set[str], title: Line):
    """Add a ruled page's header and rows to ``grid``; None when it does not continue it."""
    bands = page_grid.bands
    # leading bands that hold the title (again, on a continuation page) or the unit line
    # are not header
    title_text = "".join(title.text.split())
    first = 0
    while first < len(bands) and (title.number in bands[first].lines or
                                  "".join("".join(bands[first].texts()).split()) == title_text or
                                  any(UNIT_TEXT_RE.search(t) for t in bands[first].texts())):
        first += 1
    skipped = [n for b in bands[:first] for n in b.lines]
    bands = bands[first:]
    body_start = next((i for i, b in enumerate(bands) if _is_body_text(_band_cell_texts(b))
                       and not _is_column_numbers(_band_cell_texts(b))), len(bands))
    header, body = bands[:body_start], bands[body_start:]
    boundaries = _leaf_boundaries(page_grid, header, body)
    if columns is None and len(boundaries) < 3:
        return _UNRULED  # a frame, or a box or two, around text laid out without rules
    if columns is not None:
        if not _compatible(columns, boundaries):
            return None
        boundaries = columns
        # a header repeated on a continuation page: its labels are those of the first page
        if header and not all(set(_band_cell_texts(b)) <= header_texts or _is_column_numbers(_band_cell_texts(b))
                              for b in header):
            body = header + body
            header = []
            body.sort(key=lambda b: b.top)
    numbers: set[int] = set(skipped)
    labelled = [b for b in header if not _is_column_numbers(_band_cell_texts(b))]
    if columns is None:
        labels = _header_labels(page_grid, labelled, boundaries)
        grid.columns = [Column(j, labels[j], boundaries[j], boundaries[j + 1]) for j in range(len(boundaries) - 1)]
        for b in header:
            header_texts.update(_band_cell_texts(b))
    for b in header:
        grid.header_lines.extend(n for n in sorted(b.lines) if n not in numbers and n not in grid.header_lines)
        numbers |= set(b.lines)
    for band in body:
        for part in _rows_of_band(band, boundaries):
            cells = _band_cells(part, boundaries, page_grid.vertical)
            if not any(cells):
                continue
            grid.rows.append(cells)
            grid.row_lines.append(tuple(sorted(part.lines)))
        numbers |= set(band.lines)
    # title / unit lines inside the grid are "other", but still the grid's
    return boundaries, numbers | page_grid.inside, True


def _band_cell_texts(band: _Band) -> list[str]:
    """The texts of a band's pieces split at word gaps (enough to tell header from body)."""
    if band.words is not None:
        return band.words
    by_line: dict[int, list[Char]] = {}
    for line, char in band.chars:
        by_line.setdefault(line.number, []).append(char)
    out = []
    for n in sorted(by_line):
        line = band.lines[n]
        chars = sorted(by_line[n], key=lambda c: c.x0)
        out += [w for w, _, _ in _words(TextLine(n, line.page, "", tuple(chars), line.top, line.bottom))]
    band.words = out
    return out


def _read_clustered(grid: Grid, candidates: list[TextLine], columns: list[float] | None,
                    header_texts: set[str], horizontal: list[Rule] = ()):
    """Add an unruled page's lines: header lines, then the rows (one per line, or per band
    between horizontal rules where the page draws rules between rows but no columns)."""
    kept = [l for l in candidates if not _is_furniture(l.text)]
    lead = 0
    while lead < len(kept) and UNIT_TEXT_RE.search(kept[lead].text):
        lead += 1
    body_start = next((i for i in range(lead, len(kept))
                       if _is_body_text([w for w, _, _ in _words(kept[i])])
                       and not _is_column_numbers([kept[i].text])), None)
    if body_start is None:
        if columns is not None:
            return None
        # a table printed without any row (its figures all blank): the header alone
        header = []
        for line in kept[lead:]:
            if "。" in line.text or "，" in line.text:
                break  # prose: the table is over
            header.append(line)
        boundaries = _clustered_boundaries([], header)
        if len(boundaries) < 3:
            return None
        labels = _clustered_labels(header, boundaries)
        grid.columns = [Column(j, labels[j], boundaries[j], boundaries[j + 1]) for j in range(len(boundaries) - 1)]
        grid.header_lines.extend(l.number for l in header)
        return boundaries, {l.number for l in kept[:lead] + header}, False
    header, body = kept[lead:body_start], kept[body_start:]
    # the body ends at the first line without an amount after which no row follows
    # (text after the table: notes, the next section)
    last = max((i for i, l in enumerate(body) if _is_body_text([w for w, _, _ in _words(l)])), default=-1)
    body = body[:last + 1]
    boundaries = _clustered_boundaries(body, [l for l in header if not _is_column_numbers([l.text])])
    if len(boundaries) < 2:
        return None
    if columns is not None:
        if not _compatible(columns, boundaries) and header and not any(
                w in header_texts for l in header for w, _, _ in _words(l)):
            return None
        boundaries = columns
    else:
        labels = _clustered_labels([l for l in header if not _is_column_numbers([l.text])], boundaries)
        grid.columns = [Column(j, labels[j], boundaries[j], boundaries[j + 1]) for j in range(len(boundaries) - 1)]
        header_texts.update(w for l in header for w, _, _ in _words(l))
    numbers = {l.number for l in kept[:lead]}
    for l in header:
        grid.header_lines.append(l.number)
        numbers.add(l.number)
    for row in _rows_by_rules(body, horizontal) or _join_wrapped(body):
        grid.rows.append(_line_cells(row, boundaries))
        grid.row_lines.append(tuple(sorted(l.number for l in row)))
        numbers.update(l.number for l in row)
    return boundaries, numbers, False
