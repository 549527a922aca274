"""Reconciliation of the seed: the checks find the document's own inconsistencies, tie every
说明 figure to a table figure, and show them through the CLI report and a canned query.

Every expected value here was read off data/documents/zhengzhou-xinfang-2021-budget.txt."""
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from datasette.cli import cli

from conftest import SEED, SEED_SLUG, load, rows
from corpus import write_corpus

from datasette_budget.checks import _compare


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("checks") / "seed.db"
    result = load(db_path, SEED)
    assert result.exit_code == 0, result.output
    return db_path


def checks(db_path, **where):
    clauses = " and ".join(f"{k} = ?" for k in where)
    return rows(db_path, f"select * from checks where document = ? {'and ' + clauses if clauses else ''} order by id",
                [SEED_SLUG, *where.values()])


def test_seed_fails_exactly_on_its_two_real_inconsistencies(seed_db):
    failed = checks(seed_db, status="fail")
    assert {(c["rule"], c["scope"]) for c in failed} == {
        ("row.economic_class=column", "economic_expenditure 31002 资本性支出"),
        *{("cross.economic_class=function_column", f"economic {cls} basic = {role} {column}")
          for cls, column in (("302", "商品服务支出"), ("310", "资本性支出"))
          for role in ("gpb_expenditure", "expenditure", "summary", "appropriation_summary")},
        ("narrative.change_sum", "“三公”经费预算 -2.92万元 = 因公出国（境）费 0 + 公务用车购置费 0 + "
                                 "公务用车运行维护费 -5.92 + 公务接待费 0"),
    }
    assert not checks(seed_db, status="unmatched")


def test_sangong_change_is_not_the_sum_of_its_items_changes(seed_db):
    (check,) = checks(seed_db, rule="narrative.change_sum", status="fail")
    # line 185: 22.80万元，比 2020年减少 2.92万元; line 203: 运行维护费…减少 5.92万元
    assert (check["expected"], check["actual"], check["difference"]) == (-2.92, -5.92, -3)
    assert check["unit"] == "万元"
    assert {185, 203} <= set(json.loads(check["source_lines"]))


def test_office_equipment_booked_as_goods_and_services(seed_db):
    (row,) = checks(seed_db, rule="row.economic_class=column", status="fail")
    # line 746: 310 02 办公设备购置 … 390,000 390,000 0 0 390,000 0 …
    assert (row["expected"], row["actual"], row["difference"]) == (390000, 0, -390000)
    assert json.loads(row["source_lines"]) == [746]
    assert "booked in 商品服务支出" in row["note"]
    # line 358: 4、资本性支出 printed blank in 收支总表, while class 310 holds 390,000
    (summary,) = [c for c in checks(seed_db, status="fail") if c["scope"] == "economic 310 basic = summary 资本性支出"]
    assert (summary["expected"], summary["actual"]) == (0, 390000)
    assert 358 in json.loads(summary["source_lines"]) and 746 in json.loads(summary["source_lines"])


@pytest.mark.parametrize("subject, expected, actual, note", [
    # 10,333,579 元 (301 + 303 of the 基本支出 table) is 1033.3579万元: 1033.35 only by truncation
    ("人员经费 1033.35万元", 1033.3579, 1033.35, "matches only by truncation"),
    # 302 + 310 = 4,205,670 元: 420.567 rounds to 420.57, printed 420.56
    ("公用经费 420.56万元", 420.567, 420.56, "matches only by truncation"),
    ("运行经费 420.56万元", 420.567, 420.56, "matches only by truncation"),
    # 201 一般公共服务支出 13,931,481 元 rounds to 1393.15 (truncation would give 1393.14)
    ("一般公共服务支出 1393.15万元", 1393.1481, 1393.15, None),
    # 对个人和家庭的补助 617,570 元 = 61.757: rounded, unlike 人员经费
    ("个人和家庭补助支出 61.76万元", 61.757, 61.76, None),
    # 9,716,009 元 printed with one decimal
    ("工资福利支出 971.6万元", 971.6009, 971.6, "printed to 1 decimal place"),
    ("“三公”经费预算 22.80万元", 22.8, 22.8, None),
    ("项目支出 359万元", 359, 359, None),
])
def test_narrative_amounts_tied_to_table_figures(seed_db, subject, expected, actual, note):
    found = [c for c in checks(seed_db, rule="narrative.claim") if f": {subject} =" in c["scope"]]
    assert found, subject
    for c in found:
        assert c["status"] == "pass"
        assert (c["expected"], c["actual"]) == (expected, actual)
        assert (note in c["note"]) if note else c["note"] is None


@pytest.mark.parametrize("subject, expected", [
    ("基本支出 80.20%", 80.1977),  # 14,539,249 / 18,129,249
    ("项目支出 19.80%", 19.8023),
    ("一般公共服务支出 76.85%", 76.8453),
    ("人员经费 71.07%", 71.0737),  # 10,333,579 / 14,539,249
    ("公用经费 28.93%", 28.9263),
])
def test_shares_checked_against_their_totals(seed_db, subject, expected):
    (c,) = [c for c in checks(seed_db, rule="narrative.share") if f": {subject} of" in c["scope"]]
    assert (c["status"], c["expected"], c["unit"]) == ("pass", expected, "%")


def test_stated_changes_imply_prior_year_figures(seed_db):
    prior = {(p["item"], p["year"]): p for p in rows(seed_db, "select * from prior_year where document = ?", [SEED_SLUG])}
    total = prior[("收入预算", 2020)]
    assert (total["current"], total["change"], total["prior"]) == (18129200, 629900, 17499300)  # 1812.92 − 62.99
    assert total["source_line"] == 95
    assert prior[("“三公”经费预算", 2020)]["prior"] == 257200  # 22.80 + 2.92
    assert prior[("公务用车运行维护费", 2020)]["prior"] == 287200  # 22.80 + 5.92
    assert prior[("机关运行经费", 2020)]["prior"] == 4211600  # 420.56 + 0.6
    assert prior[("政府采购预算", 2020)]["prior"] == 150000  # 39 − 24
    (rate,) = [c for c in checks(seed_db, rule="narrative.change_rate") if "收入预算 3.6%" in c["scope"]]
    assert (rate["status"], rate["expected"]) == ("pass", 3.5996)  # 62.99 / 1749.93


def test_rows_and_tables_add_up(seed_db):
    by_rule = {}
    for c in checks(seed_db):
        by_rule.setdefault(c["rule"], set()).add(c["status"])
    for rule in ("row.total=basic+project", "row.basic=parts", "row.project=parts", "row.income_total=sources",
                 "table.sum=parent_item", "table.balance", "cross.summary=income", "cross.summary=expenditure",
                 "cross.function_total=economic_total", "cross.basic_table=economic_basic", "cross.sangong=economic",
                 "cross.procurement=equipment", "cross.income=expenditure"):
        assert by_rule[rule] == {"pass"}, rule
    # the two empty fund tables are skipped, not failed
    assert {c["scope"] for c in checks(seed_db, status="skipped")} == {"fund_expenditure", "capital_expenditure"}


def test_documents_row_carries_check_status(seed_db):
    (doc,) = rows(seed_db, "select check_status, check_summary from documents where slug = ?", [SEED_SLUG])
    assert doc["check_status"] == "fail"
    assert doc["check_summary"].startswith("pass ") and "fail 10" in doc["check_summary"]


def test_check_command_reports_and_strict_exits_1(seed_db):
    result = CliRunner().invoke(cli, ["budget", "check", str(seed_db)])
    assert result.exit_code == 0, result.output
    assert f"{SEED_SLUG}: " in result.output and "10 fail, 0 unmatched, 2 skipped" in result.output
    assert "FAIL      narrative.change_sum" in result.output
    assert "lines 746" in result.output
    assert "matches only by truncation" in result.output
    assert "2020 收入预算: 1749.93万元 (line 95)" in result.output
    strict = CliRunner().invoke(cli, ["budget", "check", str(seed_db), "--strict", "--document", SEED_SLUG])
    assert strict.exit_code == 1
    other = CliRunner().invoke(cli, ["budget", "check", str(seed_db), "--document", "no-such-document"])
    assert "no document 'no-such-document'" in other.output


def test_strict_passes_when_nothing_fails(tmp_path):
    # the seed with 310 02 booked as capital and the 三公 change restated as 5.92: no fail left
    text = SEED.read_text(encoding="utf-8").split("\n")
    assert text[745].startswith("310 02 办公设备购置")
    text[745] = "310 02 办公设备购置 503 06 设备购置_行政 390,000 390,000 0 0 0 390,000 0 0 0 0 0"
    fixed = "\n".join(text)
    fixed = fixed.replace("4,205,670 0 3,590,000", "3,815,670 390,000 3,590,000")  # function tables' 合计 rows
    fixed = fixed.replace("3、商品服务支出 4,205,670", "3、商品服务支出 3,815,670").replace("4、资本性支出\n", "4、资本性支出 390,000\n")
    fixed = fixed.replace("减少 2.92", "减少 5.92")
    # the 说明's 商品和服务支出 and 运行经费 restate the 商品服务 column (lines 128, 214)
    fixed = fixed.replace("商品和服务支出 420.56万", "商品和服务支出 381.56万").replace("运行经费安排 420.56万", "运行经费安排 381.56万")
    fixed = fixed.replace(" 3,588,870 0 0 0 0 0 0", " 3,198,870 390,000 0 0 0 0 0")  # 201 03 01 row
    path = tmp_path / "fixed.txt"
    path.write_text(fixed, encoding="utf-8")
    db_path = tmp_path / "fixed.db"
    assert load(db_path, path).exit_code == 0
    result = CliRunner().invoke(cli, ["budget", "check", str(db_path), "--strict"])
    assert result.exit_code == 0, result.output
    assert "0 fail" in result.output


def test_a_row_that_does_not_add_up_is_a_failed_check_and_load_still_succeeds(tmp_path):
    text = SEED.read_text(encoding="utf-8").replace(
        "201 03 01 行政运行（政府办公厅（室）及相关机构事务） 10,341,481 10,341,481 6,752,611 0 3,588,870",
        "201 03 01 行政运行（政府办公厅（室）及相关机构事务） 10,341,481 10,341,481 6,752,612 0 3,588,870")
    path = tmp_path / "off-by-one.txt"
    path.write_text(text, encoding="utf-8")
    db_path = tmp_path / "x.db"
    result = load(db_path, path)
    assert result.exit_code == 0, result.output
    bad = {(c["rule"], c["scope"]) for c in checks(db_path, status="fail")}
    # line 497 of 部门支出总体情况表 and line 606 of the 一般公共预算支出情况表
    assert ("row.basic=parts", "expenditure 2010301") in bad
    assert ("row.basic=parts", "gpb_expenditure 2010301") in bad
    assert ("table.sum=declared_total", "expenditure 合计 basic_wages") in bad


def test_absent_table_gives_skipped_checks_not_errors(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    db_path = tmp_path / "x.db"
    result = load(db_path, corpus["without_sangong"])
    assert result.exit_code == 0, result.output
    assert "no sangong table found" in result.output
    skipped = checks(db_path, status="skipped")
    assert ("cross.sangong=economic", "this document has no sangong table") in {(c["rule"], c["note"]) for c in skipped}
    sangong_claims = [c for c in skipped if "“三公”经费预算 22.80万元" in c["scope"]]
    assert sangong_claims and "not in this document" in sangong_claims[0]["note"]
    assert not checks(db_path, status="unmatched")


@pytest.mark.asyncio
async def test_reconciliation_canned_query(ds):
    response = await ds.client.get(
        f"/budget/reconciliation.json?document={SEED_SLUG}&status=fail&_shape=array")
    assert response.status_code == 200
    data = response.json()
    assert len(data) == 10
    assert {"document", "rule", "scope", "status", "expected", "actual", "difference", "source_lines"} <= set(data[0])
    everything = (await ds.client.get(f"/budget/reconciliation.json?document={SEED_SLUG}&status=&_shape=array&_size=max")).json()
    assert everything[0]["status"] == "fail"  # failures first
    assert {r["status"] for r in everything} == {"pass", "fail", "skipped"}


@pytest.mark.parametrize("claimed, decimals, exact, status, note", [
    ("1033.35", 2, "1033.3579", "pass", "matches only by truncation"),
    ("1033.36", 2, "1033.3579", "pass", None),
    ("1033.30", 2, "1033.3579", "fail", "the figure is 1033.36"),
    ("359", 0, "359", "pass", None),
    ("3.6", 1, "3.59957", "pass", "printed to 1 decimal place"),
])
def test_rounding_and_truncation(claimed, decimals, exact, status, note):
    got_status, got_note = _compare(Decimal(claimed), decimals, Decimal(exact))
    assert got_status == status
    assert (note in got_note) if note else got_note is None
