"""Reading the narrative of a disclosure: duties, organisation, staffing, vehicles, glossary.

The narrative is everything before the first table. Text extracted from a PDF wraps lines
mid-sentence (with blank lines between), so paragraphs are rejoined from their lines before
they are read; every figure keeps the line and page it was printed on.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable

from .documents import Line

NUMERALS = "一二三四五六七八九十"

PART_RE = re.compile(r"^第[一二三四五六七八九十]+部分\s*(?P<title>.*)$")
# 一、收入支出预算总体情况说明 (the colon splits a heading from text on the same line)
SECTION_RE = re.compile(r"^(?P<numeral>[一二三四五六七八九十]+)\s*、\s*(?P<rest>.*)$")
# 1. 代表市委…   2、…   （1）…   （一）内设机构：…
ITEM_RE = re.compile(
    r"^(?:(?P<arabic>\d{1,2})\s*[.、．](?!\d)|[（(](?P<paren>\d{1,2}|[一二三四五六七八九十]+)[）)])\s*(?P<rest>.*)$"
)
TABLE_UNIT_RE = re.compile(r"^单位\s*[：:]\s*万?元")
SENTENCE_PUNCTUATION_RE = re.compile(r"[，。；,;]")
# PDF extraction leaves stray spaces between Chinese characters (日常工 作).
CJK = r"\u2018-\u201f\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
CJK_GAP_RE = re.compile(rf"(?<=[{CJK}])[ \t\u00a0\u3000]+(?=[{CJK}])")
COLON_RE = re.compile(r"[：:]")
# （一）财政拨款收入支出预算总体情况说明: a sub-heading, its text starts on the next line
SUBHEADING_RE = re.compile(r"^[（(][一二三四五六七八九十]+[）)][^，。；、：:,;]{2,40}(?:说明|情况)$")

DUTIES_HEADING_RE = re.compile(r"职责|职能")
ORGANISATION_HEADING_RE = re.compile(r"单位构成|机构设置|内设机构|机构情况|机构构成")
STAFFING_HEADING_RE = re.compile(r"人员|编制")
VEHICLES_HEADING_RE = re.compile(r"车辆")
GLOSSARY_RE = re.compile(r"名词解释")

ORGANISATION_KIND_RE = re.compile(
    r"(?P<kind>内设机构|内设处室|内设科室|下属单位|所属单位|直属单位|下属事业单位|所属事业单位|二级单位)"
    r"(?:包括|有|为)?\s*[：:]"
)
NAME_RE = re.compile(r"[^、，,；;。\n]+")
# …、机关党委等15个处室 -> 机关党委
NAME_TAIL_RE = re.compile(r"等(?:\d+|[一二三四五六七八九十]+)?个?[^、，]*$|等$")
PERSONS_RE = re.compile(r"(?P<count>\d+)\s*[人名]")
VEHICLE_COUNT_RE = re.compile(r"(?P<count>\d+)\s*辆")
AS_OF_RE = re.compile(r"截[至止]\s*(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日")
# Words that introduce a figure rather than name it: 共有编制 84人 -> 编制
PHRASE_PREFIX_RE = re.compile(r"^.*(?:其中|共有|现有|核定|共计)")
PHRASE_DELIMITERS = "，,。；;：:、（(）)\n"
VEHICLE_TOTALS = {"车辆", "合计", "总计", "车辆总数"}


def parse_narrative(lines: list[Line]) -> dict:
    """Read the narrative part of a document.

    ``parse_narrative(lines)["staffing"][0]`` -> ``{"category": "编制", "count": 84, ...}``
    """
    end = find_narrative_end(lines)
    body = [
        line
        for line in lines
        if line.text.strip() and (end is None or line.number < end)
    ]
    sections = split_sections(body)
    return {
        "duties": parse_duties(sections),
        "organisation": parse_organisation(sections),
        "staffing": parse_staffing(sections),
        "vehicles": parse_vehicles(sections),
        "glossary": parse_glossary(sections),
        "sections": [public_section(section) for section in sections],
        "narrative_end": end,
    }


# Lines and paragraphs


def clean_text(text: str) -> str:
    "Strip a line and drop the stray spaces PDF extraction leaves between Chinese characters."
    return CJK_GAP_RE.sub("", text.strip())


def rejoin(
    lines: list[Line], separator: Callable[[Line, Line], str] | None = None
) -> tuple[str, list[tuple[int, Line]]]:
    """Join wrapped lines into one text; return it with ``(offset, line)`` for each line.

    ``separator(previous, line)`` may return ``"\\n"`` to start a line on a line of its own.
    """
    parts: list[str] = []
    offsets: list[tuple[int, Line]] = []
    length = 0
    for previous, line in zip([None, *lines], lines):
        piece = line.text.strip()
        if previous is not None and separator is not None:
            between = separator(previous, line)
            parts.append(between)
            length += len(between)
        offsets.append((length, line))
        parts.append(piece)
        length += len(piece)
    return "".join(parts), offsets


def join_text(lines: list[Line], separator: Callable[[Line, Line], str] | None = None) -> str:
    "Rejoined, cleaned text of wrapped lines: ``join_text(lines)`` -> ``'代表市委…服务。'``"
    return clean_text(rejoin(lines, separator)[0])


def line_at(offsets: list[tuple[int, Line]], position: int) -> Line:
    "The line a character offset of rejoined text came from."
    found = offsets[0][1]
    for offset, line in offsets:
        if offset > position:
            break
        found = line
    return found


def item_separator(previous: Line, line: Line) -> str:
    "Numbered items and the text after a sub-heading start on a line of their own."
    starts_item = ITEM_RE.match(line.text.strip())
    return "\n" if starts_item or SUBHEADING_RE.match(previous.text.strip()) else ""


def numeral_value(numeral: str) -> int:
    "``numeral_value('十一')`` -> 11; Arabic digits pass through."
    if numeral.isdigit():
        return int(numeral)
    if "十" not in numeral:
        return NUMERALS.index(numeral) + 1
    tens, _, units = numeral.partition("十")
    return (NUMERALS.index(tens) + 1 if tens else 1) * 10 + (
        NUMERALS.index(units) + 1 if units else 0
    )


# Where the narrative ends


def is_table_title(lines: list[Line], index: int, lookahead: int = 6) -> bool:
    "A short line ending in 表 followed within a few lines by 单位：元 / 单位:万元."
    text = lines[index].text.strip()
    if not text.endswith("表") or len(text) > 60 or SENTENCE_PUNCTUATION_RE.search(text):
        return False
    following = lines[index + 1 : index + 1 + lookahead]
    return any(TABLE_UNIT_RE.match(line.text.strip()) for line in following)


def find_narrative_end(lines: list[Line]) -> int | None:
    "Line number of the first table title, or None when the document has no table."
    for index, line in enumerate(lines):
        if is_table_title(lines, index):
            return line.number
    return None


# Sections


# 2024年部门预算编制说明 / …（部门）主要职能 / 其他相关情况说明: a heading line without a numeral
PLAIN_HEADING_ENDINGS = ("编制说明", "情况说明", "相关情况说明", "主要职能", "主要职责", "机构设置", "单位构成", "名词解释")
PLAIN_HEADING_RE = re.compile(
    r"^[^，。；、：:,;（(]{0,30}(?:[（(][^）)]{1,8}[）)])?[^，。；、：:,;]{0,20}"
    rf"(?:{'|'.join(PLAIN_HEADING_ENDINGS)})$"
)
# 一、部门主要职能 ………… 3: a table-of-contents entry
CONTENTS_RE = re.compile(r"(?:…{2,}|\.{4,}|·{4,})\s*\d*$")


def is_plain_heading(text: str) -> bool:
    "``is_plain_heading('2024年部门预算编制说明')`` -> True; a numbered line is not one."
    text = clean_text(text)
    if not text.endswith(PLAIN_HEADING_ENDINGS):
        return False  # most lines: the regex would need to scan them to say so
    return bool(PLAIN_HEADING_RE.match(text)) and not SECTION_RE.match(text) and not ITEM_RE.match(text)


def split_sections(body: list[Line]) -> list[dict]:
    """Group non-blank narrative lines into numbered sections (一、…) within parts (第一部分 …).

    A section's ``lines`` are its text lines; text after a colon on the heading line counts
    as its first text line. A heading printed without a numeral (2024年部门预算编制说明)
    starts a section of its own and is the part of the numbered sections after it; a
    numbered line that is a sentence (一、加强党的建设。落实…) is text of its section, and
    table-of-contents entries are left out.
    """
    sections: list[dict] = []
    part = printed_part = None
    for line in body:
        text = line.text.strip()
        if CONTENTS_RE.search(text):
            continue
        part_match = PART_RE.match(text)
        if part_match:
            part = printed_part = text
            continue
        section_match = SECTION_RE.match(text)
        if section_match and not SENTENCE_PUNCTUATION_RE.search(COLON_RE.split(text, 1)[0]):
            sections.append(new_section(part, line, section_match))
        elif is_plain_heading(text):
            sections.append({"part": printed_part, "heading": clean_text(text), "numeral": None, "line": line,
                             "lines": []})
            part = clean_text(text)
        elif sections:
            sections[-1]["lines"].append(line)
    return sections


def sections_after_tables(lines: list[Line]) -> list[dict]:
    """Narrative printed after the last table (其他相关情况说明, a 决算's 第三部分 情况说明):
    the public sections from the first part or plain heading on; none when there is none.

    ``lines`` are the lines of the last table's region, which runs to the end of the document.
    """
    body = [line for line in lines if line.text.strip()]
    start = next((n for n, line in enumerate(body)
                  if PART_RE.match(line.text.strip()) or is_plain_heading(line.text)), None)
    if start is None:
        return []
    return [public_section(section) for section in split_sections(body[start:])]


def new_section(part: str | None, line: Line, match: re.Match) -> dict:
    text = line.text.strip()
    colon = COLON_RE.search(text)
    heading, rest = (text[: colon.start()], text[colon.end() :]) if colon else (text, "")
    section = {
        "part": part,
        "heading": clean_text(heading),
        "numeral": match.group("numeral"),
        "line": line,
        "lines": [],
    }
    if rest.strip():
        section["lines"].append(dataclasses.replace(line, text=rest))
    return section


def public_section(section: dict) -> dict:
    lines = section["lines"]
    return {
        "part": section["part"],
        "heading": section["heading"],
        "text": join_text(lines, item_separator),
        "first_line": section["line"].number,
        "last_line": lines[-1].number if lines else section["line"].number,
        "page": section["line"].page,
    }


def find_sections(sections: list[dict], heading_re: re.Pattern) -> list[dict]:
    return [section for section in sections if heading_re.search(section["heading"])]


def split_items(lines: list[Line]) -> list[dict]:
    """Split a section's lines into numbered items; lines before the first item form an
    item with ``seq`` None. The marker is removed from an item's first line."""
    items: list[dict] = []
    for line in lines:
        match = ITEM_RE.match(line.text.strip())
        if match:
            number = match.group("arabic") or match.group("paren")
            stripped = dataclasses.replace(line, text=match.group("rest"))
            items.append({"seq": numeral_value(number), "lines": [stripped]})
        elif items:
            items[-1]["lines"].append(line)
        else:
            items.append({"seq": None, "lines": [line]})
    return items


# What the narrative says


def parse_duties(sections: list[dict]) -> list[dict]:
    "Each numbered duty of the 部门主要职责 section, rejoined; an unnumbered text is one duty."
    duties = []
    for section in find_sections(sections, DUTIES_HEADING_RE)[:1]:
        items = split_items(section["lines"])
        numbered = [item for item in items if item["seq"] is not None] or items
        for seq, item in enumerate(numbered, start=1):
            first = item["lines"][0]
            duties.append(
                {
                    "seq": item["seq"] or seq,
                    "text": join_text(item["lines"]),
                    "line": first.number,
                    "page": first.page,
                }
            )
    return duties


def parse_organisation(sections: list[dict]) -> list[dict]:
    "内设机构 and 下属单位 names, in the printed order: ``内设机构：办公室、人事处…。``"
    rows = []
    for section in find_sections(sections, ORGANISATION_HEADING_RE)[:1]:
        text, offsets = rejoin(section["lines"])
        matches = list(ORGANISATION_KIND_RE.finditer(text))
        for match, following in zip(matches, matches[1:] + [None]):
            kind = "内设机构" if "内设" in match.group("kind") else "下属单位"
            end = following.start() if following else len(text)
            # The list ends with its sentence: （二）下属单位：…中心。（三）…
            sentence_end = text.find("。", match.end(), end)
            end = sentence_end if sentence_end != -1 else end
            rows.extend(organisation_names(kind, text, match.end(), end, offsets))
    return rows


def organisation_names(kind: str, text: str, start: int, end: int, offsets: list) -> list[dict]:
    rows = []
    for name_match in NAME_RE.finditer(text, start, end):
        name = NAME_TAIL_RE.sub("", clean_text(name_match.group()))
        if not name:
            continue
        line = line_at(offsets, name_match.start())
        rows.append({"kind": kind, "name": name, "line": line.number, "page": line.page})
    return rows


def phrase_before(text: str, position: int) -> str:
    "The words naming a figure: ``…其中：行政编制 54人`` -> ``行政编制``."
    start = max(text.rfind(delimiter, 0, position) for delimiter in PHRASE_DELIMITERS) + 1
    return PHRASE_PREFIX_RE.sub("", clean_text(text[start:position]))


def parse_staffing(sections: list[dict]) -> list[dict]:
    "Headcounts: ``编制 84人，其中：行政编制 54人`` -> 编制 84, 行政编制 54."
    rows = []
    for section in find_sections(sections, STAFFING_HEADING_RE)[:1]:
        text, offsets = rejoin(section["lines"])
        for match in PERSONS_RE.finditer(text):
            category = phrase_before(text, match.start())
            if not category:
                continue
            line = line_at(offsets, match.start())
            rows.append(
                {
                    "category": category,
                    "count": int(match.group("count")),
                    "line": line.number,
                    "page": line.page,
                }
            )
    return rows


def parse_vehicles(sections: list[dict]) -> list[dict]:
    """Vehicles by kind from the first section that counts them (the paragraph is often
    repeated under 国有资产占用情况); the total is reported as kind 合计."""
    candidates = find_sections(sections, VEHICLES_HEADING_RE) + sections
    for section in candidates:
        text, offsets = rejoin(section["lines"])
        if VEHICLE_COUNT_RE.search(text):
            return vehicle_rows(text, offsets)
    return []


def vehicle_rows(text: str, offsets: list) -> list[dict]:
    as_of_match = AS_OF_RE.search(text)
    as_of = (
        "{}-{:02d}-{:02d}".format(
            as_of_match.group("year"),
            int(as_of_match.group("month")),
            int(as_of_match.group("day")),
        )
        if as_of_match
        else None
    )
    rows = []
    for match in VEHICLE_COUNT_RE.finditer(text):
        kind = phrase_before(text, match.start())
        if not kind:
            continue
        line = line_at(offsets, match.start())
        rows.append(
            {
                "kind": "合计" if kind in VEHICLE_TOTALS else kind,
                "count": int(match.group("count")),
                "as_of": as_of,
                "line": line.number,
                "page": line.page,
            }
        )
    return rows


def parse_glossary(sections: list[dict]) -> list[dict]:
    """Terms of 名词解释: either a part whose sections are the terms, or one section whose
    numbered items are the terms."""
    terms = []
    for section in sections:
        if section["part"] and GLOSSARY_RE.search(section["part"]):
            terms.append(
                glossary_term(
                    numeral_value(section["numeral"]),
                    SECTION_RE.match(section["heading"]).group("rest"),
                    section["lines"],
                    section["line"],
                )
            )
        elif GLOSSARY_RE.search(section["heading"]):
            terms.extend(glossary_items(section["lines"]))
    return terms


def glossary_items(lines: list[Line]) -> list[dict]:
    terms = []
    for item in split_items(lines):
        if item["seq"] is None:
            continue
        first, *rest = item["lines"]
        text = first.text.strip()
        colon = COLON_RE.search(text)
        if not colon:
            continue
        definition_start = dataclasses.replace(first, text=text[colon.end() :])
        terms.append(
            glossary_term(item["seq"], text[: colon.start()], [definition_start, *rest], first)
        )
    return terms


def glossary_term(seq: int, term: str, lines: list[Line], heading: Line) -> dict:
    return {
        "seq": seq,
        "term": clean_text(term),
        "definition": join_text(lines),
        "line": heading.number,
        "page": heading.page,
    }
