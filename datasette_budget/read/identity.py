"""Who a document is: department, year, phase (预算/决算), level (部门/单位), region and unit
code, read from what a document prints to say so, never from its narrative sentences:

- label lines: ``单位名称：重庆市气象局``, ``编制单位：上海市审计局``, ``预算单位：…``,
  ``编制部门：…``, ``部门：苏州市审计局`` / ``单位：苏州市水务局`` (but not ``单位：万元``);
- titles, a cover's included (``2026年度 / 泉州市公安局 / 部门预算`` read joined), and running
  headers (``苏州市审计局 2026 年度部门预算公开``);
- table heads: ``606-湖州市交通运输局  单位：万元``, ``郑州市信访局部门收支总体情况表``,
  the form field ``部门（单位）名称 宁德市人民政府办公室``.

A title is a whole line, or up to four lines read joined, that is nothing but a title: ``…部门预算``
optionally followed by 公开 / 表 / 情况说明. ``我局无 2021年预算安排的…`` is a sentence, not a title.

    >>> from datasette_budget.documents import Line
    >>> describe([Line(1, 1, "上海市2026年市级单位预算"), Line(1, 2, "预算单位：上海市审计局")])["department"]
    '上海市审计局'
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from ..vocabulary import (
    DEPARTMENT_LABELS,
    FINAL_TITLE_WORDS,
    IDENTITY_FIELDS,
    LEVELS,
    PHASES,
    SCOPE_WORDS,
    TABLE_TITLE_STARTS,
    TITLE_TAILS,
    UNIT_WORDS,
)

if TYPE_CHECKING:
    from ..documents import Line

# An organisation's name as printed: Chinese first, then Chinese, digits (郑州市第47中学), Latin
# letters and brackets (（本级）, （上海市财政科学研究所）).
NAME = r"[\u4e00-\u9fff][\u4e00-\u9fff0-9A-Za-z（）()·]{1,59}"
NAME_RE = re.compile(NAME + "$")
_labels = "|".join(sorted(map(re.escape, DEPARTMENT_LABELS), key=len, reverse=True))
# A label and its value; the label starts the line or follows a space (预算单位：, not 单位： in it).
LABEL_RE = re.compile(rf"(?:^|\s)(?P<label>{_labels})\s*[:：]\s*(?P<name>[^\s:：]+)")
# A form field without a colon: 部门（单位）名称 宁德市人民政府办公室
FIELD_RE = re.compile(rf"^部门（单位）名称\s+(?P<name>{NAME})(?:\s|$)")
# A budget-unit code before the name on a table's unit line: 606-湖州市交通运输局  单位：万元
CODED_RE = re.compile(rf"^(?P<code>\d{{3,6}})\s*[-－]\s*(?P<name>{NAME})\s+(?:单位\s*[:：]|万元|元$)")
# The department printed before a table's title and its 部门/单位: 郑州市信访局部门收支总体情况表
_starts = "|".join(map(re.escape, TABLE_TITLE_STARTS))
TABLE_PREFIX_RE = re.compile(rf"^(?P<dept>{NAME}?)(?:部门|单位)(?:{_starts})")
# The numbering before a title: 第二部分, 1., （一）, 一、, 表1：, 公开01表
TITLE_NUMBER_RE = re.compile(
    r"^(?:第.部分|\d+[.、．]|（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|表\s*\d+[:：]?|公开\s*\d+\s*表)\s*"
)
# A table of contents' dot leaders and page number: ………… 12
LEADER_RE = re.compile(r"(?:[.．…·]{2,}|\s)\s*\d*\s*$")
_scopes = "|".join(SCOPE_WORDS)
_levels = "|".join(LEVELS)
_phases = "|".join(PHASES)
_tails = "|".join(TITLE_TAILS)
_year = r"(?P<year>20\d{2})年度?"
_tail = rf"(?:公开)?(?:{_tails})?(?:[（(][^（）()]{{1,8}}[）)])?"
# The title forms, each matched against a whole (space-free) line or window of lines.
TITLE_RES = [
    # 上海市普陀区规划和自然资源局2024年度部门决算, 上海市2026年市级单位预算
    re.compile(rf"(?P<dept>{NAME}?)?{_year}(?:{_scopes})?(?P<level>{_levels})?(?P<phase>{_phases}){_tail}"),
    # 2026年度泉州市公安局（本级）单位预算, 2026年珠海市商务局部门预算
    re.compile(rf"{_year}(?P<dept>{NAME}?)(?:{_scopes})?(?P<level>{_levels})?(?P<phase>{_phases}){_tail}"),
    # 部门整体绩效自评表（2024年度）: a self-evaluation of a year's spending, published with its 决算
    re.compile(rf"(?P<dept>{NAME}?)?(?P<level>{_levels})?整体?绩效(?P<phase>自评)表?[（(]{_year}[）)]"),
    # without a year, its level is needed: 部门预算 (the last line of a cover), 郑州市信访局部门预算公开
    re.compile(rf"(?P<dept>{NAME}?)?(?P<level>{_levels})(?P<phase>{_phases}){_tail}"),
]
# A place: 上海市普陀区, 河南省郑州市; a party organ's name starts with 中共 before it
REGION_RE = re.compile(r"^(?:中共|中国共产党)?((?:[^省市]{2,7}?(?:省|自治区))?(?:[^市省]{1,7}?市)?(?:[^市区县]{1,3}?(?:区|县|旗))?)")
PLACE_RE = re.compile(r"^(?:[^省市]{2,7}?(?:省|自治区))?(?:[^市省]{1,7}?市)?(?:[^市区县]{1,3}?(?:区|县|旗))?$")
NOT_A_NAME_RE = re.compile(rf"^(?:{_scopes})|预算|决算|20\d{{2}}年|表|各单位|支出|收入")
UNIT_CODE_RE = re.compile(r"^(\d{6})\s+(\S+)")
WINDOW = 4  # lines a wrapped title may take: 2026年度 / 泉州市市场监管综合监测 / 与技术保障中心 / 单位预算


def _is_name(text: str) -> bool:
    return bool(NAME_RE.match(text)) and not text.startswith(UNIT_WORDS) and len(text) >= 3


def _title_matches(lines: list[Line]) -> list[dict]:
    """Every title in the document, in order: (department or None, year, level, phase)."""
    texts = [(l.page, l.text.replace(" ", "").replace("\u3000", "")) for l in lines if l.text.strip()]
    found = []
    for i in range(len(texts)):
        joined = ""
        for j, (page, text) in enumerate(texts[i:i + WINDOW]):
            if j and (page != texts[i][0] or TITLE_NUMBER_RE.match(text)):
                break  # a title does not run onto the next page, nor into the next numbered entry
            joined += text
            if len(joined) > 80:
                break
            if "算" not in joined and "自评" not in joined:
                continue  # no phase word yet: spares most windows the regexes
            title = LEADER_RE.sub("", TITLE_NUMBER_RE.sub("", joined))
            for pattern in TITLE_RES:
                m = pattern.fullmatch(title)
                if m:
                    year = m.groupdict().get("year")
                    found.append({
                        "department": m.group("dept"), "year": int(year) if year else None,
                        "level": m.group("level"),
                        "phase": "决算" if m.group("phase") in FINAL_TITLE_WORDS else m.group("phase"),
                    })
                    break
            else:
                continue
            break  # the shortest window that is a title
    return found


def _titled_name(name: str | None) -> bool:
    """Whether what precedes a title's year is a department: not a scope (市级), a table or an
    expense (2026年湖州市卫生健康委员会各单位差旅费预算)."""
    return bool(name) and len(name) >= 3 and name not in LEVELS and not NOT_A_NAME_RE.search(name)


def _region_of(name: str | None) -> str | None:
    if not name:
        return None
    m = REGION_RE.match(name)
    region = m.group(1) if m else ""
    return region if region and region != name else None


def _most_common(names: list[str]) -> str | None:
    """The name printed most often, the first printed of those tied (a typo once does not win)."""
    return Counter(names).most_common(1)[0][0] if names else None


def describe(lines: list[Line], filename: str = "") -> dict:
    """Department, unit code, region, year, phase (预算/决算) and level (部门/单位) of a document;
    ``None`` for what it does not print (``filename`` is not read: a crawler's names lie).

    The department comes from label lines when the document prints them (the name printed most
    often), else from its titles, else from a code-prefixed unit line, a form field or a table title.
    Year, phase and level come from the first title. The region is the place the department's
    name starts with, else the place a regional title names (``上海市2026年市级单位预算``).
    """
    labelled, fields, coded, prefixed = [], [], [], []
    for line in lines:
        text = line.text
        if "：" in text or ":" in text:
            for m in LABEL_RE.finditer(text):
                name = m.group("name").strip("，,。")
                if _is_name(name):
                    labelled.append(name)
        if text[:1].isdigit():
            m = CODED_RE.match(text)
            if m:
                coded.append((m.group("name"), m.group("code")))
        elif text.startswith("部门（单位）名称"):
            m = FIELD_RE.match(text)
            if m:
                fields.append(m.group("name"))
        elif "表" in text:
            m = TABLE_PREFIX_RE.match(text.replace(" ", ""))
            if m and _is_name(m.group("dept")):
                prefixed.append(m.group("dept"))
    titles = _title_matches(lines)
    titled, places = [], []
    for t in titles:
        name = t["department"]
        if not _titled_name(name):
            continue
        (places if PLACE_RE.match(name) else titled).append(name)
    department = (_most_common(labelled) or _most_common(titled) or _most_common([n for n, _ in coded])
                  or _most_common(fields) or _most_common(prefixed))
    # the first title that names a year (a cover's, usually) gives year and phase
    first = next((t for t in titles if t["year"]), titles[0] if titles else {})
    year, phase = first.get("year"), first.get("phase")
    level = next((t["level"] for t in titles if t["level"]), None)
    region = _region_of(department) or _most_common(places)
    unit_code = next((c for n, c in coded if n == department), None)
    if unit_code is None and department:
        # the department's own row in a table of units: 034001 郑州市信访局 18,129,249 …
        for line in lines:
            m = UNIT_CODE_RE.match(line.text)
            if m and m.group(2) == department:
                unit_code = m.group(1)
                break
    return {
        "department": department,
        "unit_code": unit_code,
        "region": region,
        "year": year,
        "phase": phase,
        "level": level or "部门",
    }


def slug_for(meta: dict) -> str:
    """A readable, stable identity: department, year, level and phase.

    ``slug_for({"department": "郑州市信访局", "year": 2021, "level": "部门", "phase": "预算"})``
    is ``"郑州市信访局-2021-部门预算"``.
    """
    return f"{meta['department']}-{meta['year']}-{meta['level']}{meta['phase']}"


MANIFEST_HINT = (
    "give it in a --manifest CSV with columns " + ", ".join(("file",) + IDENTITY_FIELDS + ("source_url",))
)


def identify(lines: list[Line], path: Path, overrides: dict | None = None) -> dict:
    """What :func:`describe` finds, with what a manifest says in its place (``overrides``: any of
    department, year, phase, level, region). Raises :class:`DocumentError` naming the missing
    field and how to give it when the department or the year is still unknown."""
    from ..documents import DocumentError

    meta = describe(lines, Path(path).name)
    if overrides:
        given = {k: v for k, v in overrides.items() if k in IDENTITY_FIELDS and v not in (None, "")}
        if "department" in given and "region" not in given:
            meta["region"] = _region_of(given["department"]) or meta["region"]
        meta.update(given)
    missing = [f for f in ("department", "year", "phase") if not meta.get(f)]
    if missing:
        what = {
            "department": "the department (no 单位名称：/编制部门：/预算单位：/编制单位： line, and no title "
                          "such as 郑州市信访局 2021年部门预算)",
            "year": "the year (no title such as 2021年部门预算)",
            "phase": "the phase, 预算 or 决算 (no title such as 2021年部门预算)",
        }
        raise DocumentError(f"{path}: could not tell {' or '.join(what[f] for f in missing)} of this "
                            f"disclosure; {MANIFEST_HINT}")
    return meta


# -- a manifest: what the publisher already knows --------------------------------------------

MANIFEST_COLUMNS = ("file",) + IDENTITY_FIELDS + ("source_url",)
PHASE_NAMES = {"预算": "预算", "决算": "决算", "budget": "预算", "final": "决算"}


class ManifestError(ValueError):
    """A manifest that cannot be used; the message is one sentence naming the manifest."""


def read_manifest(path: str | Path) -> list[dict]:
    """The rows of a manifest CSV (columns :data:`MANIFEST_COLUMNS`, ``file`` required, any other
    column may be left out or blank), each with the ``line`` it was on; values checked.

    ``read_manifest("manifest.csv")`` is ``[{"file": "a.pdf", "department": "上海市审计局", "line": 2}]``.
    """
    import csv

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ManifestError(f"{path}: the manifest could not be read ({e}); expected a UTF-8 CSV file "
                            f"with columns {', '.join(MANIFEST_COLUMNS)}") from e
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    unknown = [c for c in columns if c not in MANIFEST_COLUMNS]
    if unknown or "file" not in columns:
        what = (f"has no column {', '.join(map(repr, unknown))}" if unknown else "has no 'file' column")
        raise ManifestError(f"{path}: the manifest {what}; expected columns "
                            f"{', '.join(MANIFEST_COLUMNS)} (file required, the others optional)")
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        given = {k: v for k, v in row.items() if v}
        where = f"{path}, line {line}"
        if not given.get("file"):
            raise ManifestError(f"{where}: the 'file' cell is empty; expected the name of a file being loaded")
        if "year" in given:
            if not re.fullmatch(r"(19|20)\d{2}", given["year"]):
                raise ManifestError(f"{where}: year {given['year']!r} is not a year; expected four digits such as 2026")
            given["year"] = int(given["year"])
        if "phase" in given:
            if given["phase"] not in PHASE_NAMES:
                raise ManifestError(f"{where}: phase {given['phase']!r} is not one of 预算, 决算 (or budget, final)")
            given["phase"] = PHASE_NAMES[given["phase"]]
        if "level" in given and given["level"] not in LEVELS:
            raise ManifestError(f"{where}: level {given['level']!r} is not one of {', '.join(LEVELS)}")
        rows.append({**given, "line": line})
    return rows


def manifest_identities(path: str | Path, files: list[Path]) -> dict[Path, dict]:
    """Each file being loaded → what the manifest at ``path`` says of it. A row's ``file`` is a
    file name, or a path relative to the manifest's folder or to the current one. A row that
    names no file being loaded, or one file named twice, is a :class:`ManifestError`."""
    path = Path(path)
    by_file: dict[Path, dict] = {}
    for row in read_manifest(path):
        named = Path(row["file"])
        targets = {named.resolve(), (path.parent / named).resolve()}
        matches = [f for f in files if (len(named.parts) == 1 and f.name == row["file"])
                   or f.resolve() in targets]
        if not matches:
            raise ManifestError(f"{path}, line {row['line']}: names {row['file']}, which is not among the "
                                "files being loaded; expected the name of one of them")
        if len(matches) > 1:
            raise ManifestError(f"{path}, line {row['line']}: {row['file']} names {len(matches)} of the files "
                                "being loaded; give its path relative to the manifest instead")
        if matches[0] in by_file:
            raise ManifestError(f"{path}, line {row['line']}: {row['file']} is already given on line "
                                f"{by_file[matches[0]]['line']}; expected one row per file")
        by_file[matches[0]] = row
    return {f: {k: v for k, v in row.items() if k not in ("file", "line")} for f, row in by_file.items()}
