"""The ``datasette budget`` command group: ``load`` and ``check``."""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import click


@click.group(name="budget")
def budget():
    """Load and check Chinese budget disclosures (部门预算/决算)."""


@budget.command(name="load")
@click.argument("db_path", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--source-url", help="Where the document was published; recorded and shown with it.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Extract this many files in parallel.")
@click.option("--extractor", type=click.Choice(["auto", "pdfium", "pdfplumber"]), default="auto",
              show_default=True, help="PDF text extractor.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False),
              help="CSV of what you already know of the files (columns file, department, year, phase, "
                   "level, region, source_url; blank cells are detected): it overrides detection.")
@click.option("--replace", is_flag=True,
              help="Let a file replace a loaded document of the same identity from a different file.")
def load(db_path, paths, source_url, jobs, extractor, progress, manifest, replace):
    """Load disclosures (text or PDF files, or folders of them) into DB_PATH.

    Example:

        datasette budget load budget.db data/documents

    Loading a document again replaces its rows. Each document is written whole or not at
    all, so a file that fails leaves the database as it was and does not stop the batch.
    A document is its department, year, level and phase: a different file of a loaded
    document's identity is refused unless --replace. Files of a folder that are not
    documents (README.md, .csv …) are skipped with a note.
    """
    from .loader import expand_paths, load_paths

    skipped: list[dict] = []  # files of a folder that are not documents
    files = expand_paths(paths, skipped)
    identities = _manifest_identities(manifest, files) if manifest else None
    if progress is None:
        progress = sys.stderr.isatty()
    bar = None
    if progress:
        started = time.monotonic()

        def show(entry):
            # click shows count and ETA; the rate (documents per second) goes beside the file name
            if not entry:
                return None
            rate = bar.pos / max(time.monotonic() - started, 1e-6)
            return f"{rate:.1f}/s {Path(entry['file']).name}"

        bar = click.progressbar(length=len(files), label="Loading", file=sys.stderr,
                                show_pos=True, show_eta=True, item_show_func=show)
        bar.__enter__()

    def on_document(entry):
        if bar:
            bar.update(1, entry)

    try:
        report = load_paths(db_path, files, source_url=source_url, extractor=extractor, jobs=jobs,
                            on_document=on_document, replace=replace, identities=identities)
        report["skipped"] = skipped
    finally:
        if bar:
            bar.__exit__(None, None, None)
    for entry in report["loaded"]:
        for warning in entry["warnings"]:
            click.echo(f"warning: {warning}", err=True)
    totals: Counter = Counter()
    for entry in report["loaded"]:
        totals.update(entry["rows"])
    unparsed = sum(e["unparsed"] for e in report["loaded"])
    rows = ", ".join(f"{table} {n}" for table, n in sorted(totals.items()) if table not in ("unparsed",))
    click.echo(
        f"Loaded {len(report['loaded'])} of {len(files)} documents into {db_path}: {rows}; "
        f"unparsed lines {unparsed}.",
        err=True,
    )
    for line in identity_lines(report):
        click.echo(line, err=True)
    for entry in report["failed"]:
        click.echo(f"error: {entry['error']}", err=True)
    if report["failed"]:
        sys.exit(1)


def _manifest_identities(manifest: str, files: list[Path]) -> dict:
    from .read.identity import ManifestError, manifest_identities

    try:
        return manifest_identities(manifest, files)
    except ManifestError as e:
        raise click.ClickException(str(e)) from e


def identity_lines(report: dict) -> list[str]:
    """What happened to identities: files of a folder skipped, documents reloaded from the same
    file, or replaced by a different one (--replace)."""
    lines = [f"note: {s['note']}" for s in report.get("skipped", [])]
    for entry in report["loaded"]:
        previous = entry.get("previous")
        if not previous:
            continue
        name = Path(entry["file"]).name
        if previous["same_file"] and previous["source_file"] == name:
            lines.append(f"reloaded: {entry['slug']} from {name} again; its rows were replaced")
        elif previous["same_file"]:
            lines.append(f"reloaded: {entry['slug']} from {name}, the same content as {previous['source_file']}; "
                         "its rows were replaced")
        else:
            lines.append(f"replaced: {entry['slug']} loaded from {previous['source_file']} is replaced by "
                         f"{name} (--replace)")
    return lines


@budget.command(name="check")
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--document", help="Only this document (its slug).")
@click.option("--strict", is_flag=True, help="Exit 1 if any check failed.")
def check(db_path, document, strict):
    """Print the reconciliation report of loaded documents.

    Example:

        datasette budget check budget.db --strict
    """
    from .checks import report_lines

    lines, failed = report_lines(db_path, document)
    for line in lines:
        click.echo(line)
    if strict and failed:
        sys.exit(1)
