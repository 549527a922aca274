"""A table as read: its rows, declared totals and every line that could not be placed.

The shape every reader produces (the text reader in :mod:`datasette_budget.tables` and the
layout readers of this package) and the loader writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ParsedTable:
    role: str
    title: str
    first_line: int
    last_line: int
    page: int | None
    unit: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # line items
    totals: list[dict] = field(default_factory=list)  # declared totals and subtotals
    unparsed: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    kind: str = ""  # for gpb_expenditure: "function" or "economic"

    @property
    def status(self) -> str:
        """loaded, or empty: printed without rows (a blank or zero 合计 at most). A table by
        budget unit is loaded with its units, which are declared figures, not line items."""
        if self.rows or any(t.get("kind") not in ("total", None) for t in self.totals):
            return "loaded"
        if any(v for t in self.totals for v in t.get("values", {}).values()):
            return "loaded"
        return "empty"
