"""Amounts as printed: exact parsing, units, and SQL for sums without float drift."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# 18,129,249 / 87267272.44 / 2,940.05 / -1,200 / 0
AMOUNT = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
AMOUNT_RE = re.compile(rf"^{AMOUNT}$")

UNITS = {"元": Decimal(1), "万元": Decimal(10000)}


def parse_amount(text: str) -> Decimal:
    """Parse one printed amount exactly: ``parse_amount("18,129,249") == Decimal(18129249)``.

    Raises ``ValueError`` for anything that is not a plain number (stray characters included).
    """
    cleaned = text.strip()
    if not AMOUNT_RE.match(cleaned):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation as e:  # pragma: no cover - the regex admits only numbers
        raise ValueError(f"not an amount: {text!r}") from e


@lru_cache(maxsize=8192)
def is_amount(token: str) -> bool:
    """Cached: every token of every table line is tested, and the same amounts (0.00 above
    all) and names come back again and again."""
    return bool(AMOUNT_RE.match(token))


def to_yuan(value: Decimal, unit: str = "元") -> int | float:
    """Convert a printed amount in ``unit`` to 元: an ``int`` when whole, else a float of 分.

    ``to_yuan(Decimal("2940.05"), "万元") == 29400500``
    """
    yuan = value * UNITS[unit]
    if yuan == yuan.to_integral_value():
        return int(yuan)
    return float(yuan.quantize(Decimal("0.01")))


# the same factors as UNITS, for whole-number arithmetic
UNIT_FACTORS = {"元": 1, "万元": 10000}


@lru_cache(maxsize=8192)
def printed_to_yuan(text: str, unit: str = "元") -> int | float:
    """``to_yuan(parse_amount(text), unit)``, computed in integers when the result is whole.

    Tables hold hundreds of thousands of amounts, most of them whole 元 and many repeated
    (0.00 above all), so results are cached and whole ones skip Decimal arithmetic;
    anything else goes the exact Decimal way.
    """
    cleaned = text.strip()
    if AMOUNT_RE.match(cleaned):
        whole, _, fraction = cleaned.replace(",", "").partition(".")
        scaled = int(whole + fraction) * UNIT_FACTORS[unit]
        scale = 10 ** len(fraction)
        if scaled % scale == 0:
            return scaled // scale
    return to_yuan(parse_amount(text), unit)


def yuan_to_decimal(value) -> Decimal:
    """The exact decimal of a stored 元 amount (stored floats carry at most 分)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(Decimal("0.01"))
    return Decimal(value)


def sql_exact(expression: str) -> str:
    """SQL for an amount computed from 元 amounts: an integer when whole, else rounded to 分."""
    e = expression
    return f"(case when {e} = cast({e} as integer) then cast({e} as integer) else round({e}, 2) end)"


def sql_sum(expression: str) -> str:
    """SQL for an exact sum of 元 amounts (see :func:`sql_exact`).

    SQLite computes an identical aggregate once, so repeating ``sum(x)`` costs nothing.
    """
    return sql_exact(f"sum({expression})")


def format_yuan(value) -> str:
    """``format_yuan(18129249) == "18,129,249"``; amounts with 分 keep two decimals."""
    d = yuan_to_decimal(value)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d:,.2f}"


def format_wan(value) -> str:
    """元 shown in 万元 with two decimals: ``format_wan(18129249) == "1,812.92"``."""
    d = yuan_to_decimal(value) / Decimal(10000)
    return f"{d.quantize(Decimal('0.01')):,}"
