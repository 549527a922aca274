"""Reading documents: a file on disk becomes numbered lines with their page.

Text files are UTF-8 or GB18030/GBK; PDFs go through :mod:`datasette_budget.pdf_text`.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path


class DocumentError(Exception):
    """A file that cannot be loaded; the message is one sentence naming the file."""


@dataclass(frozen=True, slots=True)  # slots: documents have thousands of lines
class Line:
    page: int | None  # 1-based page, None where the source does not say
    number: int  # 1-based line number in the extracted text
    text: str


@dataclass
class SourceDocument:
    path: Path
    sha256: str
    lines: list[Line]
    kind: str  # "text" or "pdf"
    warnings: list[str] = field(default_factory=list)


TEXT_SUFFIXES = {".txt", ".text", ""}
# characters below 32 other than \t \n \f \r: text does not hold them, binary data decoded as text does
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def read_document(path: Path, extractor: str = "auto") -> SourceDocument:
    """Read a disclosure into numbered lines: ``read_document(Path("data/documents/x.txt"))``.

    Raises :class:`DocumentError` with one sentence naming the file when it is empty,
    cannot be decoded or is not a PDF it claims to be.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DocumentError(f"{path}: cannot be read ({e.strerror}); expected a budget disclosure file") from e
    if not raw.strip():
        raise DocumentError(f"{path}: the file is empty; expected the text or PDF of a budget disclosure")
    sha256 = hashlib.sha256(raw).hexdigest()
    if raw.startswith(b"%PDF") or path.suffix.lower() == ".pdf":
        from .pdf_text import PdfError, extract_pages
        from .read.text_layer import check_text_layer, no_text_sentence

        try:
            pages = extract_pages(path, extractor)
        except PdfError as e:
            # no text at all: if its pages are images, a scanned document, and which pages
            raise DocumentError(no_text_sentence(path) or str(e)) from e
        lines, number = [], 0
        for page_number, page_lines in enumerate(pages, start=1):
            for text in page_lines:
                number += 1
                lines.append(Line(page_number, number, text))
        warnings = check_text_layer(path, [n for n, p in enumerate(pages, 1) if not p], len(pages))
        return SourceDocument(path, sha256, lines, "pdf", warnings)
    text = decode_text(path, raw)
    return SourceDocument(path, sha256, text_lines(text), "text")


def decode_text(path: Path, raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK); binary data is refused."""
    if b"\x00" in raw[:4096]:
        raise DocumentError(
            f"{path}: looks like binary data, not text; expected a UTF-8 or GB18030 text or a PDF of a budget disclosure"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = len(CONTROL_RE.findall(text))
        if controls > max(3, len(text) // 200):
            break
        return text
    raise DocumentError(
        f"{path}: could not be decoded as UTF-8 or GB18030 text; expected the text or PDF of a budget disclosure"
    )


def text_lines(text: str) -> list[Line]:
    """Number the lines of extracted text and assign pages.

    Text extracted from a PDF marks a new page with a form feed, or (as in the seed) by a
    line that begins with a space after the previous page's last line.
    """
    lines = []
    page = 1
    for number, raw_line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if "\f" in raw_line:
            page += raw_line.count("\f")
            raw_line = raw_line.replace("\f", "")
        elif number > 1 and raw_line.startswith(" ") and raw_line.strip():
            page += 1
        lines.append(Line(page, number, raw_line.strip()))
    return lines


# -- what the document is: read/identity.py (re-exported here for callers of this module)
from .read.identity import describe, slug_for  # noqa: E402,F401
