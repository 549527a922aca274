"""Recognising tables: header columns, rows with blank cells, wrapped names, two tables side
by side, spaced and compact codes, summary items and the one-line 三公 table."""
from __future__ import annotations

import pytest

from datasette_budget.documents import Line
from datasette_budget.tables import (
    EXPENDITURE_COLUMNS,
    EXPENDITURE_GROUPS,
    INCOME_COLUMNS,
    INCOME_GROUPS,
    assign,
    header_columns,
    parse_table,
    split_code,
)


def region(*texts, page=1):
    return [Line(page, n, t) for n, t in enumerate(texts, start=1)]


@pytest.mark.parametrize(
    "header,spec,groups,expected",
    [
        # a wrapped label (事业单位 / 经营收入) printed around the others takes its usual place
        (["事业单位", "功能分类科目名称 合计 财政拨款收入 事业收入 其他收入", "经营收入"],
         INCOME_COLUMNS, INCOME_GROUPS, ["total", "appropriation", "business", "operating", "other"]),
        # 决算: 上级补助收入 before 事业收入 as printed, 附属单位上缴收入 wrapped around the line
        (["附属单位", "功能分类 本年收入合计 财政拨款收入 上级补助收入 事业收入 经营收入 其他收入", "科目名称 上缴收入"],
         INCOME_COLUMNS, INCOME_GROUPS,
         ["total", "appropriation", "superior_subsidy", "business", "operating", "affiliated", "other"]),
        (["对附属单位补", "功能分类 本年支出合计 基本支出 项目支出 上缴上级支出 经营支出", "科目名称 助支出"],
         EXPENDITURE_COLUMNS, EXPENDITURE_GROUPS,
         ["total", "basic", "project", "remit_superior", "operating", "affiliated_subsidy"]),
        # Zhengzhou: every label on its own line, sub-columns after their group
        (["合计", "基本支出 项目支出", "类 款 项 小计", "工资福利", "支出", "对个人和", "家庭的补助", "商品和", "服务支出"],
         EXPENDITURE_COLUMNS, EXPENDITURE_GROUPS,
         ["total", "basic", "basic_wages", "basic_family", "basic_goods", "project"]),
    ],
)
def test_header_columns(header, spec, groups, expected):
    assert header_columns(header, spec, groups) == expected


def test_assign_fewer_amounts_than_columns_when_the_row_sums_prove_the_blanks_zero():
    columns = ["total", "basic", "project", "remit_superior", "operating", "affiliated_subsidy"]
    assert assign(columns, ["1105.68", "1096.91", "8.77"], "万元") == {
        "total": 11056800, "basic": 10969100, "project": 87700,
        "remit_superior": 0, "operating": 0, "affiliated_subsidy": 0,
    }
    income = ["total", "appropriation", "superior_subsidy", "business", "operating", "affiliated", "other"]
    assert assign(income, ["754.75", "754.75"], "万元")["appropriation"] == 7547500


def test_assign_refuses_to_shift_amounts_that_do_not_add_up():
    columns = ["total", "basic", "project", "remit_superior", "operating"]
    assert assign(columns, ["100", "60", "30"], "元") is None  # 10 missing somewhere
    assert assign(["total", "basic", "project"], ["1", "2", "3", "4"], "元") is None


@pytest.mark.parametrize(
    "tokens,code,rest",
    [("201 03 01 行政运行 1".split(), "201 03 01", ["行政运行", "1"]),
     ("2010301 行政运行 1".split(), "2010301", ["行政运行", "1"]),
     ("301 2 津贴补贴 5".split(), "301 2", ["津贴补贴", "5"])],
)
def test_split_code_spaced_compact_and_typo(tokens, code, rest):
    assert split_code(tokens) == (code, rest)


GPB_HEADER = ["一般公共预算财政拨款支出决算表", "单位：万元", "项目", "合计 基本支出 项目支出", "功能分类", "科目名称", "科目编码"]


def test_wrapped_names_above_and_below_the_code_line_are_joined():
    table = parse_table("gpb_expenditure", region(
        *GPB_HEADER,
        "社会保障和就", "208 754.75 754.75 0.00", "业支出",
        "行政事业单位", "20805 754.75 754.75 0.00", "养老支出",
        "机关事业单位", "2080505 基本养老保险 446.11 446.11 0.00", "缴费支出",
        "卫生健康支出", "210 236.64 236.64 0.00",
        "行政事业单位", "21011 236.64 236.64 0.00", "医疗",
        "行政单位医疗", "2101101 40.35 40.35 0.00",
        "221 住房保障支出 461.08 461.08 0.00",
        "22102",
        "住房改革支出 461.08 461.08 0.00",
        "2210201 住房公积金 461.08 461.08 0.00",
        "合计 1662.47 1662.47 0.00",
    ))
    names = {r["code"]: r["name"] for r in table.rows + table.totals if r.get("code")}
    assert names == {
        "208": "社会保障和就业支出", "20805": "行政事业单位养老支出",
        "2080505": "机关事业单位基本养老保险缴费支出", "210": "卫生健康支出",
        "21011": "行政事业单位医疗", "2101101": "行政单位医疗",
        "221": "住房保障支出", "22102": "住房改革支出", "2210201": "住房公积金",
    }
    assert table.unparsed == []
    assert [r["code"] for r in table.rows] == ["2080505", "2101101", "2210201"]


def test_a_name_continued_on_the_next_line():
    table = parse_table("income", region(
        "收入决算表", "单位：万元", "功能分类 本年收入合计 财政拨款收入 其他收入", "科目名称",
        "2080505 机关事业单位基本养老保险缴 446.11 446.11", "费支出",
        "2080506 机关事业单位职业年金缴费支 225.12 225.12", "出",
    ))
    assert [r["name"] for r in table.rows] == ["机关事业单位基本养老保险缴费支出", "机关事业单位职业年金缴费支出"]
    assert table.rows[0]["values"] == {"total": 4461100, "appropriation": 4461100, "other": 0}


def test_two_tables_side_by_side_are_split_and_assigned_by_code():
    table = parse_table("basic_expenditure", region(
        "一般公共预算财政拨款基本支出决算表", "单位：万元",
        "经济分类 经济分类", "科目名称 决算数 科目名称 决算数", "科目编码 科目编码",
        "301 工资福利支出 1000.00 302 商品和服务支出 30.00",
        "30101 基本工资 600.00 30201 办公费 10.00",
        "机关事业单位基本养老保",
        "30108 400.00 30206 电费 20.00",
        "险缴费",
        "30299 其他商品和服务支出 0.00",
        "310 资本性支出 5.00",
        "信息网络及软件购置",
        "31007 5.00",
        "更新",
        "人员经费合计 1000.00 公用经费合计 35.00",
    ))
    rows = {r["code"]: (r["name"], r["values"]["total"]) for r in table.rows}
    assert rows == {
        "30101": ("基本工资", 6000000), "30108": ("机关事业单位基本养老保险缴费", 4000000),
        "30201": ("办公费", 100000), "30206": ("电费", 200000), "30299": ("其他商品和服务支出", 0),
        "31007": ("信息网络及软件购置更新", 50000),
    }
    assert {t["label"]: t["values"] for t in table.totals if t["kind"] == "total"} == {
        "人员经费合计": {"personnel": 10000000}, "公用经费合计": {"public": 350000}}
    assert table.unparsed == []


def test_summary_items_blank_cells_wraps_and_carry_over():
    table = parse_table("summary", region(
        "收入支出决算总表", "单位：万元", "收入 支出", "项目 决算数 项目 决算数",
        "一、一般公共预算财政拨款收入 100.00 一、一般公共服务支出",
        "八、其他收入 二、社会保障和就业支出 90.00",
        "三、灾害防治及应急管理支",
        "出",
        "本年收入合计 100.00 本年支出合计 90.00",
        "使用非财政拨款结余 结余分配",
        "年初结转和结余 5.00 年末结转和结余 15.00",
        "总计 105.00 总计 105.00",
    ))
    items = {(r["side"], r["name"]): (r["values"]["amount"], r["depth"]) for r in table.rows}
    assert items[("支出", "社会保障和就业支出")] == (900000, 1)
    assert items[("收入", "其他收入")] == (None, 1)
    assert items[("支出", "灾害防治及应急管理支出")] == (None, 1)
    assert items[("收入", "年初结转和结余")] == (50000, 0)
    assert items[("支出", "结余分配")] == (None, 0)
    assert [(t["label"], t["side"]) for t in table.totals] == [
        ("本年收入合计", "收入"), ("本年支出合计", "支出"), ("总计", "收入"), ("总计", "支出")]
    assert table.unparsed == []


def test_one_line_sangong_table_read_by_header_and_sums():
    table = parse_table("sangong", region(
        "部门“三公”经费和机关运行经费预算表", "编制部门：某部门 单位:万元",
        "2024年“三公”经费预算数", "2024年机关运行经", "公务用车购置及运行费", "费预算数",
        "合计 因公出国(境)费 公务接待费", "小计 购置费 运行费",
        "47.91 0 1.35 46.56 25 21.56 443.18",
    ))
    values = {r["kind"]: r["values"]["amount"] for r in table.rows + table.totals}
    assert values == {"total": 479100, "abroad": 0, "reception": 13500, "vehicle": 465600,
                      "vehicle_purchase": 250000, "vehicle_operation": 215600, "running_cost": 4431800}
    assert table.unparsed == []


def test_one_line_sangong_table_that_does_not_add_up_is_reported():
    table = parse_table("sangong", region(
        "“三公”经费支出表", "单位：万元", "合计 因公出国(境)费 公务接待费", "小计 购置费 运行费",
        "40 1 2 3 4 5",
    ))
    assert table.rows == [] and len(table.unparsed) == 1
