"""Reading documents: a file on disk becomes numbered lines with their page.

Text files are UTF-8 or GB18030/GBK; PDFs go through :mod:`datasette_budget.pdf_text`.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from itertools import islice
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


# The largest file read at all (``datasette budget load --max-file-size``): far above any
# real disclosure (the corpus's largest PDF is under 2 MB), far below what exhausts memory.
DEFAULT_MAX_FILE_SIZE = 200 * 2**20
# A text file is the document's text itself, and parsing holds about twenty times the text
# in memory: the text of the longest disclosure is well under 1 MB, so more is not one document.
MAX_TEXT_SIZE = 5 * 2**20
FILE_KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a character device",
              stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


def not_regular(path: Path, mode: int) -> str:
    """The sentence for a path that is not a regular file (a FIFO, a device …)."""
    kind = FILE_KINDS.get(stat.S_IFMT(mode), "a special file")
    return f"{path}: is {kind}, not a regular file; expected the text or PDF of a budget disclosure"


def size_text(size: int) -> str:
    """``size_text(200 * 2**20)`` is ``"200 MB"``, ``size_text(28_300)`` is ``"27.6 KB"``."""
    unit, scale = next((u, 2**p) for u, p in (("GB", 30), ("MB", 20), ("KB", 10), ("bytes", 0)) if size >= 2**p or p == 0)
    return f"{size // scale} {unit}" if size % scale == 0 else f"{size / scale:.1f} {unit}"


def read_file(path: Path, max_size: int | None = DEFAULT_MAX_FILE_SIZE) -> bytes:
    """A regular file's bytes. What is not a regular file, or is larger than ``max_size``
    (or than :data:`MAX_TEXT_SIZE` for text), is refused before any of it is read."""
    try:
        # non-blocking, so that opening a FIFO does not wait for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise DocumentError(f"{path}: cannot be read ({e.strerror}); expected a budget disclosure file") from e
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DocumentError(not_regular(path, info.st_mode))
        if max_size is not None and info.st_size > max_size:
            raise DocumentError(
                f"{path}: is {size_text(info.st_size)}, over the {size_text(max_size)} limit of "
                "--max-file-size; expected the text or PDF of one budget disclosure"
            )
        head = f.read(4)
        if not (head == b"%PDF" or path.suffix.lower() == ".pdf") and info.st_size > MAX_TEXT_SIZE:
            raise DocumentError(
                f"{path}: is {size_text(info.st_size)} of text, more than the {size_text(MAX_TEXT_SIZE)} "
                "read as one document; expected the text of one budget disclosure per file"
            )
        return head + f.read()


def read_document(path: Path, extractor: str = "auto", max_size: int | None = DEFAULT_MAX_FILE_SIZE) -> SourceDocument:
    """Read a disclosure into numbered lines: ``read_document(Path("data/documents/x.txt"))``.

    Raises :class:`DocumentError` with one sentence naming the file when it is not a regular
    file, too large, empty, cannot be decoded or is not a PDF it claims to be.
    """
    path = Path(path)
    raw = read_file(path, max_size)
    if not raw.strip():
        raise DocumentError(f"{path}: the file is empty; expected the text or PDF of a budget disclosure")
    sha256 = hashlib.sha256(raw).hexdigest()
    if raw.startswith(b"%PDF") or path.suffix.lower() == ".pdf":
        from .pdf_text import PdfError, extract_pages
        from .text_layer import check_text_layer, no_text_sentence

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
        if encoding == "gb18030" and misdecoded(text):
            raise DocumentError(
                f"{path}: looks like text in another encoding, such as Big5 or Shift-JIS; expected a UTF-8 or "
                "GB18030 text or a PDF of a budget disclosure"
            )
        return text
    raise DocumentError(
        f"{path}: could not be decoded as UTF-8 or GB18030 text; expected the text or PDF of a budget disclosure"
    )


def misdecoded(text: str, sample: int = 20_000) -> bool:
    """Whether text decoded as GB18030 was written in another encoding. GB18030 decodes
    nearly any bytes, but simplified Chinese text uses GB2312's characters almost only (the
    seed: all of them), while Big5 or Shift-JIS bytes read as GB18030 give mostly others
    (the seed written in Big5: 62% others; in Shift-JIS: 99.9%): kana, private-use code
    points, rare characters."""
    chars = list(islice((c for c in text if c > "\x7f" and not c.isspace()), sample))
    rare = 0
    for c in chars:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            rare += 1
    return rare > max(8, len(chars) // 5)


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
