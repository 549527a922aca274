"""Reconciliation of the two real Shanghai samples (../shared/samples): no false failures, and
each failure that remains is a difference a reader finds on the printed page.

Every expected value here was read off the rendered PDF pages (page numbers in comments)."""
import sqlite3
from collections import Counter

import pytest

from conftest import SAMPLES, load

BUDGET = SAMPLES / "shanghai_putuo_wanli_jiedao_2024_dept_budget.pdf"
FINAL = SAMPLES / "shanghai_putuo_ghzyj_2024_juesuan.pdf"
BUDGET_SLUG = "上海市普陀区人民政府万里街道办事处-2024-部门预算"
FINAL_SLUG = "上海市普陀区规划和自然资源局-2024-部门决算"

pytestmark = pytest.mark.skipif(not (BUDGET.exists() and FINAL.exists()),
                                reason="the Shanghai samples (../shared/samples) are not present")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("samples") / "samples.db"
    result = load(path, BUDGET, FINAL)
    assert result.exit_code == 0, result.output
    return path


def checks(db_path, slug, **where):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    clauses = "".join(f" and {k} = ?" for k in where)
    try:
        return [dict(r) for r in conn.execute(f"select * from checks where document = ?{clauses} order by id",
                                              [slug, *where.values()])]
    finally:
        conn.close()


@pytest.mark.parametrize("slug, counts", [
    (BUDGET_SLUG, {"pass": 815, "fail": 1, "unmatched": 5, "skipped": 16}),
    (FINAL_SLUG, {"pass": 370, "fail": 15, "unmatched": 12, "skipped": 36}),
])
def test_counts_per_status(db_path, slug, counts):
    assert Counter(c["status"] for c in checks(db_path, slug)) == counts


@pytest.mark.parametrize("slug", [BUDGET_SLUG, FINAL_SLUG])
def test_income_rows_add_up_to_their_sources(db_path, slug):
    # 财政拨款收入 is a source of its own where there is no 一般公共预算 column
    rows = checks(db_path, slug, rule="row.income_total=sources")
    assert rows and {c["status"] for c in rows} == {"pass"}


def test_budget_fails_only_where_the_narrative_misprints_a_figure(db_path):
    # page 9, line 147: 住房公积金（项） is 350.35万元 (table 2210201: 3,503,499 元), and the same
    # item then says 2024年预算安排352.67万元; its rate 0.53% fits 350.35, not 352.67
    (fail,) = checks(db_path, BUDGET_SLUG, status="fail")
    assert fail["rule"] == "narrative.claim" and "352.67万元 = expenditure 2210201 住房公积金" in fail["scope"]
    assert (fail["expected"], fail["actual"]) == (350.3499, 352.67)


@pytest.mark.parametrize("rule, scope, expected, actual", [
    # page 14-15: 合计 9746.50 but 基本 5364.75 + 项目 4381.74 = 9746.49; 212 / 21201 / 2120101 likewise
    ("row.total=basic+project", "gpb_expenditure 合计", 97465000, 97464900),
    ("row.total=basic+project", "gpb_expenditure 212", 38323600, 38323500),
    ("row.total=basic+project", "gpb_expenditure 21201", 10928000, 10927900),
    ("row.total=basic+project", "gpb_expenditure 2120101", 10928000, 10927900),
    # page 16: 301 items 4816.14 + 303 67.96 = 4884.10, printed 人员经费合计 4884.09
    ("table.sum=declared_total", "basic_expenditure 人员经费合计 personnel", 48840900, 48841000),
    # page 16: 302 items 440.88 + 310 39.76 = 480.64, printed 公用经费合计 480.66
    ("table.sum=declared_total", "basic_expenditure 公用经费合计 public", 4806600, 4806400),
    # page 16: 302 商品和服务支出 printed 440.90, its items add up to 440.88
    ("table.sum=subtotal", "basic_expenditure 302 商品和服务支出 total", 4409000, 4408800),
    # page 12-13: the 财政拨款收支总表's items add up to 9746.49, 本年支出合计 9746.50
    ("table.sum=declared_total", "appropriation_summary 支出 本年支出合计", 9746500 * 10, 97464900),
    # page 7 vs page 10-11: 收支总表 卫生健康支出 236.63 / 城乡社区支出 3845.25, 支出决算表 236.64 / 3845.24
    ("cross.summary=expenditure", "九、卫生健康支出 = expenditure 210", 2366400, 2366300),
    ("cross.summary=expenditure", "十一、城乡社区支出 = expenditure 212", 38452400, 38452500),
    # page 12 vs page 14: 财政拨款收支总表 卫生健康支出 236.63, 一般公共预算财政拨款支出决算表 210 236.64
    ("cross.appropriation_summary=fund_tables", "九、卫生健康支出 = gpb_expenditure 210", 2366400, 2366300),
])
def test_final_accounts_real_differences_are_found(db_path, rule, scope, expected, actual):
    (c,) = [c for c in checks(db_path, FINAL_SLUG, rule=rule) if c["scope"] == scope]
    assert (c["status"], c["expected"], c["actual"]) == ("fail", expected, actual)


def test_final_accounts_fail_only_on_those_and_the_narrative(db_path):
    failed = {(c["rule"], c["scope"].split(" = ")[0] if c["rule"].startswith("narrative") else c["scope"])
              for c in checks(db_path, FINAL_SLUG, status="fail")}
    narrative = {scope for rule, scope in failed if rule.startswith("narrative")}
    assert len(failed) == 15
    assert narrative == {
        # page 21: 卫生健康支出（类）236.63 万元, the table prints 236.64
        "说明 五、一般公共预算财政拨款支出决算情况说明 （二）一般公共预算财政拨款支出决算结构情况: 卫生健康支出（类） 236.63万元",
        # page 24: 一般公共预算财政拨款基本支出 5377.64 万元 (the all-funds 基本支出), 人员经费 4896.98 万元;
        # the 基本支出表 prints 人员经费合计 4884.09 + 公用经费合计 480.66 = 5364.75
        "说明 六、一般公共预算财政拨款基本支出决算情况说明: 一般公共预算财政拨款基本支出 5377.64万元",
        "说明 六、一般公共预算财政拨款基本支出决算情况说明: 人员经费 4896.98万元",
        # page 27: 政府采购金额 2319.21 万元, 其中 货物 122.43 + 工程 1387.72 + 服务 809.07 = 2319.22
        "说明 十一、其他重要事项的情况说明 （二）政府采购支出情况: 上海市普陀区规划和自然资源局 2024 年度政府采购金额（以合同签订为准） 2319.21万元",
    }


def test_final_accounts_balance_total_against_total(db_path):
    # page 7: 本年收入合计 9746.50 ≠ 本年支出合计 9759.38 legitimately; 总计 9859.38 = 总计 9859.38
    rows = checks(db_path, FINAL_SLUG, rule="table.balance")
    assert {(c["scope"], c["status"]) for c in rows} == {
        ("summary 总计 = 总计 (收入 总计 = 支出 总计)", "pass"),
        ("appropriation_summary 总计 = 总计 (收入 总计 = 支出 总计)", "pass"),
    }
    (income,) = [c for c in checks(db_path, FINAL_SLUG, rule="table.sum=declared_total")
                 if c["scope"].startswith("summary 收入 总计 =")]
    assert (income["status"], income["expected"]) == ("pass", 98593800)  # 9746.50 + 112.88


def test_sangong_parts_leave_out_running_costs(db_path):
    # page 31: 公务接待费 1.35 has no parts; 机关运行经费 443.18 is printed beside 三公, not in it
    rows = {c["scope"]: c for c in checks(db_path, BUDGET_SLUG) if c["scope"].startswith("sangong")}
    assert rows["sangong 公务用车购置及运行费"]["status"] == "pass"  # 46.56 = 25 + 21.56
    assert "sangong 公务接待费" not in rows


@pytest.mark.parametrize("subject, code, amount", [
    ("“一般公共服务支出（类）统计信息事务（款）专项普查活动（项）” 25.77万元", "2010507", 25.77),
    ("“社会保障和就业支出（类）红十字事业（款）一般行政管理事务（项）” 4.44万元", "2081602", 4.44),
    ("“城乡社区支出（类）城乡社区管理事务（款）城管执法（项）” 604.34万元", "2120104", 604.339),
])
def test_function_claims_tied_to_their_code(db_path, subject, code, amount):
    found = [c for c in checks(db_path, BUDGET_SLUG, rule="narrative.claim") if f": {subject} = " in c["scope"]]
    assert found and all(c["status"] == "pass" and f" {code} " in c["scope"] and c["expected"] == amount
                         for c in found)


def test_prior_year_execution_figures_are_stored_and_rates_checked(db_path):
    conn = sqlite3.connect(db_path)
    try:
        prior = conn.execute("select year, item, current, prior from prior_year where document = ? and item like ?",
                             [BUDGET_SLUG, "%专项普查活动%"]).fetchall()
    finally:
        conn.close()
    # page 6, lines 70-71: 2023年当年预算执行数为60.13万元
    assert (2023, 257700, 601300) in {(y, c, p) for y, _, c, p in prior}
    (rate,) = [c for c in checks(db_path, BUDGET_SLUG, rule="narrative.change_rate") if "专项普查活动" in c["scope"]]
    assert (rate["status"], rate["expected"], rate["actual"]) == ("pass", -57.1429, -57.14)  # (25.77−60.13)/60.13
    assert not [c for c in checks(db_path, BUDGET_SLUG, status="unmatched") if "执行数" in c["scope"]]


def test_budget_narrative_after_the_tables(db_path):
    rows = {c["scope"].split(": ", 1)[1]: c for c in checks(db_path, BUDGET_SLUG)
            if c["rule"].startswith("narrative") and ": " in c["scope"]}
    def one(prefix):
        (c,) = [c for s, c in rows.items() if s.startswith(prefix)]
        return c
    assert one("“三公”经费预算数 47.91万元 = 三公 合计")["status"] == "pass"
    assert one("公务用车购置及运行费 46.56万元 = 三公 公务用车购置及运行费")["status"] == "pass"
    assert one("公务用车购置费 25万元 = 三公 公务用车购置费")["status"] == "pass"
    assert one("公务用车运行费 21.56万元 = 三公 公务用车运行费")["status"] == "pass"
    assert one("公务接待费 1.35万元 = 三公 公务接待费")["status"] == "pass"
    assert one("上海市普陀区人民政府万里街道办事处（部门）下属1家机关和1家参公事业单位财政拨款的机关运行经费 443.18万元 = "
               "三公 机关运行经费")["status"] == "pass"
    (purchase,) = checks(db_path, BUDGET_SLUG, rule="narrative.parts_sum")
    assert (purchase["status"], purchase["expected"], purchase["actual"]) == ("pass", 1662.44, 1662.44)
    (sangong,) = checks(db_path, BUDGET_SLUG, rule="narrative.change_sum")
    assert (sangong["status"], sangong["expected"], sangong["actual"]) == ("pass", 25, 25)
    # 事业单位经营收入 0.00万元 is the 收支总表's own item, not its 收入总计
    assert one("事业单位经营收入 0.00万元 = 收支总表 三、事业单位经营收入")["status"] == "pass"
