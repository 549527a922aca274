"""Who a document is: department, year, phase, level and region, read from what the document
prints to say so; what loading does when an identity is already loaded (the same file again, or
a different file); a manifest that says it instead; files of a folder that are no documents; and
scanned PDFs.

The corpus identities come from the corpus README's table of files (../shared/corpus/README.md):
its department column "as printed" (a note in brackets after the name is not part of it), year,
phase (budget = 预算, final = 决算, with the level 部门预算 / 单位预算 in brackets where it gives one)
and city. Tests of the corpus skip without it, except under CI=true, where they fail.
"""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path

import pytest

from conftest import SEED, SEED_SLUG, load
from corpus import SEED_DEPARTMENT, department_copy
from datasette_budget.documents import read_document
from datasette_budget.read.identity import describe, slug_for

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
README = CORPUS / "README.md"
PHASES = {"budget": "预算", "final": "决算"}


def _readme_documents() -> list[dict]:
    """Every row of the README's table of files."""
    if not README.exists():
        return []
    documents = []
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not cells[0].endswith(".pdf"):
            continue
        level = re.search(r"\((部门|单位)预算\)", cells[4])
        documents.append({
            "file": cells[0],
            "region": cells[1].split()[0] + "市",  # 苏州 (江苏) → 苏州市
            "department": re.sub(r"\s*\(.*\)\s*$", "", cells[2]),
            "year": int(cells[3]),
            "phase": PHASES[cells[4].split()[0]],
            "level": level.group(1) if level else None,
        })
    return documents


README_DOCUMENTS = _readme_documents()


def _needs_corpus():
    if README.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the corpus is missing: expected {CORPUS.name}/README.md beside the repository")
    pytest.skip("the corpus (../shared/corpus) is not here")


def _errors(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _query(db_path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# --- the corpus: every document is who its README row says --------------------------------


def test_the_readme_lists_every_corpus_document():
    _needs_corpus()
    assert sorted(d["file"] for d in README_DOCUMENTS) == sorted(p.name for p in CORPUS.glob("*.pdf"))
    assert len(README_DOCUMENTS) == 55


@pytest.mark.parametrize("document", README_DOCUMENTS, ids=[d["file"] for d in README_DOCUMENTS])
def test_corpus_document_identity(document):
    _needs_corpus()
    meta = describe(read_document(CORPUS / document["file"]).lines)
    assert (meta["department"], meta["year"], meta["phase"], meta["region"]) == (
        document["department"], document["year"], document["phase"], document["region"])
    if document["level"]:
        assert meta["level"] == document["level"]


def test_a_department_and_its_own_unit_get_different_identities():
    # 苏州市自然资源和规划局 prints the same name on its 部门预算 and on its 本级 unit's 单位预算;
    # 泉州's 本级 units print （本级）. Each pair is two documents, by level.
    _needs_corpus()
    pairs = [("suzhou_ziranziyuanguihuaju_2026_budget.pdf", "suzhou_ziranziyuanguihuaju_benji_2026_budget.pdf"),
             ("quanzhou_zhengfubangongshi_2026_budget.pdf", "quanzhou_zhengfubangongshi_benji_2026_budget.pdf"),
             ("quanzhou_gonganju_2026_budget.pdf", "quanzhou_gonganju_benji_2026_budget.pdf")]
    for department_file, unit_file in pairs:
        department = describe(read_document(CORPUS / department_file).lines)
        unit = describe(read_document(CORPUS / unit_file).lines)
        assert (department["level"], unit["level"]) == ("部门", "单位")
        assert slug_for(department) != slug_for(unit)
    suzhou = describe(read_document(CORPUS / pairs[0][1]).lines)
    assert slug_for(suzhou) == "苏州市自然资源和规划局-2026-单位预算"


def test_loading_the_whole_corpus_keeps_55_distinct_documents(tmp_path):
    """Through the CLI, the folder as it is (README.md and expected.csv beside the PDFs): 55
    documents, each with its README identity; today's main kept 20 (25 上海 units shared a slug)."""
    _needs_corpus()
    db_path = tmp_path / "corpus.db"
    result = load(db_path, CORPUS)
    assert "Loaded 55 of 55 documents" in result.output, result.output[-3000:]
    assert _errors(result) == []
    assert result.exit_code == 0
    for name in ("README.md", "expected.csv"):
        assert f"note: {CORPUS / name}: skipped, not a document" in result.output
    found = {row[0]: row[1:] for row in _query(
        db_path, "select source_file, slug, department, year, phase, level, region from documents")}
    assert len(found) == 55 and len({slug for slug, *_ in found.values()}) == 55
    for document in README_DOCUMENTS:
        slug, department, year, phase, level, region = found[document["file"]]
        assert (department, year, phase, region) == (
            document["department"], document["year"], document["phase"], document["region"]), document["file"]
        assert slug == f"{department}-{year}-{level}{phase}"
        if document["level"]:
            assert level == document["level"], document["file"]


@pytest.mark.parametrize("printed, expected", [
    # title forms: department first or year first, 年度, 公开 / 表 / 情况说明, a bracket after, a cover over lines
    (["郑州市民政局2024年部门预算公开说明"], ("郑州市民政局", 2024, "预算", "部门")),
    (["2024年度郑州市民政局部门决算（草案）"], ("郑州市民政局", 2024, "决算", "部门")),
    (["郑州市民政局 2024 年度部门决算公开表"], ("郑州市民政局", 2024, "决算", "部门")),
    (["2026 年度", "泉州市市场监管综合监测", "与技术保障中心", "单位预算"],
     ("泉州市市场监管综合监测与技术保障中心", 2026, "预算", "单位")),
    # a label names the department; a regional title gives only year, level and phase
    (["上海市2026年市级单位预算", "预算单位：上海市审计局"], ("上海市审计局", 2026, "预算", "单位")),
    # narrative sentences name nothing (the issue: a phrase after 纳入, "我局无 2021年预算安排")
    (["纳入郑州市民政局2024年部门预算编制范围的单位共3个。"], (None, None, None, "部门")),
    (["我局无 2021年预算安排的专项转移支付项目。"], (None, None, None, "部门")),
])
def test_identity_comes_from_titles_and_labels_not_sentences(printed, expected):
    from datasette_budget.documents import Line

    meta = describe([Line(1, n, text) for n, text in enumerate(printed, start=1)])
    assert (meta["department"], meta["year"], meta["phase"], meta["level"]) == expected


# --- names, reloads and conflicts, with the seed -------------------------------------------------


def test_the_seed_keeps_its_slug(tmp_path):
    result = load(tmp_path / "b.db", SEED)
    assert result.exit_code == 0, result.output
    assert _query(tmp_path / "b.db", "select slug, department, year, phase, level, region, unit_code "
                  "from documents") == [(SEED_SLUG, "郑州市信访局", 2021, "预算", "部门", "郑州市", "034001")]


def test_digits_in_a_name_are_part_of_it(tmp_path):
    # the seed's narrative has "我局无 2021年预算安排的专项转移支付项目。": a sentence, not a title
    folder = tmp_path / "schools"
    folder.mkdir()
    for n, name in enumerate(["郑州市第47中学", "郑州市第8中学", "郑州市101中学"]):
        (folder / f"{n}.txt").write_text(department_copy(name), encoding="utf-8")
    db_path = tmp_path / "b.db"
    result = load(db_path, folder)
    assert result.exit_code == 0, result.output
    assert "Loaded 3 of 3 documents" in result.output
    assert _query(db_path, "select slug, department from documents order by source_file") == [
        ("郑州市第47中学-2021-部门预算", "郑州市第47中学"),
        ("郑州市第8中学-2021-部门预算", "郑州市第8中学"),
        ("郑州市101中学-2021-部门预算", "郑州市101中学"),
    ]


def _other_copy(tmp_path: Path) -> Path:
    """A different file of the seed's identity: the seed with its 三公 figure restated."""
    other = tmp_path / "xinfang-corrected.txt"
    other.write_text(SEED.read_text(encoding="utf-8").replace("22.80万元", "22.8万元"), encoding="utf-8")
    assert _sha(other) != _sha(SEED)
    return other


def test_loading_the_same_file_again_replaces_it_and_says_so(tmp_path):
    db_path = tmp_path / "b.db"
    first = load(db_path, SEED)
    assert first.exit_code == 0 and "reloaded" not in first.output
    rows = _query(db_path, "select count(*) from function_expenditure")
    again = load(db_path, SEED)
    assert again.exit_code == 0, again.output
    assert f"reloaded: {SEED_SLUG} from {SEED.name} again; its rows were replaced" in again.output
    assert _query(db_path, "select slug from documents") == [(SEED_SLUG,)]
    assert _query(db_path, "select count(*) from function_expenditure") == rows == [(7,)]


def test_a_copy_of_a_loaded_file_under_another_name_is_the_same_file(tmp_path):
    db_path = tmp_path / "b.db"
    assert load(db_path, SEED).exit_code == 0
    copy = tmp_path / "downloaded-again.txt"
    copy.write_bytes(SEED.read_bytes())
    result = load(db_path, copy)
    assert result.exit_code == 0, result.output
    assert (f"reloaded: {SEED_SLUG} from {copy.name}, the same content as {SEED.name}; its rows were replaced"
            in result.output)
    assert _query(db_path, "select slug, source_file from documents") == [(SEED_SLUG, copy.name)]


def test_a_different_file_of_a_loaded_identity_is_refused_naming_both(tmp_path):
    db_path = tmp_path / "b.db"
    assert load(db_path, SEED).exit_code == 0
    before = _sha(db_path)
    other = _other_copy(tmp_path)
    result = load(db_path, other)
    assert result.exit_code == 1
    assert _errors(result) == [
        f"error: {other}: {SEED_SLUG} is already loaded from {SEED.name}, a different file; give --replace "
        "to replace it with this one, or a --manifest row that gives this file its own department, year, "
        "level or phase"]
    assert _sha(db_path) == before


def test_two_files_of_one_identity_in_one_batch_load_the_first_and_refuse_the_second(tmp_path):
    db_path = tmp_path / "b.db"
    other = _other_copy(tmp_path)
    result = load(db_path, SEED, other)
    assert result.exit_code == 1
    assert "Loaded 1 of 2 documents" in result.output
    assert len(_errors(result)) == 1 and f"error: {other}: {SEED_SLUG} is already loaded from {SEED.name}" in result.output
    assert _query(db_path, "select source_file from documents") == [(SEED.name,)]


def test_replace_lets_a_different_file_replace_the_document_and_says_so(tmp_path):
    db_path = tmp_path / "b.db"
    assert load(db_path, SEED).exit_code == 0
    other = _other_copy(tmp_path)
    result = load(db_path, other, extra=["--replace"])
    assert result.exit_code == 0, result.output
    assert f"replaced: {SEED_SLUG} loaded from {SEED.name} is replaced by {other.name} (--replace)" in result.output
    assert _query(db_path, "select slug, source_file, sha256 from documents") == [(SEED_SLUG, other.name, _sha(other))]
    assert _query(db_path, "select count(*) from function_expenditure where document = ?", [SEED_SLUG]) == [(7,)]


# --- a manifest ---------------------------------------------------------------------------------


def _manifest(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_manifest_overrides_what_was_detected(tmp_path):
    unit = tmp_path / "center.txt"
    unit.write_text(department_copy("郑州市信访应急处置中心"), encoding="utf-8")
    manifest = _manifest(tmp_path, (
        "file,department,year,phase,level,region,source_url\n"
        "center.txt,,2022,final,单位,,https://example.org/center.pdf\n"
        f"{SEED.name},,,,,河南省郑州市,\n"))
    db_path = tmp_path / "b.db"
    result = load(db_path, unit, SEED, extra=["--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert _query(db_path, "select slug, department, year, phase, level, region, source_url from documents "
                  "order by slug") == [
        ("郑州市信访局-2021-部门预算", "郑州市信访局", 2021, "预算", "部门", "河南省郑州市", None),
        ("郑州市信访应急处置中心-2022-单位决算", "郑州市信访应急处置中心", 2022, "决算", "单位", "郑州市",
         "https://example.org/center.pdf"),
    ]


def test_a_manifest_reaches_documents_read_in_worker_processes(tmp_path):
    folder = tmp_path / "family"
    folder.mkdir()
    for name in ("郑州市民政局", "郑州市财政局", "郑州市审计局"):
        (folder / f"{name}.txt").write_text(department_copy(name), encoding="utf-8")
    manifest = _manifest(tmp_path, "file,phase,source_url\n郑州市财政局.txt,决算,https://example.org/caizheng\n")
    db_path = tmp_path / "b.db"
    result = load(db_path, folder, extra=["--jobs", "2", "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert _query(db_path, "select slug, source_url from documents order by slug") == sorted([
        ("郑州市民政局-2021-部门预算", None), ("郑州市财政局-2021-部门决算", "https://example.org/caizheng"),
        ("郑州市审计局-2021-部门预算", None)])


def test_a_document_without_a_department_names_the_missing_field_and_the_manifest(tmp_path):
    # the seed with its department's name removed everywhere it is printed
    nameless = tmp_path / "nameless.txt"
    nameless.write_text(SEED.read_text(encoding="utf-8").replace(SEED_DEPARTMENT, ""), encoding="utf-8")
    db_path = tmp_path / "b.db"
    result = load(db_path, nameless)
    assert result.exit_code == 1
    [error] = _errors(result)
    assert error.startswith(f"error: {nameless}: could not tell the department")
    assert "--manifest" in error and "department" in error
    assert not db_path.exists()
    manifest = _manifest(tmp_path, "file,department\nnameless.txt,郑州市无名局\n")
    result = load(db_path, nameless, extra=["--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert _query(db_path, "select slug, region from documents") == [("郑州市无名局-2021-部门预算", "郑州市")]


def test_a_document_without_a_year_names_the_year_and_the_manifest(tmp_path):
    yearless = tmp_path / "yearless.txt"
    yearless.write_text(re.sub(r"20\d\d\s*年度?", "", SEED.read_text(encoding="utf-8")), encoding="utf-8")
    result = load(tmp_path / "b.db", yearless)
    assert result.exit_code == 1
    [error] = _errors(result)
    assert error.startswith(f"error: {yearless}: could not tell the year")
    assert "--manifest" in error
    manifest = _manifest(tmp_path, "file,year\nyearless.txt,2021\n")
    result = load(tmp_path / "b.db", yearless, extra=["--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert _query(tmp_path / "b.db", "select slug from documents") == [(SEED_SLUG,)]


@pytest.mark.parametrize("text, sentence", [
    ("file,dept\nzhengzhou-xinfang-2021-budget.txt,郑州市信访局\n",
     "manifest.csv: the manifest has no column 'dept'; expected columns file, department, year, phase, level, "
     "region, source_url (file required, the others optional)"),
    ("file,department\nxinfang-2020.txt,郑州市信访局\n",
     "manifest.csv, line 2: names xinfang-2020.txt, which is not among the files being loaded; expected the "
     "name of one of them"),
    ("file,year\nzhengzhou-xinfang-2021-budget.txt,二〇二一\n",
     "manifest.csv, line 2: year '二〇二一' is not a year; expected four digits such as 2026"),
])
def test_a_manifest_that_cannot_be_used_is_one_sentence_and_nothing_is_loaded(tmp_path, text, sentence):
    db_path = tmp_path / "b.db"
    assert load(db_path, SEED).exit_code == 0
    before = _sha(db_path)
    manifest = _manifest(tmp_path, text)
    result = load(db_path, SEED, extra=["--manifest", str(manifest)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {tmp_path}/{sentence}"]
    assert _sha(db_path) == before


# --- folders ----------------------------------------------------------------------------------


def test_files_of_a_folder_that_are_not_documents_are_skipped_with_a_note(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "xinfang.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "README.md").write_text("# 2021 budgets\n", encoding="utf-8")
    (folder / "figures.csv").write_text("code,amount\n201,13931481\n", encoding="utf-8")
    (folder / "index.json").write_text("{}", encoding="utf-8")
    result = load(tmp_path / "b.db", folder)
    assert result.exit_code == 0, result.output
    assert "Loaded 1 of 1 documents" in result.output
    assert _errors(result) == []
    notes = sorted(line for line in result.output.splitlines() if line.startswith("note:"))
    assert notes == [f"note: {folder / name}: skipped, not a document (expected .pdf, .text, .txt files in a folder)"
                     for name in ("README.md", "figures.csv", "index.json")]


# --- scanned PDFs ------------------------------------------------------------------------------


def _scanned_page():
    from PIL import Image, ImageDraw

    image = Image.new("L", (620, 877), 255)  # an A4 page at 75 dpi: a table's rules, no text layer
    draw = ImageDraw.Draw(image)
    for y in range(80, 800, 30):
        draw.line((40, y, 580, y), fill=0)
    for x in (40, 300, 440, 580):
        draw.line((x, 80, x, 770), fill=0)
    return image


def test_an_image_only_pdf_names_its_pages_and_says_ocr_is_needed(tmp_path):
    scan = tmp_path / "scan.pdf"
    pages = [_scanned_page() for _ in range(3)]
    pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=75)
    db_path = tmp_path / "b.db"
    assert load(db_path, SEED).exit_code == 0
    before = _sha(db_path)
    result = load(db_path, scan)
    assert result.exit_code == 1
    assert _errors(result) == [
        f"error: {scan}: pages 1–3 (all its pages) have no text layer, only images (a scanned document); "
        "OCR is needed first: run it through OCR to add a text layer, then load it again"]
    assert _sha(db_path) == before


def _with_scanned_pages(source: Path, target: Path, scanned: range) -> None:
    """``source`` with the pages of ``scanned`` (0-based) replaced by images of themselves."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source)
    out = pdfium.PdfDocument.new()
    for index in range(len(pdf)):
        if index not in scanned:
            out.import_pages(pdf, [index])
            continue
        width, height = pdf[index].get_size()
        page = out.new_page(width, height)
        image = pdfium.PdfImage.new(out)
        image.set_bitmap(pdf[index].render(scale=1))
        image.set_matrix(pdfium.PdfMatrix().scale(width, height))
        page.insert_obj(image)
        page.gen_content()
    out.save(target)


def test_a_pdf_whose_tables_are_scanned_names_those_pages(tmp_path):
    # a real disclosure whose cover and contents have text, its 18 other pages scanned
    _needs_corpus()
    mostly = tmp_path / "mostly-scanned.pdf"
    _with_scanned_pages(CORPUS / "shanghai_shenjiju_2026_budget.pdf", mostly, range(2, 20))
    result = load(tmp_path / "b.db", mostly)
    assert result.exit_code == 1
    assert _errors(result) == [
        f"error: {mostly}: pages 3–20 of 20 have no text layer, only images (a scanned document); "
        "OCR is needed first: run it through OCR to add a text layer, then load it again"]


def test_a_few_scanned_pages_are_a_warning_naming_them_and_the_rest_loads(tmp_path):
    _needs_corpus()
    partly = tmp_path / "partly-scanned.pdf"
    _with_scanned_pages(CORPUS / "shanghai_shenjiju_2026_budget.pdf", partly, range(18, 20))
    db_path = tmp_path / "b.db"
    result = load(db_path, partly)
    assert result.exit_code == 0, result.output
    # the terminal names the file by its full path
    assert (f"warning: {partly}: pages 19–20 have no text layer, only images (scanned); what they "
            "show is not read: OCR them to load it") in result.output
    assert _query(db_path, "select slug from documents") == [("上海市审计局-2026-单位预算",)]
