"""The tables printed beside the main ones (财政拨款支出表, 财政拨款基本支出表, 机关运行经费,
项目支出 by economic code, 项目支出预算表), each in a table of its own, and the code a name
printed without one is given (code_inferred). Figures are read from the rendered pages of the
corpus PDFs (万元 × 10,000 = 元)."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from datasette_budget.loader import load_paths

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def need_corpus(name: str) -> None:
    if not (CORPUS / name).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the corpus is missing: expected {CORPUS.name}/{name} beside the repository")
        pytest.skip("the corpus is not beside the repository")


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    names = ["suzhou_shenjiju_2026_budget.pdf", "huzhou_tuiyijunrenju_2026_budget.pdf",
             "shanghai_zuanshibaoyushi_2026_budget.pdf", "zhuhai_shangwuju_2026_budget.pdf"]
    for name in names:
        need_corpus(name)
    db_path = tmp_path_factory.mktemp("beside") / "b.db"
    report = load_paths(db_path, [CORPUS / n for n in names])
    assert not report["failed"], report["failed"]
    return sqlite3.connect(db_path)


def test_appropriation_expenditure_by_function(corpus_db):
    # 苏州 审计局 公开05 财政拨款支出表（功能科目）, p14: 2010801 行政运行 2,342.00 = 1,946.40 + 395.60
    row = corpus_db.execute(
        "select total, basic, basic_personnel, basic_public, project, code_inferred from appropriation_expenditure "
        "where document = '苏州市审计局-2026-部门预算' and function_code = '2010801'").fetchone()
    assert row == (23420000, 23420000, 19464000, 3956000, 0, 0)
    # 上海 钻石宝玉石 单位预算05表, p11: 221 02 03 购房补贴 449,550 元, 合计 7,233,086
    assert corpus_db.execute(
        "select total, basic_personnel from appropriation_expenditure where document like '上海钻石%' "
        "and function_code = '2210203'").fetchone() == (449550, 449550)
    # the 财政拨款 rows are in no other line table: the department table's rows stay its own
    assert corpus_db.execute(
        "select count(*) from function_budget_expenditure where fund not in "
        "('一般公共预算', '政府性基金预算', '国有资本经营预算')").fetchone() == (0,)


def test_appropriation_basic_and_running_cost_by_economic_code(corpus_db):
    doc = "苏州市审计局-2026-部门预算"
    # 公开06 财政拨款基本支出表（经济科目）, p15: 30211 差旅费 76.45 (公用经费)
    assert corpus_db.execute(
        "select total, personnel, public from appropriation_basic_expenditure where document = ? "
        "and economic_code = '30211'", [doc]).fetchone() == (764500, 0, 764500)
    # 一般公共预算机关运行经费支出预算表, p21: 30211 差旅费 76.45, 合计 395.60
    assert corpus_db.execute(
        "select total from running_cost_expenditure where document = ? and economic_code = '30211'",
        [doc]).fetchone() == (764500,)
    assert corpus_db.execute(
        "select amount from declared_totals where document = ? and table_role = 'running_cost' "
        "and kind = 'total' and [column] = 'total'", [doc]).fetchone() == (3956000,)


def test_project_economic_expenditure(corpus_db):
    # 珠海 商务局 表7 一般公共预算项目支出情况表（按经济分类科目）, p17: [30206]电费 6,420.00, 合计 38,885.01
    assert corpus_db.execute(
        "select total from project_economic_expenditure where document like '珠海市商务局%' "
        "and economic_code = '30206'").fetchone() == (64200000,)
    assert corpus_db.execute(
        "select amount from declared_totals where document like '珠海市商务局%' "
        "and table_role = 'project_economic_expenditure' and kind = 'total'").fetchone() == (388850100,)


def test_projects_one_row_each_with_unit_and_sources(corpus_db):
    # 湖州 退役军人事务局 表10, p31: 湖州市军队离休退休干部休养所 军休服务管理 2596.40 = 2343.10 + 253.30
    row = corpus_db.execute(
        "select unit_name, total, general_budget, other from project_expenditure "
        "where document like '湖州市退役军人%' and project = '军休服务管理'").fetchone()
    assert row == ("湖州市军队离休退休干部休养所", 25964000, 23431000, 2533000)
    assert corpus_db.execute("select count(*) from project_expenditure where document like '湖州市退役军人%'"
                             ).fetchone() == (7,)
    # 上海 钻石宝玉石 单位预算10表, p17: under 201 13 02, project 1 钻石宝玉石产业发展专项 270,000 元
    assert corpus_db.execute(
        "select function_code, seq, project, total from project_expenditure where document like '上海钻石%'"
    ).fetchall() == [("2011302", 1, "钻石宝玉石产业发展专项", 270000)]
    # the printed 合计 is 0.01 万元 below its projects (4651.90 vs 4651.91): a failed check, listed
    fail = corpus_db.execute(
        "select expected, actual from checks where document like '湖州市退役军人%' and status = 'fail' "
        "and scope = 'project_expenditure 合计 total'").fetchone()
    assert fail == (46519000, 46519100)


def test_units_and_their_projects_in_one_column_told_apart_by_indentation(corpus_db):
    # 珠海 商务局 表12 (pp22-28) prints each unit and, indented below it, its projects in one
    # 支出项目类别（资金使用单位） column: 76 projects (counted with pdfplumber), 3 units
    doc = "珠海市商务局-2026-部门预算"
    assert corpus_db.execute("select count(*) from project_expenditure where document = ?", [doc]).fetchone() == (76,)
    # p22: 口岸现场水电费 6,905.22 (财政拨款 合计 6,905.22, 一般公共预算 6,905.22) under 珠海市商务局
    assert corpus_db.execute(
        "select unit_name, total, appropriation, general_budget, other from project_expenditure "
        "where document = ? and project = '口岸现场水电费'", [doc]).fetchone() == (
        "珠海市商务局", 69052200, 69052200, 69052200, 0)
    # p22: 市特色会展产业链党委党建工作经费 0.84, all 其他资金
    assert corpus_db.execute(
        "select total, appropriation, other from project_expenditure where document = ? "
        "and project = '市特色会展产业链党委党建工作经费'", [doc]).fetchone() == (8400, 0, 8400)
    # p28: 会展购买服务经费 21.73 under 珠海市会议展览局 (321.73), not under the unit above it
    assert corpus_db.execute(
        "select unit_name, total from project_expenditure where document = ? and project = '会展购买服务经费'",
        [doc]).fetchone() == ("珠海市会议展览局", 217300)
    assert corpus_db.execute(
        "select label, amount from declared_totals where document = ? and table_role = 'project_expenditure' "
        "and kind = 'subtotal' and [column] = 'total' order by line", [doc]).fetchall() == [
        ("珠海市商务局", 584462100), ("珠海市贸易服务中心", 206000), ("珠海市会议展览局", 3217300)]
    # the 绩效目标 column, as printed (p23)
    target, = corpus_db.execute(
        "select performance_target from project_expenditure where document = ? "
        "and project = '珠海市内外经贸发展专项资金（稳外贸事项）'", [doc]).fetchone()
    assert target.startswith("通过出口信用保险等支持措施有效降低全市外贸企业经营风险")
    # the printed 合计 58,788.54 is 0.01 万元 below its 76 projects (58,788.55 by pdfplumber): a failed check
    assert corpus_db.execute(
        "select expected, actual from checks where document = ? and status = 'fail' "
        "and scope = 'project_expenditure 合计 total'", [doc]).fetchone() == (587885400, 587885500)


def test_basic_expenditure_by_unit_and_kind(corpus_db):
    # 珠海 商务局 表11 部门预算基本支出预算表 (p21): under 珠海市贸易服务中心 (1,069.53),
    # 工资和福利支出 703.41 … 其他资本性等支出 2.16; 合计 7,519.44
    doc = "珠海市商务局-2026-部门预算"
    assert corpus_db.execute(
        "select item, total from department_basic_expenditure where document = ? "
        "and unit_name = '珠海市贸易服务中心' order by line", [doc]).fetchall() == [
        ("工资和福利支出", 7034100), ("商品和服务支出", 691700), ("对个人和家庭的补助", 2947900),
        ("其他资本性等支出", 21600)]
    assert corpus_db.execute(
        "select amount from declared_totals where document = ? and table_role = 'department_basic_expenditure' "
        "and kind = 'total' and [column] = 'total'", [doc]).fetchone() == (75194400,)
    # each unit's items add up to its row; the three units (6,258.73 + 1,069.53 + 191.17 =
    # 7,519.43) are 0.01 万元 below the printed 合计: the only failures, in the three columns
    assert corpus_db.execute(
        "select scope, expected, actual from checks where document = ? and status = 'fail' "
        "and scope like 'department_basic_expenditure%' order by scope", [doc]).fetchall() == [
        (f"department_basic_expenditure 合计 {c}", 75194400, 75194300)
        for c in ("appropriation", "general_budget", "total")]


def test_project_names_are_searchable(corpus_db):
    rows = corpus_db.execute(
        "select p.project from project_expenditure p join project_expenditure_fts f on f.rowid = p.id "
        "where project_expenditure_fts match ?", ['"军 休"']).fetchall()
    assert rows == [("军休服务管理",)]


def _without_text(source: Path, target: Path, page_index: int, texts: set[str]) -> None:
    """``source`` with the text objects printing one of ``texts`` removed from one page."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(source)
    page = pdf[page_index]
    textpage = page.get_textpage()
    found = [o for o in page.get_objects() if o.type == pdfium_c.FPDF_PAGEOBJ_TEXT
             and textpage.get_text_bounded(*o.get_bounds()).strip() in texts]
    assert {textpage.get_text_bounded(*o.get_bounds()).strip() for o in found} == texts
    for o in found:
        page.remove_obj(o)
    page.gen_content()
    pdf.save(target)


@pytest.fixture(scope="module")
def inferred_db(tmp_path_factory):
    """苏州 审计局 with the codes of two 项 rows of 公开05 (p14) removed."""
    name = "suzhou_shenjiju_2026_budget.pdf"
    need_corpus(name)
    tmp_path = tmp_path_factory.mktemp("inferred")
    edited = tmp_path / "no-codes.pdf"
    _without_text(CORPUS / name, edited, 13, {"2080505", "2010801"})
    db_path = tmp_path / "budget.db"
    report = load_paths(db_path, [edited])
    assert not report["failed"], report["failed"]
    return db_path


def test_a_name_printed_without_its_code_gets_the_code_marked_inferred(inferred_db):
    # 苏州 审计局 公开05 (p14) with the codes of two 项 rows removed: 机关事业单位基本养老保险缴费支出
    # (298.72) is one code in the code list, 2080505; 行政运行 (2,342.00) is the name of several
    # 项 (2010101, 2010201 …), so its row is reported, never given a guessed code
    db = sqlite3.connect(inferred_db)
    assert db.execute(
        "select function_code, total, code_inferred from appropriation_expenditure where name = ?",
        ["机关事业单位基本养老保险缴费支出"]).fetchone() == ("2080505", 2987200, 1)
    # the rows whose codes were printed are not marked
    assert db.execute("select count(*) from appropriation_expenditure where code_inferred = 1").fetchone() == (1,)
    assert db.execute("select count(*) from appropriation_expenditure where name = '行政运行'").fetchone() == (0,)
    page, reason = db.execute("select page, reason from unparsed where table_role = 'appropriation_expenditure' "
                              "and text like '%行政运行%'").fetchone()
    assert page == 14 and "no classification code" in reason


@pytest.mark.asyncio
async def test_the_inferred_code_is_shown_on_the_row(inferred_db):
    from datasette.app import Datasette

    ds = Datasette([str(inferred_db)], immutables=[])
    await ds.invoke_startup()
    rows = (await ds.client.get("/budget/appropriation_expenditure.json?_shape=array&code_inferred=1")).json()
    assert [(r["function_code"], r["name"], r["code_inferred"]) for r in rows] == [
        ("2080505", "机关事业单位基本养老保险缴费支出", 1)]
    html = (await ds.client.get(f"/budget/appropriation_expenditure/{rows[0]['id']}")).text
    assert "由名称推断" in html
    # the column's description, in the document's terms
    html = (await ds.client.get("/budget/appropriation_expenditure")).text
    assert "编码由名称推断" in html


@pytest.mark.asyncio
async def test_new_tables_browse_with_the_hierarchy_facet_and_their_titles(corpus_db):
    from datasette.app import Datasette

    path = corpus_db.execute("pragma database_list").fetchone()[2]
    ds = Datasette([path], immutables=[])
    await ds.invoke_startup()
    name = Path(path).stem
    # 苏州 审计局 公开05 (p14): 201 一般公共服务支出 2,906.63 万元 over its 项 rows
    data = (await ds.client.get(
        f"/{name}/appropriation_expenditure.json?document=苏州市审计局-2026-部门预算&_facet_hierarchy=function_code"
    )).json()
    facets = data["facet_results"]
    facets = facets.get("results", facets)  # Datasette 1.0 nests them under "results"
    items = {i["value"]: i for i in facets["function_code"]["results"]}
    assert items["201"]["sum"] == 29066300
    html = (await ds.client.get(f"/{name}/project_expenditure?_search=军休")).text
    assert "项目支出预算表" in html and "军休服务管理" in html
    # the documents page links each document's projects
    docs = (await ds.client.get(f"/-/budget/documents.json?_database={name}")).json()["databases"][0]["documents"]
    link = next(l for d in docs if d["slug"] == "湖州市退役军人事务局-2026-部门预算"
                for l in d["links"] if l["label"] == "项目支出")
    rows = (await ds.client.get(link["url"].replace("?", ".json?", 1) + "&_shape=array")).json()
    assert len(rows) == 7 and "军休服务管理" in {r["project"] for r in rows}
