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


# -- who a document is (read/identity.py) ----------------------------------------------
IDENTITY_FIELDS = ("department", "year", "phase", "level", "region")
PHASES = ("预算", "决算")
LEVELS = ("部门", "单位")
# A 绩效自评表 reports a year's spending after the year: it is published with the 决算.
FINAL_TITLE_WORDS = ("决算", "自评")
# Labels whose value names the document's department or unit: 单位名称：重庆市气象局
DEPARTMENT_LABELS = ("编制部门", "预算主管部门", "单位名称", "部门（单位）名称", "部门名称", "预算单位",
                     "编制单位", "部门", "单位")
# What 单位： names when it is the unit of the amounts, not of the organisation
UNIT_WORDS = ("元", "万元", "万", "千元", "亿元")
# Words between a title's year and its level: 上海市2026年市级单位预算
SCOPE_WORDS = ("省级", "市级", "区级", "县级")
# What may follow 部门预算 in a title: 公开, 表, 情况说明 (anything else makes it a sentence)
TITLE_TAILS = ("公开情况说明", "公开表", "公开", "情况说明", "编制说明", "说明", "表", "草案")
# How a table title starts after the department's name: 郑州市信访局部门收支总体情况表
TABLE_TITLE_STARTS = ("收支总体情况", "财务收支", "收入总体", "支出总体", "财政拨款收支", "一般公共预算")

# -- Column kinds of a table's header (read by the layout readers of read/) --------------
# (column, pattern searched in one header label with its spaces removed), tried in order.
EXPENDITURE_COLUMN_WORDS = [
    ("basic_personnel", r"人员(经费|支出)"),
    ("basic_public", r"公用(经费|支出)"),
    ("basic_wages", r"工资福利"),
    ("basic_family", r"对个人和家庭"),
    ("basic_goods", r"商品(和)?服务"),
    ("basic_capital", r"资本性"),
    ("basic", r"基本支出"),
    ("project_social", r"社会事业"),
    ("project_debt", r"债务项目"),
    ("project_construction", r"基本建设"),
    ("project_other", r"其他项目"),
    ("project", r"项目支出"),
    ("remit_superior", r"上缴上级"),
    ("operating", r"经营支出"),
    ("affiliated_subsidy", r"对附属单位"),
    ("total", r"^(合计|总计|小计|预算数|预算|金额|本年预算|支出合计)$"),
]
INCOME_COLUMN_WORDS = [
    ("appropriation", r"财政拨款"),
    ("general_budget", r"一般公共预算"),
    ("government_fund", r"政府性基金"),
    ("state_capital", r"国有资本经营"),
    ("special_account", r"财政专户"),
    ("business", r"(?<!单位)事业收入"),
    ("operating", r"经营收入"),
    ("superior_subsidy", r"上级补助"),
    ("affiliated", r"附属单位"),
    ("other", r"其他"),
    ("transfer", r"上级转|转移支付"),
    ("carryover", r"上年结转"),
    ("total", r"^(合计|总计|小计|收入合计|本年收入合计)$"),
]
BASIC_COLUMN_WORDS = [
    ("personnel", r"人员(经费|支出)"),
    ("public", r"公用(经费|支出)"),
    ("appropriation", r"财政拨款"),
    ("total", r"^(合计|总计|小计|预算数|预算|金额|决算数|基本支出)$"),
]
# the other kinds of column a coded table prints: code parts, code, name, row number
CODE_PART_LABELS = {"类": 0, "款": 1, "项": 2}
CODE_LABEL_RE = re.compile(r"编码|编号|代码")
NAME_LABEL_RE = re.compile(r"名称|^项目$|^科目$|^功能分类科目$|^经济分类科目$")
ROW_NUMBER_LABEL_RE = re.compile(r"^(行次|栏次|序号)$")
TOTAL_ROW_RE = re.compile(r"^(合计|总计|支出合计|收入合计|本年合计)[:：]?$")
# panels printed side by side: the year before's figures, the carry-over beside this year's
PRIOR_YEAR_LABEL_RE = re.compile(r"上年预算|上年数")
CARRYOVER_LABEL_RE = re.compile(r"上年结转")
YEAR_LABEL_RE = re.compile(r"(20\d\d)\s*年")
