"""Recognising tables: find each standard table by its title, read its columns from its
header, and split its lines into rows (code, name, amounts), declared totals, known
header/note lines, and unparsed lines.

Every line inside a table region ends up in exactly one of those places.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .amounts import AMOUNT, is_amount, parse_amount, to_yuan
from .classification import normalise_code
from .documents import Line

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
PERFORMANCE_ROLES = ("performance_overall", "performance_project")

# The fund a function-classified expenditure table reports.
FUNDS = {
    "gpb_expenditure": "一般公共预算",
    "fund_expenditure": "政府性基金预算",
    "capital_expenditure": "国有资本经营预算",
}

UNIT_RE = re.compile(r"单位\s*[:：]\s*(万元|元)")
PAGE_NUMBER_RE = re.compile(r"^(?:-\s*\d+\s*-|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
NOTE_RE = re.compile(r"^(?:注|备注|说明)\s*[:：]")
TOTAL_LABEL_RE = re.compile(r"^(?:合\s*计|总\s*计)$")
CODE_TOKEN_RE = re.compile(r"^\d{3,7}$")
CODE_PART_RE = re.compile(r"^\d{1,2}$")
DIGITS_RE = re.compile(r"\d")

# Columns by role: (column, pattern in the header with its spaces removed).
EXPENDITURE_COLUMNS = [
    ("total", r"合计"),
    ("basic", r"基本支出"),
    ("basic_wages", r"工资福利"),
    ("basic_family", r"对个人和家庭"),
    ("basic_goods", r"商品(和)?服务"),
    ("basic_capital", r"资本性"),
    ("project", r"项目支出"),
    ("project_social", r"社会事业"),
    ("project_debt", r"债务项目"),
    ("project_construction", r"基本建设"),
    ("project_other", r"其他项目"),
    ("remit_superior", r"上缴上级支出"),
    ("operating", r"经营支出"),
    ("affiliated_subsidy", r"对附属单位补"),
]
EXPENDITURE_GROUPS = {
    "basic": ["basic_wages", "basic_family", "basic_goods", "basic_capital"],
    "project": ["project_social", "project_debt", "project_construction", "project_other"],
}
INCOME_COLUMNS = [
    ("total", r"合计"),
    ("general_budget", r"一般公共预算"),
    ("appropriation", r"财政拨款"),
    ("government_fund", r"政府性基金"),
    ("state_capital", r"国有资本经营"),
    ("special_account", r"财政专户"),
    ("business", r"(?<!单位)事业收入"),
    ("operating", r"经营收入"),
    ("superior_subsidy", r"上级补助"),
    ("affiliated", r"附属单位上缴"),
    ("other", r"其他各|其他收入"),
    ("transfer", r"上级转|转移支付"),
]
INCOME_GROUPS = {"general_budget": ["appropriation"]}
BASIC_COLUMNS = [
    ("total", r"合计|小计|决算数"),
    ("appropriation", r"财政拨款"),
    ("personnel", r"人员经费"),
    ("public", r"公用经费"),
]

SANGONG_KINDS = [
    ("total", r"合\s*计|^合计"),
    ("vehicle_operation", r"运行"),
    ("vehicle_purchase", r"购置"),
    ("abroad", r"出国"),
    ("reception", r"接待"),
    ("vehicle", r"公务用?车"),
]

SUMMARY_TOTAL_RE = re.compile(r"^(本年收入合计|本年支出合计|收入总计|支出总计|总计|合计)")
SUMMARY_MARKER_RE = re.compile(
    r"(?:(?<=\s)|^|(?<=\d))"
    r"(?P<marker>[一二三四五六七八九十]+、|\d{1,2}、|\d{1,2}\.(?!\d)|（\d{1,2}）|\(\d{1,2}\)|"
    r"本年收入合计|本年支出合计|收入总计|支出总计|年初结转和结余|年末结转和结余)"
)
CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass
class ParsedTable:
    role: str
    title: str
    first_line: int
    last_line: int
    page: int | None
    unit: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # line items
    totals: list[dict] = field(default_factory=list)  # declared totals and subtotals
    unparsed: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    kind: str = ""  # for gpb_expenditure: "function" or "economic"

    @property
    def status(self) -> str:
        return "loaded" if self.rows else "empty"


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def role_of_title(text: str) -> str | None:
    """The role of a line that is a table title, else None.

    ``role_of_title("郑州市信访局部门收支总体情况表") == "summary"``
    """
    t = compact(text)
    if not t.endswith("表") or len(t) > 60 or any(c in t for c in "《》。，…："):
        return None
    if re.match(r"^(\d+[.．、]|[一二三四五六七八九十]+、)", t):
        return None  # a table of contents entry or a list item naming a table
    for role, pattern in ROLE_TITLES:
        if pattern.search(t):
            return role
    return None


def find_tables(lines: list[Line]) -> list[tuple[str, int, int]]:
    """(role, start index, end index) of each table region; a region runs to the next title.

    A title counts only when a unit line (单位：元) follows within five lines, except for the
    performance forms, which print none.
    """
    starts = []
    for i, line in enumerate(lines):
        role = role_of_title(line.text)
        if not role:
            continue
        if role not in PERFORMANCE_ROLES:
            window = " ".join(l.text for l in lines[i : i + 6])
            if not UNIT_RE.search(window):
                continue
        starts.append((role, i))
    regions = []
    for n, (role, start) in enumerate(starts):
        end = starts[n + 1][1] if n + 1 < len(starts) else len(lines)
        regions.append((role, start, end))
    return regions


def unparsed(line: Line, reason: str, role: str) -> dict:
    return {"page": line.page, "line": line.number, "text": line.text, "reason": reason, "table_role": role}


def header_columns(header: str, spec: list[tuple[str, str]], groups: dict[str, list[str]]) -> list[str]:
    """Columns in printed order, from a header's text with spaces removed.

    A group (基本支出) is followed by its sub-columns (工资福利 …); groups are ordered by the last
    place their label is printed, since a header's first line can repeat a label in passing.
    """
    found = {}
    for column, pattern in spec:
        positions = [m.start() for m in re.finditer(pattern, header)]
        if positions:
            found[column] = positions[-1]
    members = {m for subs in groups.values() for m in subs}
    order = sorted((c for c in found if c not in members), key=lambda c: (c != "total", found[c]))
    columns = []
    for column in order:
        columns.append(column)
        columns.extend(s for s in groups.get(column, []) if s in found)
    # sub-columns printed without their group label
    columns.extend(c for c in found if c in members and c not in columns)
    return columns


def split_amounts(tokens: list[str]) -> tuple[list[str], list[str], str | None]:
    """Split tokens into (leading text tokens, trailing amount tokens, problem).

    A trailing token that looks like an amount but has stray characters is a problem.
    """
    amounts: list[str] = []
    i = len(tokens)
    while i > 0 and is_amount(tokens[i - 1]):
        i -= 1
        amounts.insert(0, tokens[i])
    problem = None
    if i > 0 and _looks_like_damaged_amount(tokens[i - 1]):
        problem = f"amount {tokens[i - 1]!r} has stray characters"
    return tokens[:i], amounts, problem


def _looks_like_damaged_amount(token: str) -> bool:
    """``1O,341,481``, ``585,00x``, ``3,590,000元``: mostly an amount, with stray characters."""
    if is_amount(token):
        return False
    digits = sum(c.isdigit() or c == "," for c in token)
    return digits >= 3 and digits / len(token) >= 0.6 and bool(re.search(r"\d,?\d", token))


def split_code(tokens: list[str]) -> tuple[str | None, list[str]]:
    """Leading code tokens: ``201 03 01`` (spaced) or ``2010301`` (compact)."""
    if not tokens or not CODE_TOKEN_RE.match(tokens[0]):
        return None, tokens
    if len(tokens[0]) == 3:
        n = 1
        while n < 3 and n < len(tokens) and CODE_PART_RE.match(tokens[n]) and n + 1 < len(tokens):
            n += 1
        return " ".join(tokens[:n]), tokens[n:]
    return tokens[0], tokens[1:]


def assign(columns: list[str], amounts: list[str], unit: str) -> dict | None:
    """Map a row's amounts onto the table's columns; None when the count does not fit.

    When a row prints fewer amounts than there are columns (blank cells vanish from the
    text), the amounts are taken as the leading columns only if the row's own identities
    (total = basic + project, and so on) then hold; anything else is left to the caller
    to report, never shifted silently.
    """
    values = [to_yuan(parse_amount(a), unit) for a in amounts]
    if len(values) == len(columns):
        return dict(zip(columns, values))
    if len(values) > len(columns) or not values:
        return None
    candidate = dict(zip(columns, values))
    if _identities_hold(candidate, columns) and _explains_rest(candidate, columns):
        return candidate
    return None


def _identities_hold(row: dict, columns: list[str]) -> bool:
    from decimal import Decimal

    def d(c):
        return Decimal(str(row.get(c) or 0))

    checks = []
    if "total" in row and "basic" in row and "project" in row:
        extras = [c for c in ("remit_superior", "operating", "affiliated_subsidy") if c in row]
        checks.append(d("total") == d("basic") + d("project") + sum((d(c) for c in extras), Decimal(0)))
    for group, subs in EXPENDITURE_GROUPS.items():
        present = [s for s in subs if s in row]
        if group in row and present and len(present) == len([s for s in subs if s in columns]):
            checks.append(d(group) == sum((d(s) for s in present), Decimal(0)))
    return bool(checks) and all(checks)


def _explains_rest(row: dict, columns: list[str]) -> bool:
    # The columns left blank must be ones whose absence the printed ones already account for.
    from decimal import Decimal

    if "total" not in row:
        return False
    missing = [c for c in columns if c not in row]
    explained = {"remit_superior", "operating", "affiliated_subsidy"}
    for group, subs in EXPENDITURE_GROUPS.items():
        if group in row and Decimal(str(row[group])) == 0:
            explained.update(subs)
    return all(c in explained for c in missing)


def parse_coded_table(role: str, region: list[Line], spec, groups, code_system: str = "function") -> ParsedTable:
    """A table whose rows start with a classification code (or 合计 / a unit code)."""
    title_line = region[0]
    table = ParsedTable(role=role, title=compact(title_line.text), first_line=title_line.number,
                        last_line=region[-1].number, page=title_line.page)
    header_lines: list[str] = []
    seen_header: set[str] = set()
    in_note = False
    for line in region[1:]:
        text = line.text.strip()
        if not text:
            continue
        if table.unit is None and UNIT_RE.search(text):
            table.unit = UNIT_RE.search(text).group(1)
            continue
        if PAGE_NUMBER_RE.match(text):
            continue
        if NOTE_RE.match(text) or in_note:
            in_note = True
            table.notes.append(text)
            continue
        tokens = text.split()
        is_total = (bool(TOTAL_LABEL_RE.match(tokens[0])) or compact(" ".join(tokens[:2])) in ("合计", "总计")) and bool(
            DIGITS_RE.search(text)
        )
        code, rest = split_code(tokens)
        if not is_total and code is None:
            if not table.rows and not table.totals:
                header_lines.append(text)
                seen_header.add(text)
            elif text in seen_header or not DIGITS_RE.search(text):
                if text in seen_header:
                    continue
                table.unparsed.append(unparsed(line, "a line without a code or amounts inside the table", role))
            else:
                table.unparsed.append(unparsed(line, "not a row: no classification code", role))
            continue
        if not table.columns:
            table.header = header_lines
            table.columns = header_columns(compact("".join(header_lines)), spec, groups)
        if is_total:
            label_tokens = tokens[:2] if compact(" ".join(tokens[:2])) in ("合计", "总计") and not TOTAL_LABEL_RE.match(tokens[0]) else tokens[:1]
            rest = tokens[len(label_tokens):]
        name_tokens, amounts, problem = split_amounts(rest)
        if problem:
            table.unparsed.append(unparsed(line, problem, role))
            continue
        values = assign(table.columns, amounts, table.unit or "元")
        if values is None:
            table.unparsed.append(
                unparsed(line, f"{len(amounts)} amounts for {len(table.columns)} columns ({', '.join(table.columns)})", role)
            )
            continue
        record = {"page": line.page, "line": line.number, "values": values}
        if is_total:
            record.update(kind="total", label=compact(" ".join(label_tokens)), code=None, name=None)
            table.totals.append(record)
            continue
        normalised = normalise_code(code)
        name = " ".join(name_tokens).strip()
        if len(normalised) == 6:  # a unit code such as 034001: the department's own row
            record.update(kind="unit", label=f"{normalised} {name}", code=normalised, name=name)
            table.totals.append(record)
            continue
        record.update(kind="item", code=normalised, printed_code=code, name=name)
        table.rows.append(record)
    if not table.columns:
        table.header = header_lines
        table.columns = header_columns(compact("".join(header_lines)), spec, groups)
    _separate_subtotals(table)
    return table


def _separate_subtotals(table: ParsedTable) -> None:
    """Rows whose code is a prefix of another row's code are subtotals (类/款 rows)."""
    codes = [r["code"] for r in table.rows]
    prefixes = {c[:n] for c in codes for n in range(3, len(c))}
    items = []
    for row in table.rows:
        if row["code"] in prefixes:
            row["kind"] = "subtotal"
            row["label"] = f"{row['code']} {row['name']}"
            table.totals.append(row)
        else:
            items.append(row)
    table.rows = items


def parse_economic_table(region: list[Line]) -> ParsedTable:
    """一般公共预算支出情况表 by economic classification: department code and government code."""
    table = parse_coded_table("economic_expenditure", region, EXPENDITURE_COLUMNS, EXPENDITURE_GROUPS, "economic")
    table.kind = "economic"
    for row in table.rows + [t for t in table.totals if t["kind"] == "subtotal"]:
        # name_tokens hold: 基本工资 501 01 工资奖金津补贴_行政
        m = re.match(r"^(?P<name>.*?)\s+(?P<gov>\d{3}(?: \d{1,2})?|\d{5})\s+(?P<gov_name>.+)$", row["name"])
        if m:
            row["economic_name"] = m.group("name")
            row["government_code"] = normalise_code(m.group("gov"))
            row["government_name"] = m.group("gov_name")
        else:
            row["economic_name"] = row["name"]
            row["government_code"] = None
            row["government_name"] = None
    return table


def parse_summary_table(role: str, region: list[Line]) -> ParsedTable:
    """收支总表: income items (left) and expenditure items (right) side by side on a line."""
    title_line = region[0]
    table = ParsedTable(role=role, title=compact(title_line.text), first_line=title_line.number,
                        last_line=region[-1].number, page=title_line.page)
    last_marker = {"收入": {}, "支出": {}}
    parents = {"收入": None, "支出": None}
    started = False
    in_note = False
    for line in region[1:]:
        text = line.text.strip()
        if not text:
            continue
        if table.unit is None and UNIT_RE.search(text):
            table.unit = UNIT_RE.search(text).group(1)
            continue
        if PAGE_NUMBER_RE.match(text):
            continue
        if NOTE_RE.match(text) or in_note:
            in_note = True
            table.notes.append(text)
            continue
        segments = _summary_segments(text)
        if not segments:
            if not started:
                table.header.append(text)
            else:
                table.unparsed.append(unparsed(line, "a line without an item inside the summary table", role))
            continue
        started = True
        sides = _summary_sides(segments, last_marker)
        for (marker, label, amounts, problem), side in zip(segments, sides):
            if problem:
                table.unparsed.append(unparsed(line, problem, role))
                continue
            values = [to_yuan(parse_amount(a), table.unit or "元") for a in amounts]
            item = (marker + label).strip()
            if SUMMARY_TOTAL_RE.match(item):
                table.totals.append({"kind": "total", "label": compact(item), "code": None, "name": None,
                                     "side": side, "page": line.page, "line": line.number,
                                     "values": {"amount": values[0] if values else None}})
                continue
            depth = 1 if re.match(rf"[{CHINESE_NUMERALS}]+、", marker) else 2
            if depth == 1:
                parents[side] = compact(label)
            table.rows.append({
                "kind": "item", "side": side, "item": item, "name": compact(label), "depth": depth,
                "parent": parents[side] if depth == 2 else None, "page": line.page, "line": line.number,
                "values": {"amount": values[0] if values else None},
                "extra_amounts": values[1:],
            })
    return table


def _summary_segments(text: str) -> list[tuple[str, str, list[str], str | None]]:
    """(marker, label, amounts, problem) for each item printed on a summary line."""
    matches = list(SUMMARY_MARKER_RE.finditer(text))
    if not matches or matches[0].start() != 0:
        # a line whose first item has no number marker (e.g. 使用非财政拨款结余)
        if not matches and not DIGITS_RE.search(text):
            return []
        bare = re.match(r"^(\S+?)\s", text)
        if not bare and not matches:
            return []
    segments = []
    bounds = [m.start() for m in matches] + [len(text)]
    if matches and matches[0].start() != 0:
        bounds = [0] + bounds
        markers = [""] + [m.group("marker") for m in matches]
    else:
        markers = [m.group("marker") for m in matches]
    if not matches:
        bounds = [0, len(text)]
        markers = [""]
    for n, marker in enumerate(markers):
        chunk = text[bounds[n] : bounds[n + 1]].strip()
        body = chunk[len(marker):].strip()
        tokens = body.split()
        label_tokens, amounts, problem = split_amounts(tokens)
        segments.append((marker, " ".join(label_tokens), amounts, problem))
    return segments


def _numeral_value(marker: str) -> tuple[int, int] | None:
    """(depth, number) of an item marker: 一、 → (1, 1); 3、 → (2, 3)."""
    m = re.match(rf"^([{CHINESE_NUMERALS}]+)、", marker)
    if m:
        s = m.group(1)
        if s == "十":
            return 1, 10
        if s.startswith("十"):
            return 1, 10 + CHINESE_NUMERALS.index(s[1]) + 1
        if s.endswith("十"):
            return 1, (CHINESE_NUMERALS.index(s[0]) + 1) * 10
        if "十" in s:
            a, b = s.split("十")
            return 1, (CHINESE_NUMERALS.index(a) + 1) * 10 + CHINESE_NUMERALS.index(b) + 1
        return 1, CHINESE_NUMERALS.index(s) + 1
    m = re.search(r"(\d+)", marker)
    if m:
        return 2, int(m.group(1))
    return None


def _summary_sides(segments, last_marker) -> list[str]:
    """Which side each segment belongs to. Two segments: income then expenditure. One
    segment: the side whose numbering it continues, else by its wording."""
    if len(segments) >= 2:
        sides = ["收入", "支出"] + ["支出"] * (len(segments) - 2)
    else:
        marker, label, _, _ = segments[0]
        value = _numeral_value(marker)
        side = None
        if SUMMARY_TOTAL_RE.match(marker + label):
            side = "收入" if "收入" in marker + label else "支出"
        elif value:
            depth, number = value
            fits = [s for s in ("收入", "支出") if last_marker[s].get(depth, 0) + 1 == number]
            if len(fits) == 1:
                side = fits[0]
        if side is None:
            side = "支出" if "支出" in label else "收入"
        sides = [side]
    for (marker, _, _, _), side in zip(segments, sides):
        value = _numeral_value(marker)
        if value:
            depth, number = value
            last_marker[side][depth] = number
            if depth == 1:
                last_marker[side][2] = 0
    return sides


def parse_sangong_table(region: list[Line]) -> ParsedTable:
    """三公 table printed one item per line (label then amount)."""
    title_line = region[0]
    table = ParsedTable(role="sangong", title=compact(title_line.text), first_line=title_line.number,
                        last_line=region[-1].number, page=title_line.page)
    in_note = False
    for line in region[1:]:
        text = line.text.strip()
        if not text:
            continue
        if table.unit is None and UNIT_RE.search(text):
            table.unit = UNIT_RE.search(text).group(1)
            continue
        if PAGE_NUMBER_RE.match(text):
            continue
        if NOTE_RE.match(text) or in_note:
            in_note = True
            table.notes.append(text)
            continue
        label_tokens, amounts, problem = split_amounts(text.split())
        if problem:
            table.unparsed.append(unparsed(line, problem, "sangong"))
            continue
        if not amounts:
            if not table.rows and not table.totals:
                table.header.append(text)
            else:
                table.unparsed.append(unparsed(line, "a line without an amount inside the 三公 table", "sangong"))
            continue
        label = compact(" ".join(label_tokens))
        if len(amounts) != 1 or not label:
            table.unparsed.append(unparsed(line, f"expected an item and one amount, found {len(amounts)} amounts", "sangong"))
            continue
        kind = next((k for k, p in SANGONG_KINDS if re.search(p, label)), None)
        value = to_yuan(parse_amount(amounts[0]), table.unit or "元")
        item = re.sub(r"^(其中[:：])?([（(]?\d+[）)]?[、.]?)", "", label)
        # 其中：（1）… and （2）… are parts of the item above them
        depth = 2 if re.match(r"^(其中[:：])?[（(]\d+[）)]", label) else 1
        record = {"kind": kind or "other", "item": item, "label": label, "depth": depth, "page": line.page,
                  "line": line.number, "values": {"amount": value}, "code": None, "name": None}
        if kind == "total":
            record["kind"] = "total"
            table.totals.append(record)
        else:
            table.rows.append(record)
    table.columns = ["amount"]
    return table


def parse_procurement_table(region: list[Line]) -> ParsedTable:
    """政府采购预算表: code, unit, procurement item, catalogue item, [spec], measure, quantity, amount."""
    title_line = region[0]
    table = ParsedTable(role="procurement", title=compact(title_line.text), first_line=title_line.number,
                        last_line=region[-1].number, page=title_line.page)
    in_note = False
    for line in region[1:]:
        text = line.text.strip()
        if not text:
            continue
        if table.unit is None and UNIT_RE.search(text):
            table.unit = UNIT_RE.search(text).group(1)
            continue
        if PAGE_NUMBER_RE.match(text):
            continue
        if NOTE_RE.match(text) or in_note:
            in_note = True
            table.notes.append(text)
            continue
        tokens = text.split()
        if TOTAL_LABEL_RE.match(tokens[0]) or compact(" ".join(tokens[:2])) == "合计":
            rest = tokens[1:] if TOTAL_LABEL_RE.match(tokens[0]) else tokens[2:]
            if len(rest) == 2 and all(is_amount(t) for t in rest):
                table.totals.append({"kind": "total", "label": "合计", "code": None, "name": None,
                                     "page": line.page, "line": line.number,
                                     "values": {"quantity": int(parse_amount(rest[0])),
                                                "amount": to_yuan(parse_amount(rest[1]), table.unit or "元")}})
            else:
                table.unparsed.append(unparsed(line, "expected 合计, a quantity and an amount", "procurement"))
            continue
        code, rest = split_code(tokens)
        if code is None:
            if not table.rows and not table.totals:
                table.header.append(text)
            else:
                table.unparsed.append(unparsed(line, "not a row: no classification code", "procurement"))
            continue
        if len(rest) < 6 or not is_amount(rest[-1]) or not is_amount(rest[-2]):
            table.unparsed.append(unparsed(line, "expected unit, item, catalogue, measure, quantity and amount", "procurement"))
            continue
        unit_name, category, item = rest[0], rest[1], rest[2]
        spec = " ".join(rest[3:-3]) or None
        table.rows.append({
            "kind": "item", "code": normalise_code(code), "name": None, "unit_name": unit_name,
            "category": category, "item": item, "spec": spec, "measure": rest[-3],
            "page": line.page, "line": line.number,
            "values": {"quantity": int(parse_amount(rest[-2])),
                       "amount": to_yuan(parse_amount(rest[-1]), table.unit or "元")},
        })
    table.columns = ["quantity", "amount"]
    return table


def is_economic_header(region: list[Line]) -> bool:
    head = compact(" ".join(l.text for l in region[1:12]))
    return "经济分类" in head and "功能分类" not in head


def parse_table(role: str, region: list[Line]) -> ParsedTable:
    """Dispatch a table region to the parser for its role."""
    if role in ("summary", "appropriation_summary"):
        return parse_summary_table(role, region)
    if role == "income":
        return parse_coded_table(role, region, INCOME_COLUMNS, INCOME_GROUPS)
    if role == "basic_expenditure":
        return parse_coded_table(role, region, BASIC_COLUMNS, {}, "economic")
    if role == "sangong":
        return parse_sangong_table(region)
    if role == "procurement":
        return parse_procurement_table(region)
    if role == "gpb_expenditure" and is_economic_header(region):
        return parse_economic_table(region)
    table = parse_coded_table(role, region, EXPENDITURE_COLUMNS, EXPENDITURE_GROUPS)
    if role == "gpb_expenditure":
        table.kind = "function"
    return table
