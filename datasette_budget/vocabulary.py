"""The domain's words: table roles and the title words that name them.

A regex that reads printed text may hold Chinese; a role name appears here once and is
imported everywhere else. Shared by the reading steps (add entries, don't rewrite others').
"""
from __future__ import annotations

import re

# What each table role is, as the documents print it. A role names one table of a document:
# the loader keeps one document_tables row per (document, role).
TABLE_ROLES: dict[str, str] = {
    "summary": "收支总表 / 收支总体情况表 / 财务收支预算总表 / 收入支出决算总表: income and expenditure items side by side",
    "income": "收入总表 / 收入总体情况表 / 收入预算总表 / 收入决算表: income by function code and source",
    "expenditure": "支出总表 / 支出总体情况表 / 支出预算总表 / 支出决算表: expenditure by function code, "
                   "基本 / 项目 (and 事业单位经营支出, 上缴上级支出, 对附属单位补助支出 where printed)",
    "appropriation_summary": "财政拨款收支总表 / 财政拨款收支总体情况表: the 财政拨款 income and expenditure items",
    "appropriation_expenditure": "财政拨款支出预算表 / 财政拨款支出表（功能科目）: 财政拨款 expenditure by function "
                                 "code (上海 05, 苏州 公开05; 基本支出 may be split into 人员经费 / 公用经费)",
    "appropriation_basic_expenditure": "财政拨款基本支出表（经济科目）: 财政拨款 基本支出 by economic code (苏州 公开06)",
    "gpb_expenditure": "一般公共预算支出表 / 一般公共预算支出情况表（按功能分类科目）/ 一般公共预算拨款支出预算表 / "
                       "一般公共预算支出功能分类预算表: 一般公共预算 expenditure by function code (a text table "
                       "whose header says 经济分类 is read as economic_expenditure)",
    "economic_expenditure": "一般公共预算支出经济分类情况表: 一般公共预算 expenditure (基本 + 项目) by economic code "
                            "(泉州 表八)",
    "basic_expenditure": "一般公共预算基本支出表 / …基本支出情况表（按经济分类科目）/ …基本支出部门预算经济分类预算表: "
                         "基本支出 by economic code (人员经费 / 公用经费)",
    "project_economic_expenditure": "一般公共预算项目支出情况表（按经济分类科目）: 项目支出 by economic code (珠海 表7)",
    "department_basic_expenditure": "部门预算基本支出预算表: the department's 基本支出 by economic code, all funds (珠海 表11)",
    "project_expenditure": "项目支出预算表 / 项目支出表 / 财政拨款项目支出预算表 / 项目支出及其他支出预算表: one row "
                           "per project (湖州 表10, 上海 10, 长春 预算表9, 珠海 表12)",
    "sangong": "“三公”经费支出表 / “三公”经费和机关运行经费预算表 / 行政经费及“三公”经费预算表 / "
               "“三公”经费、会议费、培训费支出表",
    "running_cost": "一般公共预算机关运行经费支出预算表: 机关运行经费 by economic code (苏州 公开12)",
    "fund_expenditure": "政府性基金预算支出表 / …支出情况表 / …拨款支出预算表 / …支出功能分类预算表",
    "capital_expenditure": "国有资本经营预算支出表 / …支出情况表 / …支出预算表 / …支出明细表",
    "procurement": "政府采购预算表 / 政府采购预算明细表 / 政府采购支出表",
    # forms of targets and indicators, not tables of figures
    "performance_overall": "部门整体绩效目标表 / 部门整体支出绩效目标表 / 整体绩效目标申报表",
    "performance_project": "项目绩效目标表 / 项目支出绩效表 / 项目支出绩效目标表 / 专项资金绩效目标表 / "
                           "…经费补助绩效目标表 (any other 绩效目标表)",
    "performance_evaluation": "部门整体绩效自评表 / 项目绩效自评表: a 决算's self-evaluation of its targets (宁德)",
}

# Roles, tried in order against a title with its spaces, number label and trailing
# qualifiers removed (see read/recognise.py); the qualifier is kept in the text the
# pattern sees, so （按经济分类科目） can tell two tables apart. The same role can be
# printed under different titles across regions and years.
ROLE_TITLES: list[tuple[str, re.Pattern]] = [
    (role, re.compile(pattern))
    for role, pattern in [
        # the performance forms first: their titles also name 项目支出, 部门整体 …
        ("performance_evaluation", r"绩效自评.*表"),
        ("performance_overall", r"整体(支出)?绩效目标.*表"),
        ("performance_project", r"项目.*绩效(目标)?表|绩效目标.*表"),
        # (a 决算's 政府性基金 / 国有资本经营 …财政拨款收入支出决算表 are the funds' tables)
        ("appropriation_summary", r"(?<!基金预算)(?<!经营预算)财政拨款收(入)?支(出)?.*(总体情况|总|决算)表"),
        ("summary", r"(收支总体情况|财务收支预算总|收入支出决算总|收支预算总|收支决算总|收支总|(?<!拨款)收入支出决算)表"),
        ("income", r"收入(总体情况|预算总|决算|总|预算)表"),
        ("project_economic_expenditure", r"一般公共预算(财政)?(拨款)?项目支出.*(表.*经济分类|经济分类.*表)"),
        ("basic_expenditure", r"一般公共预算(财政)?(拨款)?基本支出.*表"),
        ("department_basic_expenditure", r"部门预算基本支出(预算)?表"),
        ("sangong", r"三公.*表"),  # before running_cost: “三公”经费和机关运行经费预算表
        ("running_cost", r"机关运行经费(支出)?(预算|决算)?表"),
        ("fund_expenditure", r"政府性基金(预算)?.*支出.*表"),
        ("capital_expenditure", r"国有资本经营(预算)?.*支出.*表"),
        ("procurement", r"政府采购.*表"),
        ("economic_expenditure", r"一般公共预算(财政拨款)?支出经济分类(情况|预算)?表"),
        ("gpb_expenditure", r"一般公共预算(财政)?(拨款)?支出.*表"),
        # after the funds' tables: 一般公共预算财政拨款支出… and 政府性基金预算财政拨款支出… are theirs
        ("appropriation_basic_expenditure", r"财政拨款基本支出.*表"),
        ("appropriation_expenditure", r"财政拨款支出.*表"),
        ("project_expenditure", r"项目支出.*表"),
        ("expenditure", r"支出(总体情况|预算总|决算|总|预算)表"),
    ]
]
# Forms of targets and indicators, not tables of figures: no unit line follows their title.
PERFORMANCE_ROLES = ("performance_overall", "performance_project", "performance_evaluation")

# A table's number, printed before its title or on the line above it: 表1, 表01, 表一, 表1：,
# 预算01表, 公开 07 表, 单位预算01表, 单位预算表10 (a misprint of 单位预算10表), 附表3, 附件1, 预算表1.
TABLE_NUMBER = r"(?:附?表|预算表|附件)[0-9一二三四五六七八九十]{1,3}(?:[-－][0-9]{1,2})?|(?:单位预算|部门预算|部门|单位|预算|公开)(?:表)?[0-9]{1,2}表?"
TABLE_NUMBER_RE = re.compile(rf"^(?:{TABLE_NUMBER})[：:、.．]?")
# Qualifiers printed after a title: （按功能分类科目）, （经济科目）, (预算表 11), （一级项目）, （续）.
TITLE_QUALIFIER_RE = re.compile(r"[（(][^（）()]{1,12}[）)]$")
CONTINUED_RE = re.compile(r"[（(]续(?:表)?[0-9一二三四五六七八九十]*[）)]$|续表$")

# Headings that end a table without starting one: the parts of a disclosure (第三部分 …),
# its 说明 and 名词解释, and the performance forms' headings.
END_HEADING_RE = re.compile(
    r"^(?:第[一二三四五六七八九十]+部分|(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])?"
    r"(?:\S{0,24}(?:情况说明|编制说明)|(?:专业性)?名词解释|\S{0,12}绩效目标(?:表)?(?:及说明|情况|设置情况)))"
)

# A table printed without a title (or whose title could not be read) is recognised by its
# header, for the roles whose header words name them alone: (role, patterns that must all be
# found in the header's lines with their spaces removed).
HEADER_ROLES: list[tuple[str, tuple[re.Pattern, ...]]] = [
    (role, tuple(re.compile(p) for p in patterns))
    for role, patterns in [
        ("sangong", (r"因公出国", r"公务接待", r"公务用车")),
        ("procurement", (r"采购(品目|项目|方式|目录)",)),
        ("basic_expenditure", (r"经济分类", r"人员经费|人员支出", r"公用经费|公用支出")),
    ]
]

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
# What may follow 部门预算 in a title, after an optional 公开 and before an optional bracket
# （草案）: 表, 情况说明 … (anything else makes it a sentence: 2021年预算安排的…)
TITLE_TAILS = ("情况说明", "编制说明", "说明", "表", "草案")
# How a table title starts after the department's name: 郑州市信访局部门收支总体情况表
TABLE_TITLE_STARTS = ("收支总体情况", "财务收支", "收入总体", "支出总体")


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
    ("total", r"^(合计|总计|小计|预算数|预算|金额|本年预算|支出合计|本年支出合计|决算数)$"),
]
INCOME_COLUMN_WORDS = [
    ("appropriation", r"财政拨款"),
    ("general_budget", r"一般公共预算"),
    ("government_fund", r"政府性基金"),
    ("state_capital", r"国有资本经营"),
    ("special_account", r"财政专户|专户"),
    ("business", r"(?<!单位)事业收入"),
    ("operating", r"经营收入"),
    ("superior_subsidy", r"上级补助"),
    ("affiliated", r"附属单位"),
    ("other", r"^其他|其他收入"),
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
# 一般公共预算机关运行经费支出预算表: one column of 机关运行经费 by economic code
RUNNING_COST_COLUMN_WORDS = [("total", r"^(机关运行经费(支出|预算数?)?|合计|预算数|金额)$")]
# 项目支出预算表: what each column holds, tried in order on its lowest label (a source of funds
# under 财政拨款结转 is the carry-over's)
PROJECT_COLUMN_WORDS = [
    ("seq", r"^序号$"),
    ("function_name", r"科目名称"),
    ("code", r"编码"),
    ("project", r"^(项目名称|二级项目)$"),
    ("parent", r"^一级项目$"),
    ("category", r"^(类型|项目类型|项目类别)$"),
    # 支出项目类别（资金使用单位）: units and their projects in one column, told apart by indentation
    ("unit_or_project", r"项目类别.*单位"),
    ("unit_name", r"单位名称|项目单位|资金使用单位"),
    ("performance_target", r"绩效目标"),
    ("general_budget", r"一般公共预算"),
    ("government_fund", r"政府性基金"),
    ("state_capital", r"国有资本经营"),
    ("special_account", r"财政专户"),
    ("other", r"^(单位资金|其他资金)$"),
    ("total", r"^(合计|总计|预算数|金额|小计)$"),
]
# the other kinds of column a coded table prints: code parts, code, name, row number
CODE_PART_LABELS = {"类": 0, "款": 1, "项": 2}
CODE_LABEL_RE = re.compile(r"编码|编号|代码")
NAME_LABEL_RE = re.compile(r"名称|^项目$|科目$")  # 科目名称, 项目, 功能分类科目, 部门预算支出经济科目
ROW_NUMBER_LABEL_RE = re.compile(r"^(行次|栏次|序号)$")
TOTAL_ROW_RE = re.compile(r"^(合计|总计|支出合计|收入合计|本年合计)[:：]?$")
# panels printed side by side: the year before's figures, the carry-over beside this year's
PRIOR_YEAR_LABEL_RE = re.compile(r"上年预算|上年数")
CARRYOVER_LABEL_RE = re.compile(r"上年结转")
YEAR_LABEL_RE = re.compile(r"(20\d\d)\s*年")
