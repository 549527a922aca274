"""The layout readers (datasette_budget/read/) on real corpus pages: each test is one layout
the corpus README describes, with the figures it prints (README, expected.csv, or the
rendered page where said).

Skipped when the corpus is absent, except in CI (CI=true), where that fails.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@lru_cache(maxsize=None)
def disclosure(stem: str):
    path = CORPUS / f"{stem}.pdf"
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the corpus is missing: expected {CORPUS.name}/{path.name}")
        pytest.skip(f"no corpus at {CORPUS.name}/")
    from datasette_budget.disclosure import read_disclosure

    return read_disclosure(path)


def table(stem: str, role: str):
    return next(t for t in disclosure(stem).tables if t.role == role)


def test_only_the_last_thousands_separator():
    # 职业能力考试院 prints 120258,600 and 1851,801: commas are separators wherever they are
    figures = {v for t in disclosure("shanghai_zhiyenengli_kaoshiyuan_2026_budget").tables
               for r in t.rows + t.totals for v in r["values"].values()}
    assert {120258600, 1851801} <= figures


def test_codes_split_over_columns_and_subtotals():
    t = table("shanghai_shenjiju_2026_budget", "gpb_expenditure")
    subtotals = {r["code"]: r["values"] for r in t.totals if r["kind"] == "subtotal"}
    # 201 | 08 | 01: the 类 row fills only the first column, the 款 row two (expected.csv)
    assert subtotals["201"] == {"total": 134339860, "basic": 114479860, "project": 19860000}
    assert "20108" in subtotals and len([r for r in t.rows if len(r["code"]) == 7]) == 13
    assert sum(r["values"]["total"] for r in t.rows) == 195774300  # = the 合计 printed last


def test_economic_sub_items_are_not_counted_with_their_kuan():
    # 重庆 表六: 3010201 规范性津补贴 and 3010202 其他津补贴 under 30102 津贴补贴
    t = table("chongqing_zhengfubangongting_2026_budget", "basic_expenditure")
    assert "30102" in {r["code"] for r in t.totals if r["kind"] == "subtotal"}
    assert {"3010201", "3010202"} <= {r["code"] for r in t.rows}
    assert "30102" not in {r["code"] for r in t.rows}
    assert sum(r["values"]["total"] for r in t.rows if r["code"].startswith("301")) == 65094100  # expected.csv


def test_fused_codes():
    # 珠海 表6: [301]工资福利支出, [30101]基本工资 in one cell
    t = table("zhuhai_shangwuju_2026_budget", "basic_expenditure")
    assert {r["code"]: r["values"]["total"] for r in t.totals if r["kind"] == "subtotal"}["301"] == 51327400
    assert next(r for r in t.rows if r["code"] == "30101")["name"] == "基本工资"


def test_prior_year_panel_and_split_basic():
    # 重庆 政府办公厅 表五: 2025年预算数 before the 2026 columns, 基本支出 split into 人员经费 | 公用经费
    t = table("chongqing_zhengfubangongting_2026_budget", "gpb_expenditure")
    total = next(r for r in t.totals if r["kind"] == "total")["values"]
    assert total["prior_year"] == 156358000 and total["total"] == 184177000  # expected.csv
    assert total["basic"] == 90184700 and total["basic_personnel"] + total["basic_public"] == 90184700


def test_a_panel_subtotal_that_disagrees_is_flagged():
    # 长春 预算表3 p8 (rendered page): 2014002 prints 合计 458.00 but 当年预算 小计 0.00
    t = table("changchun_xinfangju_2026_budget", "expenditure")
    flagged = [u for u in t.unparsed if u["text"].startswith("2014002")]
    assert flagged and "小计" in flagged[0]["reason"] and "458.00" in flagged[0]["reason"]
    assert next(r for r in t.rows if r["code"] == "2014002")["values"]["total"] == 4580000


def test_sangong_per_unit():
    # 湖州 表07: a 合计 row, then one row per budget unit (expected.csv: 5 units, 合计 749.83)
    t = table("huzhou_jiaotongyunshuju_2026_budget", "sangong")
    assert next(r for r in t.totals if r["kind"] == "total")["values"]["amount"] == 7498300
    units = [r for r in t.totals if r["kind"] == "unit"]
    assert len(units) == 5 and {r["unit_name"] for r in t.rows if r["unit_name"]} == {u["unit_name"] for u in units}
    department = {r["kind"]: r["values"]["amount"] for r in t.rows if not r["unit_name"]}
    assert department["vehicle"] == 6983000 and department["reception"] == 515300


@pytest.mark.parametrize("stem, kinds", [
    # a 三公 figures row with one decimal (3.2, 6.1 万元), and a bare 0 in 小计 and 机关运行经费
    ("shanghai_zhujianwei_rencaikaifa_2026_budget", {"total": 32000}),
    ("shanghai_tuiyijunren_fuwuzhongxin_2026_budget", {"total": 61000}),
    ("shanghai_keda_fushuxuexiao_2026_budget", {"vehicle": 0, "running_cost": 0}),
])
def test_sangong_figures(stem, kinds):
    t = table(stem, "sangong")
    read = {r["kind"]: r["values"]["amount"] for r in t.rows + t.totals}
    assert {k: read.get(k) for k in kinds} == kinds and not t.unparsed


def test_a_blank_sangong_row_is_an_empty_table():
    # 域外农场管理办公室: the 三公 figures row is entirely blank
    t = table("shanghai_yuwainongchang_2026_budget", "sangong")
    assert t.status == "empty" and not t.unparsed


def test_vertical_sangong():
    # 泉州 十: one item per row under 预算数 (expected.csv)
    t = table("quanzhou_zhengfubangongshi_2026_budget", "sangong")
    read = {r["kind"]: (r["values"]["amount"], r["depth"]) for r in t.rows}
    assert read["vehicle"] == (2939000, 1) and read["vehicle_purchase"] == (2619000, 2)


def test_rows_by_unit():
    # 苏州 收入总表: the department's row 123 and its units 123001 …
    t = table("suzhou_jiaotongyunshuju_2026_budget", "income")
    assert not t.rows
    kinds = {r["code"]: r["kind"] for r in t.totals if r.get("code")}
    assert kinds["123"] == "department" and kinds["123001"] == "unit"


def test_summary_total_printed_first_and_names_only():
    # 重庆: 合计 printed first; 湖州: 类 / 款 / 项 by name only, told apart by their sums
    t = table("chongqing_qixiangju_2026_budget", "summary")
    assert {(r["side"], r["label"]): r["values"]["amount"] for r in t.totals} == {
        ("收入", "合计"): 147706200, ("支出", "合计"): 147706200}  # expected.csv
    assert min(r["line"] for r in t.rows) > max(r["line"] for r in t.totals)
    h = table("huzhou_weijianwei_2026_budget", "summary")
    depth = {r["name"]: r["depth"] for r in h.rows if r["side"] == "支出"}
    assert (depth["科学技术支出"], depth["基础研究"], depth["实验室及相关设施"]) == (1, 2, 3)


def test_a_name_without_a_code():
    """A row printing a name but no code: the code list's only code for that name, marked
    inferred; a name the list gives several codes for (行政运行) is reported, not guessed."""
    from datasette_budget.read.coded import read_coded
    from datasette_budget.read.interpret import Row
    from datasette_budget.read.parsed import ParsedTable

    t = ParsedTable(role="gpb_expenditure", title="一般公共预算支出表", first_line=1, last_line=4, page=1, unit="万元")
    paths = [("科目名称",), ("合计",)]
    read_coded(t, "function", paths, [Row(1, 2, "住房公积金 | 12.50", ["住房公积金", "12.50"]),
                                      Row(1, 3, "行政运行 | 3.00", ["行政运行", "3.00"])])
    assert [(r["code"], r["values"], r.get("inferred_code")) for r in t.rows] == [("2210201", {"total": 125000}, True)]
    assert [(u["line"], u["reason"]) for u in t.unparsed] == [(3, "a row with amounts but no classification code")]
