"""``datasette budget export``: a Fiscal Data Package and a zip of every table, from a real
database loaded by the real CLI.

The package is checked against the Fiscal Data Package JSON schema shipped by the datapackage
package (tests/fixtures/, see its README) and, as a generic Data Package, by frictionless.
Then its CSVs are summed again by the dimensions its model declares: the figures must be the
seed document's own (README: total 18,129,249 元 = basic 14,539,249 + project 3,590,000; 201
一般公共服务支出 13,931,481 元; 人员经费 10,333,579 元; "三公"经费 228,000 元).
"""
import csv
import hashlib
import io
import json
import os
import sqlite3
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from datasette.cli import cli

from conftest import SEED, SEED_SLUG, load
from variants import FAMILY, write_variant

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FDP_SCHEMA = json.loads((FIXTURES / "fiscal-data-package-datapackage-1.15.4.json").read_text(encoding="utf-8"))

SEED_TOTAL, SEED_BASIC, SEED_PROJECT = 18_129_249, 14_539_249, 3_590_000
SEED_201 = 13_931_481
SEED_PERSONNEL = 10_333_579  # 人员经费: 301 工资福利支出 + 303 对个人和家庭的补助, basic expenditure
SEED_SANGONG = 228_000
# "三公"经费 by 部门经济分类: 因公出国（境）费 30212, 公务接待费 30217, 公务用车运行维护费 30231,
# 公务用车购置 31013 (budget-domain notes)
SANGONG_CODES = {"30212", "30217", "30231", "31013"}


def export(db, out, *extra):
    return CliRunner().invoke(cli, ["budget", "export", str(db), str(out), *extra])


@pytest.fixture(scope="module")
def package_dir(budget_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fdp") / "seed-fdp"
    result = export(budget_db, out, "--format", "fdp")
    assert result.exit_code == 0, result.output
    return out


def read_package(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def rows_of(folder: Path, resource: str) -> list[dict]:
    package = read_package(folder)
    path = next(r["path"] for r in package["resources"] if r["name"] == resource)
    with open(folder / path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def dimension_of(model: dict, classification: str, title_word: str) -> dict:
    """The classification dimension whose type and title say what it is."""
    found = [
        d for d in model["dimensions"].values()
        if d.get("classificationType") == classification and title_word in d.get("title", "")
    ]
    assert len(found) == 1, f"{classification} {title_word}: {found}"
    return found[0]


def levels_of(dimension: dict) -> list[dict]:
    """A dimension's code attributes top first, following ``parent`` down the hierarchy."""
    codes = {name: a for name, a in dimension["attributes"].items() if "labelfor" not in a}
    top = [name for name, a in codes.items() if "parent" not in a]
    assert len(top) == 1, codes
    chain = [top[0]]
    while children := [n for n, a in codes.items() if a.get("parent") == chain[-1]]:
        chain += children
    assert chain[-1] == dimension["primaryKey"]
    return [codes[name] for name in chain]


def measure_of(model: dict, resource: str, source: str) -> dict:
    found = [m for m in model["measures"].values() if m["resource"] == resource and m["source"] == source]
    assert len(found) == 1, found
    return found[0]


def sum_by(folder: Path, measure: dict, attribute: dict | None = None) -> dict:
    """The measure summed per value of a dimension attribute (``None``: the grand total)."""
    assert attribute is None or attribute["resource"] == measure["resource"]
    sums: dict = defaultdict(Decimal)
    for row in rows_of(folder, measure["resource"]):
        key = row[attribute["source"]] if attribute else None
        sums[key] += Decimal(row[measure["source"]] or 0)
    return dict(sums)


# --- the Fiscal Data Package ------------------------------------------------------------


def test_the_package_is_a_valid_fiscal_data_package(package_dir):
    validator = jsonschema.Draft4Validator(FDP_SCHEMA)
    package = read_package(package_dir)
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(package)]
    assert errors == []
    # the schema does check: a currency that is not an ISO code is refused
    broken = json.loads(json.dumps(package))
    next(iter(broken["model"]["measures"].values()))["currency"] = "元"
    assert list(validator.iter_errors(broken))


def test_the_package_is_a_valid_data_package_for_frictionless(package_dir):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(package_dir / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:10]


def test_the_model_states_currency_phase_and_the_three_hierarchies(package_dir):
    package = read_package(package_dir)
    model = package["model"]
    assert package["countryCode"] == "CN"
    assert package["fiscalPeriod"] == {"start": "2021-01-01", "end": "2021-12-31"}
    assert {m["currency"] for m in model["measures"].values()} == {"CNY"}
    assert {m["phase"] for m in model["measures"].values()} == {"approved"}  # 预算
    assert {m["direction"] for m in model["measures"].values()} == {"expenditure"}

    functional = dimension_of(model, "functional", "功能分类")
    assert [a["source"] for a in levels_of(functional)] == ["function_class", "function_section", "function_code"]
    for economic, prefix in (("部门", "economic"), ("政府", "government")):
        dimension = dimension_of(model, "economic", economic)
        assert [a["source"] for a in levels_of(dimension)] == [f"{prefix}_class", f"{prefix}_code"]
    # each code attribute has a label attribute, and its column is in the resource's CSV
    for dimension in model["dimensions"].values():
        for name, attribute in dimension["attributes"].items():
            if attribute.get("resource") in ("function-expenditure", "economic-expenditure"):
                assert attribute["source"] in rows_of(package_dir, attribute["resource"])[0]
        codes = [n for n, a in dimension["attributes"].items() if "labelfor" not in a]
        if dimension.get("dimensionType") == "classification":
            assert {a["labelfor"] for a in dimension["attributes"].values() if "labelfor" in a} == set(codes)
    first = rows_of(package_dir, "function-expenditure")[0]
    assert (first["function_class"], first["function_class_name"]) == ("201", "一般公共服务支出")


def test_resumming_the_csvs_by_the_model_gives_the_seeds_figures(package_dir):
    model = read_package(package_dir)["model"]
    functional = levels_of(dimension_of(model, "functional", "功能分类"))
    department_economic = levels_of(dimension_of(model, "economic", "部门"))
    resource = functional[0]["resource"]

    total = measure_of(model, resource, "total")
    assert sum_by(package_dir, total) == {None: SEED_TOTAL}
    assert sum_by(package_dir, measure_of(model, resource, "basic")) == {None: SEED_BASIC}
    assert sum_by(package_dir, measure_of(model, resource, "project")) == {None: SEED_PROJECT}
    by_class = sum_by(package_dir, total, functional[0])
    assert by_class["201"] == SEED_201
    assert sum(by_class.values()) == SEED_TOTAL

    economic = department_economic[0]["resource"]
    basic_by_class = sum_by(package_dir, measure_of(model, economic, "basic"), department_economic[0])
    assert basic_by_class["301"] + basic_by_class["303"] == SEED_PERSONNEL
    by_item = sum_by(package_dir, measure_of(model, economic, "total"), department_economic[-1])
    assert sum(v for code, v in by_item.items() if code in SANGONG_CODES) == SEED_SANGONG
    # the economic view holds the same money as the functional one, once
    assert sum(by_item.values()) == SEED_TOTAL


def test_the_package_holds_no_declared_totals(package_dir):
    names = {r["function_name"] for r in rows_of(package_dir, "function-expenditure")}
    assert not any("合计" in n or n == "郑州市信访局" for n in names)
    assert {p.name for p in package_dir.iterdir()} == {
        "datapackage.json", "function-expenditure.csv", "economic-expenditure.csv", "documents.csv",
    }


@pytest.fixture(scope="module")
def family_db(tmp_path_factory) -> Path:
    """The seed, its 单位 (consolidated by it), 民政局's 2021 budget (×10) and final accounts (×9)."""
    folder = tmp_path_factory.mktemp("family-docs")
    for name in ("xinfang-2021", "xinfang-center-2021", "minzheng-2021", "minzheng-2021-final"):
        write_variant(folder, name, **FAMILY[name])
    db = tmp_path_factory.mktemp("family") / "family.db"
    result = load(db, folder)
    assert result.exit_code == 0, result.output
    return db


def test_many_documents_are_exported_without_counting_money_twice(family_db, tmp_path):
    result = export(family_db, tmp_path / "budget")
    assert result.exit_code == 0, result.output
    assert "1 决算 document(s)" in result.output and "--phase 决算" in result.output
    assert "1 单位 document(s)" in result.output
    model = read_package(tmp_path / "budget")["model"]
    functional = levels_of(dimension_of(model, "functional", "功能分类"))
    total = measure_of(model, functional[0]["resource"], "total")
    # 信访局 ×1 and 民政局 ×10; not the unit, whose money 信访局 holds, nor the 决算
    assert sum_by(tmp_path / "budget", total) == {None: 11 * SEED_TOTAL}
    assert sum_by(tmp_path / "budget", total, functional[0])["201"] == 11 * SEED_201

    result = export(family_db, tmp_path / "final", "--phase", "决算")
    assert result.exit_code == 0, result.output
    package = read_package(tmp_path / "final")
    assert {m["phase"] for m in package["model"]["measures"].values()} == {"executed"}
    assert sum_by(tmp_path / "final", measure_of(package["model"], total["resource"], "total")) == {None: 9 * SEED_TOTAL}
    assert [r["department"] for r in rows_of(tmp_path / "final", "documents")] == ["郑州市民政局"]


# --- the zip ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zip_path(budget_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zip") / "csv"
    result = export(budget_db, out, "--format", "zip")
    assert result.exit_code == 0, result.output
    (path,) = out.iterdir()
    assert path.name == "budget.zip"
    return path


def test_the_zip_holds_every_table_the_readme_lists(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        readme = zf.read("README.md").decode("utf-8")
        listed = {}
        for line in readme.splitlines():
            if line.startswith("| `") and ".csv`" in line:
                cells = [c.strip() for c in line.strip("|").split("|")]
                listed[cells[0].strip("`")] = int(cells[1])
        assert set(listed) == names - {"README.md"}
        for name, rows in listed.items():
            with zf.open(name) as f:
                assert sum(1 for _ in csv.reader(io.TextIOWrapper(f, encoding="utf-8"))) == rows + 1, name
        lines = list(csv.DictReader(io.TextIOWrapper(zf.open("function_expenditure.csv"), encoding="utf-8")))
    # the tables a user looks for are there, the search indexes are not
    for table in ("documents", "function_expenditure", "economic_expenditure", "declared_totals", "sangong_items",
                  "checks", "unparsed", "function_codes", "narrative"):
        assert f"{table}.csv" in names
    assert not any("_fts" in n for n in names)
    assert sum(Decimal(r["total"]) for r in lines) == SEED_TOTAL
    assert {r["total"] for r in lines if r["function_code"] == "2010308"} == {"3590000"}  # 信访事务, no ".0"


def test_the_zip_readme_names_units_and_source_documents(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        readme = zf.read("README.md").decode("utf-8")
    assert "Amounts are in 元" in readme
    assert "declared_totals.csv" in readme and "never to be summed with line items" in readme
    assert "郑州市信访局 2021年部门预算" in readme
    assert SEED.name in readme
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() in readme
    assert SEED_SLUG in readme


# --- bad input ------------------------------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("not a database", encoding="utf-8")
    result = export(db, tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {db} is not a SQLite database."
    assert not (tmp_path / "out").exists()
    assert db.read_text(encoding="utf-8") == "not a database"


def test_a_sqlite_database_without_budget_tables_is_refused(tmp_path):
    db = tmp_path / "other.db"
    sqlite3.connect(db).execute("create table dogs (name text)").connection.commit()
    before = db.read_bytes()
    for fmt in ("fdp", "zip"):
        result = export(db, tmp_path / fmt, "--format", fmt)
        assert result.exit_code == 1
        assert f"{db} is not a datasette-budget database: it has no documents table" in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not (tmp_path / fmt).exists()
    assert db.read_bytes() == before


def test_an_existing_non_empty_directory_is_refused_and_left_alone(budget_db, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me", encoding="utf-8")
    before = hashlib.sha256(budget_db.read_bytes()).hexdigest()
    result = export(budget_db, out)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {out} already exists and is not empty: give a new or empty directory."
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert hashlib.sha256(budget_db.read_bytes()).hexdigest() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary directory left behind


def test_an_empty_directory_is_filled(budget_db, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    result = export(budget_db, out)
    assert result.exit_code == 0, result.output
    assert (out / "datapackage.json").is_file()


def test_a_phase_that_is_not_loaded_is_refused(budget_db, tmp_path):
    result = export(budget_db, tmp_path / "out", "--phase", "决算")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {budget_db} holds no 决算 documents."


def test_a_missing_database_is_refused(tmp_path):
    result = export(tmp_path / "missing.db", tmp_path / "out")
    assert result.exit_code == 2
    assert "missing.db" in result.output and "does not exist" in result.output


# --- a real PDF of the corpus -------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SHENJIJU = CORPUS / "shanghai_shenjiju_2026_budget.pdf"


def expected_figures(doc: str) -> list[dict]:
    with open(CORPUS / "expected.csv", encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["doc"] == doc]


def test_a_real_pdf_exports_the_totals_it_prints(tmp_path):
    if not SHENJIJU.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHENJIJU} is absent")
        pytest.skip("the corpus in ../shared/corpus is absent")
    figures = expected_figures(SHENJIJU.stem)
    total = next(int(r["amount_yuan"]) for r in figures if r["table"] == "summary" and r["key"] == "total_expenditure")
    classes = {r["code"]: int(r["amount_yuan"]) for r in figures
               if r["table"] == "function_gpb" and r["key"] == "class_total"}
    # every 元 of this document is general public budget, so the all-funds table has the same classes
    assert sum(classes.values()) == total

    db = tmp_path / "corpus.db"
    assert load(db, SHENJIJU).exit_code == 0
    result = export(db, tmp_path / "fdp")
    assert result.exit_code == 0, result.output
    package = read_package(tmp_path / "fdp")
    assert list(jsonschema.Draft4Validator(FDP_SCHEMA).iter_errors(package)) == []
    functional = levels_of(dimension_of(package["model"], "functional", "功能分类"))
    measure = measure_of(package["model"], functional[0]["resource"], "total")
    assert sum_by(tmp_path / "fdp", measure) == {None: total}
    assert sum_by(tmp_path / "fdp", measure, functional[0]) == classes


def test_an_output_in_a_missing_folder_is_refused(budget_db, tmp_path):
    out = tmp_path / "no" / "such" / "out"
    result = export(budget_db, out, "--format", "zip")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {out.parent} does not exist: create it first."
    assert not (tmp_path / "no").exists()


def test_an_output_that_is_a_file_is_refused(budget_db, tmp_path):
    out = tmp_path / "file.txt"
    out.write_text("keep me", encoding="utf-8")
    result = export(budget_db, out)
    assert result.exit_code == 2  # click's own check of OUT_DIR
    assert f"Directory '{out}' is a file." in result.output
    assert out.read_text(encoding="utf-8") == "keep me"
