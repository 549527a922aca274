"""Recognising tables: which lines are table titles, the role each title names, and the
region of lines each table covers.

Reads only numbered lines (:class:`~datasette_budget.documents.Line`) and the title words
of :mod:`datasette_budget.vocabulary`.
"""
from __future__ import annotations

import re

from ..documents import Line
from ..vocabulary import PERFORMANCE_ROLES, ROLE_TITLES

UNIT_RE = re.compile(r"单位\s*[:：]\s*(万元|元)")

__all__ = ["PERFORMANCE_ROLES", "ROLE_TITLES", "UNIT_RE", "compact", "find_tables", "role_of_title"]


def compact(text: str) -> str:
    """The text without whitespace (str.split's whitespace is exactly the regex ``\\s``)."""
    return "".join(text.split())


def role_of_title(text: str) -> str | None:
    """The role of a line that is a table title, else None.

    ``role_of_title("郑州市信访局部门收支总体情况表") == "summary"``
    """
    if "表" not in text:
        return None  # most lines: no need to look further
    t = compact(text)
    if not t.endswith("表") or len(t) > 60 or any(c in t for c in "《》。，…："):
        return None
    if re.match(r"^(\d+[.．、]|[一二三四五六七八九十]+、)", t):
        return None  # a table of contents entry or a list item naming a table
    for role, pattern in ROLE_TITLES:
        if pattern.search(t):
            return role
    return None


def find_tables(lines: list[Line]) -> list[tuple[str, int, int]]:
    """(role, start index, end index) of each table region; a region runs to the next title.

    A title counts only when a unit line (单位：元) follows within five lines, except for the
    performance forms, which print none.
    """
    starts = []
    for i, line in enumerate(lines):
        role = role_of_title(line.text)
        if not role:
            continue
        if role not in PERFORMANCE_ROLES:
            window = " ".join(l.text for l in lines[i : i + 6])
            if not UNIT_RE.search(window):
                continue
        starts.append((role, i))
    regions = []
    for n, (role, start) in enumerate(starts):
        end = starts[n + 1][1] if n + 1 < len(starts) else len(lines)
        regions.append((role, start, end))
    return regions
