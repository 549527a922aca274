"""What a document is: department, year, phase, level and region from its own text."""
from __future__ import annotations

from datasette_budget.documents import Line
from datasette_budget.read.identity import describe


def lines(*texts):
    return [Line(1, n, t) for n, t in enumerate(texts, start=1)]


def test_a_label_names_the_department_before_a_title():
    meta = describe(lines("上海市普陀区2024年区级部门预算", "预算主管部门：上海市普陀区人民政府万里街道办事处"))
    assert (meta["department"], meta["year"], meta["phase"], meta["level"], meta["region"]) == (
        "上海市普陀区人民政府万里街道办事处", 2024, "预算", "部门", "上海市普陀区")


def test_the_title_printed_most_often_wins_over_a_typo():
    meta = describe(lines(
        "上海市普陀区规划和自然", "资源局", "2024 年度部门决算",
        "第二部分 上海市普陀区规划和自然资源局 2024 年度部门决算",
        "序号 单位名称 备注",  # a table column, not a label
        "上海市规划和自然资源局 2024 年度部门决算表",
    ))
    assert (meta["department"], meta["year"], meta["phase"], meta["level"]) == (
        "上海市普陀区规划和自然资源局", 2024, "决算", "部门")
