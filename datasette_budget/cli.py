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
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False),
              help="CSV of what you already know of the files (columns file, department, year, phase, "
                   "level, region, source_url; blank cells are detected): it overrides detection.")
@click.option("--replace", is_flag=True,
              help="Let a file replace a loaded document of the same identity from a different file.")
def load(db_path, paths, source_url, jobs, extractor, max_file_size, progress, manifest, replace):
    """Load disclosures (text or PDF files, or folders of them) into DB_PATH.

    Example:

        datasette budget load budget.db data/documents

    Loading a document again replaces its rows. Each document is written whole or not at
    all, so a file that fails leaves the database as it was and does not stop the batch.
    Only regular files are read: every other path met (a FIFO, a device, a folder that
    cannot be listed) is reported and skipped. A document is its department, year, level
    and phase: a different file of a loaded document's identity is refused unless
    --replace. Files of a folder that are not documents (README.md, .csv …) are skipped
    with a note.
    """
    from .loader import expand_paths, load_paths

    files, skipped = expand_paths(paths)
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
                            max_file_size=max_file_size, on_document=on_document, replace=replace,
                            identities=identities)
    finally:
        if bar:
            bar.__exit__(None, None, None)
    report["skipped"] = skipped + report["skipped"]
    for entry in report["loaded"]:
        for warning in entry["warnings"]:
            click.echo(f"warning: {warning}", err=True)
    click.echo(load_summary(report, db_path), err=True)
    for line in identity_lines(report):
        click.echo(line, err=True)
    errors = [e for e in report["skipped"] if "error" in e] + report["failed"]
    for entry in errors:
        click.echo(f"error: {entry['error']}", err=True)
    if errors:
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
    errors = [s for s in report["skipped"] if "error" in s]
    if errors:
        fields.append(f"{len(errors)} {'path' if len(errors) == 1 else 'paths'} skipped")
    notes = len(report["skipped"]) - len(errors)
    if notes:
        fields.append(f"{notes} {'file' if notes == 1 else 'files'} that {'is' if notes == 1 else 'are'} "
                      "not a document skipped")
    if report["files"]:
        summary = f"Loaded {len(report['loaded'])} of {report['files']} documents into {db_path}"
    else:
        summary = f"Found no file to load into {db_path}"
    return summary + (": " + "; ".join(fields) if fields else "") + "."


def _manifest_identities(manifest: str, files: list[Path]) -> dict:
    from .read.identity import ManifestError, manifest_identities

    try:
        return manifest_identities(manifest, files)
    except ManifestError as e:
        raise click.ClickException(str(e)) from e


def identity_lines(report: dict) -> list[str]:
    """What happened to identities: files of a folder skipped, documents reloaded from the same
    file, or replaced by a different one (--replace)."""
    lines = [f"note: {s['note']}" for s in report.get("skipped", []) if "note" in s]
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
