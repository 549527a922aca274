"""The three classification code systems (政府收支分类科目): levels, parents, reference names."""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

# system -> (code table, widths of the level prefixes)
SYSTEMS = {
    "function": ("function_codes", (3, 5, 7)),
    "economic": ("economic_codes", (3, 5)),
    "government": ("government_economic_codes", (3, 5)),
}

REFERENCE_FILES = {
    "function": ("functional.csv", "functional_unverified.csv"),
    "economic": ("economic_department.csv", "economic_department_unverified.csv"),
    "government": ("economic_government.csv", "economic_government_unverified.csv"),
}

LEVEL_NAMES = {1: "类", 2: "款", 3: "项"}

# `201 03 01`, `2010301`, `301 2` (a typo for 301 02)
SPACED_CODE_RE = re.compile(r"^(\d{3})(?: (\d{1,2}))?(?: (\d{1,2}))?$")


def normalise_code(printed: str) -> str:
    """``normalise_code("201 03 01") == "2010301"``; a one-digit part is zero-padded (``301 2`` → ``30102``)."""
    printed = printed.strip()
    m = SPACED_CODE_RE.match(printed)
    if m:
        return "".join(p.zfill(2) if i else p for i, p in enumerate(m.groups()) if p)
    return printed.replace(" ", "")


def level_of(code: str, system: str = "function") -> int:
    """1 for 类, 2 for 款, 3 for 项: ``level_of("20103") == 2``."""
    widths = SYSTEMS[system][1]
    return widths.index(len(code)) + 1


def parts(code: str, system: str = "function") -> list[str | None]:
    """The level prefixes of a code, one per level: ``parts("2010301") == ["201", "20103", "2010301"]``."""
    widths = SYSTEMS[system][1]
    return [code[:w] if len(code) >= w else None for w in widths]


def parent_of(code: str, system: str = "function") -> str | None:
    widths = SYSTEMS[system][1]
    shorter = [w for w in widths if w < len(code)]
    return code[: shorter[-1]] if shorter else None


@lru_cache(maxsize=None)
def reference(system: str) -> dict[str, dict]:
    """Reference rows keyed by code; verified rows win over unverified ones."""
    rows: dict[str, dict] = {}
    verified_file, unverified_file = REFERENCE_FILES[system]
    for filename, verified in ((unverified_file, 0), (verified_file, 1)):
        with resources.files("datasette_budget").joinpath("reference", filename).open(
            encoding="utf-8"
        ) as f:
            for row in csv.DictReader(f):
                rows[row["code"]] = {
                    "code": row["code"],
                    "name": row["name"],
                    "level": int(row["level"]),
                    "parent": row["parent"] or None,
                    "verified": verified,
                    "source": "reference" if verified else "reference (unverified)",
                }
    return rows


def code_rows(system: str, document_names: dict[str, str]) -> list[dict]:
    """Rows for a code table: every code a document uses and all its parents.

    Names come first from the document's own rows, then from the reference data;
    a code named by neither keeps a null name.
    """
    ref = reference(system)
    wanted: set[str] = set()
    for code in document_names:
        wanted.update(p for p in parts(code, system) if p)
    rows = []
    for code in sorted(wanted):
        ref_row = ref.get(code)
        if code in document_names:
            rows.append(
                {
                    "code": code,
                    "name": document_names[code],
                    "level": level_of(code, system),
                    "parent": parent_of(code, system),
                    "verified": 1,
                    "source": "document",
                }
            )
        elif ref_row:
            rows.append(dict(ref_row))
        else:
            rows.append(
                {
                    "code": code,
                    "name": None,
                    "level": level_of(code, system),
                    "parent": parent_of(code, system),
                    "verified": 0,
                    "source": "missing",
                }
            )
    return rows
