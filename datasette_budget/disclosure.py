"""A disclosure read into its parts: what the document is, its tables, its narrative and
its performance targets, and every line that could not be placed.

This is pure parsing: nothing here touches a database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import narrative, performance
from .documents import DEFAULT_MAX_FILE_SIZE, DocumentError, SourceDocument, read_document, read_file
from .read.interpret import GRID_ROLES, evaluation_from_grid, table_from_grid
from .read.identity import identify, slug_for
from .read.recognise import one_table_per_role, read_or_unreadable, unknown_tables, without_guessed_unit
from .tables import PERFORMANCE_ROLES, ParsedTable, find_tables, table_parser

# Tables every template of the family has; a missing one is a warning, not an error.
CORE_ROLES = (
    "summary",
    "income",
    "expenditure",
    "appropriation_summary",
    "gpb_expenditure",
    "basic_expenditure",
    "sangong",
    "fund_expenditure",
    "capital_expenditure",
)
# Tables some templates have (Zhengzhou's), others not (Shanghai's).
OPTIONAL_ROLES = ("economic_expenditure", "procurement")


def known_names(tables: list[ParsedTable]) -> dict[str, dict[str, set[str]]]:
    """Code → the names printed for it, per code system, from rows whose name did not wrap."""
    known: dict[str, dict[str, set[str]]] = {"function": {}, "economic": {}}
    for table in tables:
        system = "economic" if table.role in ("basic_expenditure",) else "function"
        if table.role in ("summary", "appropriation_summary", "sangong", "procurement", "economic_expenditure"):
            continue
        for row in table.rows + [t for t in table.totals if t.get("kind") == "subtotal"]:
            if row.get("code") and row.get("name") and not row.get("wrapped"):
                known[system].setdefault(row["code"], set()).add(row["name"])
    return known


@dataclass
class Disclosure:
    source: SourceDocument
    meta: dict
    slug: str
    tables: list[ParsedTable]
    narrative: dict
    performance: dict
    unparsed: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_roles: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        m = self.meta
        return f"{m['department']} {m['year']}年{m['level']}{m['phase']}"


def _read_source(path: Path, extractor: str, max_size: int | None):
    """The document's lines, and for a PDF the layout they were read from (else None)."""
    path = Path(path)
    # read_file refuses what is not a regular file, or too large, before reading any of it
    raw = read_file(path, max_size)
    if not (raw.startswith(b"%PDF") or path.suffix.lower() == ".pdf") or not raw.strip():
        return read_document(path, extractor, max_size), None  # text, or an empty file's error
    import hashlib

    from .pdf_text import PdfError
    from .read.layout import read_pdf

    from .text_layer import check_text_layer, no_text_sentence

    try:
        lines, layout = read_pdf(path, extractor)
    except PdfError as e:
        raise DocumentError(no_text_sentence(path) or str(e)) from e  # scanned pages: which, and OCR
    warnings = check_text_layer(path, [p.number for p in layout.pages if not p.lines], len(layout.pages))
    return SourceDocument(path, hashlib.sha256(raw).hexdigest(), lines, "pdf", warnings), layout


def _grid(layout, lines, role: str, start: int, end: int):
    if layout is None or role not in GRID_ROLES:
        return None
    from .read.grid import grid_for_region

    return grid_for_region(layout, lines, start, end)


def read_disclosure(path: Path, extractor: str = "auto", identity: dict | None = None,
                    max_size: int | None = DEFAULT_MAX_FILE_SIZE) -> Disclosure:
    """Read and parse one file: ``read_disclosure(Path("data/documents/x.txt")).slug``.

    Raises :class:`DocumentError` when the file is not a budget disclosure at all.
    """
    source, layout = _read_source(path, extractor, max_size)
    lines = source.lines
    regions = find_tables(lines)
    table_regions = [(role, s, e) for role, s, e in regions if role not in PERFORMANCE_ROLES]
    # a document of performance forms only (宁德's 部门整体绩效自评表) loads with no tables
    if not regions:
        raise DocumentError(
            f"{path}: no budget tables found; expected a department budget or final-accounts "
            "disclosure (部门预算/部门决算) with tables such as 部门收支总体情况表"
        )
    meta = identify(lines, path, identity)  # ``identity``: what a --manifest says, in place of detection
    # Twice: the names the first reading prints for each code help join the names that
    # wrap in other tables (a narrow column wraps a name its neighbour prints whole).
    # Each region's lines are read once; only the names are joined twice.
    # A PDF's tables are read from their grid (positions and ruling lines); text, and a
    # region without a grid, by its lines.
    parsers = []
    for role, s, e in table_regions:
        grid = _grid(layout, lines, role, s, e)
        if grid is not None:
            # a table its reader cannot read is recorded unreadable (page, reason); the rest loads
            table = read_or_unreadable(role, lines[s:e], lambda: table_from_grid(role, lines, s, e, grid, layout))
            parsers.append(lambda known=None, table=table: table)
        else:
            parsers.append(table_parser(role, lines[s:e]))
    known = known_names([parse(None) for parse in parsers])
    # figures of a table whose unit is not printed are not stored: 元 or 万元 is never guessed
    tables = [without_guessed_unit(parse(known), lines) for parse in parsers]
    first_table = regions[0][1]
    story = narrative.parse_narrative(lines[:first_table])
    perf_start = min((s for role, s, e in regions if role in PERFORMANCE_ROLES), default=None)
    # The 说明 printed after the last table (a 决算's 情况说明, a budget's 其他相关情况说明),
    # before any performance forms: part of the narrative too.
    # (a region ends at the first heading that is no table, so read on to the forms or the end)
    if table_regions:
        last_start = table_regions[-1][1]
        after_end = perf_start if perf_start is not None and perf_start > last_start else len(lines)
        story["sections"] = story.get("sections", []) + narrative.sections_after_tables(lines[last_start + 1:after_end])
    targets = performance.parse_performance(lines[perf_start:]) if perf_start is not None else {
        "targets": [], "indicators": [], "unparsed": []
    }
    for role, s, e in regions:
        # a 部门整体绩效自评表: its money and cost indicators, read from its grid
        grid = _grid(layout, lines, role, s, e) if role == "performance_evaluation" else None
        if grid is not None:
            table, fields = evaluation_from_grid(lines, s, e, grid)
            tables.append(table)
            if fields:
                targets.setdefault("targets", []).append({
                    "kind": "evaluation", "name": table.title, "title": table.title, "page": table.page,
                    "first_line": table.first_line, "last_line": table.last_line, "fields": fields})
    tables, repeated = one_table_per_role(tables)  # document_tables holds one table per role
    unparsed_lines = [u for t in tables for u in t.unparsed] + list(targets.get("unparsed", []))
    warnings = list(source.warnings) + [f"{path.name}: {w}" for w in repeated]
    for page, number, title in unknown_tables(lines):  # read by no reader: said, not dropped in silence
        warnings.append(f"{path.name}: page {page}, line {number}: a table titled {title} that the loader does not "
                        "know; its rows are not read")
    found = {t.role for t in tables}
    missing = [r for r in CORE_ROLES + OPTIONAL_ROLES if r not in found]
    for role in missing:
        if role in CORE_ROLES:
            warnings.append(f"{path.name}: no {role} table found; checks that need it are skipped")
    for u in unparsed_lines:
        warnings.append(f"{path.name}: page {u.get('page')}, line {u['line']}: could not parse {u['text']!r} ({u['reason']})")
    return Disclosure(
        source=source,
        meta=meta,
        slug=slug_for(meta),
        tables=tables,
        narrative=story,
        performance=targets,
        unparsed=unparsed_lines,
        warnings=warnings,
        missing_roles=missing,
    )
