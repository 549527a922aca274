import pytest

from conftest import seed_lines, synthetic_lines
from datasette_budget.narrative import parse_narrative


@pytest.fixture(scope="module")
def narrative():
    return parse_narrative(seed_lines())


def test_narrative_ends_at_first_table_title(narrative):
    # 郑州市信访局部门收支总体情况表, followed by 单位：元
    assert narrative["narrative_end"] == 343


def test_eleven_duties_rejoined(narrative):
    duties = narrative["duties"]
    assert [duty["seq"] for duty in duties] == list(range(1, 12))
    assert duties[0]["text"].startswith("代表市委、市政府受理人民群众给市委、市政府及主要领导人的来信")
    assert duties[0]["text"].endswith("提供有关法律法规和政策咨询服务。")
    assert (duties[0]["line"], duties[0]["page"]) == (5, 1)
    assert duties[2]["text"] == (
        "协调处理跨地区部门的重要信访、群众集体赴京到省来市上访和突发上访事件；"
        "对重要案件实施个案监督，并提出对有关责任人的处理意见和建议。"
    )
    # duty 6 wraps across a page break
    assert duties[5]["text"] == "负责三级“两会”、市重大活动信访保障工作，做好突发信访事件应急工作。"
    assert duties[10]["text"] == "完成市委、市政府交办的其它任务。"


def test_organisation(narrative):
    organisation = narrative["organisation"]
    internal = [row["name"] for row in organisation if row["kind"] == "内设机构"]
    assert internal == [
        "办公室", "人事处", "调研处", "办信征集处", "个访处", "集访处", "案件办理处",
        "督查处", "群众工作处", "复查复核办公室", "网络信访处", "网络信息管理处",
        "联席会议综合协调处", "驻省信访工作处", "机关党委",
    ]
    subordinate = [row for row in organisation if row["kind"] == "下属单位"]
    assert [row["name"] for row in subordinate] == ["郑州市信访应急处置中心"]
    assert subordinate[0]["line"] == 68
    wrapped = next(row for row in organisation if row["name"] == "联席会议综合协调处")
    assert wrapped["line"] == 64


def test_staffing(narrative):
    counts = {row["category"]: row["count"] for row in narrative["staffing"]}
    assert counts == {"编制": 84, "行政编制": 54, "事业编制": 30, "在职职工": 74, "离退休人员": 35}
    assert counts["编制"] == counts["行政编制"] + counts["事业编制"]
    # 离 / 退休人员 wraps onto line 82
    assert narrative["staffing"][-1]["line"] == 82


def test_vehicles_reported_once(narrative):
    vehicles = narrative["vehicles"]
    assert [(row["kind"], row["count"]) for row in vehicles] == [
        ("合计", 5), ("机要通信用车", 1), ("应急保障车", 3), ("离退休干部用车", 1),
    ]
    assert {row["as_of"] for row in vehicles} == {"2020-12-31"}
    # from 四、车辆构成情况, not the repeat under 八、国有资产占用情况说明
    assert {row["line"] for row in vehicles} == {85, 87}
    assert sum(row["count"] for row in vehicles if row["kind"] != "合计") == vehicles[0]["count"]


def test_glossary(narrative):
    glossary = narrative["glossary"]
    assert len(glossary) == 8
    assert glossary[0]["term"] == "财政拨款收入"
    assert glossary[0]["definition"] == "是指市级财政当年拨付的资金。"
    sangong = glossary[5]
    assert (sangong["seq"], sangong["term"], sangong["line"]) == (6, "“三公”经费", 312)
    assert sangong["definition"].startswith("是指纳入市级财政预算管理，部门使用财政拨款安排的")
    assert sangong["definition"].endswith("公务接待费反映单位按规定开支的各类公务接待（含外宾接待）支出。")
    # 完成日常工 作 : the stray space inside a wrapped definition is gone
    assert "完成日常工作任务所必需的开支" in glossary[3]["definition"]
    assert glossary[-1]["term"] == "一般公共服务支出"


def test_sections(narrative):
    sections = narrative["sections"]
    headings = [section["heading"] for section in sections]
    assert headings[:4] == ["一、部门主要职责", "二、部门预算单位构成", "三、人员构成情况", "四、车辆构成情况"]
    explanation = [s for s in sections if s["part"].startswith("第二部分")]
    assert len(explanation) == 11
    assert explanation[-1]["heading"] == "十一、空表情况说明"
    first = explanation[0]
    assert first["heading"] == "一、收入支出预算总体情况说明"
    assert (first["first_line"], first["last_line"], first["page"]) == (91, 101, 3)
    assert first["text"].startswith("2021年收入预算总计 1812.92万元，支出预算总计1812.92万元")
    running = next(s for s in sections if s["heading"] == "五、机关运行经费安排情况说明")
    assert "运行经费安排 420.56万元" in running["text"]
    # numbered items and the text after a sub-heading keep a line of their own
    changes = next(s for s in sections if s["heading"] == "四、预算收支增减变化情况")
    assert "（一）财政拨款收入支出预算总体情况说明\n2021年一般公共预算收支预算 1812.92万元" in changes["text"]
    procurement = next(s for s in sections if s["heading"] == "七、政府采购情况")
    assert "\n3. 计算机，单价 0.6万元，数量 40个，共计 24万元。" in procurement["text"]
    assert sum(1 for s in sections if s["part"] == "第三部分 名词解释") == 8


def test_synthetic_wording_of_another_city():
    lines = synthetic_lines(
        "第一部分 单位概况\n"
        "一、主要职能\n"
        "（一）负责全市城市管理\n"
        "工作；\n"
        "（二）承办市政府交办的其他事项。\n"
        "二、机构设置\n"
        "内设机构：综合科、财务\n"
        "\n"
        "科、执法大队等3个科室。\n"
        "所属单位：市环卫\n"
        "中心。\n"
        "三、人员情况\n"
        "核定编制 20 名，实有人数 18 人。\n"
        "某某局部门收支总体情况表\n"
        "单位:万元\n"
    )
    result = parse_narrative(lines)
    assert result["narrative_end"] == 14
    assert [duty["text"] for duty in result["duties"]] == ["负责全市城市管理工作；", "承办市政府交办的其他事项。"]
    assert [(row["kind"], row["name"], row["line"]) for row in result["organisation"]] == [
        ("内设机构", "综合科", 7),
        ("内设机构", "财务科", 7),
        ("内设机构", "执法大队", 9),
        ("下属单位", "市环卫中心", 10),
    ]
    assert [(row["category"], row["count"]) for row in result["staffing"]] == [("编制", 20), ("实有人数", 18)]
    assert result["vehicles"] == []
    assert result["glossary"] == []
