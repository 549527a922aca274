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


@dataclass(frozen=True)
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
