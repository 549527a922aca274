"""Narrative claims: every amount, share and year-over-year change the 说明 states.

The 说明 restates the tables in 万元 with percentages and changes from last year:
``基本支出 1453.92万元，占比 80.20 %`` or ``比 2020年减少 2.92万元``. Each figure becomes a
claim with the words naming it (its *subject*), its printed precision and the lines it was
printed on; :mod:`datasette_budget.checks` ties each claim to the table figure it describes.

This is pure parsing: ``parse_claims(doc.narrative["sections"], doc.source.lines)``.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from .documents import Line
from .narrative import CJK_GAP_RE, ITEM_RE, SECTION_RE, SUBHEADING_RE

# 1812.92万元 / 0.4 万元 / 80.20 % / 34,618.99 万元 (thousands grouped by commas, read whole) ;
# a threshold (50万元以上) is not a figure
FIGURE_RE = re.compile(r"(?<![\d.,])(?P<value>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>万元|%|％)(?!\s*(?:[（(]含[）)])?\s*(?:以上|以下|以内))")
QUANTITY_RE = re.compile(r"数量\s*(?P<value>\d+)\s*(?P<unit>个|台|件|套|辆)")
# 预算数与 2020年相比一致，没有变化 / 与 2020年预算相比没有变化
NO_CHANGE_RE = re.compile(
    r"(?P<subject>[^，。；：:,;\n]*?)(?:预算数)?与\s*(?P<year>\d{4})\s*年(?:预算)?相比(?:一致)?[，,]?\s*(?:没有|无)变化"
)
DIRECTION_RE = re.compile(r"(?P<direction>增加|减少|增长|下降|降低|增|减)$")
PRIOR_YEAR_RE = re.compile(r"(?:预算数)?(?:比|较|与)\s*(?P<year>\d{4})\s*年度?(?:预算)?(?:数)?(?:相比)?$")
LEADING_WORDS_RE = re.compile(r"^(?:其中|包括|主要用于以下方面|分别是|主要项目|和|及|与|为|是|共有)+")
LEADING_YEAR_RE = re.compile(r"^\d{4}\s*年(?:度)?")
TRAILING_WORDS_RE = re.compile(r"(?:安排|预算数|预算为|为|是|达)$")
# 2023年当年预算执行数为 60.13万元: last year's figure, not a figure of this document's tables
PRIOR_FIGURE_RE = re.compile(r"执行数|上年|上一年度")
# 年初预算为 54.53万元 in final accounts: the budget's figure, not a figure of this document's tables
BUDGET_FIGURE_RE = re.compile(r"年初预算|年初$")
# words that restate the figure their item is about: 2024年预算安排 25.77万元 / 支出决算为 54.53万元
RESTATING = {"", "预算", "预算安排", "安排", "支出决算", "决算", "决算数", "支出"}
# 完成年初预算的 98.61%
EXECUTION_RE = re.compile(r"完成(?:年初)?预算")
# “一般公共服务支出（类）统计信息事务（款）专项普查活动（项）” (matched at a position: no ^)
FUNCTION_PATH_RE = re.compile(r"\s*(?:\d{1,2}\s*[.、．])?\s*(“?(?:[^，,。；;：:\n（(]+[（(](?:类|款|项)[）)])+”?)")
# 比2023年预算持平 / 与上一年度持平
FLAT_RE = re.compile(r"(?P<subject>[^，。；：:,;\n]*?)(?:比|与)\s*(?P<year>\d{4})\s*年(?:度)?(?:预算)?(?:执行数)?持平")
STOP = "，,。；;：:、\n"
# what the leading [^…]*? subject of NO_CHANGE_RE and FLAT_RE cannot run across
SUBJECT_STOP_RE = re.compile(r"[，。；：:,;\n]")
# where an item, a sentence or a 其中 list ends
BREAK_RE = re.compile(r"[\n。；;]")
# （一）… opening a line: an item heading, and the sub-heading of the items below it
NUMBERED_HEADING_RE = re.compile(r"[（(][一二三四五六七八九十]+[）)]")
SUB_HEADING_RE = re.compile(r"[（(][一二三四五六七八九十]+[）)][^，。；：:\n]*")
# 1. 空气调节设备，… : the thing an item lists
ITEM_NAME_RE = re.compile(r"\s*(?:\d{1,2}\s*[.、．])?\s*([^，,。；;：:\d\n]+)[，,]")
ITEM_NUMBER_RE = re.compile(r"^\d{1,2}\s*[.、．]\s*")
ITEM_ORDINAL_RE = re.compile(r"^[（(][一二三四五六七八九十\d]+[）)]")
BUDGET_SUFFIX_RE = re.compile(r"年初(预算)?$")
SECTION_STOP = "。\n"
# a part of the money by source of funds: 一般公共预算拨款政府采购
FUNDS_RE = re.compile(r"拨款|基金")
DECREASE = {"减少", "下降", "降低", "减"}


@dataclass
class Claim:
    kind: str  # amount / share / change / change_rate / unit_price / quantity
    subject: str  # the words naming the figure, e.g. 人员经费
    value: Decimal  # as printed, signed for changes (减少 2.92 -> -2.92)
    decimals: int  # printed decimal places
    unit: str  # 万元 / % / 个 …
    text: str  # the clause as printed (cleaned)
    lines: list[int]  # line numbers the figure and its subject were printed on
    page: int | None
    heading: str  # the section and sub-section it belongs to
    year: int | None = None  # the year a change is measured from
    item: str | None = None  # the numbered item or listed thing it belongs to
    refers_to: "Claim | None" = field(default=None, repr=False)  # share/change_rate: the figure it is of
    prior: "Claim | None" = field(default=None, repr=False)  # change_rate/execution: the figure it is measured from
    parts: list = field(default_factory=list, repr=False)  # amounts listed after 其中 that add up to it


def parse_claims(sections: list[dict], lines: list[Line]) -> list[Claim]:
    """Claims of every narrative section except the glossary (名词解释)."""
    by_number = {line.number: line for line in lines}
    claims: list[Claim] = []
    for section in sections:
        if "名词解释" in (section.get("part") or "") + section["heading"]:
            continue
        section_lines = [
            by_number[n]
            for n in range(section["first_line"], section["last_line"] + 1)
            if n in by_number and by_number[n].text.strip()
        ]
        claims.extend(section_claims(section["heading"], section_lines))
    return claims


def _joined(lines: list[Line]) -> tuple[str, list[tuple[int, int, Line]]]:
    """Text of wrapped lines joined as one paragraph (a numbered item starts a new line),
    with (start, end, line) spans to find the lines a claim came from."""
    parts, spans, length = [], [], 0
    heading_before = False
    for n, line in enumerate(lines):
        piece = CJK_GAP_RE.sub("", line.text.strip())
        is_heading = bool(SECTION_RE.match(piece) or SUBHEADING_RE.match(piece))
        if n and (heading_before or is_heading or ITEM_RE.match(piece)
                  or NUMBERED_HEADING_RE.match(piece)):
            parts.append("\n")
            length += 1
        heading_before = is_heading
        spans.append((length, length + len(piece), line))
        parts.append(piece)
        length += len(piece)
    return "".join(parts), spans


class _Spans:
    """The lines of a joined text that [start, end) touches, found by bisection: the spans
    are in order and do not overlap, so those lines are a run of them."""

    def __init__(self, spans):
        self.starts = [s for s, _, _ in spans]
        self.ends = [e for _, e, _ in spans]
        self.lines = [line for _, _, line in spans]

    def between(self, start: int, end: int) -> list[Line]:
        return self.lines[bisect_right(self.ends, start):bisect_left(self.starts, end)]


def _phrase_start(text: str, position: int, floor: int) -> int:
    """Where the words naming a figure begin: after the last clause delimiter, skipping
    bracketed asides such as 因公出国（境）费; an unclosed bracket is a delimiter."""
    depth = 0
    i = position - 1
    while i >= floor:
        c = text[i]
        if c in "）)":
            depth += 1
        elif c in "（(":
            if depth == 0:
                return i + 1
            depth -= 1
        elif depth == 0 and c in STOP:
            return i + 1
        i -= 1
    return floor


def _subject(phrase: str) -> str:
    s = ITEM_NUMBER_RE.sub("", phrase.strip())
    s = ITEM_ORDINAL_RE.sub("", s)
    s = LEADING_YEAR_RE.sub("", s.strip("，, "))
    s = LEADING_WORDS_RE.sub("", s)
    s = s.strip("，,：: ")
    return s


def _clause_finditer(pattern: re.Pattern, text: str, required: str):
    """``pattern.finditer(text)`` for a pattern that starts with a lazy subject of
    non-delimiters (NO_CHANGE_RE, FLAT_RE) and matches only text containing ``required``.
    Its leftmost match can only start where the search resumes or just after a delimiter
    (a later start in the same clause admits fewer matches), so only those starts are
    tried; ``finditer`` would retry every character of a clause, each scanning to the
    clause's end."""
    if required not in text:
        return
    position = 0
    while position < len(text):
        m = pattern.match(text, position)
        if m:
            yield m
            position = m.end()
            continue
        stop = SUBJECT_STOP_RE.search(text, position)
        if stop is None:
            return
        position = stop.end()


def section_claims(heading: str, lines: list[Line]) -> list[Claim]:
    text, spans = _joined(lines)
    claims: list[Claim] = []
    matches = sorted(
        [("figure", m) for m in FIGURE_RE.finditer(text)]
        + [("quantity", m) for m in QUANTITY_RE.finditer(text)]
        + [("no_change", m) for m in _clause_finditer(NO_CHANGE_RE, text, "变化")]
        + [("no_change", m) for m in _clause_finditer(FLAT_RE, text, "持平")],
        key=lambda km: km[1].start(),
    )
    sub_heading = ""
    item_start = 0
    item_name: str | None = None
    last_end = 0
    last_amount: Claim | None = None  # in the current sentence
    last_change: Claim | None = None
    item_first: Claim | None = None  # first amount of the current numbered item
    item_title = ""  # the 类（款）（项） an item is about
    item_prior: Claim | None = None  # last prior-year or budget figure of the item
    listing: Claim | None = None  # the amount whose 其中 parts are being listed
    previous: Claim | None = None  # the last amount of the item, across sentences
    previous_end = 0
    last_change_after = False  # the last change was stated after the last amount
    opener: Claim | None = None  # 其中一般公共预算拨款政府采购 504.98万元：… : the amount whose parts follow its colon
    first_path = FUNCTION_PATH_RE.match(text)
    item_title = first_path.group(1) if first_path else ""
    first_clause, first_clause_at = None, -1  # ITEM_NAME_RE at item_start
    by_position = _Spans(spans)
    for kind, m in matches:
        # move the sentence/item context forward to this match, break by break
        for brk in BREAK_RE.finditer(text, last_end, m.start()):
            c, i = brk.group(), brk.start()
            if c == "\n":
                item_start = i + 1
                item_first = last_amount = last_change = item_prior = listing = previous = opener = None
                item_name = None
                path = FUNCTION_PATH_RE.match(text, i + 1)
                item_title = path.group(1) if path else ""
                head = SUB_HEADING_RE.match(text, i + 1)
                if head:
                    sub_heading = head.group()
            elif c == "。":
                last_amount = last_change = listing = opener = None
            else:
                listing = opener = None  # a 其中 list ends with its clause
        # a listed thing named before its figures: 1. 空气调节设备，单价 0.4 万元
        if item_name is None:
            if first_clause_at != item_start:
                first_clause, first_clause_at = ITEM_NAME_RE.match(text, item_start), item_start
            if first_clause and first_clause.end() <= m.start():
                item_name = first_clause.group(1).strip()
        context = f"{heading} {sub_heading}".strip()
        where = by_position.between(m.start(), m.end())
        start = _phrase_start(text, m.start(), max(last_end, item_start))
        phrase = text[start : m.start()]
        if kind == "no_change":
            stated = last_amount or item_first
            subject = _subject(m.group("subject")) or (stated.subject if stated else "")
            if last_change is not None and not m.group("subject").strip() and (
                    stated is None or last_change.lines[-1:] >= stated.lines[-1:] and last_change_after):
                last_end = m.end()
                continue  # 增加 0万元，与 2020年预算相比没有变化: already stated as a change
            subject = TRAILING_WORDS_RE.sub("", subject)
            claim = Claim("change", subject, Decimal(0), 0, "万元", m.group().strip("，,"), [l.number for l in where],
                          where[0].page, context, year=int(m.group("year")), item=item_name)
            claim.refers_to = stated if not _subject(m.group("subject")) else None
            claims.append(claim)
            last_change = claim
            last_end = m.end()
            continue
        printed = m.group("value").replace(",", "")
        value = Decimal(printed)
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        unit = m.group("unit").replace("％", "%")
        subject_lines = by_position.between(start, m.end())
        line_numbers = sorted({l.number for l in subject_lines})
        page = where[0].page
        words = phrase.strip()
        if kind == "quantity":
            claim = Claim("quantity", item_name or "", value, 0, unit, text[start : m.end()], line_numbers, page,
                          context, item=item_name)
            claims.append(claim)
            last_end = m.end()
            continue
        direction = DIRECTION_RE.search(words)
        if direction:
            before = words[: direction.start()]
            year_match = PRIOR_YEAR_RE.search(before)
            before = before[: year_match.start()] if year_match else before
            subject = TRAILING_WORDS_RE.sub("", _subject(before))
            if direction.group("direction") in DECREASE:
                value = -value
            if unit == "%":
                claim = Claim("change_rate", subject or (last_change.subject if last_change else ""), value, decimals,
                              unit, text[start : m.end()], line_numbers, page, context,
                              year=last_change.year if last_change else None, item=item_name)
                claim.refers_to = last_change
                if last_change is None and item_prior is not None and item_prior.kind == "prior":
                    # 比2023年预算执行数减少57.14%: from the stated prior figure to the item's figure
                    claim.refers_to, claim.prior = item_first, item_prior
                    claim.subject, claim.year = item_first.subject if item_first else subject, item_prior.year
            else:
                refers = None
                if not subject and last_amount is not None:
                    subject, refers = last_amount.subject, last_amount
                claim = Claim("change", subject, value, decimals, unit, text[start : m.end()], line_numbers, page,
                              context, year=int(year_match.group("year")) if year_match else None, item=item_name)
                claim.refers_to = refers
                last_change = claim
                last_change_after = True
            claims.append(claim)
        elif unit == "%" and EXECUTION_RE.search(words) and item_prior is not None and item_prior.kind == "budget":
            # 年初预算为 452.40万元，支出决算为 446.11万元，完成年初预算的 98.61%
            claim = Claim("execution_rate", last_amount.subject if last_amount else item_prior.subject, value,
                          decimals, unit, text[start : m.end()], line_numbers, page, context, item=item_name)
            claim.refers_to, claim.prior = last_amount, item_prior
            claims.append(claim)
        elif unit == "%":
            claim = Claim("share", last_amount.subject if last_amount else _subject(words), value, decimals, unit,
                          text[start : m.end()], line_numbers, page, context, item=item_name)
            claim.refers_to = last_amount
            claims.append(claim)
        else:
            subject = TRAILING_WORDS_RE.sub("", _subject(words))
            claim_kind = "amount"
            year = LEADING_YEAR_RE.match(phrase.strip().lstrip("，,。；;：:"))
            year = int(year.group()[:4]) if year else None
            if subject == "单价":
                claim_kind, subject = "unit_price", item_name or ""
            elif subject in ("共", "共计", "合计", "计") and item_name:
                subject = item_name
            elif PRIOR_FIGURE_RE.search(words):
                claim_kind = "prior"
                subject = item_first.subject if item_first else (item_title or subject)
                refers = item_first
            elif BUDGET_FIGURE_RE.search(TRAILING_WORDS_RE.sub("", words)):
                claim_kind = "budget"
                subject = BUDGET_SUFFIX_RE.sub("", subject) or item_title
            elif subject in RESTATING and (item_first or item_title or item_prior):
                # 2024年预算安排 25.77万元 / 支出决算为 54.53万元: the item's own figure again
                subject = item_first.subject if item_first else (item_title or item_prior.subject)
            elif not subject and last_amount is not None:
                subject = last_amount.subject
            if (claim_kind == "amount" and opener is not None and FUNDS_RE.search(opener.subject)
                    and not FUNDS_RE.search(subject)):
                # 其中一般公共预算拨款政府采购 504.98万元：政府采购货物预算 480.50万元: the 拨款 part of 货物
                subject = f"{opener.subject}：{subject}"
            claim = Claim(claim_kind, subject, value, decimals, unit, text[start : m.end()], line_numbers, page,
                          context, year=year, item=item_name)
            if claim_kind == "amount" and text[m.end():m.end() + 2].strip()[:1] in ("：", ":"):
                opener = claim
            if claim_kind == "prior":
                claim.refers_to = refers
            claims.append(claim)
            if claim_kind in ("prior", "budget"):
                item_prior = claim
            if claim_kind == "amount":
                # 收入预算 15621.11万元，其中：财政拨款收入 …；事业收入 …: the amounts listed after
                # 其中, up to the end of the sentence, are parts of the amount before it
                if listing is not None:
                    listing.parts.append(claim)
                elif previous is not None and "其中" in text[previous_end:m.start()]:
                    listing = previous
                    listing.parts.append(claim)
                previous, previous_end = claim, m.end()
                last_amount = claim
                last_change_after = False
                if item_first is None:
                    item_first = claim
        last_end = m.end()
    return claims
