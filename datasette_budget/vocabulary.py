"""The domain's words: table roles and the title words that name them.

A regex that reads printed text may hold Chinese; a role name appears here once and is
imported everywhere else. Shared by the reading steps (add entries, don't rewrite others').
"""
from __future__ import annotations

import re

# Roles, tried in order against a title with its spaces removed. The same role can be
# printed under different titles across regions and years.
ROLE_TITLES: list[tuple[str, re.Pattern]] = [
    (role, re.compile(pattern))
    for role, pattern in [
        ("appropriation_summary", r"财政拨款收(入)?支(出)?.*(总体情况|总)表"),
        ("summary", r"(收支总体情况|财务收支预算总|收入支出决算总|收支预算总|收支决算总)表"),
        ("income", r"收入(总体情况|预算总|决算)表"),
        ("basic_expenditure", r"一般公共预算(财政拨款)?基本支出.*表"),
        ("sangong", r"三公.*表"),
        ("fund_expenditure", r"政府性基金预算.*支出.*表"),
        ("capital_expenditure", r"国有资本经营预算.*支出.*表"),
        ("procurement", r"政府采购.*表"),
        ("gpb_expenditure", r"一般公共预算(财政拨款)?支出.*表"),
        ("expenditure", r"支出(总体情况|预算总|决算)表"),
        ("performance_overall", r"整体绩效目标.*表"),
        ("performance_project", r"项目绩效目标表"),
    ]
]
# Forms of targets and indicators, not tables of figures: no unit line follows their title.
PERFORMANCE_ROLES = ("performance_overall", "performance_project")
