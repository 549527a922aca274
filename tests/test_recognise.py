"""Recognising tables: every title form the corpus prints names the right role, a title printed
again on a continuation page is one table, a table ends at the next title or at a heading that
is no table (never swallowing the pages after it), the seed's regions are those it always had,
and a table that cannot be read is recorded as unreadable while the rest of the document loads.

Titles are quoted from the PDFs of ../shared/corpus/ (its README lists them) and from the seed.
The corpus tests skip when the corpus is absent, except in CI (CI=true), where that fails.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from datasette_budget.documents import Line, read_document
from datasette_budget.loader import load_paths
from datasette_budget.read.recognise import (
    find_tables,
    read_or_unreadable,
    role_of_title,
    split_title,
    table_unit,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "documents" / "zhengzhou-xinfang-2021-budget.txt"
CORPUS = ROOT.parent / "shared" / "corpus"


# (title as printed, role); the city says whose template prints it
TITLES = [
    # 上海 (unnumbered, and 钻石宝玉石's numbered 01 … 11)
    ("2026年预算单位财务收支预算总表", "summary"),
    ("2026年预算单位收入预算总表", "income"),
    ("2026年预算单位支出预算总表", "expenditure"),
    ("2026年预算单位财政拨款收支预算总表", "appropriation_summary"),
    ("2026年预算单位一般公共预算支出功能分类预算表", "gpb_expenditure"),
    ("2026年预算单位政府性基金预算支出功能分类预算表", "fund_expenditure"),
    ("2026年预算单位国有资本经营预算支出功能分类预算表", "capital_expenditure"),
    ("2026年预算单位一般公共预算基本支出部门预算经济分类预算表", "basic_expenditure"),
    ("2026年单位“三公”经费和机关运行经费预算表", "sangong"),
    ("2026年预算单位财政拨款支出预算表", "appropriation_expenditure"),
    ("2026年预算单位财政拨款项目支出预算表", "project_expenditure"),
    # 重庆 (表一 … 表十二 on the line above; `2026 年` with a space)
    ("2026年部门收支总体情况表", "summary"),
    ("2026年单位收支总体情况表", "summary"),
    ("2026 年部门收入总体情况表", "income"),
    ("2026年部门支出总体情况表", "expenditure"),
    ("2026年财政拨款收支总体情况表", "appropriation_summary"),
    ("2026年一般公共预算支出情况表", "gpb_expenditure"),
    ("2026年一般公共预算基本支出情况表", "basic_expenditure"),
    ("2026年政府性基金预算支出情况表", "fund_expenditure"),
    ("2026年财政拨款“三公”经费支出情况表", "sangong"),
    ("2026年政府采购预算明细表", "procurement"),
    ("2026年部门整体绩效目标表", "performance_overall"),
    ("2026年市级重点专项资金绩效目标表（一级项目）", "performance_project"),
    ("2026年市级一般性项目绩效目标表(一级项目)", "performance_project"),
    # 苏州 (公开 01 表 … on the line above)
    ("收支总表", "summary"),
    ("收入总表", "income"),
    ("支出总表", "expenditure"),
    ("财政拨款收支总表", "appropriation_summary"),
    ("财政拨款支出表（功能科目）", "appropriation_expenditure"),
    ("财政拨款基本支出表（经济科目）", "appropriation_basic_expenditure"),
    ("一般公共预算支出表", "gpb_expenditure"),
    ("一般公共预算基本支出表", "basic_expenditure"),
    ("一般公共预算“三公”经费、会议费、培训费支出表", "sangong"),
    ("政府性基金预算支出表", "fund_expenditure"),
    ("国有资本经营预算支出预算表", "capital_expenditure"),
    ("一般公共预算机关运行经费支出预算表", "running_cost"),
    ("政府采购支出表", "procurement"),
    # 泉州 (the second title line; the first, 五、…, is a numbered heading)
    ("2026年度收支预算总表", "summary"),
    ("2026 年度一般公共预算拨款支出预算表", "gpb_expenditure"),
    ("2026年度政府性基金预算拨款支出预算表", "fund_expenditure"),
    ("2026年度国有资本经营预算拨款支出预算表", "capital_expenditure"),
    ("2026年度一般公共预算支出经济分类情况表", "economic_expenditure"),
    ("2026年度一般公共预算基本支出经济分类情况表", "basic_expenditure"),
    ("2026年度一般公共预算“三公”经费支出预算表", "sangong"),
    ("301007_泉州市公安局晋江国际机场分局_全国民航反", None),
    ("电诈中心建设项目绩效目标表", "performance_project"),
    ("业务及其他经费补助绩效目标表", "performance_project"),
    ("部门整体支出绩效目标表", "performance_overall"),
    # 湖州 (表01 … 表11 on the line above)
    ("2026年市级部门收支预算总表", "summary"),
    ("2026年市级部门一般公共预算\"三公\"经费支出表", "sangong"),
    ("2026年市级部门项目支出预算表", "project_expenditure"),
    ("2026年市级部门项目支出绩效表", "performance_project"),
    # 珠海 (表1 … 表12 on the line above)
    ("收支总体情况表", "summary"),
    ("本年支出总体情况表", "expenditure"),
    ("一般公共预算支出情况表（按功能分类科目）", "gpb_expenditure"),
    ("一般公共预算基本支出情况表（按经济分类科目）", "basic_expenditure"),
    ("一般公共预算项目支出情况表（按经济分类科目）", "project_economic_expenditure"),
    ("财政拨款安排的行政经费及“三公”经费预算表", "sangong"),
    ("部门预算基本支出预算表", "department_basic_expenditure"),
    ("部门预算项目支出及其他支出预算表", "project_expenditure"),
    # 长春 (titles inside the grid, with their number after them)
    ("收支总表（预算表 1）", "summary"),
    ("收入总表(预算表 2)", "income"),
    ("财政拨款收支总表(预算表 4)", "appropriation_summary"),
    ("本年一般公共预算支出表（预算表 5）", "gpb_expenditure"),
    ("本年一般公共预算基本支出表(预算表 6)", "basic_expenditure"),
    ("本年一般公共预算“三公”经费支出表(预算表 7)", "sangong"),
    ("本年政府性基金预算支出表(预算表 8)", "fund_expenditure"),
    ("项目支出表(预算表 9)", "project_expenditure"),
    ("国有资本经营预算支出明细表(预算表 10)", "capital_expenditure"),
    ("长春市信访局 2026 年项目支出绩效目标表预算表（预算表 11）", "performance_project"),
    # 宁德: the one form of a 决算
    ("部门整体绩效自评表", "performance_evaluation"),
    # the seed and the samples
    ("郑州市信访局部门收支总体情况表", "summary"),
    ("郑州市信访局政府采购预算表", "procurement"),
    ("收入支出决算总表", "summary"),
    ("一般公共预算财政拨款支出决算表", "gpb_expenditure"),
    ("政府性基金预算财政拨款收入支出决算表", "fund_expenditure"),
    # a number printed on the title's own line (the forms, with the corpus's titles)
    ("表1：收支总体情况表", "summary"),
    ("预算01表 收支总表", "summary"),
    ("公开07表 一般公共预算支出表", "gpb_expenditure"),
    ("单位预算表10 2026年预算单位财政拨款项目支出预算表", "project_expenditure"),
    ("附件1：2026年部门收支总表", "summary"),
    ("表1-2 一般公共预算支出表（按功能分类科目）", "gpb_expenditure"),
    # 部门综合预算… (the form) and the 决算 template's titles
    ("部门综合预算收支总表", "summary"),
    ("部门综合预算一般公共预算支出明细表（按功能分类科目）", "gpb_expenditure"),
    ("部门综合预算一般公共预算基本支出明细表（按经济分类科目）", "basic_expenditure"),
    ("部门综合预算政府性基金支出表", "fund_expenditure"),
    ("一般公共预算基本支出表（按经济分类）", "basic_expenditure"),
    ("一般公共预算财政拨款项目支出决算表", "project_expenditure"),
    ("机关运行经费支出决算表", "running_cost"),
    ("收入支出决算表", "summary"),
    ("财政拨款收入支出决算表", "appropriation_summary"),
    ("国有资本经营预算财政拨款收入支出决算表", "capital_expenditure"),
    ("一般公共预算拨款基本支出预算表", "basic_expenditure"),
    ("部门收入预算表", "income"),
    ("部门支出预算表", "expenditure"),
    # a long department name before a long title
    ("上海市统计和大数据研究院（上海市统计数据管理中心）2026年预算单位一般公共预算基本支出部门预算经济分类预算表",
     "basic_expenditure"),
    # a title sharing its line with the unit (and the unit's label)
    ("2026年部门收支总体情况表 单位：万元", "summary"),
    ("收支总表 编制单位：长春市信访局 单位：万元", "summary"),
    # not titles: numbers alone, table-of-contents entries, list items, section headings
    ("表一", None),
    ("公开 01 表", None),
    ("1. 2026年预算单位财务收支预算总表", None),
    ("五、一般公共预算拨款支出预算表", None),
    ("（十一）2026年市级部门项目支出绩效表", None),
    ("第二部分 2026年部门预算表", None),
    ("编制单位：上海市审计局 单位：元", None),
]


@pytest.mark.parametrize("title,role", TITLES)
def test_every_printed_title_names_its_role(title, role):
    assert role_of_title(title) == role


def test_a_title_splits_into_number_title_and_qualifiers():
    assert split_title("公开 05 表 财政拨款支出表（功能科目）") == ("公开05表", "财政拨款支出表", "（功能科目）")
    assert split_title("收支总表（预算表 1）") == ("", "收支总表", "（预算表1）")


def lines_of(text: str, page: int = 1) -> list[Line]:
    return [Line(page, n, t) for n, t in enumerate(text.splitlines(), start=1)]


def pages_of(*pages: str) -> list[Line]:
    out = []
    for page, text in enumerate(pages, start=1):
        for t in text.splitlines():
            out.append(Line(page, len(out) + 1, t))
    return out


def test_a_title_repeated_on_its_continuation_page_is_one_table():
    # 湖州 表01: number, title and header printed again on every page of the table
    page = "表01\n2026年市级部门收支预算总表\n606-湖州市交通运输局 单位：万元\n收 入 支 出\n项 目 预算数 项 目 预算数\n"
    lines = pages_of(page + "一、财政拨款 192207.76 一般公共服务支出 0.64",
                     page + "农林水支出 15.00",
                     page + "收 入 总 计 201286.11 支 出 总 计 201286.11",
                     "表02\n2026年市级部门收入预算总表\n606-湖州市交通运输局 单位：万元\n合计 201286.11")
    regions = find_tables(lines)
    assert [r for r, _, _ in regions] == ["summary", "income"]
    (_, start, end), (_, next_start, _) = regions
    assert (lines[start].page, lines[end - 1].page) == (1, 3)
    assert lines[end].text == "表02"  # the next table's number is not the summary's last line
    assert lines[next_start].text == "2026年市级部门收入预算总表"


def test_a_continuation_page_that_repeats_the_title_but_not_its_number_is_the_same_table():
    lines = pages_of("表03\n2026年市级部门支出预算总表\n606-湖州市交通运输局 单位：万元\n科目编码 科目名称 合计 基本支出 项目支出\n"
                     "201 一般公共服务支出 0.64 0.64",
                     "2026年市级部门支出预算总表\n606-湖州市交通运输局 单位：万元\n科目编码 科目名称 合计 基本支出 项目支出\n"
                     "214 交通运输支出 192207.12 20000.00 172207.12")
    (role, start, end), = find_tables(lines)
    assert role == "expenditure" and (lines[start].page, lines[end - 1].page) == (1, 2)


def test_the_same_title_over_a_different_header_is_another_table():
    # the seed prints its economic table under the function table's title
    lines = pages_of("郑州市信访局一般公共预算支出情况表\n单位：元\n功能分类科目编码 科目名称 合计\n201 1,000",
                     "郑州市信访局一般公共预算支出情况表\n单位：元\n部门预算经济分类 政府预算经济分类\n301 1,000")
    assert [r for r, _, _ in find_tables(lines)] == ["gpb_expenditure", "gpb_expenditure"]


def test_a_wide_table_printed_in_strips_is_one_table_with_the_unit_of_its_last_strip():
    # 上海 数据局's 收入预算总表: 合计 … 事业单位经营收入 on pages 8–9 with no unit line,
    # 其他收入 and 单位：元 on page 10
    lines = pages_of("2026年预算单位财务收支预算总表\n编制单位：上海市数据局 单位：元\n收入总计 471,452,100 支出总计 471,452,100",
                     "2026年预算单位收入预算总表\n编制单位：上海市数据局\n功能分类科目名称 合计 财政拨款收入 事业收入\n"
                     "201 41 01 行政运行 28,853,324 28,853,324",
                     "221 02 03 购房补贴 2,497,500 2,497,500\n合计 471,452,100 471,452,100",
                     "2026年预算单位收入预算总表\n单位：元\n收入预算\n其他收入")
    regions = find_tables(lines)
    assert [role for role, _, _ in regions] == ["summary", "income"]
    (_, _, summary_end), (_, start, end) = regions
    assert lines[summary_end - 1].text.startswith("收入总计")
    assert (lines[start].page, lines[end - 1].page) == (2, 4)
    assert table_unit(lines[start:end]) == "元"


def test_a_title_marked_continued_extends_its_table():
    lines = pages_of("2026年政府采购预算明细表\n单位：万元\n采购项目 采购品目 金额\n办公设备 台式计算机 12.00",
                     "2026年政府采购预算明细表（续）\n单位：万元\n物业管理 物业服务 30.00")
    (role, start, end), = find_tables(lines)
    assert role == "procurement" and (lines[start].page, lines[end - 1].page) == (1, 2)


def test_a_title_wrapped_over_two_lines_is_found_on_its_first():
    lines = lines_of("2026年预算单位一般公共预算基本支出部门预算经济分类\n预算表\n编制单位：上海市审计局 单位：元\n"
                     "301 工资福利支出 148,274,340 148,274,340")
    (role, start, _), = find_tables(lines)
    assert (role, start) == ("basic_expenditure", 0)


def test_a_title_numbered_like_a_list_item_is_a_title_but_a_table_of_contents_is_not():
    contents = "目 录\n一、收支总表\n二、收入总表\n三、支出总表\n四、财政拨款收支总表\n"
    lines = pages_of(contents + "单位：万元",
                     "一、收支总表\n单位：万元\n收入 支出\n项目 预算数 项目 预算数\n一、财政拨款收入 1682.76",
                     "二、收入总表\n单位：万元\n科目编码 科目名称 合计\n201 一般公共服务支出 1378.41")
    assert [(role, lines[s].page) for role, s, _ in find_tables(lines)] == [("summary", 2), ("income", 3)]


def test_a_page_number_above_a_numbered_heading_is_no_title():
    # 泉州: the page number 7 ends page 10, 二、收入预算总表 begins page 11
    lines = pages_of("2026年度收支预算总表\n单位：万元\n项目 预算数 项目 预算数\n7",
                     "二、收入预算总表\n2026年度收入预算总表\n单位：万元\n合计 81206.56")
    assert [(role, lines[s].text) for role, s, _ in find_tables(lines)] == [
        ("summary", "2026年度收支预算总表"), ("income", "2026年度收入预算总表")]


def test_a_sangong_table_ends_at_a_performance_form_it_does_not_know():
    lines = pages_of(
        "2026年度一般公共预算“三公”经费支出预算表\n单位：万元\n项目 预算数\n合计 1700.17\n2、公务接待费 16.32",
        "2026年度部门预算项目绩效自查情况表\n项目名称 智慧看守\n资金总额： 57.00\n年度目标 完成 100 万元\n"
        "指标值 81 项",
    )
    regions = find_tables(lines)
    assert [r for r, _, _ in regions] == ["sangong"]
    _, start, end = regions[0]
    assert {line.page for line in lines[start:end]} == {1}


def test_a_table_ends_at_the_next_part_of_the_disclosure():
    lines = pages_of("2026年度一般公共预算“三公”经费支出预算表\n单位：万元\n合计 1700.17",
                     "第三部分\n2026 年度部门预算情况说明\n一、 预算收支总体情况\n收入预算为 81206.56 万元")
    (_, start, end), = find_tables(lines)
    assert lines[end].text == "第三部分"


# 上海 审计局's 三公 table (page 19) as a reader would see it with its title lost; its blank
# 购置费 cell printed 0.00 here, so that the text reader can place every figure
SANGONG_WITHOUT_TITLE = """单位:万元
“三公”经费预算数
机关运行经费预算
公务用车购置及运行费
数
合计 因公出国(境)费 公务接待费
小计 购置费 运行费
237.92 201.80 8.12 28.00 0.00 28.00 2,180.26"""


def test_a_table_without_its_title_is_recognised_by_its_header():
    lines = pages_of("2026年预算单位一般公共预算基本支出部门预算经济分类预算表\n编制单位：上海市审计局 单位：元\n"
                     "310 02 办公设备购置 783,000 783,000\n合计 175,071,300 153,268,740 21,802,560",
                     SANGONG_WITHOUT_TITLE)
    regions = find_tables(lines)
    assert [role for role, _, _ in regions] == ["basic_expenditure", "sangong"]
    (_, _, basic_end), (_, start, _) = regions
    assert lines[start].text == "单位:万元" and lines[basic_end - 1].text.startswith("合计 175,071,300")


def test_a_header_names_no_second_table_of_a_titled_role():
    lines = pages_of("2026年单位“三公”经费和机关运行经费预算表\n编制单位：上海市审计局 单位:万元\n合计 237.92",
                     SANGONG_WITHOUT_TITLE)
    assert [role for role, _, _ in find_tables(lines)] == ["sangong"]


def test_an_untitled_table_keeps_its_unit(tmp_path):
    from datasette_budget.tables import parse_table

    table = parse_table("sangong", lines_of(SANGONG_WITHOUT_TITLE))
    assert (table.title, table.unit) == ("", "万元")
    assert table.totals[0]["values"]["amount"] == 2379200  # 237.92 万元


def test_a_wrapped_unit_cell_still_marks_a_title_and_gives_the_unit():
    # 长春 预算表5: 单位：万 / 元 wrap inside their cell
    lines = lines_of("本年一般公共预算支出表（预算表 5）\n单位：万\n预算单位：长春市信访局\n元\n合计 1682.76")
    (role, start, end), = find_tables(lines)
    assert role == "gpb_expenditure"
    assert table_unit(lines[start:end]) == "万元"


# The seed's titles as it prints them, in order, with their pages: each region runs to the next.
SEED_TITLES = [
    (9, "summary", "郑州市信访局部门收支总体情况表"),
    (10, "income", "郑州市信访局部门收入总体情况表"),
    (11, "expenditure", "郑州市信访局部门支出总体情况表"),
    (12, "appropriation_summary", "郑州市信访局财政拨款收支总体情况表"),
    (12, "gpb_expenditure", "郑州市信访局一般公共预算支出情况表"),
    (13, "gpb_expenditure", "郑州市信访局一般公共预算支出情况表"),
    (15, "basic_expenditure", "郑州市信访局一般公共预算基本支出情况表"),
    (17, "sangong", "郑州市信访局一般公共预算“三公”经费支出情况表"),
    (18, "fund_expenditure", "郑州市信访局政府性基金预算支出情况表"),
    (19, "capital_expenditure", "郑州市信访局国有资本经营预算支出情况表"),
    (20, "procurement", "郑州市信访局政府采购预算表"),
    (21, "performance_overall", "市级部门（单位）整体绩效目标申报表"),
    (23, "performance_project", "郑州市信访局支出项目绩效目标表"),
]


def test_the_seed_keeps_its_regions():
    from datasette_budget.documents import read_document

    lines = read_document(SEED).lines
    regions = find_tables(lines)
    assert [(lines[s].page, role, lines[s].text.strip()) for role, s, _ in regions] == SEED_TITLES
    ends = [e for _, _, e in regions]
    assert ends == [s for _, s, _ in regions[1:]] + [len(lines)]


def test_a_reader_that_fails_gives_an_unreadable_table_with_its_page_and_reason():
    region = pages_of("", "", "2026年预算单位财政拨款支出预算表\n单位：元\n201 1,000")[2:]

    def broken():
        raise ValueError("no column for 人员经费")

    table = read_or_unreadable("appropriation_expenditure", region, broken)
    assert (table.status, table.page, table.rows) == ("unreadable", 3, [])
    assert "page 3" in table.notes[0] and "no column for 人员经费" in table.notes[0]


def seed_with(extra: str, at: str = " 郑州市信访局政府性基金预算支出情况表") -> str:
    text = SEED.read_text(encoding="utf-8")
    assert at in text
    return text.replace(at, extra + at, 1)


def test_a_table_without_a_reader_is_recorded_unreadable_and_the_document_loads(tmp_path):
    doc = tmp_path / "seed-with-an-extra-table.txt"
    doc.write_text(seed_with(" 郑州市信访局财政拨款支出表（功能科目）\n单位：元\n201 03 01 行政运行 1,000 1,000\n"),
                   encoding="utf-8")
    db_path = tmp_path / "budget.db"
    report = load_paths(db_path, [doc])
    assert report["failed"] == []
    db = sqlite3.connect(db_path)
    status = dict(db.execute("select role, status from document_tables"))
    assert status["appropriation_expenditure"] == "unreadable"
    assert status["summary"] == status["sangong"] == status["income"] == status["gpb_expenditure"] == "loaded"
    page, notes = db.execute("select page, notes from document_tables where role = 'appropriation_expenditure'").fetchone()
    assert page == 18 and "财政拨款支出表（功能科目）" in notes


def test_a_table_the_vocabulary_does_not_know_ends_the_table_before_and_is_reported(tmp_path):
    # a title no role names, with its unit line: the 三公 table ends there, and the load says so
    doc = tmp_path / "seed-with-an-unknown-table.txt"
    doc.write_text(seed_with(" 郑州市信访局部门预算资金安排情况表\n单位：元\n项 目 金 额\n合 计 1,000\n"
                             "一、人员经费 600\n二、公用经费 400\n"), encoding="utf-8")
    lines = read_document(doc).lines
    (sangong,) = [(s, e) for role, s, e in find_tables(lines) if role == "sangong"]
    assert lines[sangong[1]].text.strip() == "郑州市信访局部门预算资金安排情况表"
    report = load_paths(tmp_path / "budget.db", [doc])
    (entry,) = report["loaded"]
    assert any("a table titled 郑州市信访局部门预算资金安排情况表 that the loader does not know" in w
               for w in entry["warnings"])


def test_a_second_table_of_one_role_is_said_and_the_document_loads(tmp_path):
    # a second 三公 table under another header: two tables, one role
    doc = tmp_path / "two-sangong-tables.txt"
    doc.write_text(seed_with(" 郑州市信访局一般公共预算“三公”经费支出情况表\n单位：元\n单位名称 合计 因公出国（境）费用\n"
                             "合 计 228,000\n"), encoding="utf-8")
    db_path = tmp_path / "budget.db"
    report = load_paths(db_path, [doc])
    assert report["failed"] == []
    (entry,) = report["loaded"]
    assert any("a second sangong table" in w and "only the first, on page 17, is loaded" in w for w in entry["warnings"])
    db = sqlite3.connect(db_path)
    assert db.execute("select page, status from document_tables where role = 'sangong'").fetchall() == [(17, "loaded")]


def test_a_constraint_a_document_breaks_is_one_sentence_naming_the_file(tmp_path):
    from datasette_budget.loader import write_error

    db = sqlite3.connect(tmp_path / "budget.db")
    db.execute("create table document_tables (document text, role text, primary key (document, role))")
    db.execute("insert into document_tables values ('d', 'sangong')")
    with pytest.raises(sqlite3.IntegrityError) as raised:
        db.execute("insert into document_tables values ('d', 'sangong')")
    message = write_error(Path("budget.pdf"), tmp_path / "budget.db", raised.value)
    assert message == ("budget.pdf: not loaded: two of its tables were recognised as the same table; "
                       "please report the file (the other documents are loaded)")


# -- the corpus: regions of real PDFs -----------------------------------------------------

def need_corpus(name: str = "README.md") -> None:
    if not (CORPUS / name).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the corpus is missing: expected {CORPUS.name}/{name} beside the repository")
        pytest.skip("the corpus is not beside the repository")


def corpus_lines(name: str) -> list[Line]:
    need_corpus(name)
    from datasette_budget.documents import read_document

    return read_document(CORPUS / name).lines


def regions_by_role(lines):
    return {role: (lines[s].page, lines[e - 1].page) for role, s, e in find_tables(lines)}


def test_huzhou_summary_printed_over_three_pages_with_its_title_is_one_table():
    lines = corpus_lines("huzhou_jiaotongyunshuju_2026_budget.pdf")
    roles = [role for role, _, _ in find_tables(lines)]
    assert roles.count("summary") == 1 and roles.count("expenditure") == 1
    # 表01 on pages 21, 22 and 23; 表03 on pages 25, 26 and 27
    assert regions_by_role(lines)["summary"] == (21, 23)
    assert regions_by_role(lines)["expenditure"] == (25, 27)


def test_huzhou_capital_table_does_not_swallow_the_project_tables_after_it():
    lines = corpus_lines("huzhou_weijianwei_2026_budget.pdf")
    regions = regions_by_role(lines)
    # 表09 on page 44, 表10 项目支出预算表 on 45–46, 表11 项目支出绩效表 from 47 to the end (52)
    assert regions["capital_expenditure"] == (44, 44)
    assert regions["project_expenditure"] == (45, 46)
    assert regions["performance_project"] == (47, 52)


def test_quanzhou_sangong_ends_before_the_narrative_and_the_performance_forms():
    lines = corpus_lines("quanzhou_gonganju_2026_budget.pdf")
    regions = find_tables(lines)
    (sangong,) = [(s, e) for role, s, e in regions if role == "sangong"]
    # 十、…“三公”经费支出预算表 is page 19; page 20 begins 第三部分; the forms start on page 26
    assert (lines[sangong[0]].page, lines[sangong[1] - 1].page) == (19, 19)
    assert lines[sangong[1]].text.strip() == "第三部分"
    first_form = min(s for role, s, _ in regions if role == "performance_project")
    assert lines[first_form].page == 26
    # 五、一般公共预算拨款支出预算表 (page 14) is found by its second title line
    assert regions_by_role(lines)["gpb_expenditure"] == (14, 14)


def test_each_corpus_table_is_one_region_with_one_role():
    need_corpus()
    from datasette_budget.read.recognise import PERFORMANCE_ROLES

    duplicated = {}
    for pdf in sorted(CORPUS.glob("*.pdf")):
        roles = [role for role, _, _ in find_tables(corpus_lines(pdf.name)) if role not in PERFORMANCE_ROLES]
        twice = sorted({r for r in roles if roles.count(r) > 1})
        if twice:
            duplicated[pdf.name] = twice
    assert duplicated == {}


def test_suzhou_numbered_short_titles_are_all_found():
    lines = corpus_lines("suzhou_jiaotongyunshuju_2026_budget.pdf")
    # 公开 01 表 … 公开 13 表, as the 目录 on page 2 lists them
    assert [role for role, _, _ in find_tables(lines)] == [
        "summary", "income", "expenditure", "appropriation_summary", "appropriation_expenditure",
        "appropriation_basic_expenditure", "gpb_expenditure", "basic_expenditure", "sangong",
        "fund_expenditure", "capital_expenditure", "running_cost", "procurement",
    ]
    # 政府采购支出表 runs from page 26 to page 30; page 31 begins 第三部分
    assert regions_by_role(lines)["procurement"] == (26, 30)


def test_changchun_titles_inside_the_grid_are_found():
    lines = corpus_lines("changchun_xinfangju_2026_budget.pdf")
    # 预算表1 … 预算表11 on pages 6 … 16, one to a page
    assert [(role, lines[s].page) for role, s, _ in find_tables(lines)] == [
        ("summary", 6), ("income", 7), ("expenditure", 8), ("appropriation_summary", 9),
        ("gpb_expenditure", 10), ("basic_expenditure", 11), ("sangong", 12), ("fund_expenditure", 13),
        ("project_expenditure", 14), ("capital_expenditure", 15), ("performance_project", 16),
    ]


def test_ningde_self_evaluation_is_a_performance_form_and_no_table():
    lines = corpus_lines("ningde_zhengfubangongshi_2024_final.pdf")
    assert [role for role, _, _ in find_tables(lines)] == ["performance_evaluation"]


def test_ningde_self_evaluation_loads_as_a_final_account_with_no_tables(tmp_path):
    need_corpus("ningde_zhengfubangongshi_2024_final.pdf")
    db_path = tmp_path / "budget.db"
    report = load_paths(db_path, [CORPUS / "ningde_zhengfubangongshi_2024_final.pdf"])
    assert report["failed"] == []
    db = sqlite3.connect(db_path)
    # the README: 宁德市人民政府办公室, 2024, final (决算), none of the standard tables
    assert db.execute("select department, year, phase from documents").fetchall() == [("宁德市人民政府办公室", 2024, "决算")]
    standard = db.execute("select role, status from document_tables where role != 'performance_evaluation'").fetchall()
    assert standard and all(status == "missing" for _, status in standard)


def _without_unit_line(source: Path, target: Path, page_index: int) -> None:
    """``source`` with the glyphs of ``单位:万元`` removed from one page: the 上海 三公 table prints
    it at the right of its 编制单位 line, each glyph its own text object."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(source)
    page = pdf[page_index]
    text = page.get_textpage()
    unit_line = None
    glyphs = [o for o in page.get_objects() if o.type == pdfium_c.FPDF_PAGEOBJ_TEXT]
    for index, glyph in enumerate(glyphs):
        if text.get_text_bounded(*glyph.get_bounds()).strip() == "万":
            unit_line = glyphs[index - 3:index + 2]  # 单 位 : 万 元
    assert "".join(text.get_text_bounded(*g.get_bounds()).strip() for g in unit_line) == "单位:万元"
    for glyph in unit_line:
        page.remove_obj(glyph)
    page.gen_content()
    pdf.save(target)


def test_a_table_that_prints_no_unit_is_not_stored_as_yuan(tmp_path):
    # 上海 审计局's 三公 table is in 万元 (237.92 万元 = 2,379,200 元, expected.csv): with its unit
    # line gone, 237.92 must not be stored as 237.92 元 (nor guessed as 万元); the document says
    # the table was not read, and the rest of it loads
    need_corpus("shanghai_shenjiju_2026_budget.pdf")
    edited = tmp_path / "no-unit.pdf"
    _without_unit_line(CORPUS / "shanghai_shenjiju_2026_budget.pdf", edited, 18)
    db_path = tmp_path / "b.db"
    report = load_paths(db_path, [edited])
    assert not report["failed"], report["failed"]
    db = sqlite3.connect(db_path)
    status, = db.execute("select status from document_tables where role = 'sangong'").fetchone()
    assert status in ("missing", "unreadable")
    assert db.execute("select count(*) from sangong_items").fetchone() == (0,)
    assert db.execute("select count(*) from declared_totals where amount in (237.92, 2379200)").fetchone() == (0,)
    warnings = [w for entry in report["loaded"] for w in entry["warnings"]]
    assert any("sangong" in w and ("no sangong table found" in w or "prints no unit" in w) for w in warnings)
    # the other tables of the document still load, in 元 as printed
    assert db.execute("select amount from declared_totals where table_role = 'gpb_expenditure' "
                      "and kind = 'total' and [column] = 'total'").fetchone() == (195774300,)
