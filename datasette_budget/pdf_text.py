"""PDF → lines of text per page, rebuilt from character positions.

Budget tables need one table row per line. A PDF's own text order does not give
that: pypdfium2's ``get_text_range()`` returns whole table pages as one long line.
So both extractors here read every character with its box and rebuild lines the
same way (:func:`page_lines`): characters whose vertical centres agree form a
line, sorted left to right; a horizontal gap of a fifth of the character height
or more starts a new word; words are joined with single spaces.

:func:`read_pages` also gives each page's path objects (the boxes of drawn lines
and rectangles), from which :mod:`datasette_budget.read.layout` builds a table's
ruling lines.

    >>> extract_pages("budget.pdf")[11][3]
    '204 06 07 公共法律服务 300,000 300,000 0 0 0'
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

# "auto" first; it means pdfium, which gives the same lines as pdfplumber on the
# samples but reads pages about 15 times faster (bench/pdf_extract.py).
EXTRACTORS: tuple[str, ...] = ("auto", "pdfium", "pdfplumber")
AUTO_EXTRACTOR = "pdfium"

# Characters belong to one line while their vertical centre is within this share
# of the first character's height. Wrapped cell text sits about 1.3 heights
# apart and is kept on its own line; one row's characters differ by much less.
LINE_TOLERANCE = 0.4
# A gap of this share of the character height starts a new word. Letter-spaced
# names in table cells have gaps up to 0.13 (决算 社会保障和就业支出), a quarter-em
# space between Chinese text and a figure is 0.25, table columns are 1 or more.
WORD_GAP = 0.2


class PdfError(Exception):
    """A PDF that cannot be read; the message is one sentence naming the file."""


class Char(NamedTuple):
    """One character and its box, in points, with ``top`` growing down the page."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float


class PageContent(NamedTuple):
    """One page: its characters and the boxes ``(x0, top, x1, bottom)`` of its path
    objects (drawn lines and rectangles), both in points with ``top`` growing down."""

    chars: list[Char]
    paths: list[tuple[float, float, float, float]]


def extract_pages(path: str | os.PathLike[str], extractor: str = "auto") -> list[list[str]]:
    """Return each page's lines of text, one visual line (one table row) per string.

    ``extractor`` is one of :data:`EXTRACTORS`; "auto" uses the fastest accurate one.

        >>> pages = extract_pages("budget.pdf", extractor="pdfplumber")
        >>> len(pages), pages[0][:1]
        (33, ['上海市普陀区2024年区级部门预算'])
    """
    contents = read_pages(path, extractor, paths=False)
    return [[line_text(row) for row in group_lines(page.chars)] for page in contents]


def read_pages(path: str | os.PathLike[str], extractor: str = "auto", paths: bool = True) -> list[PageContent]:
    """Each page's characters with their boxes and, when ``paths``, its path objects' boxes.

    Raises :class:`PdfError` for a file that is not a readable PDF or has no text at all.

        >>> page = read_pages("budget.pdf")[6]
        >>> page.chars[0].text, len(page.paths)
        ('表', 231)
    """
    if extractor not in EXTRACTORS:
        raise ValueError(
            f"Unknown PDF extractor {extractor!r}: use one of {', '.join(EXTRACTORS)}."
        )
    path = Path(path)
    if not path.is_file():
        raise PdfError(f"{path}: expected a PDF document, but there is no such file")
    read = _READERS[AUTO_EXTRACTOR if extractor == "auto" else extractor]
    pages = read(path, paths)
    if not any(any(not c.text.isspace() for c in page.chars) for page in pages):
        raise PdfError(
            f"{path}: expected a PDF with a text layer, but none of its {len(pages)} "
            "page(s) holds any text (a scanned image?); run it through OCR first"
        )
    return pages


def page_lines(chars: Iterable[Char]) -> list[str]:
    """Group characters into lines by vertical position, top to bottom.

        >>> page_lines([Char("元", 20, 30, 0, 10), Char("万", 10, 20, 0, 10)])
        ['万元']
    """
    return [line_text(row) for row in group_lines(chars)]


def group_lines(chars: Iterable[Char]) -> list[list[Char]]:
    """The characters of each visual line, top to bottom, each line sorted left to right.

    Lines holding only spaces are dropped, as :func:`page_lines` drops them.
    """
    rows: list[list[Char]] = []
    anchor_centre = anchor_height = 0.0
    for char in sorted(chars, key=_centre):
        centre = _centre(char)
        # Compare with the line's first character, not the last one added, so
        # that a slightly tilted line cannot creep into the next one.
        if not rows or centre - anchor_centre > LINE_TOLERANCE * anchor_height:
            rows.append([])
            anchor_centre, anchor_height = centre, max(char.bottom - char.top, 1.0)
        rows[-1].append(char)
    lines = []
    for row in rows:
        row.sort(key=_left)
        if any(not c.text.isspace() and c.text.isprintable() for c in row):
            lines.append(row)
    return lines


def line_text(row: list[Char]) -> str:
    """A line's characters (sorted left to right) as words joined by single spaces."""
    return _join_words(row)


def _left(char: Char) -> float:
    return char.x0


def _centre(char: Char) -> float:
    return (char.top + char.bottom) / 2


def _join_words(row: list[Char]) -> str:
    words: list[str] = []
    word: list[str] = []
    previous_x1 = None
    for char in row:
        # Spaces, tabs and control characters (\r, \n) only separate words.
        if char.text.isspace() or not char.text.isprintable():
            if word:
                words.append("".join(word))
                word = []
            continue
        height = max(char.bottom - char.top, 1.0)
        if word and previous_x1 is not None and char.x0 - previous_x1 >= WORD_GAP * height:
            words.append("".join(word))
            word = []
        word.append(char.text)
        previous_x1 = char.x1
    if word:
        words.append("".join(word))
    return " ".join(words)


def _pdfium_pages(path: Path, paths: bool) -> list[PageContent]:
    """Characters (and path boxes) per page from PDFium: fast, C code, one call per character."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise _open_error(path, exc) from exc
    pages = []
    box = pdfium_c.FS_RECTF()
    loose_box = pdfium_c.FPDFText_GetLooseCharBox
    is_generated = pdfium_c.FPDFText_IsGenerated
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            raw = textpage.raw
            rotation = page.get_rotation() % 360
            to_display = _ROTATIONS[rotation]
            count = pdfium_c.FPDFText_CountChars(raw)
            # all the text in one call: one UTF-16 unit per character index
            buffer = (ctypes.c_ushort * (count + 1))()
            pdfium_c.FPDFText_GetText(raw, 0, count, buffer)
            units = buffer[:count]
            chars = []
            append = chars.append
            for i, unit in enumerate(units):
                # PDFium adds "generated" spaces and line breaks of its own; their
                # boxes are empty and placed at the end of a cell, so they would
                # split words in the wrong place. Real gaps are measured instead.
                if unit <= 0x20 and is_generated(raw, i) or 0xDC00 <= unit < 0xE000:
                    continue
                if 0xD800 <= unit < 0xDC00 and i + 1 < count:
                    # A character outside the BMP comes as a UTF-16 surrogate pair.
                    text = chr(0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00))
                else:
                    text = chr(unit)
                # The loose box spans the font's ascent to descent, the same for
                # every character of a line, unlike the glyph's tight box.
                loose_box(raw, i, box)
                if rotation == 0:
                    left, right, top, bottom = box.left, box.right, -box.top, -box.bottom
                    if left > right:
                        left, right = right, left
                    if top > bottom:
                        top, bottom = bottom, top
                    append(Char(text, left, right, top, bottom))
                else:
                    x0, top = to_display(box.left, box.top)
                    x1, bottom = to_display(box.right, box.bottom)
                    append(Char(text, min(x0, x1), max(x0, x1), min(top, bottom), max(top, bottom)))
            textpage.close()
            boxes = _pdfium_path_boxes(page.raw, to_display, rotation == 0) if paths else []
            page.close()
            pages.append(PageContent(chars, boxes))
    except pdfium.PdfiumError as exc:
        raise _open_error(path, exc) from exc
    finally:
        document.close()
    return pages


def _pdfium_path_boxes(page, to_display, rotation0: bool = False) -> list[tuple[float, float, float, float]]:
    """Boxes of a page's path objects, in display space. Tables draw their borders as
    path objects: lines, thin rectangles, one (filled) rectangle per cell, or the whole
    grid as one path (read segment by segment).

    Read with raw PDFium calls: a page placing each glyph on its own holds thousands of
    text objects, and only the paths' type and bounds are needed."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    get_type, get_bounds = pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDFPageObj_GetBounds
    count_segments = pdfium_c.FPDFPath_CountSegments
    path_type, form_type = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    boxes: list[tuple[float, float, float, float]] = []

    def segments(obj, matrix):
        """A path of many segments (a whole grid drawn as one path): its straight,
        axis-parallel segments one by one, each a thin box."""
        m = pdfium_c.FS_MATRIX()
        pdfium_c.FPDFPageObj_GetMatrix(obj, m)
        own = _compose((m.a, m.b, m.c, m.d, m.e, m.f), matrix)
        a, b, c, d, e, f = own
        x, y = ctypes.c_float(), ctypes.c_float()
        start = current = None
        for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
            segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
            if not pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
                continue
            point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = current = point
                continue
            if kind == pdfium_c.FPDF_SEGMENT_LINETO and current is not None:
                line(current, point)
            current = point
            if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
                line(current, start)
                current = start

    def line(p, q):
        if abs(p[0] - q[0]) > 1 and abs(p[1] - q[1]) > 1:
            return  # a slanted line is no rule
        (x0, y0), (x1, y1) = to_display(*p), to_display(*q)
        boxes.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))

    def visit(count, get, matrix):
        for k in range(count):
            obj = get(k)
            kind = get_type(obj)
            if kind == path_type:
                if count_segments(obj) > 5:
                    segments(obj, matrix)
                    continue
                if not get_bounds(obj, left, bottom, right, top):
                    continue
                if matrix is None and rotation0:
                    boxes.append((left.value, -top.value, right.value, -bottom.value))
                    continue
                corners = [(left.value, bottom.value), (right.value, top.value)]
                if matrix is not None:
                    a, b, c, d, e, f = matrix
                    corners = [(a * x + c * y + e, b * x + d * y + f)
                               for x, y in corners + [(left.value, top.value), (right.value, bottom.value)]]
                points = [to_display(x, y) for x, y in corners]
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                boxes.append((min(xs), min(ys), max(xs), max(ys)))
            elif kind == form_type:
                # objects of a form XObject are placed by the form's matrix
                m = pdfium_c.FS_MATRIX()
                pdfium_c.FPDFPageObj_GetMatrix(obj, m)
                visit(pdfium_c.FPDFFormObj_CountObjects(obj),
                      lambda i, o=obj: pdfium_c.FPDFFormObj_GetObject(o, i),
                      _compose((m.a, m.b, m.c, m.d, m.e, m.f), matrix))

    visit(pdfium_c.FPDFPage_CountObjects(page), lambda i: pdfium_c.FPDFPage_GetObject(page, i), None)
    return boxes


def _compose(inner: tuple, outer: tuple | None) -> tuple:
    """The matrix (a, b, c, d, e, f) of ``inner`` followed by ``outer`` (None: no outer)."""
    if outer is None:
        return inner
    a, b, c, d, e, f = outer
    ia, ib, ic, id_, ie, if_ = inner
    return (ia * a + ib * c, ia * b + ib * d, ic * a + id_ * c, ic * b + id_ * d,
            ie * a + if_ * c + e, ie * b + if_ * d + f)


# PDFium boxes are in unrotated page space with y growing up; map them to the
# page as displayed (the page's /Rotate turns it clockwise), y growing down.
# Only relative positions matter, so no page size is needed.
_ROTATIONS: dict[int, Callable[[float, float], tuple[float, float]]] = {
    0: lambda x, y: (x, -y),
    90: lambda x, y: (y, x),
    180: lambda x, y: (-x, y),
    270: lambda x, y: (-y, -x),
}


def _pdfplumber_pages(path: Path, paths: bool) -> list[PageContent]:
    """Characters (and path boxes) per page from pdfplumber (pdfminer.six): pure Python, slower."""
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            # pdfminer already applies /Rotate and measures ``top`` downwards.
            return [
                PageContent(
                    [_pdfplumber_char(c, page.height, page.rotation % 360 == 0) for c in page.chars],
                    [(o["x0"], o["top"], o["x1"], o["bottom"]) for o in page.rects + page.lines + page.curves]
                    if paths else [],
                )
                for page in pdf.pages
            ]
    except Exception as exc:
        # pdfminer raises many unrelated types for damaged files (PDFSyntaxError,
        # PSEOF, PDFPasswordIncorrect, wrapped in PdfminerException): all mean
        # the file cannot be read.
        raise _open_error(path, exc) from exc


def _pdfplumber_char(c: dict, height: float, unrotated: bool) -> Char:
    """A pdfplumber character with a box from its baseline and size: pdfminer sizes each
    font's box from its own metrics, so digits of one font and Chinese of another on the
    same baseline would not share a line (``2026`` above ``年部门预算``). PDFium's loose
    boxes agree across fonts; this makes pdfplumber's do too."""
    if unrotated and c.get("upright") and c.get("matrix") and c.get("size"):
        baseline = height - c["matrix"][5]
        # about the height of PDFium's loose boxes (the font's ascent to descent)
        return Char(c["text"], c["x0"], c["x1"], baseline - 0.88 * c["size"], baseline + 0.245 * c["size"])
    return Char(c["text"], c["x0"], c["x1"], c["top"], c["bottom"])


def _open_error(path: Path, exc: Exception) -> PdfError:
    # pdfplumber wraps pdfminer's exception, e.g. PdfminerException(PDFPasswordIncorrect())
    if len(exc.args) == 1 and isinstance(exc.args[0], Exception):
        exc = exc.args[0]
    detail = (str(exc) or type(exc).__name__).rstrip(". ")  # PDFium's end in a full stop
    if "password" in detail.lower() or "password" in type(exc).__name__.lower():
        return PdfError(
            f"{path}: expected a PDF document without a password, but it is encrypted ({detail})"
        )
    return PdfError(f"{path}: expected a PDF document, but it could not be opened ({detail})")


_READERS: dict[str, Callable[[Path, bool], list[PageContent]]] = {
    "pdfium": _pdfium_pages,
    "pdfplumber": _pdfplumber_pages,
}
