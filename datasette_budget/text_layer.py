"""Pages of a PDF that carry no text layer, only images: a scanned document, or scanned pages
in one. Their content cannot be read without OCR, so a user is told which pages they are.

Checked only for the pages extraction found empty (a blank page with no image is not a scan),
so a PDF with a text layer on every page costs nothing here.

    >>> scanned_pages("scan.pdf")
    [1, 2, 3]
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

# More than this share of a document's pages scanned: the document cannot be read, not just a
# few of its pages (a scanned signature page or annex is a warning, and the rest loads).
SCANNED_SHARE = 0.5


def scanned_pages(path: str | Path, pages: Iterable[int] | None = None) -> list[int]:
    """The 1-based pages (of ``pages``, default all) with no character of text and at least one
    image object."""
    return _scanned(path, pages)[0]


def _scanned(path: str | Path, pages: Iterable[int] | None = None) -> tuple[list[int], int]:
    """Scanned pages and the document's page count."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        document = pdfium.PdfDocument(Path(path))
    except pdfium.PdfiumError:
        return [], 0  # not a PDF pdfium opens: the extractor's own error says so
    found = []
    count = len(document)
    try:
        for number in pages if pages is not None else range(1, len(document) + 1):
            page = document[number - 1]
            textpage = page.get_textpage()
            text = textpage.get_text_range() if textpage.count_chars() else ""
            textpage.close()
            if not text.strip() and any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE],
                                                                        max_depth=4)):
                found.append(number)
            page.close()
    finally:
        document.close()
    return found, count


def no_text_sentence(path: str | Path) -> str | None:
    """For a PDF without any text: the sentence naming its scanned pages, if it has any."""
    scanned, count = _scanned(path)
    return scanned_sentence(path, scanned, count) if scanned else None


def page_list(pages: list[int]) -> str:
    """``[1, 2, 3, 7]`` → ``"pages 1–3, 7"``; ``[4]`` → ``"page 4"``."""
    runs: list[list[int]] = []
    for n in pages:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    return ("pages " if len(pages) > 1 else "page ") + ", ".join(parts)


def _have(pages: list[int]) -> str:
    return "has" if len(pages) == 1 else "have"


def scanned_sentence(path: str | Path, scanned: list[int], page_count: int) -> str:
    """The one sentence a user gets for a PDF whose pages are images without text."""
    which = page_list(scanned) + (" (all its pages)" if len(scanned) == page_count else f" of {page_count}")
    return (f"{path}: {which} {_have(scanned)} no text layer, only images (a scanned document); OCR is needed first: "
            "run it through OCR to add a text layer, then load it again")


def text_layer_problem(path: str | Path, empty_pages: list[int], page_count: int) -> tuple[str | None, str | None]:
    """(error, warning) for a PDF whose extraction found ``empty_pages`` without text: an error
    when most of the document is scanned, a warning naming the scanned pages when a few are."""
    if not empty_pages:
        return None, None
    scanned = scanned_pages(path, empty_pages)
    if not scanned:
        return None, None
    if len(scanned) > SCANNED_SHARE * page_count:
        return scanned_sentence(path, scanned, page_count), None
    return None, (f"{Path(path).name}: {page_list(scanned)} {_have(scanned)} no text layer, only images (scanned); "
                  "what they show is not read: OCR them to load it")


def check_text_layer(path: str | Path, empty_pages: list[int], page_count: int) -> list[str]:
    """The warnings for a PDF whose extraction found ``empty_pages`` without text; raises
    ``DocumentError`` with :func:`scanned_sentence` when most of its pages are scanned."""
    from .documents import DocumentError

    error, warning = text_layer_problem(path, empty_pages, page_count)
    if error:
        raise DocumentError(error)
    return [warning] if warning else []
