import pytest

from conftest import seed_lines, synthetic_lines
from datasette_budget.performance import parse_performance


@pytest.fixture(scope="module")
def performance():
    return parse_performance(seed_lines())


def indicator(performance, level3, target=None):
    (found,) = [
        row
        for row in performance["indicators"]
        if row["level3"] == level3 and (target is None or row["target"] == target)
    ]
    return found


def test_two_targets(performance):
    targets = performance["targets"]
    assert [(t["kind"], t["name"]) for t in targets] == [("整体", "郑州市信访局"), ("项目", "信访工作专项经费")]
    assert [t["title"] for t in targets] == ["市级部门（单位）整体绩效目标申报表", "郑州市信访局支出项目绩效目标表"]
    assert [(t["first_line"], t["last_line"], t["page"]) for t in targets] == [(913, 1029, 21), (1030, 1184, 23)]


def test_overall_target_fields(performance):
    overall = performance["targets"][0]
    fields = overall["fields"]
    assert fields["年度履职目标"].startswith("全市信访系统提前谋划，加大工作力度")
    assert fields["年度履职目标"].endswith("更好地服务改革发展稳定大局。")
    assert [(task["seq"], task["name"]) for task in overall["tasks"]] == [
        (1, "人员经费"), (2, "公用经费"), (3, "信访工作专项经费"),
    ]
    assert fields["部门预算总额（万元）"] == "1812.92"
    assert fields["财政性资金"] == "1812.92"
    assert fields["其他资金"] is None
    assert (fields["基本支出"], fields["项目支出"]) == ("1453.92", "359")


def test_project_target_fields(performance):
    fields = performance["targets"][1]["fields"]
    assert fields["项目名称"] == "信访工作专项经费"
    assert (fields["单位编码"], fields["资金用途"]) == ("034001", "业务类")
    assert (fields["项目负责人"], fields["联系人"], fields["联系电话"]) == ("孙学良", "王建彬", "67888699")
    assert (fields["开始时间"], fields["结束时间"]) == ("2021-01-01", "2021-12-31")
    for label in ("项目总金额", "项目本年度金额", "上年度项目总金额", "项目上年度金额"):
        assert fields[label] == "3590000.00"
    assert fields["项目概况"].startswith("用于全市户籍人口非法进京正常访和非正常访人员的接离")
    assert fields["立项依据"].endswith("《河南省驻京信访工作组工作规则》")
    # labels wrapped over two lines: 项目设立的 / 必要性, 项目配套 / 制度措施
    assert fields["项目设立的必要性"].startswith("圆满完成三级“两会”")
    assert fields["项目配套制度措施"] == "郑州市信访工作考核评分细则、驻京信访绩效考核办法"
    assert fields["项目实施计划"].endswith("接劝访工作安全有序。")
    assert fields["项目总目标"].startswith("完成三级“两会”、重大活动信访保障工作")
    assert fields["年度绩效目标"] == "圆满完成保障任务，确保信访渠道畅通。"
    assert fields["备注"] is None


def test_indicator_counts(performance):
    by_target = {}
    for row in performance["indicators"]:
        by_target[row["target"]] = by_target.get(row["target"], 0) + 1
    # Counted in the document: 整体 3+8+4+4 投入管理, 3 产出, 3 履职效益 + 1 满意度;
    # 项目 9 投入与目标管理, 1 质量, 1 社会效益 + 1 满意度, 1 长效管理.
    assert by_target == {"郑州市信访局": 26, "信访工作专项经费": 13}


def test_overall_indicators(performance):
    first = performance["indicators"][0]
    assert first == {
        "target": "郑州市信访局",
        "level1": "投入管理指标",
        "level2": "工作目标管理",
        "level3": "年度履职目标相关性",
        "value": "符合",
        "unit": "定性指标",
        "line": 963,
        "page": 21,
    }
    execution = indicator(performance, "预算执行率", "郑州市信访局")
    assert (execution["level2"], execution["value"], execution["unit"], execution["line"]) == (
        "预算和财务管理", "≥98", "%", 975,
    )
    detail = indicator(performance, "专项资金细化率")
    assert (detail["value"], detail["unit"]) == ("≥95", "%")
    # 履职目标和主要 / 任务完成情况 wraps; carried down to the three task rows
    staff = indicator(performance, "人员经费")
    assert (staff["level1"], staff["level2"], staff["value"]) == ("产出指标", "履职目标和主要任务完成情况", "≥98")
    satisfaction = indicator(performance, "群众满意度")
    assert (satisfaction["level1"], satisfaction["level2"]) == ("效益指标", "满意度")
    assert (satisfaction["value"], satisfaction["unit"], satisfaction["line"]) == ("≥95", "%", 1029)


def test_project_indicators(performance):
    project = "信访工作专项经费"
    execution = indicator(performance, "预算执行率", project)
    assert (execution["level1"], execution["level2"], execution["value"], execution["unit"]) == (
        "投入与目标管理", "投入管理", "=100", "%",
    )
    reasonable = indicator(performance, "预算编制合理性")
    assert (reasonable["value"], reasonable["unit"]) == ("合理", None)
    quality = indicator(performance, "圆满完成各项信访保障任务")
    assert (quality["level1"], quality["level2"], quality["value"]) == ("产出目标", "质量", "高标准")
    # the name wraps over two lines and the value is printed on a third
    social = indicator(performance, "维护社会安全稳定，信访维稳工作扎实有效")
    assert (social["level1"], social["level2"], social["value"], social["line"]) == (
        "效果目标", "社会效益", "安全稳定", 1163,
    )
    satisfied = indicator(performance, "服务对象满意度")
    assert (satisfied["level1"], satisfied["level2"], satisfied["value"]) == ("效果目标", "满意度", "≥90")
    lasting = indicator(performance, "常年管理")
    assert (lasting["level1"], lasting["level2"], lasting["value"], lasting["unit"]) == ("影响力目标", "长效管理", "=1", "年")


def test_labels_without_indicator(performance):
    labels = [(row["label"], row["line"]) for row in performance["labels_without_indicator"]]
    assert labels == [
        ("资产管理", 1146), ("数量", 1150), ("时效", 1154), ("成本", 1156), ("经济效益", 1160),
        ("环境效益", 1168), ("人力资源", 1176), ("部门协助", 1178), ("配套设施", 1180),
        ("信息共享", 1182), ("其它", 1184),
    ]
    assert not any(row["level3"] in dict(labels) for row in performance["indicators"] if row["target"] == "信访工作专项经费")


def test_every_form_line_accounted_for(performance):
    form_lines = {line.number for line in seed_lines() if line.number >= 913 and line.text.strip()}
    assert performance["unparsed"] == []
    assert form_lines <= performance["consumed_lines"]
    # nothing before the first form is claimed
    assert min(performance["consumed_lines"]) == 913


def test_synthetic_wrapped_labels_and_carried_levels():
    result = parse_performance(
        synthetic_lines(
            "某某局项目支出绩效目标表\n"
            "项目名称 培训项目\n"
            "年度绩效\n"
            "目标\n"
            "按期完成\n"
            "培训任务。\n"
            "一级指标 二级指标 三级指标 指标值 度量单位\n"
            "产出指标 数量指标 培训人次 ≥ 200 人次\n"
            "质量指标\n"
            "合格率 ≥90 %\n"
            "效益指标\n"
            "社会效益\n"
            "\n"
            "指标\n"
            "群众知晓率 ≥80 %\n"
            "满意度指标\n"
            "服务对象满意度指标\n"
            "参训学员对培训组织、内容的满意\n"
            "程度\n"
            "≥90%\n"
            "时效指标\n"
        )
    )
    (target,) = result["targets"]
    assert target["name"] == "培训项目"
    assert target["fields"]["年度绩效目标"] == "按期完成培训任务。"
    rows = [
        (row["level1"], row["level2"], row["level3"], row["value"], row["unit"], row["line"])
        for row in result["indicators"]
    ]
    assert rows == [
        ("产出指标", "数量指标", "培训人次", "≥200", "人次", 8),
        ("产出指标", "质量指标", "合格率", "≥90", "%", 10),
        ("效益指标", "社会效益指标", "群众知晓率", "≥80", "%", 15),
        ("满意度指标", "服务对象满意度指标", "参训学员对培训组织、内容的满意程度", "≥90", "%", 18),
    ]
    assert [(row["label"], row["line"]) for row in result["labels_without_indicator"]] == [("时效指标", 21)]
    assert result["unparsed"] == []
