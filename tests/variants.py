"""Generated members of the seed's family: the seed disclosure with another department,
unit code, year, level or phase, and its amounts scaled.

Every amount of the tables is multiplied by the same whole number, so every identity of the
seed (parts sum to totals, 项 to 款 to 类, function tables equal economic tables, summary
equals detail) stays true. The narrative's 万元 figures are recomputed from the 元 figure they
restate, rounded as the seed rounds them.

``variant_text(department="郑州市民政局", unit_code="035001", year=2022, scale=2)``
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "documents" / "zhengzhou-xinfang-2021-budget.txt"
SEED_DEPARTMENT = "郑州市信访局"
SEED_UNIT_CODE = "034001"
SEED_YEAR = 2021
SEED_SUBUNIT = "郑州市信访应急处置中心"  # the seed's 下属单位

GROUPED = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,])")  # 18,129,249: table amounts
WAN = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(\s*)(?=万\s*元)")  # 1812.92万元: narrative amounts
EXPENDITURE_ROW = re.compile(r"^(\d{3}) (\d{2}) (\d{2}) \S+ ([\d,]+) ")
YEAR = re.compile(r"(?<!\d)(20[12]\d)(?!\d)")
PERFORMANCE_WAN = re.compile(r"^(部门预算总额（万元）|1、资金来源：（1）财政性资金|2、资金结构：（1）基本支出|（2）项目支出)(\s*)(\d+(?:\.\d+)?)$")
PROJECT_AMOUNT = re.compile(r"(?<![\d.])(\d{4,})\.00(?![\d])")  # 3590000.00 in the project form


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def _yuan_amounts(text: str) -> set[int]:
    """Every 元 amount printed in the tables, and the 类/款 sums the narrative restates."""
    amounts = {int(m.group().replace(",", "")) for m in GROUPED.finditer(text)}
    sums: dict[str, int] = {}
    for line in text.split("\n"):
        m = EXPENDITURE_ROW.match(line)
        if m:
            for key in (m.group(1), m.group(1) + m.group(2)):
                sums[key] = sums.get(key, 0) + int(m.group(4).replace(",", ""))
    return amounts | set(sums.values())


def _wan(yuan: int | Decimal) -> Decimal:
    return (Decimal(yuan) / 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _format_wan(value: Decimal, printed: str) -> str:
    """With the decimals the seed printed (``359``, ``58.50``, ``971.6``), more when needed."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    text = f"{value:.2f}"
    while decimals < 2 and text.endswith("0"):
        text = text[:-1]
        decimals += 1
    return text.rstrip(".")


def _scale_wan(printed: str, scale: Decimal, yuan_by_wan: dict[Decimal, int]) -> str:
    value = Decimal(printed)
    yuan = yuan_by_wan.get(value)
    scaled = _wan(yuan * scale) if yuan is not None else (value * scale).quantize(Decimal("0.01"))
    return _format_wan(scaled, printed)


def variant_text(
    *,
    department: str = SEED_DEPARTMENT,
    unit_code: str = SEED_UNIT_CODE,
    year: int = SEED_YEAR,
    scale: int = 1,
    level: str = "部门",
    phase: str = "预算",
    subunit: str = SEED_SUBUNIT,
) -> str:
    """The seed rewritten as another document of its family (see the module docstring).

    ``subunit`` names the 下属单位 the narrative lists. ``level="单位"`` prints 单位预算 where the seed prints 部门预算; ``phase="决算"`` prints 部门决算
    in the titles (the tables keep the seed's layout, which the loader reads either way).
    """
    text = seed_text()
    scale_d = Decimal(scale)
    yuan_by_wan = {_wan(y): y for y in sorted(_yuan_amounts(text))}
    if scale != 1:
        text = GROUPED.sub(lambda m: f"{int(m.group().replace(',', '')) * scale:,}", text)
        text = WAN.sub(lambda m: _scale_wan(m.group(1), scale_d, yuan_by_wan) + m.group(2), text)
        text = "\n".join(
            PERFORMANCE_WAN.sub(lambda m: m.group(1) + m.group(2) + _scale_wan(m.group(3), scale_d, yuan_by_wan), line)
            for line in text.split("\n")
        )
        text = PROJECT_AMOUNT.sub(lambda m: f"{int(m.group(1)) * scale}.00", text)
    if year != SEED_YEAR:
        shift = year - SEED_YEAR
        text = YEAR.sub(lambda m: str(int(m.group(1)) + shift), text)
    text = text.replace(SEED_SUBUNIT, subunit)
    text = text.replace(SEED_DEPARTMENT, department).replace(SEED_UNIT_CODE, unit_code)
    if level == "单位":
        text = re.sub(r"(\d{4}\s*年)部门预算", r"\1单位预算", text)
        text = text.replace(f"{department}部门", f"{department}单位")
    if phase == "决算":
        text = re.sub(r"(\d{4}\s*年)(部门|单位)预算", r"\1\2决算", text)
    return text


def write_variant(folder: Path, name: str, **kwargs) -> Path:
    """Write a variant as ``folder/name.txt`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_text(variant_text(**kwargs), encoding="utf-8")
    return path


# The family the tests load: two departments over two years, a unit of the first department
# (listed as its 下属单位) in 2021, and the second department's 2021 final accounts
# (90% of its 2021 budget).
MINZHENG = dict(department="郑州市民政局", unit_code="035001", subunit="郑州市民政事务服务中心")
FAMILY = {
    "xinfang-2021": dict(),
    "xinfang-2022": dict(year=2022, scale=2),
    "minzheng-2021": dict(**MINZHENG, scale=10),
    "minzheng-2022": dict(**MINZHENG, year=2022, scale=12),
    "minzheng-2021-final": dict(**MINZHENG, scale=9, phase="决算"),
    "xinfang-center-2021": dict(department="郑州市信访应急处置中心", unit_code="034002", level="单位"),
}
