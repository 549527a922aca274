"""PDF → lines: one table row per line, page by page, with either extractor.

The expected lines were read off the rendered sample pages.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from datasette_budget.pdf_text import EXTRACTORS, PdfError, extract_pages

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
BUDGET = SAMPLES / "shanghai_putuo_wanli_jiedao_2024_dept_budget.pdf"
JUESUAN = SAMPLES / "shanghai_putuo_ghzyj_2024_juesuan.pdf"

needs_samples = pytest.mark.skipif(
    not (BUDGET.exists() and JUESUAN.exists()), reason="sample PDFs in ../shared/samples are absent"
)
extractors = pytest.mark.parametrize("extractor", EXTRACTORS)


@pytest.fixture(scope="module")
def pages():
    """Both samples through each extractor, read once."""
    cache: dict[tuple[str, str], list[list[str]]] = {}

    def get(path: Path, extractor: str) -> list[list[str]]:
        if (path.name, extractor) not in cache:
            cache[path.name, extractor] = extract_pages(path, extractor)
        return cache[path.name, extractor]

    return get


@needs_samples
@extractors
def test_page_counts(pages, extractor):
    assert len(pages(BUDGET, extractor)) == 33
    assert len(pages(JUESUAN, extractor)) == 30


@needs_samples
@extractors
def test_budget_rows_are_one_per_line(pages, extractor):
    # pypdfium2's get_text_range() returns this whole page as a single line.
    page_12 = pages(BUDGET, extractor)[11]
    assert page_12[0] == "201 38 02 一般行政管理事务 135,200 135,200 0 0 0"
    assert "204 06 07 公共法律服务 300,000 300,000 0 0 0" in page_12
    assert page_12[-1] == "208 05 01 行政单位离退休 243,120 243,120 0 0 0"
    assert len(page_12) == 18
    assert "合计 99,706,020 88,537,451 11,168,569" in pages(BUDGET, extractor)[29]


@needs_samples
@extractors
def test_budget_titles_and_sangong_figures(pages, extractor):
    budget = pages(BUDGET, extractor)
    assert budget[10][:2] == [
        "2024年部门收入预算总表",
        "编制部门：上海市普陀区人民政府万里街道办事处 单位：元",
    ]
    assert "47.91 0 1.35 46.56 25 21.56 443.18" in budget[30]


@needs_samples
@extractors
def test_juesuan_expenditure_rows(pages, extractor):
    juesuan = pages(JUESUAN, extractor)
    assert juesuan[9][0] == "支出决算表"
    assert "2120101 行政运行 1105.68 1096.91 8.77" in juesuan[10]
    # A long name wraps: its second half is the next line.
    page_8 = juesuan[7]
    row = page_8.index("2080505 机关事业单位基本养老保险缴 446.11 446.11")
    assert page_8[row + 1] == "费支出"


@needs_samples
@extractors
def test_juesuan_two_column_table_shares_lines(pages, extractor):
    # 一般公共预算财政拨款基本支出决算表: 人员经费 on the left, 公用经费 on the right.
    page_16 = pages(JUESUAN, extractor)[15]
    assert "30101 基本工资 537.64 30201 办公费 84.62" in page_16
    assert "人员经费合计 4884.09 公用经费合计 480.66" in page_16


@needs_samples
@extractors
def test_juesuan_narrative_keeps_spacing_around_figures(pages, extractor):
    # Word puts a quarter-em between Chinese text and a figure; both extractors see it.
    page_23 = pages(JUESUAN, extractor)[22]
    assert "支出。年初预算为 4477.33 万元，支出决算为 4416.67 万元，完" in page_23


@needs_samples
@extractors
def test_rotated_page_reads_upright(tmp_path, extractor):
    # A landscape table stored as a portrait page drawn sideways, turned by /Rotate.
    source = pdfium.PdfDocument(BUDGET)
    width, height = source[11].get_size()
    target = pdfium.PdfDocument.new()
    drawing = source.page_as_xobject(11, target).as_pageobject()
    drawing.transform(pdfium.PdfMatrix().rotate(90, ccw=True).translate(height, 0))
    page = target.new_page(height, width)
    page.insert_obj(drawing)
    page.gen_content()
    page.set_rotation(90)
    target.save(tmp_path / "rotated.pdf")

    (lines,) = extract_pages(tmp_path / "rotated.pdf", extractor)
    assert lines[3] == "204 06 07 公共法律服务 300,000 300,000 0 0 0"


@extractors
def test_junk_file_is_named_in_error(tmp_path, extractor):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(PdfError, match=rf"^{re.escape(str(junk))}: expected a PDF document, but it could not be opened \([^)]*(\([^)]*\))?\)$"):
        extract_pages(junk, extractor)


@extractors
def test_missing_file(tmp_path, extractor):
    absent = tmp_path / "absent.pdf"
    with pytest.raises(PdfError, match=rf"^{re.escape(str(absent))}: expected a PDF document, but there is no such file$"):
        extract_pages(absent, extractor)


@extractors
def test_password_protected_pdf(tmp_path, extractor):
    # A standard security handler whose keys do not match the empty password.
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(
        b"%PDF-1.4\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"4 0 obj<</Filter/Standard/V 1/R 2/O<" + b"11" * 32 + b">/U<" + b"22" * 32 + b">/P -4>>endobj\n"
        b"trailer<</Root 1 0 R/Size 5/Encrypt 4 0 R"
        b"/ID[<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>]>>\n"
        b"%%EOF\n"
    )
    with pytest.raises(PdfError, match=rf"^{re.escape(str(locked))}: expected a PDF document without a password, but it is encrypted"):
        extract_pages(locked, extractor)


@extractors
def test_pdf_without_text_layer(tmp_path, extractor):
    # What a scanned document looks like to a text extractor: pages, no characters.
    scan = pdfium.PdfDocument.new()
    for _ in range(2):
        page = scan.new_page(595, 842)
        image = pdfium.PdfImage.new(scan)
        bitmap = pdfium.PdfBitmap.new_native(50, 50, pdfium.raw.FPDFBitmap_BGR)
        bitmap.fill_rect((90, 90, 90, 255), 0, 0, 50, 50)
        image.set_bitmap(bitmap)
        image.set_matrix(pdfium.PdfMatrix().scale(500, 700).translate(40, 70))
        page.insert_obj(image)
        page.gen_content()
    scan.save(tmp_path / "scan.pdf")
    with pytest.raises(PdfError, match=rf"^{re.escape(str(tmp_path / 'scan.pdf'))}: .* none of its 2 page\(s\) holds any text \(a scanned image\?\); run it through OCR first$"):
        extract_pages(tmp_path / "scan.pdf", extractor)


def test_unknown_extractor_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"^Unknown PDF extractor 'ocr': use one of auto, pdfium, pdfplumber\.$"):
        extract_pages(tmp_path / "any.pdf", "ocr")
