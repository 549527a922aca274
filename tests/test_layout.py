"""The positional reading of PDFs (read/layout.py, read/grid.py) on real corpus pages.

Every expected figure is the answer key's (../shared/corpus/expected.csv, in 元) or what the
page prints; the labels are the header cells as printed on the page.
"""
from __future__ import annotations

import csv
import os
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from corpus import pdf_file

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
EXPECTED = CORPUS / "expected.csv"
UNITS = {"万元": Decimal(10000), "元": Decimal(1)}


def _need(name: str) -> Path:
    path = CORPUS / f"{name}.pdf"
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the corpus is missing: expected {CORPUS.name}/{path.name} beside the repository")
        pytest.skip(f"no corpus at {CORPUS.name}/ beside the repository")
    return path


@lru_cache(maxsize=None)
def _read(name: str, extractor: str = "auto"):
    from datasette_budget.read.layout import read_pdf

    return read_pdf(_need(name), extractor)


@lru_cache(maxsize=None)
def _key() -> dict[tuple[str, str, str, str], int]:
    with EXPECTED.open(encoding="utf-8") as f:
        return {(r["doc"], r["table"], r["key"], r["code"]): int(Decimal(r["amount_yuan"]))
                for r in csv.DictReader(f) if r["amount_yuan"]}


def key(doc: str, table: str, name: str, code: str = "") -> int:
    _need(doc)
    return _key()[(doc, table, name, code)]


def grid_titled(name: str, title: str, extractor: str = "auto"):
    """The grid of the table whose title line holds ``title`` (the first such region)."""
    from datasette_budget.read.grid import grid_for_region
    from datasette_budget.read.recognise import find_tables

    lines, layout = _read(name, extractor)
    for role, start, end in find_tables(lines):
        if title in lines[start].text.replace(" ", ""):
            return lines, start, end, grid_for_region(layout, lines, start, end)
    raise AssertionError(f"no table titled {title} in {name}")


def column(grid, *labels: str) -> int:
    """The index of the column whose label path is ``labels``."""
    for c in grid.columns:
        if c.labels == labels:
            return c.index
    raise AssertionError(f"no column {labels}: {[c.labels for c in grid.columns]}")


def row(grid, first: str):
    """The first body row whose first non-blank cell is ``first`` (spaces ignored)."""
    for cells in grid.rows:
        present = [c for c in cells if c is not None]
        if present and present[0].text.replace(" ", "") == first:
            return cells
    raise AssertionError(f"no row {first}")


def yuan(cell, unit: str = "万元") -> int:
    assert cell is not None, "blank cell"
    return int(Decimal(cell.text.replace(",", "")) * UNITS[unit])


# -- the numbered lines every step uses -------------------------------------------------

def test_read_pdf_gives_the_lines_read_document_gives():
    from datasette_budget.documents import read_document

    path = _need("chongqing_qixiangju_2026_budget")
    lines, layout = _read("chongqing_qixiangju_2026_budget")
    assert lines == read_document(path).lines
    # each numbered line has its characters' boxes, left to right
    title = next(l for l in lines if l.text == "表六")
    placed = layout.line(title.number)
    assert placed.page == title.page == 14
    assert "".join(c.text for c in placed.chars) == "表六"
    assert placed.chars[0].x0 < placed.chars[1].x0


# -- glyphs placed one by one ------------------------------------------------------------

def test_amounts_printed_glyph_by_glyph_come_out_whole():
    """重庆 气象局 places every glyph separately (pdftotext splits 5,445 / .39)."""
    doc = "chongqing_qixiangju_2026_budget"
    _, _, _, grid = grid_titled(doc, "2026年一般公共预算支出情况表")
    assert grid.ruled
    total = row(grid, "合计")
    assert total[column(grid, "总计")].text == "12,672.73"
    assert yuan(total[column(grid, "总计")]) == key(doc, "function_gpb", "total")
    assert yuan(total[column(grid, "基本支出", "小计")]) == key(doc, "function_gpb", "total_basic")
    assert yuan(total[column(grid, "基本支出", "人员经费")]) == key(doc, "economic_basic", "personnel")
    assert yuan(total[column(grid, "基本支出", "公用经费")]) == key(doc, "economic_basic", "public")
    assert yuan(total[column(grid, "项目支出")]) == key(doc, "function_gpb", "total_project")


def test_names_and_amounts_of_a_glyph_by_glyph_table_stay_on_their_row():
    """The economic table of the same document: every 类 row holds its own name and total
    (pdfplumber's cells attach names to the row above)."""
    doc = "chongqing_qixiangju_2026_budget"
    _, _, _, grid = grid_titled(doc, "2026年一般公共预算基本支出情况表")
    code, name = column(grid, "经济分类科目", "科目编码"), column(grid, "经济分类科目", "科目名称")
    total = column(grid, "基本支出", "总计")  # 基本支出 is printed over all three figure columns
    names = {"301": "工资福利支出", "302": "商品和服务支出", "303": "对个人和家庭的补助"}
    for cls, printed in names.items():
        cells = row(grid, cls)
        assert cells[code].text == cls and cells[name].text == printed
        assert yuan(cells[total]) == key(doc, "economic_basic", "class_total", cls)


def test_a_table_continuing_over_a_page_with_dashed_page_numbers():
    """经信委's income table runs over four pages under `— 455 —` page numbers."""
    _, _, _, grid = grid_titled("chongqing_jingxinwei_2026_budget", "2026年部门收入总体情况表")
    assert (grid.page, grid.last_page) == (8, 11)
    # the row the page break falls before, printed with its figures on page 9
    cells = row(grid, "208")
    assert cells[column(grid, "总计")].text == "10,878.43"
    assert cells[column(grid, "总计")].page == 9


# -- wrapped cells ------------------------------------------------------------------------

def test_an_amount_wrapped_in_a_narrow_cell_is_joined():
    """长春 预算表5 wraps 1682.76 as `1682.7` over `6` and 1208.20 as `1208.2` over `0`."""
    doc = "changchun_xinfangju_2026_budget"
    _, _, _, grid = grid_titled(doc, "本年一般公共预算支出表")
    total = row(grid, "总计：")
    assert total[column(grid, "合计")].text == "1682.76"
    assert yuan(total[column(grid, "合计")]) == key(doc, "function_gpb", "total")
    assert yuan(total[column(grid, "当年预算", "基本支出", "小计")]) == key(doc, "function_gpb", "total_basic")
    assert yuan(total[column(grid, "当年预算", "项目支出")]) == key(doc, "function_gpb", "total_project")
    cells = row(grid, "201")
    assert yuan(cells[column(grid, "合计")]) == key(doc, "function_gpb", "class_total", "201")
    assert yuan(cells[column(grid, "当年预算", "基本支出", "小计")]) == key(doc, "function_gpb", "class_basic", "201")
    # the wrapped row spans three text lines, all of them the row's
    assert len(grid.row_lines[grid.rows.index(total)]) == 3


def test_a_name_wrapped_in_its_cell_is_one_name():
    """长春 支出总表 prints `一般公共服务` over `支出` beside the code 201."""
    _, _, _, grid = grid_titled("changchun_xinfangju_2026_budget", "支出总表（预算表3）")
    cells = row(grid, "201")
    assert cells[column(grid, "功能分类科目名称")].text == "一般公共服务支出"


def test_a_title_printed_inside_the_grid_is_not_a_label():
    _, _, _, grid = grid_titled("changchun_xinfangju_2026_budget", "本年一般公共预算支出表")
    assert not any("预算表" in label or "单位" in label for c in grid.columns for label in c.labels)
    assert grid.columns[0].labels == ("科目编码",)


# -- blank cells --------------------------------------------------------------------------

def test_a_blank_cell_is_none():
    """上海 审计局: 221 住房保障支出 has no 项目支出 (the key: 0, cell blank)."""
    doc = "shanghai_shenjiju_2026_budget"
    assert key(doc, "function_gpb", "class_project", "221") == 0
    _, _, _, grid = grid_titled(doc, "2026年预算单位一般公共预算支出功能分类预算表")
    cells = row(grid, "221")
    assert cells[column(grid, "一般公共预算支出", "项目支出")] is None
    assert yuan(cells[column(grid, "一般公共预算支出", "合计")], "元") == key(doc, "function_gpb", "class_total", "221")
    assert yuan(cells[column(grid, "一般公共预算支出", "基本支出")], "元") == key(doc, "function_gpb", "class_basic", "221")
    # a 类 row fills only the first of the split 类 / 款 / 项 code columns
    assert cells[column(grid, "项目", "功能分类科目编码", "款")] is None


def test_a_blank_sangong_cell_is_none_beside_its_figures():
    doc = "shanghai_shenjiju_2026_budget"
    _, _, _, grid = grid_titled(doc, "2026年单位“三公”经费和机关运行经费预算表")
    (cells,) = grid.rows
    car = ("“三公”经费预算数", "公务用车购置及运行费")
    assert cells[column(grid, *car, "购置费")] is None
    assert yuan(cells[column(grid, *car, "运行费")]) == key(doc, "sangong", "公务用车运行费")
    assert yuan(cells[column(grid, "“三公”经费预算数", "合计")]) == key(doc, "sangong", "total")
    assert yuan(cells[column(grid, "机关运行经费预算数")]) == key(doc, "sangong_related", "机关运行经费")


def test_a_table_whose_figures_are_all_blank_keeps_its_columns():
    """域外农场管理办公室 prints its 三公 table with an entirely blank figures row."""
    _, _, _, grid = grid_titled("shanghai_yuwainongchang_2026_budget", "“三公”经费和机关运行经费预算表")
    assert grid.rows == []
    assert ("“三公”经费预算数", "公务接待费") in grid.labels()
    assert ("机关运行经费预算数",) in grid.labels()


# -- the header band ----------------------------------------------------------------------

def test_merged_header_cells_give_label_paths():
    """长春 预算表5: 当年预算 over 基本支出 over 小计 | 人员经费 | 公用经费, the same under
    上年结转结余 (two panels side by side)."""
    _, _, _, grid = grid_titled("changchun_xinfangju_2026_budget", "本年一般公共预算支出表")
    labels = grid.labels()
    for panel in ("当年预算", "上年结转结余"):
        assert labels.index((panel, "基本支出", "人员经费")) + 1 == labels.index((panel, "基本支出", "公用经费"))
        assert (panel, "项目支出") in labels
    assert labels.index(("当年预算", "项目支出")) < labels.index(("上年结转结余", "小计"))


def test_panels_of_two_years_side_by_side():
    doc = "chongqing_zhengfubangongting_2026_budget"
    _, _, _, grid = grid_titled(doc, "2026年财政拨款“三公”经费支出情况表")
    (cells,) = grid.rows
    assert yuan(cells[column(grid, "2025年预算数", "合计")]) == key(doc, "prior_year", "sangong.total")
    assert yuan(cells[column(grid, "2026年预算数", "合计")]) == key(doc, "sangong", "total")
    bought = cells[column(grid, "2026年预算数", "公务用车购置及运行费", "公务用车购置费")]
    assert bought is None and key(doc, "sangong", "公务用车购置费") == 0


def test_a_column_number_row_is_header_without_labels():
    """湖州 prints `** | ** | 1 | 2 | 3 …` under the header of its 支出预算总表."""
    doc = "huzhou_jiaotongyunshuju_2026_budget"
    lines, start, end, grid = grid_titled(doc, "2026年市级部门支出预算总表")
    numbers_line = next(l for l in lines[start:end] if l.text.startswith("** **"))
    assert numbers_line.number in grid.header_lines
    assert not any(label in ("**", "1", "2") for c in grid.columns for label in c.labels)
    total = grid.rows[0]
    assert total[column(grid, "科目名称")].text == "合计"
    assert yuan(total[column(grid, "项目支出")]) == key(doc, "summary", "project")
    assert yuan(total[column(grid, "事业单位经营支出")]) == key(doc, "summary", "operating")
    personnel = total[column(grid, "基本支出", "人员支出")]
    public = total[column(grid, "基本支出", "公用经费")]
    assert yuan(personnel) + yuan(public) == key(doc, "summary", "basic")


# -- tables over pages and where they end -----------------------------------------------

def test_a_continuation_page_that_repeats_the_header():
    """审计局's function table continues on p14 under its three header rows again."""
    doc = "shanghai_shenjiju_2026_budget"
    lines, start, end, grid = grid_titled(doc, "2026年预算单位一般公共预算支出功能分类预算表")
    assert (grid.page, grid.last_page) == (13, 14)
    by_number = {l.number: l for l in lines}
    assert {by_number[n].page for n in grid.header_lines} == {13, 14}
    item = column(grid, "项目", "功能分类科目编码", "项")
    assert sum(1 for r in grid.rows if r[item] is not None) == key(doc, "function_gpb", "item_rows")
    assert yuan(row(grid, "210")[column(grid, "一般公共预算支出", "合计")], "元") == \
        key(doc, "function_gpb", "class_total", "210")
    assert yuan(row(grid, "合计")[column(grid, "一般公共预算支出", "合计")], "元") == key(doc, "function_gpb", "total")


def test_a_continuation_page_without_the_header():
    """审计局's 支出预算总表 continues on p11 straight into its rows."""
    doc = "shanghai_shenjiju_2026_budget"
    lines, start, end, grid = grid_titled(doc, "2026年预算单位支出预算总表")
    assert (grid.page, grid.last_page) == (10, 11)
    total = grid.rows[-1]
    assert total[0].text == "合计" and total[0].page == 11
    assert yuan(total[column(grid, "支出预算", "基本支出")], "元") == key(doc, "summary", "basic")
    assert yuan(total[column(grid, "支出预算", "项目支出")], "元") == key(doc, "summary", "project")


def test_a_table_ends_where_its_grid_ends_and_every_line_is_placed_once():
    """The 三公 table is the last: asked to read on to the end of the document, the grid
    still ends with its one row, before the 其他相关情况说明 text of the next page."""
    from datasette_budget.read.grid import grid_for_region

    lines, layout = _read("shanghai_shenjiju_2026_budget")
    start = next(i for i, l in enumerate(lines) if l.text == "2026年单位“三公”经费和机关运行经费预算表")
    grid = grid_for_region(layout, lines, start, len(lines))
    assert len(grid.rows) == 1 and grid.last_page == lines[start].page
    assert lines[grid.end_index].page > lines[start].page
    assert any("情况说明" in l.text for l in lines[grid.end_index:grid.end_index + 3])
    placed = [n for r in grid.row_lines for n in r] + grid.header_lines + grid.other_lines
    assert sorted(placed) == [l.number for l in lines[start:grid.end_index]]


# -- without ruling lines ---------------------------------------------------------------

def test_a_grid_drawn_as_one_path_is_read_segment_by_segment():
    """福利彩票发行中心 draws each table's grid as one path of 40 to 85 segments (its bounds
    are only a frame). The page prints `229 其他支出 216,801,570 215,020,000 1,781,570`,
    事业收入 and 事业单位经营收入 blank."""
    _, _, _, grid = grid_titled("shanghai_fulicaipiao_2026_budget", "2026年预算单位收入预算总表")
    assert grid.ruled
    cells = row(grid, "229")
    assert cells[column(grid, "项目", "功能分类科目编码", "类")].text == "229"
    assert cells[column(grid, "项目", "功能分类科目名称")].text == "其他支出"
    assert cells[column(grid, "收入预算", "合计")].text == "216,801,570"
    assert cells[column(grid, "收入预算", "财政拨款收入")].text == "215,020,000"
    assert cells[column(grid, "收入预算", "其他收入")].text == "1,781,570"
    assert cells[column(grid, "收入预算", "事业收入")] is None
    assert cells[column(grid, "收入预算", "事业单位经营收入")] is None


def test_clustering_without_the_rules_reads_the_same_row():
    """The same table read with ``rules=False``: columns clustered from positions, the
    header's lowest labels matched to them, blank columns kept."""
    from datasette_budget.read.grid import grid_for_region

    lines, start, end, _ = grid_titled("shanghai_fulicaipiao_2026_budget", "2026年预算单位收入预算总表")
    _, layout = _read("shanghai_fulicaipiao_2026_budget")
    grid = grid_for_region(layout, lines, start, end, rules=False)
    assert not grid.ruled
    leaf = {c.labels[-1]: c.index for c in grid.columns}
    cells = row(grid, "229")
    assert cells[leaf["功能分类科目名称"]].text == "其他支出"
    assert cells[leaf["合计"]].text == "216,801,570"
    assert cells[leaf["财政拨款收入"]].text == "215,020,000"
    assert cells[leaf["其他收入"]].text == "1,781,570"
    assert cells[leaf["事业收入"]] is None


# -- the slower reference extractor ------------------------------------------------------

def test_pdfplumber_gives_the_same_lines_and_grid():
    """The slower reference extractor: its characters sit on their baseline as PDFium's do,
    so the title `2026年一般公共预算支出情况表` (digits and Chinese in two fonts) is one line,
    and the grid of the table is the same, cell for cell."""
    doc = "chongqing_qixiangju_2026_budget"
    _, _, _, fast = grid_titled(doc, "2026年一般公共预算支出情况表")
    _, _, _, slow = grid_titled(doc, "2026年一般公共预算支出情况表", extractor="pdfplumber")
    assert slow.ruled and slow.labels() == fast.labels()
    text = [[c.text if c else None for c in r] for r in fast.rows]
    assert [[c.text if c else None for c in r] for r in slow.rows] == text
    assert re.fullmatch(r"[\d,]+\.\d\d", text[0][column(fast, "基本支出", "小计")])


# -- a page ruled between rows only, made at test time ---------------------------------

def _pdf(text: list[tuple[float, float, str]], rules: list[tuple[float, float, float]], rotate: int = 0) -> bytes:
    """A one-page PDF (see :func:`_pdf_pages`)."""
    return _pdf_pages([(text, rules)], rotate)


def _pdf_pages(pages: list[tuple[list, list]], rotate: int = 0) -> bytes:
    """A PDF written by hand: on each page, Helvetica text at (x, y) and horizontal rules
    from x0 to x1 at y (and vertical ones, ``(x, y0, y1, "v")``), as displayed on a 612 x 792
    page. With ``rotate=90`` each page is stored landscape-side-up with /Rotate 90, its
    content drawn turned so that it displays the same."""
    streams = []
    for text, rules in pages:
        if rotate == 90:
            # /Rotate 90 shows the stored point (u, v) at x = v, 792 - y = u
            ops = [f"BT /F1 9 Tf 0 1 -1 0 {792 - y} {x} Tm ({t}) Tj ET" for x, y, t in text]
            ops += [f"0.5 w {792 - r[2]} {r[0]} m {792 - r[2]} {r[1]} l S" for r in rules if len(r) == 3]
            ops += [f"0.5 w {792 - r[1]} {r[0]} m {792 - r[2]} {r[0]} l S" for r in rules if len(r) == 4]
        else:
            ops = [f"BT /F1 9 Tf {x} {y} Td ({t}) Tj ET" for x, y, t in text]
            ops += [f"0.5 w {r[0]} {r[2]} m {r[1]} {r[2]} l S" for r in rules if len(r) == 3]
            ops += [f"0.5 w {r[0]} {r[1]} m {r[0]} {r[2]} l S" for r in rules if len(r) == 4]
        streams.append("\n".join(ops).encode("ascii"))
    box = b"/MediaBox [0 0 792 612] /Rotate 90" if rotate == 90 else b"/MediaBox [0 0 612 792]"
    n = len(pages)
    font = 3 + 2 * n
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(n))
               + b"] /Count %d >>" % n]
    for i, stream in enumerate(streams):
        objects.append(b"<< /Type /Page /Parent 2 0 R " + box + b" /Contents %d 0 R " % (4 + 2 * i)
                       + b"/Resources << /Font << /F1 %d 0 R >> >> >>" % font)
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_file(objects)


@pytest.mark.parametrize("rotate, extractor", [(0, "pdfium"), (90, "pdfium"), (90, "pdfplumber")])
def test_rows_between_horizontal_rules_when_no_column_is_ruled(tmp_path, rotate, extractor):
    """Rules between rows but none between columns: columns clustered, rows from the rules,
    a name wrapped in its row joined, a blank cell None; the same on a page stored turned."""
    from datasette_budget.read.grid import grid_for_region
    from datasette_budget.read.layout import read_pdf

    text = [(60, 740, "Expenditure table"),
            (60, 705, "Code"), (120, 705, "Name"), (300, 705, "Total"), (400, 705, "Basic"),
            (60, 670, "201"), (120, 670, "General public"), (300, 670, "1,000.00"), (400, 670, "800.00"),
            (60, 655, "20101"), (120, 655, "Long name that"), (120, 640, "wraps"), (300, 655, "500.00"),
            (60, 625, "20102"), (120, 625, "Other"), (300, 625, "200.00"), (400, 625, "200.00")]
    # lines 15 points apart throughout: only the rules say that `wraps` is the second row's
    rules = [(50, 500, 718), (50, 500, 690), (50, 500, 663), (50, 500, 633), (50, 500, 612)]
    path = tmp_path / "rows.pdf"
    path.write_bytes(_pdf(text, rules, rotate))
    lines, layout = read_pdf(path, extractor)
    grid = grid_for_region(layout, lines, 0, len(lines))
    assert not grid.ruled
    assert grid.labels() == [("Code",), ("Name",), ("Total",), ("Basic",)]
    assert [[c.text if c else None for c in r] for r in grid.rows] == [
        ["201", "General public", "1,000.00", "800.00"],
        ["20101", "Long name that wraps", "500.00", None],
        ["20102", "Other", "200.00", "200.00"],
    ]


def test_a_table_continues_under_a_running_footer(tmp_path):
    """A ruled table over three pages, each page ending with the same footer (its page
    number aside): the footer is page furniture, the table runs on, header repeated or not."""
    from datasette_budget.read.grid import grid_for_region
    from datasette_budget.read.layout import read_pdf

    def page(rows, header, title=False):
        text = [(60, 760, "Table 3 Expenditure")] if title else []
        top = 740
        if header:
            text += [(60, 725, "Code"), (200, 725, "Total")]
        ys = [top - 30 - 25 * i for i in range(len(rows))]
        text += [t for y, (code, total) in zip(ys, rows) for t in ((60, y, code), (200, y, total))]
        text += [(60, 60, "Sample Bureau budget, page %d" % (len(rows) + 10 * title))]
        bottom = ys[-1] - 10
        cuts = [top] + [y + 15 for y in ys] + [bottom]
        rules = [(50, 300, y) for y in cuts]
        rules += [(x, bottom, top, "v") for x in (50, 150, 300)]
        return text, rules

    pages = [page([("201", "1,000.00"), ("20101", "400.00")], True, title=True),
             page([("20102", "600.00"), ("202", "50.00")], True),
             page([("20201", "50.00"), ("Total", "1,050.00")], False)]
    path = tmp_path / "footer.pdf"
    path.write_bytes(_pdf_pages(pages))
    lines, layout = read_pdf(path)
    footers = [l for l in lines if l.text.startswith("Sample Bureau")]
    assert len(footers) == 3 and all(l.number in layout.running for l in footers)
    grid = grid_for_region(layout, lines, 0, len(lines))
    assert (grid.page, grid.last_page) == (1, 3)
    assert grid.labels() == [("Code",), ("Total",)]
    assert [[c.text for c in r] for r in grid.rows] == [
        ["201", "1,000.00"], ["20101", "400.00"], ["20102", "600.00"], ["202", "50.00"],
        ["20201", "50.00"], ["Total", "1,050.00"]]
    assert {l.number for l in footers} <= set(grid.other_lines)
