"""The ``datasette budget`` command group: ``load``, ``check`` and ``export``."""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import click


class FileSize(click.ParamType):
    """A size in bytes, or with a unit: ``500K``, ``200MB``, ``1G`` (powers of 1024)."""

    name = "size"
    UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("B").removesuffix("I")
        number, unit = text.rstrip("KMG"), text[len(text.rstrip("KMG")):]
        try:
            if unit in self.UNITS and float(number) > 0:
                return int(float(number) * self.UNITS[unit])
        except ValueError:
            pass
        self.fail(f"{value!r} is not a size; expected a number of bytes or one like 500K, 200MB or 1G", param, ctx)


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
@click.option("--max-file-size", type=FileSize(), default="200MB", show_default=True,
              help="Refuse files larger than this (a real disclosure is a few MB at most).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def load(db_path, paths, source_url, jobs, extractor, max_file_size, progress):
    """Load disclosures (text or PDF files, or folders of them) into DB_PATH.

    Example:

        datasette budget load budget.db data/documents

    Loading a document again replaces its rows. Each document is written whole or not at
    all, so a file that fails leaves the database as it was and does not stop the batch.
    Only regular files are read: every other path met (a FIFO, a device, a folder that
    cannot be listed) is reported and skipped.
    """
    from .loader import expand_paths, load_paths

    files, skipped = expand_paths(paths)
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
                            max_file_size=max_file_size, on_document=on_document)
    finally:
        if bar:
            bar.__exit__(None, None, None)
    report["skipped"] = skipped + report["skipped"]
    for entry in report["loaded"]:
        for warning in entry["warnings"]:
            click.echo(f"warning: {warning}", err=True)
    click.echo(load_summary(report, db_path), err=True)
    for entry in report["skipped"] + report["failed"]:
        click.echo(f"error: {entry['error']}", err=True)
    if report["failed"] or report["skipped"]:
        sys.exit(1)


def load_summary(report: dict, db_path) -> str:
    """The sentence that ends a load: ``Loaded 1 of 1 documents into budget.db:
    function_expenditure 7, …; unparsed lines 0.``. Each field is a part of its own,
    left out when there is nothing to say."""
    totals: Counter = Counter()
    for entry in report["loaded"]:
        totals.update(entry["rows"])
    fields = []
    rows = ", ".join(f"{table} {n}" for table, n in sorted(totals.items()) if table not in ("unparsed",))
    if rows:
        fields.append(rows)
    if report["loaded"]:
        fields.append(f"unparsed lines {sum(e['unparsed'] for e in report['loaded'])}")
    if report["skipped"]:
        n = len(report["skipped"])
        fields.append(f"{n} {'path' if n == 1 else 'paths'} skipped")
    if report["files"]:
        summary = f"Loaded {len(report['loaded'])} of {report['files']} documents into {db_path}"
    else:
        summary = f"Found no file to load into {db_path}"
    return summary + (": " + "; ".join(fields) if fields else "") + "."


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


@budget.command(name="export")
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False))
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["fdp", "zip"]), default="fdp", show_default=True,
              help="fdp: a Fiscal Data Package; zip: every table as CSV, with a README.")
@click.option("--phase", type=click.Choice(["预算", "决算"]),
              help="fdp: the phase to export (default: 预算, or 决算 when no 预算 is loaded).")
def export(db_path, out_dir, fmt, phase):
    """Write the data of DB_PATH to OUT_DIR, a new or empty directory, in a standard format.

    Example:

        datasette budget export budget.db out/ --format fdp
    """
    from .export import ExportError, export as write_export

    try:
        lines = write_export(db_path, out_dir, fmt, phase)
    except ExportError as error:
        raise click.ClickException(str(error))
    for line in lines:
        click.echo(line, err=True)
