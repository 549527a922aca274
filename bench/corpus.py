"""A synthetic corpus of department budget disclosures, shaped line for line like the seed.

Each document is the seed (``data/documents/zhengzhou-xinfang-2021-budget.txt``) with another
department, year and set of figures: the same tables under the same titles and broken column
headers, the same narrative sections, the same performance tables. Function codes come from
``datasette_budget/reference/functional.csv`` (level 3, printed ``201 03 01``), economic codes
from ``economic_department.csv``. Every total is consistent: each row's parts sum to its total,
合计 and the unit row equal the column sums, the summary tables, the economic tables, 三公 and
procurement agree with the function tables, and the narrative's 万元 figures are the rounded
totals.

Document ``i`` depends only on ``(seed, rows, i)``, so a corpus of ``n`` documents is the
prefix of any larger one and files can be written one at a time::

    python -m bench.corpus bench/corpus/demo --docs 20 --rows 60
    python -m bench.corpus --check bench/corpus/demo/00000-*.txt
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Iterator

from bench import seed_text

REFERENCE = Path(__file__).resolve().parent.parent / "datasette_budget" / "reference"
MAX_ROWS = 64  # level-3 function codes in the reference data: a document prints each once
WRAP = 26  # characters per narrative line, as in the seed
PAGE_LINES = 40  # non-blank lines per page; a page starts with a leading space, as in the seed
TABLE_PAGE_ROWS = 30
CLOSING = set("。，、；：）”")

REGIONS = [
    ("郑州市", "zhengzhou"), ("开封市", "kaifeng"), ("洛阳市", "luoyang"),
    ("平顶山市", "pingdingshan"), ("安阳市", "anyang"), ("鹤壁市", "hebi"),
    ("新乡市", "xinxiang"), ("焦作市", "jiaozuo"), ("濮阳市", "puyang"),
    ("许昌市", "xuchang"), ("漯河市", "luohe"), ("三门峡市", "sanmenxia"),
    ("南阳市", "nanyang"), ("商丘市", "shangqiu"), ("信阳市", "xinyang"),
    ("周口市", "zhoukou"), ("驻马店市", "zhumadian"), ("济源市", "jiyuan"),
    ("武汉市", "wuhan"), ("黄石市", "huangshi"), ("十堰市", "shiyan"),
    ("宜昌市", "yichang"), ("襄阳市", "xiangyang"), ("鄂州市", "ezhou"),
    ("荆门市", "jingmen"), ("孝感市", "xiaogan"), ("荆州市", "jingzhou"),
    ("黄冈市", "huanggang"), ("咸宁市", "xianning"), ("随州市", "suizhou"),
    ("石家庄市", "shijiazhuang"), ("唐山市", "tangshan"), ("秦皇岛市", "qinhuangdao"),
    ("邯郸市", "handan"), ("邢台市", "xingtai"), ("保定市", "baoding"),
    ("张家口市", "zhangjiakou"), ("承德市", "chengde"), ("沧州市", "cangzhou"),
    ("廊坊市", "langfang"), ("衡水市", "hengshui"),
]

# (name, slug part, field of work, 3-digit department code)
BUREAUS = [
    ("信访局", "xinfang", "信访", "034"), ("民政局", "minzheng", "民政", "011"),
    ("财政局", "caizheng", "财政", "012"), ("教育局", "jiaoyu", "教育", "013"),
    ("司法局", "sifa", "司法行政", "014"), ("统计局", "tongji", "统计", "015"),
    ("审计局", "shenji", "审计", "016"), ("商务局", "shangwu", "商务", "017"),
    ("文化广电和旅游局", "wenhualvyou", "文化和旅游", "018"), ("体育局", "tiyu", "体育", "019"),
    ("卫生健康委员会", "weijian", "卫生健康", "020"), ("科学技术局", "keji", "科技", "021"),
    ("生态环境局", "shengtai", "生态环境", "022"), ("水利局", "shuili", "水利", "023"),
    ("城市管理局", "chengguan", "城市管理", "024"), ("住房保障局", "zhufang", "住房保障", "025"),
    ("自然资源和规划局", "ziranziyuan", "自然资源", "026"), ("应急管理局", "yingji", "应急管理", "027"),
    ("市场监督管理局", "shichang", "市场监管", "028"), ("人力资源和社会保障局", "renshe", "人力资源和社会保障", "029"),
    ("退役军人事务局", "tuiyi", "退役军人事务", "030"), ("医疗保障局", "yibao", "医疗保障", "031"),
    ("农业农村局", "nongye", "农业农村", "032"), ("交通运输局", "jiaotong", "交通运输", "033"),
    ("发展和改革委员会", "fagai", "发展改革", "035"), ("工业和信息化局", "gongxin", "工业和信息化", "036"),
    ("林业局", "linye", "林业", "037"), ("档案馆", "dangan", "档案", "038"),
    ("地方志办公室", "difangzhi", "地方志", "039"), ("机关事务管理局", "jiguanshiwu", "机关事务", "040"),
    ("人民防空办公室", "renfang", "人民防空", "041"), ("粮食和物资储备局", "liangshi", "粮食和物资储备", "042"),
    ("外事办公室", "waiban", "外事", "043"), ("民族宗教事务局", "minzong", "民族宗教", "044"),
    ("妇女联合会", "fulian", "妇女", "045"), ("总工会", "zonggonghui", "工会", "046"),
    ("科学技术协会", "kexie", "科普", "047"), ("残疾人联合会", "canlian", "残疾人", "048"),
    ("红十字会", "hongshizi", "红十字", "049"), ("公共资源交易中心", "jiaoyizhongxin", "公共资源交易", "050"),
    ("大数据管理局", "dashuju", "大数据", "051"), ("住房公积金管理中心", "gongjijin", "住房公积金", "052"),
    ("侨务办公室", "qiaoban", "侨务", "053"), ("气象局", "qixiang", "气象", "054"),
    ("供销合作社", "gongxiaoshe", "供销合作", "055"),
]
YEARS = list(range(2016, 2026))  # ten years: 41 regions x 45 bureaus x 10 years = 18,450 documents

OFFICES = [
    "办公室", "人事处", "法规处", "计划财务处", "政策研究室", "综合业务处", "督查处",
    "信息中心", "宣传处", "审批服务处", "监督检查处", "规划发展处", "机关党委", "离退休干部处",
]
GENERIC_NAMES = {"行政运行", "一般行政管理事务", "事业运行", "信息化建设"}
PROCUREMENT_CATALOGUE = [
    ("计算机", "台", 4000, 8000), ("办公家具", "件", 2000, 5000),
    ("空气调节设备（包除湿设备）", "台", 3000, 6000), ("打印设备", "台", 1500, 4000),
    ("复印机", "台", 10000, 25000), ("投影仪", "台", 4000, 12000),
    ("服务器", "台", 30000, 80000), ("照相机", "台", 4000, 15000),
]
# Department economic code -> government economic code, where the reference mapping has none
# (the seed's own pairs first, then one code per class).
GOVERNMENT_FALLBACK = {
    "30212": "50207", "30213": "50209", "30215": "50202", "30216": "50203", "30217": "50206",
    "30226": "50205", "30227": "50205", "30231": "50208", "30299": "50299",
    "30301": "50905", "30302": "50905", "30305": "50901", "30306": "50901", "30308": "50902",
    "31001": "50301", "31002": "50306", "31003": "50306", "31005": "50302", "31006": "50307",
    "31007": "50306", "31013": "50303",
}
GOVERNMENT_CLASS_FALLBACK = {"301": "50199", "302": "50299", "303": "50999", "310": "50399"}
SANGONG_CODES = {"30212": "abroad", "30217": "reception", "30231": "vehicle_operation", "31013": "vehicle_purchase"}
EXPENDITURE_COLUMNS = [
    "total", "basic", "wages", "family", "goods", "capital",
    "project", "project_social", "project_debt", "project_construction", "project_other",
]


def _read_codes(name: str) -> list[dict]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass
class Reference:
    functions: list[tuple[str, str]]  # level-3 (code, printed name)
    economic: dict[str, str]  # department economic code -> name
    government: dict[str, str]  # government economic code -> name
    government_of: dict[str, str]  # department code -> government code

    @classmethod
    def load(cls) -> "Reference":
        functional = _read_codes("functional.csv")
        names = {r["code"]: r["name"] for r in functional}
        functions = []
        for r in functional:
            if r["level"] == "3":
                name = r["name"]
                if name in GENERIC_NAMES:  # the seed prints 行政运行（政府办公厅（室）及相关机构事务）
                    name = f"{name}（{names[r['parent']]}）"
                functions.append((r["code"], name))
        functions.sort()
        economic = {r["code"]: r["name"] for r in _read_codes("economic_department.csv")}
        government = {r["code"]: r["name"] for r in _read_codes("economic_government_unverified.csv")}
        government.update({r["code"]: r["name"] for r in _read_codes("economic_government.csv")})
        government_of = {}
        for r in _read_codes("economic_government_to_department.csv"):
            government_of.setdefault(r["department_code"], r["government_code"])
        for code in economic:
            if len(code) == 5 and code[:3] in GOVERNMENT_CLASS_FALLBACK and code not in government_of:
                government_of[code] = GOVERNMENT_FALLBACK.get(code) or GOVERNMENT_CLASS_FALLBACK[code[:3]]
        return cls(functions, economic, government, government_of)


@dataclass
class Document:
    index: int
    filename: str
    department: str
    region: str
    year: int
    unit_code: str
    project_name: str
    functions: list[dict] = field(default_factory=list)
    economic: list[dict] = field(default_factory=list)
    procurement: list[dict] = field(default_factory=list)
    sangong: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)
    text: str = ""


def departments(seed: int) -> list[tuple[tuple[str, str], tuple[str, str, str, str]]]:
    """Every (region, bureau) pair in a fixed shuffled order, so any prefix spans many of them."""
    pairs = [(r, b) for r in REGIONS for b in BUREAUS]
    random.Random(f"departments-{seed}").shuffle(pairs)
    return pairs


def capacity() -> int:
    return len(REGIONS) * len(BUREAUS) * len(YEARS)


def documents_for_rows(rows_total: int, rows_per_document: int) -> int:
    """Documents needed for ``rows_total`` rows in function_expenditure (rounded up)."""
    return -(-rows_total // rows_per_document)


# ---------------------------------------------------------------- numbers

def split(total: int, parts: int, rng: random.Random, zero: float = 0.0) -> list[int]:
    """``parts`` non-negative integers summing exactly to ``total``; each may be zero with
    probability ``zero`` (at least one part is not)."""
    if parts <= 0:
        return []
    weights = [0.0 if rng.random() < zero else rng.uniform(0.2, 1.0) for _ in range(parts)]
    if not any(weights):
        weights[rng.randrange(parts)] = 1.0
    s = sum(weights)
    out = [int(total * w / s) for w in weights]
    out[max(range(parts), key=lambda i: weights[i])] += total - sum(out)
    return out


def yuan(n: int) -> str:
    return f"{n:,}"


def wan(n: int) -> str:
    """元 → 万元 rounded to 2 decimals (half up), printed as the seed does (359, 1812.92)."""
    d = (Decimal(n) / 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return str(d.quantize(Decimal("1"))) if d == d.to_integral_value() else f"{d:.2f}"


def percent(part: int, whole: int) -> str:
    if not whole:
        return "0.00"
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def code_spaced(code: str) -> str:
    return " ".join([code[:3], code[3:5], code[5:7]][: (len(code) - 1) // 2])


# ---------------------------------------------------------------- model

def _function_rows(ref: Reference, rng: random.Random, n: int) -> list[dict]:
    rows = []
    for code, name in sorted(rng.sample(ref.functions, n)):
        total = max(1000, int(rng.lognormvariate(12.9, 1.1)))
        if rng.random() < 0.3:
            total = max(1000, round(total, -3))
        kind = rng.random()
        project = total if kind < 0.2 else (rng.randrange(total // 2) if kind > 0.9 else 0)
        basic = total - project
        pattern = rng.random()
        if pattern < 0.3:
            w = [1, 0, 0, 0]
        elif pattern < 0.5:
            w = [0, 0, 1, 0]
        elif pattern < 0.8:
            w = [1, 0, 1, 0]
        elif pattern < 0.9:
            w = [0, 1, 1, 0]
        else:
            w = [1, 1, 1, 1]
        parts = split(basic, sum(w), rng)
        it = iter(parts)
        wages, family, goods, capital = (next(it) if x else 0 for x in w)
        k = rng.random()
        if k < 0.6:
            kinds = [0, 0, 0, project]
        elif k < 0.8:
            kinds = [project, 0, 0, 0]
        else:
            kinds = split(project, 4, rng, zero=0.4)
        rows.append({
            "code": code, "name": name, "total": total, "basic": basic,
            "wages": wages, "family": family, "goods": goods, "capital": capital,
            "project": project, "project_social": kinds[0], "project_debt": kinds[1],
            "project_construction": kinds[2], "project_other": kinds[3],
        })
    return rows


def _procurement(rng: random.Random, function_code: str, budget_cap: int) -> list[dict]:
    items = []
    for item, measure, low, high in rng.sample(PROCUREMENT_CATALOGUE, rng.randint(1, 4)):
        price = rng.randrange(low, high + 1, 100)
        quantity = rng.randint(1, 40)
        items.append({"code": function_code, "item": item, "measure": measure,
                      "quantity": quantity, "price": price, "amount": price * quantity})
        if sum(i["amount"] for i in items) > budget_cap:
            break
    return sorted(items, key=lambda i: -i["amount"])


def _economic_rows(ref: Reference, rng: random.Random, col: dict, procurement_total: int) -> list[dict]:
    by_class = {c: [k for k in ref.economic if len(k) == 5 and k.startswith(c)] for c in ("301", "302", "303", "310")}
    rows: dict[str, dict] = {}

    def row(code: str) -> dict:
        if code not in rows:
            rows[code] = {"code": code, **{c: 0 for c in EXPENDITURE_COLUMNS}}
        return rows[code]

    def spread(codes: list[str], column: str, total: int, zero: float = 0.0) -> None:
        for code, amount in zip(codes, split(total, len(codes), rng, zero)):
            row(code)[column] += amount

    if col["wages"]:
        must = ["30101", "30102", "30108", "30110", "30113"]
        extra = rng.sample([c for c in by_class["301"] if c not in must], rng.randint(0, 3))
        spread(must + extra, "wages", col["wages"])
    if col["family"]:
        spread(rng.sample(by_class["303"], rng.randint(1, 3)), "family", col["family"])
    goods_codes = ["30201", "30231"] + rng.sample(
        [c for c in by_class["302"] if c not in SANGONG_CODES and c != "30201"], rng.randint(4, 14))
    goods = col["goods"]
    # 三公: reception and travel abroad are small or nil, as in real disclosures.
    for code, chance in (("30217", 0.5), ("30212", 0.1)):
        if goods and rng.random() < chance:
            amount = min(goods // 20, rng.randrange(1000, 60000, 1000))
            row(code)["goods"] += amount
            goods -= amount
    if goods:
        spread(goods_codes, "goods", goods)
    capital_rest = col["capital"] - procurement_total
    assert capital_rest >= 0
    row("31002")["capital"] += procurement_total
    if capital_rest:
        spread(rng.sample(["31003", "31007", "31013", "31099"], rng.randint(1, 2)), "capital", capital_rest)
    project_codes = rng.sample([c for c in by_class["302"] if c not in SANGONG_CODES], rng.randint(2, 6))
    for column in ("project_social", "project_debt", "project_construction", "project_other"):
        if col[column]:
            spread(project_codes, column, col[column])

    out = []
    for code in sorted(rows):
        r = rows[code]
        r["basic"] = r["wages"] + r["family"] + r["goods"] + r["capital"]
        r["project"] = r["project_social"] + r["project_debt"] + r["project_construction"] + r["project_other"]
        r["total"] = r["basic"] + r["project"]
        if not r["total"] and code != "31002":
            continue
        r["name"] = ref.economic[code]
        r["government_code"] = ref.government_of[code]
        out.append(r)
        # Like the seed's 302 39: one department code on two rows with different government codes.
        if code.startswith("302") and code not in SANGONG_CODES and r["goods"] > 10000 \
                and not r["project"] and rng.random() < 0.15:
            second = {c: 0 for c in EXPENDITURE_COLUMNS}
            second["goods"] = r["goods"] // 3
            r["goods"] -= second["goods"]
            for x in (r, second):
                x["basic"] = x["total"] = x["goods"]
            second.update(code=code, name=r["name"], government_code="50502")
            out.append(second)
    for r in out:
        g = r["government_code"]
        suffix = "_行政" if g[:3] in ("501", "502", "503", "504") else ("_事业" if g[:3] in ("505", "506") else "")
        r["government_name"] = ref.government[g] + suffix
    return out


def _column_sums(rows: list[dict]) -> dict:
    return {c: sum(r[c] for r in rows) for c in EXPENDITURE_COLUMNS}


def build(index: int, rows: int = 60, seed: int = 1, ref: Reference | None = None) -> Document:
    """Document number ``index`` of the corpus (deterministic in ``seed``, ``rows``, ``index``)."""
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows per document must be 1..{MAX_ROWS} (one per level-3 function code)")
    if index >= capacity():
        raise ValueError(f"the corpus has at most {capacity()} distinct department-years")
    ref = ref or _reference()
    pairs = departments(seed)
    (region, region_slug), (bureau, bureau_slug, field_name, code3) = pairs[(index // len(YEARS)) % len(pairs)]
    year = YEARS[index % len(YEARS)]
    rng = random.Random(f"{seed}-{rows}-{index}")
    department = region + bureau
    doc = Document(
        index=index,
        filename=f"{index:05d}-{region_slug}-{bureau_slug}-{year}-budget.txt",
        department=department, region=region, year=year, unit_code=f"{code3}001",
        project_name=f"{field_name}工作专项经费",
    )
    functions = _function_rows(ref, rng, rows)
    # Capital expenditure = procurement (办公设备购置 310 02) + other capital, on the largest
    # basic row, so that 政府采购 and the economic table agree with the function table.
    target = max((r for r in functions if r["basic"]), key=lambda r: r["basic"], default=functions[0])
    procurement = _procurement(rng, target["code"], max(20000, target["total"] // 5))
    procurement_total = sum(i["amount"] for i in procurement)
    extra = procurement_total + (rng.randrange(10000, 200000, 1000) if rng.random() < 0.3 else 0)
    for column in ("capital", "basic", "total"):
        target[column] += extra
    doc.functions = functions
    col = _column_sums(functions)
    doc.economic = _economic_rows(ref, rng, col, procurement_total)
    doc.procurement = procurement
    sangong = {k: 0 for k in SANGONG_CODES.values()}
    for r in doc.economic:
        if r["code"] in SANGONG_CODES:
            sangong[SANGONG_CODES[r["code"]]] += r["total"]
    sangong["vehicle"] = sangong["vehicle_operation"] + sangong["vehicle_purchase"]
    sangong["total"] = sangong["abroad"] + sangong["reception"] + sangong["vehicle"]
    doc.sangong = sangong
    doc.totals = col
    doc.text = _render(doc, rng)
    return doc


_REF: Reference | None = None


def _reference() -> Reference:
    global _REF
    if _REF is None:
        _REF = Reference.load()
    return _REF


# ---------------------------------------------------------------- text

def _wrap(paragraph: str, width: int = WRAP) -> list[str]:
    """Break a paragraph into lines of about ``width`` Chinese characters, as the seed's PDF
    extraction does: never inside a number, never before closing punctuation."""
    lines, line, used = [], "", 0
    for token in re.findall(r"[0-9A-Za-z.,%<>\-_]+|\s|.", paragraph):
        w = len(token) / 2 if token.isascii() else len(token)
        if used + w > width and line.strip() and token not in CLOSING:
            lines.append(line.rstrip())
            line, used = "", 0
            if token.isspace():
                continue
        line += token
        used += w
    lines.append(line.rstrip())
    return lines


def _amounts(r: dict, columns: list[str] = EXPENDITURE_COLUMNS) -> str:
    return " ".join(yuan(r[c]) for c in columns)


def _table(lines: list[str]) -> str:
    """Rows separated by blank lines; a new page (leading space) every TABLE_PAGE_ROWS rows."""
    out = []
    for i, line in enumerate(lines):
        if i and i % TABLE_PAGE_ROWS == 0:
            line = " " + line
        out.append(line)
    return "\n\n".join(out)


def _narrative(paragraphs: list[str]) -> str:
    out, count = [], 0
    for p in paragraphs:
        for line in _wrap(p):
            count += 1
            if count % PAGE_LINES == 0:
                line = " " + line
            out.append(line)
    return "\n\n".join(out)


def _render(doc: Document, rng: random.Random) -> str:
    t = doc.totals
    d, y, prev = doc.department, doc.year, doc.year - 1
    T, B, P = t["total"], t["basic"], t["project"]
    W, F, G, C = t["wages"], t["family"], t["goods"], t["capital"]
    field_name = doc.project_name.removesuffix("工作专项经费")

    classes: dict[str, int] = {}
    for r in doc.functions:
        classes[r["code"][:3]] = classes.get(r["code"][:3], 0) + r["total"]
    class_names = _class_names()
    by_function = "、".join(f"{class_names[c]} {wan(v)}万元" for c, v in classes.items())
    shares = "；".join(f"{class_names[c]} {wan(v)}万元，占 {percent(v, T)} %" for c, v in classes.items())
    personnel = W + F
    public = G + C
    change = int(T * rng.uniform(-0.08, 0.12))
    change_word, growth = ("增加", "增长") if change >= 0 else ("减少", "降低")
    change_pct = f"{abs(change) * 100 / max(1, T - change):.1f}"
    staff_admin, staff_inst = rng.randint(10, 120), rng.randint(0, 80)
    active = staff_admin + staff_inst - rng.randint(0, 12)
    retired = rng.randint(5, 80)
    vehicles = [rng.randint(0, 3), rng.randint(0, 4), rng.randint(0, 2)]
    sg = doc.sangong
    offices = "、".join(rng.sample(OFFICES, rng.randint(5, 12)))
    sub_unit = f"{d}{field_name}服务中心"
    project_prev = max(0, P + rng.randrange(-200000, 200001, 10000)) if P else 0
    items = [  # one paragraph per item, as in the seed
        f"{i}. {p['item']}，单价 {wan(p['price'])}万元，数量 {p['quantity']}个，共计 {wan(p['amount'])}万元；"
        for i, p in enumerate(reversed(doc.procurement), 1)]
    items[-1] = items[-1].rstrip("；") + "。"
    procurement_total = sum(p["amount"] for p in doc.procurement)

    part1 = [
        " 第一部分 部门基本情况", "一、部门主要职责",
        f"1. 贯彻执行国家、省和市委、市政府关于{field_name}工作的方针政策和法律法规，拟订全市{field_name}工作的政策措施并组织实施。",
        f"2. 承办市委、市政府交办的{field_name}事项，督促检查领导同志批示件的落实情况。",
        f"3. 指导全市{field_name}工作，组织交流工作经验，提出改进措施；组织{field_name}干部的培训。",
        f"4. 负责{field_name}工作的宣传和信息发布，负责{field_name}信息系统的建设和维护。",
        "5. 完成市委、市政府交办的其它任务。",
        "二、部门预算单位构成",
        f"（一）内设机构：{offices}。",
        f"（二）下属单位：{sub_unit}。",
        f"（三）{d} {y}年部门预算公开包括机关本级预算和下属单位预算。下属单位{sub_unit}财务未独立核算，收支均反映在{d}本级。",
        "三、人员构成情况",
        f"部门机关及归口预算管理单位人员共有编制 {staff_admin + staff_inst}人，其中：行政编制 {staff_admin}人，事业编制 {staff_inst} 人；在职职工 {active}人，离退休人员 {retired}人等。",
        "四、车辆构成情况",
        f"截至 {prev}年 12月 31日，本部门共有车辆 {sum(vehicles)}辆，其中：机要通信用车 {vehicles[0]} 辆、应急保障车 {vehicles[1]} 辆、离退休干部用车 {vehicles[2]} 辆。",
    ]
    part2 = [
        f"第二部分 {d} {y}年部门预算公开情况说明",
        "一、收入支出预算总体情况说明",
        f"{y}年收入预算总计 {wan(T)}万元， 支出预算总计 {wan(T)}万元，与 {prev}年预算相比，收入预算{change_word} {wan(abs(change))}万元，{growth[0]} {change_pct}%，主要原因是：人员工资政策性调整；支出预算{change_word} {wan(abs(change))}万元，{growth} {change_pct}%，主要原因是：人员工资政策性调整。",
        "二、收入预算总体情况说明",
        f"{y} 年收入预算 {wan(T)} 万元，其中：一般公共预算 {wan(T)}万元（财政拨款 {wan(T)}万元、纳入预算管理的行政事业性收费收入 0万元、专项收入 0万元、国有资产资源有偿使用收入 0 万元、其他收入 0 万元），政府性基金收入 0 万元，转移支付收入 0万元。",
        "三、支出预算总体情况说明",
        f"{y}年支出预算 {wan(T)}万元，其中：基本支出 {wan(B)} 万元，占比 {percent(B, T)} %；项目支出 {wan(P)}万元，占比 {percent(P, T)} %。",
        f"（一）按功能科目分类，包括{by_function}。",
        f"（二）按支出用途分类，包括基本支出 {wan(B)}万元，其中：工资福利支出 {wan(W)}万元，商品和服务支出 {wan(G)}万元，个人和家庭补助支出 {wan(F)}万元，资本性支出 {wan(C)}万元；项目支出 {wan(P)}万元。",
        f"（三）主要项目：{doc.project_name} {wan(P)}万元。",
        "四、预算收支增减变化情况",
        "（一）财政拨款收入支出预算总体情况说明",
        f"{y}年一般公共预算收支预算 {wan(T)}万元，政府性基金收支预算 0万元，国有资本经营预算收支 0万元。与 {prev}年预算相比，一般公共预算收支预算{change_word} {wan(abs(change))}万元，{growth} {change_pct}%，主要原因是：人员工资政策性调整。政府性基金收支预算增加 0万元，与 {prev}年预算相比没有变化。国有资本经营收支预算增加 0万元，与 {prev}年预算相比没有变化。",
        "（二）一般公共预算支出预算情况说明",
        f"{y}年一般公共预算支出预算 {wan(T)}万元，主要用于以下方面：{shares}。",
        "（三）一般公共预算基本支出预算情况说明",
        f"{y}年一般公共预算基本支出预算 {wan(B)}万元，其中：人员经费 {wan(personnel)}万元，占 {percent(personnel, B)}%，主要包括：基本工资、津贴补贴、离退休费、基本养老保险缴费、职工基本医疗保险缴费、其他社会保障缴费、住房公积金；公用经费 {wan(public)}万元，占 {percent(public, B)}%，主要包括：办公费、印刷费、邮电费、物业管理费、差旅费、维修（护）费、会议费、培训费、劳务费、委托业务费、工会经费、福利费、公车用车运行维护费、其他交通费用、其他商品和服务支出、办公设备购置等。",
        "（四）政府性基金支出预算情况说明",
        f"我部门 {y}年无使用政府性基金预算安排的支出。",
        "（五）“三公”经费支出预算情况说明",
        f"{y}年“三公”经费预算 {wan(sg['total'])}万元，比 {prev}年减少 {wan(rng.randrange(0, 60000, 100))}万元。其中：",
        f"1. 因公出国（境）费 {wan(sg['abroad'])}万元，主要用于单位工作人员公务出国（境）的住宿费、旅费、伙食补助费、杂费、培训费等支出。预算数与 {prev}年相比一致，没有变化。",
        f"2. 公务用车购置费 {wan(sg['vehicle_purchase'])}万元，公务用车运行维护费 {wan(sg['vehicle_operation'])}万元，主要用于开展工作所需公务用车的燃料费、维修费、过路过桥费、保险费、安全奖励费用等支出。",
        f"3. 公务接待费 {wan(sg['reception'])}万元，主要用于按规定开支的各类公务接待（含外宾接待）支出。",
        "五、机关运行经费安排情况说明：",
        f"{y}年，运行经费安排 {wan(G)}万元，主要用于保障机关机构正常运转及履职需要的办公费、水费、电费、物业管理费、维修（护）费、差旅费等支出。",
        "六、支出预算经济分类情况说明",
        "按照《财政部关于印发<支出经济分类科目改革方案>的通知》（财预〔2017〕98 号）要求，从 2018 年起全面实施支出经济分类科目改革，根据政府预算管理和部门预算管理的不同特点，分设部门预算支出经济分类科目和政府预算支出经济分类科目，两套科目之间保持对应关系。根据经济分类科目改革要求，我局《一般公共预算支出情况表》按两套经济分类科目分别反映不同资金来源的全部预算支出。",
        "七、政府采购情况",
        f"{y}年政府采购预算 {wan(procurement_total)}万元，主要原因：办公设备报废更新。其中：政府采购货物支出 {wan(procurement_total)}万元，具体采购明细如下。",
        *items,
        "八、国有资产占用情况说明",
        f"截至 {prev}年 12月 31日，本部门共有车辆 {sum(vehicles)}辆，其中：机要通信用车 {vehicles[0]} 辆、应急保障车 {vehicles[1]} 辆、离退休干部用车 {vehicles[2]} 辆。",
        "九、预算绩效目标等预算绩效情况说明",
        f"我局 {y}年预算项目共有 2项按要求编制了绩效目标，从项目产出、项目效益、满意度等方面设置了绩效指标，综合反映项目预期完成的数量、实效、质量，预期达到的社会经济效益、可持续影响以及服务对象满意度等情况。分别是：整体绩效目标预算金额 {wan(B)}万元和{doc.project_name}绩效目标金额 {wan(P)}万元。",
        "十、专项转移支付项目情况",
        f"我局无 {y}年预算安排的专项转移支付项目。",
        "十一、空表情况说明",
        f"1. 政府性基金预算支出情况表。空表的主要原因是我部门 {y}年无使用政府性基金预算安排的支出。",
        f"2. 国有资本经营预算支出情况表。空表的主要原因是我部门 {y}年无使用国有资本经营预算安排的支出。",
    ]

    def summary(appropriation: bool) -> list[str]:
        capital = f" {yuan(C)}" if C else ""
        lines = [
            f"一、一般公共预算 {yuan(T)}一、基本支出 {yuan(B)}",
            f"1、财政拨款 {yuan(T)} 1、工资福利支出 {yuan(W)}",
            f"2、专项收入 0 2、对个人和家庭的补助支出 {yuan(F)}",
            f"3、行政事业性收费收入 0 3、商品服务支出 {yuan(G)}",
            f"4、国有资源资产有偿使用收入 0 4、资本性支出{capital}",
            f"5、其他一般公共预算收入 0二、项目支出 {yuan(P)}",
            f"二、政府性基金预算 0 1、社会事业和经济发展项目 {yuan(t['project_social'])}",
            f"三、国有资本经营预算 2、债务项目 {yuan(t['project_debt'])}",
        ]
        if appropriation:
            lines += [f"3、基本建设项目 {yuan(t['project_construction'])}", f"4、其他项目 {yuan(t['project_other'])}"]
        else:
            lines += [
                f"四、财政专户管理的非税收入 0 3、基本建设项目 {yuan(t['project_construction'])}",
                f"五、其他各项收入 0 4、其他项目 {yuan(t['project_other'])}",
                "六、上级转移支付 0",
            ]
        return lines + [f"本年收入合计 {yuan(T)} 本年支出合计 {yuan(T)}"]

    def income_row(label: str, total: int) -> str:
        return f"{label} {yuan(total)} {yuan(total)} {yuan(total)} 0 0 0 0 0"

    income = [income_row("合计", T), income_row(f"{doc.unit_code} {d}", T)]
    income += [income_row(f"{code_spaced(r['code'])} {r['name']}", r["total"]) for r in doc.functions]
    expenditure = [f"合计 {_amounts(t)}", f"{doc.unit_code} {d} {_amounts(t)}"]
    expenditure += [f"{code_spaced(r['code'])} {r['name']} {_amounts(r)}" for r in doc.functions]
    economic = [f"合计 {_amounts(t)}"] + [
        f"{code_spaced(r['code'])} {r['name']} {code_spaced(r['government_code'])} {r['government_name']} {_amounts(r)}"
        for r in doc.economic
    ]
    basic_by_code: dict[str, int] = {}
    for r in doc.economic:
        if r["basic"]:
            basic_by_code[r["code"]] = basic_by_code.get(r["code"], 0) + r["basic"]
    basic = [f"合计 {yuan(B)} {yuan(B)}"] + [
        f"{code_spaced(c)} {_reference().economic[c]} {yuan(v)} {yuan(v)}" for c, v in basic_by_code.items()
    ]
    sangong = [
        f"合 计 {yuan(sg['total'])}", f"1、因公出国（境）费用 {yuan(sg['abroad'])}",
        f"2、公务接待费 {yuan(sg['reception'])}", f"3、公务用车费 {yuan(sg['vehicle'])}",
        f"其中：（1）公务用车运行维护费 {yuan(sg['vehicle_operation'])}", f"（2）公务车购置 {yuan(sg['vehicle_purchase'])}",
    ]
    procurement = [f"合计 {sum(p['quantity'] for p in doc.procurement)} {yuan(procurement_total)}"] + [
        f"{code_spaced(p['code'])} {d} 办公设备购置 {p['item']} {p['measure']} {p['quantity']} {yuan(p['amount'])}"
        for p in doc.procurement
    ]

    def fill(block: str) -> str:
        return block.format(dept=d)

    parts = [
        _narrative(part1 + part2), fill(seed_text.GLOSSARY),
        fill(seed_text.SUMMARY_HEAD) + "\n" + _table(summary(False)),
        fill(seed_text.INCOME_HEAD) + "\n" + _table(income),
        fill(seed_text.EXPENDITURE_HEAD) + "\n" + _table(expenditure),
        fill(seed_text.APPROPRIATION_HEAD) + "\n" + _table(summary(True)) + "\n" + seed_text.PAGE_FOOTER,
        fill(seed_text.BUDGET_EXPENDITURE_HEAD) + "\n" + _table(expenditure),
        fill(seed_text.ECONOMIC_HEAD) + "\n" + _table(economic),
        fill(seed_text.BASIC_HEAD) + "\n" + _table(basic),
        fill(seed_text.SANGONG_HEAD) + "\n" + _table(sangong) + "\n" + seed_text.SANGONG_NOTE,
        fill(seed_text.FUND_TABLES),
        fill(seed_text.PROCUREMENT_HEAD) + "\n" + _table(procurement) + "\n" + seed_text.PROCUREMENT_NOTE,
        seed_text.PERFORMANCE.format(
            dept=d, year=y, total_wan=wan(T), basic_wan=wan(B), project_wan=wan(P),
            project=doc.project_name, unit_code=doc.unit_code,
            project_yuan=f"{P}.00", project_prev_yuan=f"{project_prev}.00",
        ),
    ]
    return "\n".join(parts)


_CLASS_NAMES: dict[str, str] | None = None


def _class_names() -> dict[str, str]:
    global _CLASS_NAMES
    if _CLASS_NAMES is None:
        _CLASS_NAMES = {r["code"]: r["name"] for r in _read_codes("functional.csv") if r["level"] == "1"}
    return _CLASS_NAMES


# ---------------------------------------------------------------- writing

def generate(count: int, rows: int = 60, seed: int = 1, start: int = 0) -> Iterator[Document]:
    """Documents ``start .. count-1``, one at a time."""
    ref = _reference()
    for i in range(start, count):
        yield build(i, rows, seed, ref)


def write_corpus(folder: Path, count: int, rows: int = 60, seed: int = 1) -> list[Path]:
    """Write (or reuse) the first ``count`` documents into ``folder``; return their paths in order.

    Files already present are kept, so a larger corpus extends a smaller one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    existing = {p.name for p in folder.glob("*.txt")}
    paths = []
    pairs = departments(seed)
    for i in range(count):
        (_, region_slug), (_, bureau_slug, _, _) = pairs[(i // len(YEARS)) % len(pairs)]
        name = f"{i:05d}-{region_slug}-{bureau_slug}-{YEARS[i % len(YEARS)]}-budget.txt"
        path = folder / name
        if name not in existing:
            doc = build(i, rows, seed)
            assert doc.filename == name
            tmp = path.with_suffix(".tmp")
            tmp.write_text(doc.text, encoding="utf-8")
            tmp.replace(path)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- checking

NUMBER = r"-?[\d,]+"
TITLE = re.compile(r"^\s*(.*?)(部门收支总体情况表|部门收入总体情况表|部门支出总体情况表|财政拨款收支总体情况表|"
                   r"一般公共预算支出情况表|一般公共预算基本支出情况表|一般公共预算“三公”经费支出情况表|"
                   r"政府性基金预算支出情况表|国有资本经营预算支出情况表|政府采购预算表)$")


def _numbers(line: str, count: int) -> list[int] | None:
    tokens = line.split()
    if len(tokens) < count or not all(re.fullmatch(NUMBER, t) for t in tokens[-count:]):
        return None
    return [int(t.replace(",", "")) for t in tokens[-count:]]


def check_text(text: str) -> list[str]:
    """Re-read a generated document from its text and return every inconsistency found
    (an empty list when all totals agree). Independent of the model that wrote it."""
    problems: list[str] = []
    regions: dict[str, list[str]] = {}
    current = None
    count: dict[str, int] = {}
    for line in text.split("\n"):
        m = TITLE.match(line)
        if m and not line.startswith(("1.", "2.")):
            key = m.group(2)
            count[key] = count.get(key, 0) + 1
            current = f"{key}#{count[key]}"
            regions[current] = []
        elif line.startswith("市级部门（单位）整体绩效目标申报表"):
            current = None
        elif current and line.strip():
            regions[current].append(line.strip())

    def table(key: str, width: int, code: str) -> tuple[list[int] | None, list[int] | None, list[list[int]]]:
        total = unit = None
        rows = []
        for line in regions.get(key, []):
            nums = _numbers(line, width)
            if nums is None:
                continue
            if line.startswith("合计"):
                total = nums
            elif re.match(r"^\d{6} ", line):
                unit = nums
            elif re.match(code, line):
                rows.append(nums)
        return total, unit, rows

    expected_function = None
    for key in ("部门支出总体情况表#1", "一般公共预算支出情况表#1", "一般公共预算支出情况表#2"):
        economic = key.endswith("#2")
        total, unit, rows = table(key, 11, r"^\d{3} \d{2} " if economic else r"^\d{3} \d{2} \d{2} ")
        if not rows or total is None:
            problems.append(f"{key}: no rows or no 合计")
            continue
        for r in rows:
            if r[0] != r[1] + r[6] or r[1] != sum(r[2:6]) or r[6] != sum(r[7:11]):
                problems.append(f"{key}: row parts do not sum: {r}")
        sums = [sum(c) for c in zip(*rows)]
        if sums != total:
            problems.append(f"{key}: 合计 {total} != column sums {sums}")
        if not economic and unit != total:
            problems.append(f"{key}: unit row {unit} != 合计 {total}")
        if expected_function is None:
            expected_function = total
        elif total != expected_function:
            problems.append(f"{key}: 合计 differs from 部门支出总体情况表")
    total, unit, rows = table("部门收入总体情况表#1", 8, r"^\d{3} \d{2} \d{2} ")
    if total is None or [sum(c) for c in zip(*rows)] != total or unit != total:
        problems.append("部门收入总体情况表: totals do not agree")
    elif expected_function and total[0] != expected_function[0]:
        problems.append("部门收入总体情况表: income total != expenditure total")
    total, _, rows = table("一般公共预算基本支出情况表#1", 2, r"^\d{3} \d{2} ")
    if total is None or [sum(c) for c in zip(*rows)] != total:
        problems.append("一般公共预算基本支出情况表: 合计 != column sums")
    elif expected_function and total[0] != expected_function[1]:
        problems.append("一般公共预算基本支出情况表: total != basic expenditure")
    if expected_function:
        T, B = expected_function[0], expected_function[1]
        flat = re.sub(r"\s", "", text)
        if f"收入预算总计{wan(T)}万元" not in flat:
            problems.append(f"narrative: 收入预算总计 is not {wan(T)}万元")
        if f"其中：基本支出{wan(B)}万元" not in flat:
            problems.append(f"narrative: 基本支出 is not {wan(B)}万元")
        for key in ("部门收支总体情况表#1", "财政拨款收支总体情况表#1"):
            lines = regions.get(key, [])
            last = [ln for ln in lines if ln.startswith("本年收入合计")]
            if not last or _numbers(last[0], 1) != [T] or f"本年收入合计 {yuan(T)} " not in last[0]:
                problems.append(f"{key}: 本年收入合计/支出合计 != {T}")
    sg = regions.get("一般公共预算“三公”经费支出情况表#1", [])
    values = [_numbers(ln, 1)[0] for ln in sg if _numbers(ln, 1)][:6]
    if len(values) != 6 or values[0] != values[1] + values[2] + values[3] or values[3] != values[4] + values[5]:
        problems.append(f"三公: parts do not sum: {values}")
    pr = [ln for ln in regions.get("政府采购预算表#1", []) if _numbers(ln, 2)]
    if pr:
        head, items = _numbers(pr[0], 2), [_numbers(ln, 2) for ln in pr[1:]]
        if head != [sum(i[0] for i in items), sum(i[1] for i in items)]:
            problems.append("政府采购: 合计 != sum of items")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--docs", type=int, default=10)
    parser.add_argument("--rows", type=int, default=60, help="function rows per document (1..64)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", nargs="*", type=Path, help="check the totals of generated files")
    args = parser.parse_args(argv)
    if args.check is not None:
        bad = 0
        for path in args.check:
            problems = check_text(path.read_text(encoding="utf-8"))
            bad += bool(problems)
            for p in problems:
                print(f"{path.name}: {p}")
        print(f"{len(args.check) - bad}/{len(args.check)} documents consistent")
        return 1 if bad else 0
    if not args.folder:
        parser.error("give a folder to write to, or --check FILES")
    paths = write_corpus(args.folder, args.docs, args.rows, args.seed)
    print(f"{len(paths)} documents in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
