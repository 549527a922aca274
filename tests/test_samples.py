"""The two sample disclosures from Shanghai load completely: every row of the functional and
economic tables, sums equal to the printed 合计 (except where the document itself differs),
no unparsed data lines, and the right metadata. Figures were read off the rendered pages."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from datasette_budget.disclosure import read_disclosure

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
BUDGET = SAMPLES / "shanghai_putuo_wanli_jiedao_2024_dept_budget.pdf"
JUESUAN = SAMPLES / "shanghai_putuo_ghzyj_2024_juesuan.pdf"

pytestmark = pytest.mark.skipif(
    not (BUDGET.exists() and JUESUAN.exists()), reason="sample PDFs in ../shared/samples are absent"
)


@pytest.fixture(scope="module")
def budget():
    return read_disclosure(BUDGET)


@pytest.fixture(scope="module")
def juesuan():
    return read_disclosure(JUESUAN)


def table(doc, role):
    return next(t for t in doc.tables if t.role == role)


def row(doc, role, code):
    return next(r for r in table(doc, role).rows if r["code"] == code)


def leaf_sum(t, column, rows=None):
    return sum(Decimal(str(r["values"].get(column) or 0)) for r in (rows if rows is not None else t.rows))


def declared(t, label="合计"):
    return next(x for x in t.totals if x["kind"] == "total" and x["label"] == label)["values"]


def test_metadata(budget, juesuan):
    assert {k: budget.meta[k] for k in ("department", "year", "phase", "level", "region")} == {
        "department": "上海市普陀区人民政府万里街道办事处", "year": 2024, "phase": "预算", "level": "部门",
        "region": "上海市普陀区"}
    # the table pages print 上海市规划和自然资源局 once, a typo; the document names itself otherwise
    assert {k: juesuan.meta[k] for k in ("department", "year", "phase", "level", "region")} == {
        "department": "上海市普陀区规划和自然资源局", "year": 2024, "phase": "决算", "level": "部门",
        "region": "上海市普陀区"}


def test_units_per_table(budget, juesuan):
    assert {t.role: t.unit for t in budget.tables}["sangong"] == "万元"
    assert {t.role: t.unit for t in budget.tables}["expenditure"] == "元"
    assert {t.unit for t in juesuan.tables} == {"万元"}


def test_nothing_unparsed(budget, juesuan):
    assert budget.unparsed == []
    assert juesuan.unparsed == []


@pytest.mark.parametrize(
    "sample,role,leaves,count,columns",
    # (sample, role, 项 rows, every printed code row including 类/款 subtotals, columns)
    [("budget", "income", 33, 66, ["total", "appropriation", "business", "operating", "other"]),
     ("budget", "expenditure", 33, 66, ["total", "basic", "project"]),
     ("budget", "gpb_expenditure", 33, 66, ["total", "basic", "project"]),
     ("budget", "basic_expenditure", 28, 31, ["total", "personnel", "public"]),
     ("juesuan", "income", 13, 24,
      ["total", "appropriation", "superior_subsidy", "business", "operating", "affiliated", "other"]),
     ("juesuan", "expenditure", 13, 24,
      ["total", "basic", "project", "remit_superior", "operating", "affiliated_subsidy"]),
     ("juesuan", "gpb_expenditure", 13, 24, ["total", "basic", "project"])],
)
def test_tables_load_every_row_and_add_up(request, sample, role, leaves, count, columns):
    t = table(request.getfixturevalue(sample), role)
    assert t.columns == columns
    assert len(t.rows) == leaves
    assert len(t.rows) + sum(1 for x in t.totals if x["kind"] == "subtotal") == count
    total = declared(t)
    for column in columns:
        assert leaf_sum(t, column) == Decimal(total[column]), column


def test_budget_figures(budget):
    assert row(budget, "expenditure", "2120101")["values"] == {"total": 16603248, "basic": 16353248, "project": 250000}
    assert row(budget, "gpb_expenditure", "2120101")["name"] == "行政运行"
    assert row(budget, "income", "2080505")["values"]["appropriation"] == 4608515
    # printed 301 2 (a typo for 301 02)
    assert row(budget, "basic_expenditure", "30102")["values"] == {"total": 16623810, "personnel": 16623810, "public": 0}
    assert declared(table(budget, "expenditure"))["total"] == 156211123


def test_budget_sangong(budget):
    t = table(budget, "sangong")
    amounts = {r["kind"]: r["values"]["amount"] for r in t.rows + t.totals}
    assert amounts == {"total": 479100, "abroad": 0, "reception": 13500, "vehicle": 465600,
                       "vehicle_purchase": 250000, "vehicle_operation": 215600, "running_cost": 4431800}


def test_juesuan_figures_and_wrapped_names(juesuan):
    assert row(juesuan, "expenditure", "2120101")["values"]["total"] == 11056800
    assert row(juesuan, "expenditure", "2080505")["name"] == "机关事业单位基本养老保险缴费支出"
    assert row(juesuan, "income", "2080506")["name"] == "机关事业单位职业年金缴费支出"
    # page 14: names centred on their row, split above and below the code line
    assert row(juesuan, "gpb_expenditure", "2080505")["name"] == "机关事业单位基本养老保险缴费支出"
    assert row(juesuan, "gpb_expenditure", "2101101")["name"] == "行政单位医疗"
    assert row(juesuan, "gpb_expenditure", "2200199")["values"] == {"total": 450000, "basic": 0, "project": 450000}
    subtotals = {x["code"]: x["name"] for x in table(juesuan, "gpb_expenditure").totals if x["kind"] == "subtotal"}
    assert subtotals["208"] == "社会保障和就业支出" and subtotals["21011"] == "行政事业单位医疗"
    assert subtotals["22102"] == "住房改革支出"  # its code printed alone at the top of page 15


def test_juesuan_basic_table_side_by_side(juesuan):
    t = table(juesuan, "basic_expenditure")
    assert len(t.rows) == 61 and len([x for x in t.totals if x["kind"] == "subtotal"]) == 4
    assert row(juesuan, "basic_expenditure", "30108")["name"] == "机关事业单位基本养老保险缴费"
    assert row(juesuan, "basic_expenditure", "31007")["name"] == "信息网络及软件购置更新"
    assert row(juesuan, "basic_expenditure", "30201")["values"] == {"total": 846200}
    personnel = [r for r in t.rows if r["code"][:3] in ("301", "303")]
    public = [r for r in t.rows if r["code"][:3] not in ("301", "303")]
    # differences printed in the document: 301 + 303 = 4884.10 against 人员经费合计 4884.09;
    # the 302 items add up to 440.88 against 440.90 printed for 302, so 公用经费 480.64 against 480.66
    assert leaf_sum(t, "total", personnel) == 48841000
    assert declared(t, "人员经费合计") == {"personnel": 48840900}
    assert leaf_sum(t, "total", public) == 4806400
    assert declared(t, "公用经费合计") == {"public": 4806600}


def test_juesuan_summary(juesuan):
    t = table(juesuan, "summary")
    items = {(r["side"], r["name"]): r["values"]["amount"] for r in t.rows}
    assert items[("支出", "社会保障和就业支出")] == 7547500  # printed after 八、其他收入 with no amount
    assert items[("收入", "其他收入")] is None
    assert items[("收入", "年初结转和结余")] == 1128800
    assert items[("支出", "年末结转和结余")] == 1000000
    # the summary prints 卫生健康支出 236.63 and 城乡社区支出 3845.25, the detail tables 236.64 and 3845.24
    assert items[("支出", "卫生健康支出")] == 2366300
    spent = sum(r["values"]["amount"] or 0 for r in t.rows if r["side"] == "支出" and r["depth"] == 1)
    assert spent == declared(t, "本年支出合计")["amount"] == 97593800
    a = table(juesuan, "appropriation_summary")
    assert ("支出", "灾害防治及应急管理支出") in {(r["side"], r["name"]) for r in a.rows}


def test_juesuan_sangong(juesuan):
    t = table(juesuan, "sangong")
    values = {r["kind"]: r["values"] for r in t.rows + t.totals}
    assert values["total"] == {"budget_amount": 28500, "amount": 3900}
    assert values["reception"] == {"budget_amount": 28500, "amount": 3900}
    assert values["abroad"] == {"budget_amount": 0, "amount": 0}
