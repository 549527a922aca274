"""Standard data out: ``datasette budget export DB DIR --format fdp|zip``.

- ``fdp`` writes a Fiscal Data Package (https://specs.frictionlessdata.io/fiscal-data-package/):
  ``datapackage.json`` with its fiscal model and three CSVs. The model's measures are the
  expenditure amounts in 元 (currency CNY, phase ``approved`` for 预算, ``executed`` for 决算);
  its dimensions are the three classifications, each a hierarchy of code and label
  attributes (functional 类 → 款 → 项, department economic 类 → 款, government economic
  类 → 款), and the document, department and year.
- ``zip`` writes every table as CSV in one zip, with a README saying what each file is.

No money is counted twice in the package: its CSVs hold line items only (the document's own
合计 and subtotal rows stay in ``declared_totals``, which the package leaves out), one
expenditure table per classification (``function_budget_expenditure``, which repeats
``function_expenditure`` per fund, is left out), one phase, and per department and year either
the 部门 document or the 单位 documents it consolidates, never both (:mod:`comparisons`).

The database is opened read-only; DIR is written under a temporary name and renamed when
complete, so a failed export leaves nothing behind.

``export("budget.db", "out", "fdp")``
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote

from .comparisons import COUNTED_DOCUMENTS

FORMATS = ("fdp", "zip")
PHASES = {"预算": "approved", "决算": "executed"}
# derived caches of the line tables, rebuilt by the loader; not data of their own
DERIVED_TABLES = {"rollups", "rollup_state"}


class ExportError(Exception):
    """An export that cannot be done; the message is one sentence for the user."""


# --- the fiscal model ------------------------------------------------------------

DOCUMENT_FIELDS = [
    ("slug", "string", "文档标识 Document slug", "Stable identifier of the disclosure (部门-年度-层级阶段)."),
    ("title", "string", "文档 Document", "Title of the disclosure as loaded."),
    ("department", "string", "部门 Department", "The department or unit that published it."),
    ("unit_code", "string", "单位编码 Unit code", "Its budget unit code, as printed."),
    ("region", "string", "地区 Region", None),
    ("year", "integer", "年度 Fiscal year", "Calendar year (China's fiscal year runs January to December)."),
    ("phase", "string", "阶段 Phase", "预算 (budget) or 决算 (final accounts)."),
    ("level", "string", "层级 Level", "部门 (the department, consolidating its units) or 单位 (one unit)."),
    ("source_file", "string", "源文件 Source file", None),
    ("source_url", "string", "来源 Source URL", None),
    ("sha256", "string", "SHA-256", "Of the source file as loaded."),
    ("check_status", "string", "核对 Reconciliation", "pass, or fail when a figure disagrees with the document itself."),
    ("check_summary", "string", "核对结果 Reconciliation counts", "Checks passed, failed, unmatched and skipped."),
]

LINE_FIELDS = [
    ("document", "string", "文档标识 Document slug", "The document the row was printed in (documents.csv)."),
    ("department", "string", "部门 Department", None),
    ("year", "integer", "年度 Fiscal year", None),
]
AMOUNT_FIELDS = [
    ("total", "number", "合计（元）Total", "In 元, exact."),
    ("basic", "number", "基本支出（元）Basic expenditure", "In 元, exact: keeping the body running."),
    ("project", "number", "项目支出（元）Project expenditure", "In 元, exact."),
]
SOURCE_FIELDS = [
    ("page", "integer", "页 Page", "Page of the source document the row was printed on."),
    ("line", "integer", "行 Line", "Line of the extracted text the row was printed on."),
]

FUNCTION_FIELDS = LINE_FIELDS + [
    ("function_class", "string", "功能分类 类 Class code", "3 digits."),
    ("function_class_name", "string", "类名称 Class name", None),
    ("function_section", "string", "功能分类 款 Section code", "5 digits."),
    ("function_section_name", "string", "款名称 Section name", None),
    ("function_code", "string", "功能分类 项 Item code", "7 digits (the finest level the table printed)."),
    ("function_name", "string", "项名称 Item name", "As printed in the document."),
] + AMOUNT_FIELDS + SOURCE_FIELDS

ECONOMIC_FIELDS = LINE_FIELDS + [
    ("economic_class", "string", "部门经济分类 类 Class code", "3 digits."),
    ("economic_class_name", "string", "类名称 Class name", None),
    ("economic_code", "string", "部门经济分类 款 Item code", "5 digits."),
    ("economic_name", "string", "款名称 Item name", "As printed in the document."),
    ("government_class", "string", "政府经济分类 类 Class code", "3 digits."),
    ("government_class_name", "string", "类名称 Class name", None),
    ("government_code", "string", "政府经济分类 款 Item code", "5 digits."),
    ("government_name", "string", "款名称 Item name", "As printed in the document."),
] + AMOUNT_FIELDS + SOURCE_FIELDS

FUNCTION_SQL = """
select
  f.document, d.department, d.year,
  f.function_class, c.name as function_class_name,
  f.function_section, s.name as function_section_name,
  f.function_code, f.name as function_name,
  f.total, f.basic, f.project, f.page, f.line
from function_expenditure f
join documents d on d.slug = f.document
left join function_codes c on c.code = f.function_class
left join function_codes s on s.code = f.function_section
where f.document in (select slug from counted)
order by d.year, f.document, f.page, f.line, f.id
"""

ECONOMIC_SQL = """
select
  e.document, d.department, d.year,
  e.economic_class, c.name as economic_class_name,
  e.economic_code, e.economic_name,
  e.government_class, g.name as government_class_name,
  e.government_code, e.government_name,
  e.total, e.basic, e.project, e.page, e.line
from economic_expenditure e
join documents d on d.slug = e.document
left join economic_codes c on c.code = e.economic_class
left join government_economic_codes g on g.code = e.government_class
where e.document in (select slug from counted)
order by d.year, e.document, e.page, e.line, e.id
"""

DOCUMENTS_SQL = f"""
select {", ".join(name for name, *_ in DOCUMENT_FIELDS)}
from documents
where slug in (select slug from counted)
order by year, slug
"""

# The line resources of the package; ``measures`` prefixes the names of their measures.
FDP_RESOURCES = [
    {
        "name": "function-expenditure",
        "path": "function-expenditure.csv",
        "table": "function_expenditure",
        "description": "部门支出总体情况表: expenditure of all funds by 支出功能分类 项, in 元.",
        "fields": FUNCTION_FIELDS,
        "sql": FUNCTION_SQL,
        "measures": "function",
    },
    {
        "name": "economic-expenditure",
        "path": "economic-expenditure.csv",
        "table": "economic_expenditure",
        "description": "一般公共预算支出 by 部门经济分类 款 beside 政府经济分类 款, in 元. The same money as "
        "function-expenditure seen by economic classification (general public budget only): "
        "compare the two, never add them.",
        "fields": ECONOMIC_FIELDS,
        "sql": ECONOMIC_SQL,
        "measures": "economic",
    },
]

HIERARCHIES = {
    "functional_classification": (
        "function-expenditure", "functional", "支出功能分类 Functional classification (类 → 款 → 项)",
        [("class", "function_class", "function_class_name"),
         ("section", "function_section", "function_section_name"),
         ("item", "function_code", "function_name")],
    ),
    "economic_classification": (
        "economic-expenditure", "economic", "部门预算支出经济分类 Department economic classification (类 → 款)",
        [("class", "economic_class", "economic_class_name"), ("item", "economic_code", "economic_name")],
    ),
    "government_economic_classification": (
        "economic-expenditure", "economic", "政府预算支出经济分类 Government economic classification (类 → 款)",
        [("class", "government_class", "government_class_name"), ("item", "government_code", "government_name")],
    ),
}


def fiscal_model(phase: str) -> dict:
    """The FDP ``model``: measures (amounts in CNY) and dimensions (hierarchies of attributes)."""
    measures = {}
    for resource in FDP_RESOURCES:
        for source, _type, title, _description in AMOUNT_FIELDS:
            measures[f"{resource['measures']}_{source}"] = {
                "source": source,
                "resource": resource["name"],
                "title": title,
                "currency": "CNY",
                "factor": 1,
                "direction": "expenditure",
                "phase": PHASES[phase],
            }
    dimensions = {}
    for name, (resource, kind, title, levels) in HIERARCHIES.items():
        attributes, parent = {}, None
        for level, code, label in levels:
            attributes[level] = {"source": code, "resource": resource}
            if parent:
                attributes[level]["parent"] = parent
            attributes[f"{level}_label"] = {"source": label, "resource": resource, "labelfor": level}
            parent = level
        dimensions[name] = {
            "title": title,
            "attributes": attributes,
            "primaryKey": parent,
            "dimensionType": "classification",
            "classificationType": kind,
        }
    # joined to the line resources through their foreign key on document
    dimensions["document"] = {
        "title": "文档 Document",
        "attributes": {
            "slug": {"source": "slug", "resource": "documents"},
            "title": {"source": "title", "resource": "documents", "labelfor": "slug"},
            "level": {"source": "level", "resource": "documents"},
        },
        "primaryKey": "slug",
        "dimensionType": "other",
    }
    dimensions["department"] = {
        "title": "部门 Department (administrative classification)",
        "attributes": {
            "department": {"source": "department", "resource": "documents"},
            "unit_code": {"source": "unit_code", "resource": "documents"},
            "region": {"source": "region", "resource": "documents"},
        },
        "primaryKey": "department",
        "dimensionType": "entity",
        "classificationType": "administrative",
    }
    dimensions["fiscal_year"] = {
        "title": "年度 Fiscal year",
        "attributes": {"year": {"source": "year", "resource": "documents"}},
        "primaryKey": "year",
        "dimensionType": "datetime",
    }
    return {"measures": measures, "dimensions": dimensions}


# --- reading the database ---------------------------------------------------------


def open_budget_db(path: str | os.PathLike) -> sqlite3.Connection:
    """A read-only connection to a datasette-budget database, or an ExportError saying
    what the file is instead."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path} does not exist or is not a file.")
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise ExportError(f"{path} is not a SQLite database.") from None
        raise ExportError(f"{path} could not be read: {error}.") from None
    if "documents" not in tables:
        conn.close()
        raise ExportError(
            f"{path} is not a datasette-budget database: it has no documents table "
            "(create one with `datasette budget load`)."
        )
    if not conn.execute("select count(*) from documents").fetchone()[0]:
        conn.close()
        raise ExportError(f"{path} holds no documents: load some with `datasette budget load` first.")
    conn.row_factory = sqlite3.Row
    return conn


def csv_value(value) -> str:
    """A stored value as CSV text: whole 元 amounts without ``.0``, others as stored."""
    if value is None:
        return ""
    if isinstance(value, float):
        # stored amounts carry at most 分; repr is the shortest text that reads back exactly
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def write_csv(path: Path, columns: list[str], rows) -> int:
    with open(path, "w", encoding="utf-8", newline="") as f:
        return _write_rows(f, columns, rows)


def _write_rows(f, columns, rows) -> int:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
        count += 1
    return count


# --- the output directory ---------------------------------------------------------


def _check_output_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a directory.")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} already exists and is not empty: give a new or empty directory.")
    if not out_dir.parent.is_dir():
        raise ExportError(f"{out_dir.parent} does not exist: create it first.")


def _into_place(out_dir: Path, write) -> list[str]:
    """Run ``write(tmp_dir)`` in a temporary directory beside ``out_dir``, then move it into
    place; nothing is left behind if ``write`` fails."""
    _check_output_dir(out_dir)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as error:
        raise ExportError(f"{out_dir} cannot be created: {error.strerror}.") from None
    umask = os.umask(0)
    os.umask(umask)
    try:
        tmp.chmod(0o777 & ~umask)  # as mkdir would make it; mkdtemp makes it private
        lines = write(tmp)
        if out_dir.is_dir():
            out_dir.rmdir()  # empty, checked above
        tmp.rename(out_dir)
        return lines
    except OSError as error:
        raise ExportError(f"{out_dir} cannot be written: {error.strerror or error}.") from None
    except sqlite3.Error as error:
        raise ExportError(f"The database could not be read: {error}.") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


# --- Fiscal Data Package ------------------------------------------------------------


def default_phase(conn) -> str:
    """The phase the canned queries count with document empty: 预算, or 决算 when no 预算 is loaded."""
    return conn.execute("select phase from documents order by phase = '预算' desc limit 1").fetchone()[0]


def _package_name(db_path: Path, phase: str) -> str:
    stem = re.sub(r"[^-a-z0-9._]+", "-", db_path.stem.lower()).strip("-._") or "datasette-budget"
    return f"{stem}-{'budget' if phase == '预算' else 'final-accounts'}"


def _schema(fields) -> dict:
    out = []
    for name, type_, title, description in fields:
        field = {"name": name, "type": type_, "title": title}
        if description:
            field["description"] = description
        out.append(field)
    return {"fields": out, "missingValues": [""]}


def export_fdp(db_path, out_dir, phase: str | None = None) -> list[str]:
    """Write a Fiscal Data Package of the counted documents of one phase to ``out_dir``;
    returns the lines of a summary."""
    db_path, out_dir = Path(db_path), Path(out_dir)
    conn = open_budget_db(db_path)
    try:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        needed = [r["table"] for r in FDP_RESOURCES] + ["function_codes", "economic_codes", "government_economic_codes"]
        missing = [t for t in needed if t not in tables]
        if missing:
            raise ExportError(f"{db_path} has no {missing[0]} table, so it is not a datasette-budget database.")
        phase = phase or default_phase(conn)
        if phase not in PHASES:
            raise ExportError(f"phase must be 预算 or 决算; got {phase!r}.")
        counted = [r[0] for r in conn.execute(COUNTED_DOCUMENTS, {"phase": phase, "basis": ""})]
        if not counted:
            raise ExportError(f"{db_path} holds no {phase} documents.")
        conn.execute("create temp table counted (slug text primary key)")
        conn.executemany("insert into temp.counted values (?)", [(s,) for s in counted])
        return _into_place(out_dir, lambda tmp: _write_fdp(conn, db_path, tmp, out_dir, phase, counted))
    finally:
        conn.close()


def _write_fdp(conn, db_path: Path, tmp: Path, out_dir: Path, phase: str, counted: list[str]) -> list[str]:
    documents = [dict(r) for r in conn.execute(DOCUMENTS_SQL)]
    years = sorted({d["year"] for d in documents if d["year"]})
    left_out = _left_out(conn, phase)
    resources, counts = [], {}
    for resource in FDP_RESOURCES:
        path = resource["path"]
        counts[path] = write_csv(tmp / path, [f[0] for f in resource["fields"]], conn.execute(resource["sql"]))
        schema = _schema(resource["fields"])
        schema["foreignKeys"] = [{"fields": "document", "reference": {"resource": "documents", "fields": "slug"}}]
        resources.append({
            "name": resource["name"], "path": path, "profile": "tabular-data-resource", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "title": resource["table"],
            "description": resource["description"], "schema": schema,
        })
    counts["documents.csv"] = write_csv(
        tmp / "documents.csv", [f[0] for f in DOCUMENT_FIELDS], ([d[f[0]] for f in DOCUMENT_FIELDS] for d in documents)
    )
    documents_schema = _schema(DOCUMENT_FIELDS)
    documents_schema["primaryKey"] = "slug"
    resources.append({
        "name": "documents", "path": "documents.csv", "profile": "tabular-data-resource", "format": "csv",
        "mediatype": "text/csv", "encoding": "utf-8", "title": "documents",
        "description": "The documents whose rows the package holds.", "schema": documents_schema,
    })
    if len(documents) == 1:
        title = f"{documents[0]['title']}：支出 Expenditure"
    else:
        span = (f"{years[0]}" if years[0] == years[-1] else f"{years[0]}–{years[-1]}") if years else ""
        title = f"{len(documents)} 份{phase}文档 {phase} documents {span}：支出 Expenditure".replace("  ", " ")
    description = (
        f"Expenditure of {len(documents)} {phase} ({PHASES[phase]}) document(s), loaded by "
        "datasette-budget from the published disclosures. Amounts are in 元 (CNY), exact. "
        "Line items only: the documents' own 合计 and subtotal rows are not included, so sums "
        "never count money twice. function-expenditure and economic-expenditure classify the "
        "same money two ways: sum either, never both."
    )
    if left_out:
        description += " Left out: " + "; ".join(left_out) + "."
    package = {
        "profile": "tabular-data-package",
        "name": _package_name(db_path, phase),
        "title": title,
        "description": description,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "countryCode": "CN",
        "granularity": "aggregated",
        "keywords": ["budget", "部门预算" if phase == "预算" else "部门决算", "China"],
        "sources": [_source(d) for d in documents],
        "resources": resources,
        "model": fiscal_model(phase),
    }
    if years:
        package["fiscalPeriod"] = {"start": f"{years[0]}-01-01", "end": f"{years[-1]}-12-31"}
    (tmp / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    files = ", ".join(f"{path} {n} row{'' if n == 1 else 's'}" for path, n in counts.items())
    lines = [f"Wrote a Fiscal Data Package of {len(documents)} {phase} document(s) to {out_dir}: {files}."]
    lines += [f"Left out: {item}." for item in left_out]
    return lines


def _source(document: dict) -> dict:
    source = {"title": document["title"] or document["slug"]}
    if document.get("source_url"):
        source["path"] = document["source_url"]
    return source


def _left_out(conn, phase: str) -> list[str]:
    """What the package does not hold, and why (so that no money is counted twice)."""
    out = []
    other = conn.execute(
        "select phase, count(*) from documents where phase != ? group by phase", [phase]
    ).fetchall()
    for other_phase, n in other:
        out.append(f"{n} {other_phase} document(s), another phase (export them with --phase {other_phase})")
    consolidated = conn.execute(
        "select count(*) from documents where phase = ? and slug not in (select slug from temp.counted)", [phase]
    ).fetchone()[0]
    if consolidated:
        out.append(f"{consolidated} 单位 document(s) whose money their loaded 部门 document already holds")
    return out


# --- every table as CSV in a zip ---------------------------------------------------------

TABLE_DESCRIPTIONS = {
    "documents": "one row per document: slug, department, unit code, region, year, phase (预算/决算), level (部门/单位), source file, sha256, load time",
    "document_tables": "each standard table of each document: title as printed, unit as printed (元 or 万元), page, columns, loaded / empty / missing",
    "function_expenditure": "部门支出总体情况表: expenditure by 功能分类 项, basic and project columns",
    "function_budget_expenditure": "the same per fund (一般公共预算, 政府性基金预算, 国有资本经营预算 支出情况表); repeats function_expenditure, never add the two",
    "function_income": "部门收入总体情况表: income by function and source",
    "economic_expenditure": "一般公共预算支出 by 部门经济分类 beside 政府经济分类 (the same money as function_expenditure, classified by economic nature)",
    "economic_basic_expenditure": "一般公共预算基本支出情况表",
    "appropriation_expenditure": "财政拨款支出表（功能科目）: the 财政拨款 part of function_expenditure, never add the two",
    "appropriation_basic_expenditure": "财政拨款基本支出表（经济科目）: 财政拨款 基本支出 by economic code",
    "project_economic_expenditure": "一般公共预算项目支出情况表（按经济分类科目）: 项目支出 by economic code",
    "running_cost_expenditure": "一般公共预算机关运行经费支出预算表: 机关运行经费 by economic code",
    "department_basic_expenditure": "部门预算基本支出预算表: 基本支出 of each unit by 支出项目类别 as printed",
    "project_expenditure": "项目支出预算表: one row per project (unit, functional code, amounts by source, 绩效目标)",
    "summary_items": "收支总表 and 财政拨款收支总表",
    "sangong_items": "\"三公\"经费 (rows of depth 2 are parts of the row above them)",
    "procurement_items": "政府采购",
    "declared_totals": "合计 rows, the department row and 类/款 subtotals: the document's own totals, kept for checks and never to be summed with line items",
    "checks": "reconciliation of every figure against the document itself",
    "prior_year": "prior-year figures implied by the narrative",
    "unparsed": "lines inside tables that could not be read as rows, with page, line and reason",
    "function_codes": "支出功能分类 codes: names from the documents first, then the reference list (verified = 0: unverified list)",
    "economic_codes": "部门预算支出经济分类 codes",
    "government_economic_codes": "政府预算支出经济分类 codes",
    "duties": "主要职能 from the narrative",
    "organisation": "内设机构 and 下属单位 from the narrative",
    "staffing": "编制 and staff numbers from the narrative",
    "vehicles": "公务用车 from the narrative",
    "glossary": "名词解释 from the narrative",
    "narrative": "the narrative (说明) paragraphs",
    "performance_targets": "绩效目标 forms",
    "performance_indicators": "绩效目标 indicators",
}


def data_tables(conn) -> list[str]:
    """Every table that holds data: not full-text indexes (virtual tables and their shadow
    tables) and not the rollups, which are sums the loader derives from the line tables."""
    rows = conn.execute("select name, sql from sqlite_master where type = 'table' order by name").fetchall()
    virtual = [r["name"] for r in rows if (r["sql"] or "").upper().startswith("CREATE VIRTUAL TABLE")]
    return [
        r["name"] for r in rows
        if r["name"] not in virtual
        and not any(r["name"].startswith(v + "_") for v in virtual)
        and r["name"] not in DERIVED_TABLES and r["name"] != "sqlite_stat1"
    ]


def export_zip(db_path, out_dir) -> list[str]:
    """Write ``<db name>.zip`` to ``out_dir``: every data table as CSV, and README.md."""
    db_path, out_dir = Path(db_path), Path(out_dir)
    conn = open_budget_db(db_path)
    try:
        return _into_place(out_dir, lambda tmp: _write_zip(conn, db_path, tmp, out_dir))
    finally:
        conn.close()


def _write_zip(conn, db_path: Path, tmp: Path, out_dir: Path) -> list[str]:
    from datasette.utils import escape_sqlite

    tables = data_tables(conn)
    name = f"{db_path.stem}.zip"
    now = datetime.datetime.now()
    counts = {}
    with zipfile.ZipFile(tmp / name, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table in tables:
            cursor = conn.execute(f"select * from {escape_sqlite(table)} order by rowid")
            columns = [c[0] for c in cursor.description]
            info = zipfile.ZipInfo(f"{table}.csv", date_time=now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as f:
                counts[table] = (_write_rows(f, columns, cursor), columns)
        zf.writestr("README.md", zip_readme(conn, db_path, counts))
    return [f"Wrote {out_dir / name}: {len(tables)} tables as CSV and README.md."]


def zip_readme(conn, db_path: Path, counts: dict[str, tuple[int, list[str]]]) -> str:
    documents = conn.execute(
        "select slug, title, phase, level, source_file, source_url, sha256 from documents order by year, slug"
    ).fetchall()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# {db_path.name}: every table as CSV",
        "",
        f"Exported by datasette-budget from `{db_path.name}` on {now}.",
        "",
        "- **Amounts are in 元 (yuan, CNY)**, exact, in every file: tables printed in 万元 were",
        "  converted with decimal arithmetic. The unit each table was printed in is the `unit`",
        "  column of `document_tables.csv`.",
        "- Files are UTF-8, comma-separated, with a header row; an empty cell is no value. Codes",
        "  are text (`2010301`, `30211`): keep them as text so no leading digit is lost.",
        "- Every line item has `document` (a slug in `documents.csv`), `page` and `line`: where",
        "  it was printed in the source document.",
        "- Line tables never hold the same money twice: the documents' own 合计 and subtotal rows",
        "  are in `declared_totals.csv`, not in the line tables. Do not add `function_budget_expenditure`",
        "  to `function_expenditure` (it repeats it per fund), nor `economic_expenditure` to either",
        "  (the same money by economic classification). A 部门 document consolidates its 单位",
        "  documents, and a 决算 restates its 预算: sum one phase, and per department and year either",
        "  the 部门 document or its 单位 documents.",
        "",
        "## Source documents",
        "",
        "| slug | title | phase | level | source file | source URL | sha256 |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in documents:
        lines.append("| " + " | ".join(_cell(d[k]) for k in d.keys()) + " |")
    lines += ["", "## Files", "", "| file | rows | what | columns |", "|---|---|---|---|"]
    for table, (rows, columns) in counts.items():
        what = TABLE_DESCRIPTIONS.get(table, "")
        lines.append(f"| `{table}.csv` | {rows} | {_cell(what)} | {', '.join(columns)} |")
    lines += [
        "",
        "Not included: the full-text search indexes (`*_fts`) and `rollups`, sums that the loader",
        "derives from the line tables.",
        "",
    ]
    return "\n".join(lines)


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def export(db_path, out_dir, fmt: str = "fdp", phase: str | None = None) -> list[str]:
    """Export ``db_path`` to ``out_dir`` as ``fdp`` or ``zip``; returns the summary lines."""
    if fmt == "fdp":
        return export_fdp(db_path, out_dir, phase)
    if fmt == "zip":
        if phase:
            raise ExportError("--phase applies to --format fdp only: the zip holds every document.")
        return export_zip(db_path, out_dir)
    raise ExportError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
