"""Reading performance targets (绩效目标): 整体绩效目标申报表 and 支出项目绩效目标表.

A form is a block of labelled fields (``项目负责人 孙学良 联系人 王建彬``, or a label on its
own line followed by wrapped text) and then an indicator table ``一级指标 二级指标 三级指标
指标值 [度量单位]``. The 一级/二级 labels are printed once per group, so they are carried down;
a 二级 label with no indicator under it is kept in ``labels_without_indicator``.
"""
from __future__ import annotations

import re

from .documents import Line
from .narrative import SENTENCE_PUNCTUATION_RE, clean_text, is_table_title

FORM_TITLE_RE = re.compile(r"绩效目标(?:申报)?表$")
INDICATOR_HEADER_RE = re.compile(r"^一级指标\s+二级指标")
UNIT_HEADER_RE = re.compile(r"度量单位|计量单位|指标值单位")
YEAR_RE = re.compile(r"^[（(]\s*\d{4}\s*年度?\s*[）)]$")
# Stray punctuation the PDF extraction leaves on lines of their own.
NOISE_RE = re.compile(r"^[，,。.、；;：:]+$")
TASK_RE = re.compile(r"^任务\s*(?P<seq>\d+)\s+(?P<name>\S+)(?:\s+(?P<content>.+))?$")
# 1、资金来源：（1）财政性资金 1812.92 -> 财政性资金 1812.92
ENUMERATOR_RE = re.compile(r"^(?:\d+\s*[、.．]\s*[^\s：:（(]*[：:]\s*)?(?:[（(]\d+[）)]\s*)?")
AMOUNT_RE = re.compile(r"^-?[\d,]+(?:\.\d+)?$")
COMPARATOR_GAP_RE = re.compile(r"(?<=[=＝≥≤<>＜＞≧≦])\s+(?=\d)")
# ≥95, =100%, =1年 -> value and the unit printed with it
VALUE_RE = re.compile(r"^(?P<value>[=＝≥≤<>＜＞≧≦]?\d+(?:\.\d+)?)(?P<unit>\D.*)?$")
# An indicator name long enough to wrap, unlike a label: it has punctuation or many characters.
NAME_FRAGMENT_RE = re.compile(r"[，。；、,;]")
LONGEST_LABEL = 12

FIELD_LABELS = frozenset(
    {
        # 整体绩效目标申报表
        "部门（单位）名称", "部门名称", "单位名称", "年度履职目标", "部门预算总额（万元）",
        "财政性资金", "其他资金", "基本支出", "项目支出",
        # 支出项目绩效目标表
        "项目名称", "单位编码", "资金用途", "项目负责人", "联系人", "联系电话", "开始时间",
        "结束时间", "项目总金额", "项目本年度金额", "上年度项目总金额", "项目上年度金额",
        "项目概况", "立项依据", "项目设立的必要性", "项目配套制度措施", "项目实施计划", "备注",
        "项目总目标", "年度绩效目标",
        # the national template
        "主管部门", "实施单位", "项目属性", "项目期限", "总体目标", "长期目标", "年度目标",
    }
)
# Labels that head a part of the form and carry no value of their own.
SECTION_LABELS = frozenset(
    {"年度主要任务", "任务名称", "主要内容", "预算情况", "项目详细信息", "项目绩效目标",
     "资金来源", "资金结构"}
)
ALL_FIELD_LABELS = FIELD_LABELS | SECTION_LABELS

LEVEL1_LABELS = frozenset(
    {
        "投入管理指标", "产出指标", "效益指标", "满意度指标", "成本指标",
        "投入与目标管理", "产出目标", "效果目标", "影响力目标",
    }
)
LEVEL2_LABELS = frozenset(
    {
        "工作目标管理", "预算和财务管理", "绩效管理", "履职目标和主要任务完成情况", "履职效益",
        "满意度", "投入管理", "财务管理", "项目管理", "资产管理", "数量", "质量", "时效", "成本",
        "经济效益", "社会效益", "环境效益", "生态效益", "可持续影响", "长效管理", "人力资源",
        "部门协助", "配套设施", "信息共享", "其它", "其他",
        "数量指标", "质量指标", "时效指标", "经济成本指标", "社会成本指标", "生态环境成本指标",
        "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标", "服务对象满意度指标",
    }
)
KNOWN_LEVEL_LABELS = LEVEL1_LABELS | LEVEL2_LABELS
UNIT_TOKENS = frozenset({"定性指标", "定量指标", "%", "％", "元", "万元", "个", "次", "人", "人次",
                         "天", "日", "月", "年", "项", "件", "台", "套", "份", "户", "分"})


def parse_performance(lines: list[Line]) -> dict:
    """Read every performance-target form of a document.

    ``parse_performance(lines)["indicators"][0]`` ->
    ``{"target": "郑州市信访局", "level1": "投入管理指标", ..., "value": "符合", "unit": "定性指标"}``

    Returns ``targets``, ``indicators``, ``labels_without_indicator``, ``consumed_lines`` (the
    numbers of the non-blank form lines accounted for, stray punctuation included) and
    ``unparsed`` (form lines that could not be placed, with a reason).
    """
    result = {
        "targets": [],
        "indicators": [],
        "labels_without_indicator": [],
        "consumed_lines": set(),
        "unparsed": [],
    }
    for start, end in find_forms(lines):
        read_form(lines[start:end], result)
    return result


def is_form_title(text: str) -> bool:
    text = text.strip()
    return bool(
        FORM_TITLE_RE.search(text)
        and len(text) <= 60
        and not SENTENCE_PUNCTUATION_RE.search(text)
    )


def find_forms(lines: list[Line]) -> list[tuple[int, int]]:
    "``(start, end)`` indexes of each form: from its title to the next form or table title."
    starts = [index for index, line in enumerate(lines) if is_form_title(line.text)]
    forms = []
    for start in starts:
        end = start + 1
        while end < len(lines) and not (
            is_form_title(lines[end].text) or is_table_title(lines, end)
        ):
            end += 1
        forms.append((start, end))
    return forms


def read_form(lines: list[Line], result: dict) -> None:
    title_line = lines[0]
    title = clean_text(title_line.text)
    kind = "整体" if "整体" in title else "项目"
    header = next(
        (index for index, line in enumerate(lines) if INDICATOR_HEADER_RE.match(line.text.strip())),
        len(lines),
    )
    fields = read_fields(lines[1:header], result)
    name = form_name(kind, fields) or title
    nonblank = [line for line in lines if line.text.strip()]
    result["targets"].append(
        {
            "kind": kind,
            "name": name,
            "title": title,
            "first_line": title_line.number,
            "last_line": nonblank[-1].number,
            "page": title_line.page,
            "fields": fields["values"],
            "tasks": fields["tasks"],
        }
    )
    result["consumed_lines"].add(title_line.number)
    if header < len(lines):
        header_line = lines[header]
        result["consumed_lines"].add(header_line.number)
        has_unit = bool(UNIT_HEADER_RE.search(header_line.text))
        read_indicators(lines[header + 1 :], name, has_unit, result)


def form_name(kind: str, fields: dict) -> str | None:
    values = fields["values"]
    if kind == "项目":
        return values.get("项目名称")
    return values.get("部门（单位）名称") or values.get("部门名称") or values.get("单位名称")


# The labelled fields above the indicator table


def unparsed_row(line: Line, reason: str) -> dict:
    return {"line": line.number, "page": line.page, "text": line.text.strip(), "reason": reason}


def is_label_prefix(text: str) -> bool:
    return any(label.startswith(text) for label in ALL_FIELD_LABELS)


def read_fields(lines: list[Line], result: dict) -> dict:
    """Labelled values: ``{"values": {label: text or None}, "tasks": [...]}``.

    A label may wrap (年度履职 / 目标); text below a label, up to the next label, is its value.
    """
    state = {"parts": {}, "tasks": [], "current": None, "fragment": []}
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        result["consumed_lines"].add(line.number)
        if NOISE_RE.match(text) or YEAR_RE.match(text):
            continue
        if read_label_fragment(line, state):
            continue
        read_field_line(line, state, result)
    flush_fragment(state, result)
    values = {
        label: clean_text("".join(parts)) or None for label, parts in state["parts"].items()
    }
    return {"values": values, "tasks": state["tasks"]}


def read_label_fragment(line: Line, state: dict) -> bool:
    "Collect the pieces of a wrapped label; True when the line was one of them."
    text = line.text.strip()
    candidate = "".join(piece.text.strip() for piece in state["fragment"]) + text
    if " " in text or not is_label_prefix(candidate):
        flush_fragment(state, None)
        return False
    state["fragment"].append(line)
    if candidate in ALL_FIELD_LABELS:
        state["fragment"] = []
        start_field(candidate, [], state)
    return True


def flush_fragment(state: dict, result: dict | None) -> None:
    "A wrapped label that never completed was text after all."
    for line in state["fragment"]:
        append_text(line, state, result)
    state["fragment"] = []


def append_text(line: Line, state: dict, result: dict | None) -> None:
    if state["current"] is not None:
        state["parts"][state["current"]].append(line.text.strip())
    elif result is not None:
        result["consumed_lines"].discard(line.number)
        result["unparsed"].append(unparsed_row(line, "text outside any field"))


def start_field(label: str, value_tokens: list[str], state: dict) -> None:
    if label in SECTION_LABELS:
        state["current"] = None
        return
    key = label
    copy = 2
    while key in state["parts"]:
        key = f"{label}（{copy}）"
        copy += 1
    state["parts"][key] = [" ".join(value_tokens)] if value_tokens else []
    state["current"] = key


def read_field_line(line: Line, state: dict, result: dict) -> None:
    text = line.text.strip()
    task = TASK_RE.match(text)
    if task:
        read_task(line, task, state)
        return
    enumerator = ENUMERATOR_RE.match(text)
    tokens = [token.rstrip("：:") for token in text[enumerator.end() :].split()]
    if tokens and is_label_line(tokens, enumerated=enumerator.end() > 0):
        read_pairs(tokens, state)
    else:
        append_text(line, state, result)


def is_label_line(tokens: list[str], enumerated: bool) -> bool:
    "``财政性资金 1812.92`` after an enumerator names its own label even when unknown."
    if tokens[0] in ALL_FIELD_LABELS:
        return True
    return (
        enumerated
        and len(tokens) <= 2
        and len(tokens[0]) <= LONGEST_LABEL
        and not NAME_FRAGMENT_RE.search(tokens[0])
        and (len(tokens) == 1 or bool(AMOUNT_RE.match(tokens[1])))
    )


def read_pairs(tokens: list[str], state: dict) -> None:
    "``项目负责人 孙学良 联系人 王建彬`` -> two fields; the first token is always a label."
    label, values = tokens[0], []
    for token in tokens[1:]:
        if token in ALL_FIELD_LABELS:
            start_field(label, values, state)
            label, values = token, []
        else:
            values.append(token)
    start_field(label, values, state)


def read_task(line: Line, match: re.Match, state: dict) -> None:
    seq = int(match.group("seq"))
    state["tasks"].append(
        {
            "seq": seq,
            "name": match.group("name"),
            "content": match.group("content"),
            "line": line.number,
            "page": line.page,
        }
    )
    state["parts"][f"任务{seq}"] = [match.group("name")]
    # Text below a task row has no column to go to; report it rather than guess.
    state["current"] = None


# The indicator table


def read_indicators(lines: list[Line], target: str, has_unit: bool, result: dict) -> None:
    state = {
        "target": target,
        "has_unit": has_unit,
        "open": {1: None, 2: None},  # the 一级/二级 labels in force
        "last_label": None,  # the label on the previous line, which the next may continue
        "pending": None,  # an indicator name wrapped over lines, waiting for its value
    }
    for line in lines:
        text = COMPARATOR_GAP_RE.sub("", line.text.strip())
        if not text:
            continue
        result["consumed_lines"].add(line.number)
        if NOISE_RE.match(text) or INDICATOR_HEADER_RE.match(text):
            continue
        tokens = text.split()
        if len(tokens) == 1:
            read_single_token(line, tokens[0], state, result)
        else:
            read_indicator_line(line, tokens, state, result)
    resolve_pending(state, result)
    for level in (2, 1):
        close_label(level, state, result)


def read_single_token(line: Line, token: str, state: dict, result: dict) -> None:
    "A label, a piece of a wrapped label, or a piece of a wrapped indicator."
    if state["pending"] and token not in KNOWN_LEVEL_LABELS:
        state["pending"]["tail"].append(line)
        return
    resolve_pending(state, result)
    last = state["last_label"]
    if last and (
        last["label"] + token in KNOWN_LEVEL_LABELS
        or (last["label"] not in KNOWN_LEVEL_LABELS and token not in KNOWN_LEVEL_LABELS)
    ):
        continue_label(last, token, state)
        return
    if token not in KNOWN_LEVEL_LABELS and (
        NAME_FRAGMENT_RE.search(token) or len(token) > LONGEST_LABEL
    ):
        state["pending"] = {"lines": [line], "tail": []}
        state["last_label"] = None
        return
    state["last_label"] = open_label(token, line, state, result)


def continue_label(entry: dict, token: str, state: dict) -> None:
    "履职目标和主要 / 任务完成情况: the label wrapped onto this line."
    entry["label"] += token
    if entry["level"] == 2 and entry["label"] in LEVEL1_LABELS:
        state["open"][2] = None
        state["open"][1] = entry
        entry["level"] = 1


def open_label(
    label: str, line: Line, state: dict, result: dict, level: int | None = None
) -> dict:
    "Put a label in force at its level (一级 when a known 一级 label, else 二级)."
    level = level or (1 if label in LEVEL1_LABELS else 2)
    close_label(2, state, result)
    if level == 1:
        close_label(1, state, result)
    entry = {"level": level, "label": label, "line": line.number, "page": line.page, "used": False}
    state["open"][level] = entry
    return entry


def close_label(level: int, state: dict, result: dict) -> None:
    "A label is closed when another replaces it; without an indicator under it, keep it."
    entry = state["open"][level]
    state["open"][level] = None
    if entry and not entry["used"]:
        result["labels_without_indicator"].append(
            {
                "target": state["target"],
                "level": entry["level"],
                "label": entry["label"],
                "line": entry["line"],
                "page": entry["page"],
            }
        )


def read_indicator_line(line: Line, tokens: list[str], state: dict, result: dict) -> None:
    labels, name, value, unit = split_indicator(tokens, state["has_unit"])
    first = line
    pending = state["pending"]
    if pending:
        # The name began on earlier lines; everything before the value continues it.
        pieces = [piece.text.strip() for piece in pending["lines"] + pending["tail"]]
        name = "".join(pieces + labels + [name])
        first, labels, state["pending"] = pending["lines"][0], [], None
    if len(labels) == 1:
        open_label(labels[0], line, state, result)
    elif labels:
        open_label("".join(labels[:-1]), line, state, result, level=1)
        open_label(labels[-1], line, state, result, level=2)
    add_indicator(first, name, value, unit, state, result)


def split_indicator(tokens: list[str], has_unit: bool) -> tuple[list[str], str, str, str | None]:
    """``满意度 群众满意度 ≥95 %`` -> (["满意度"], "群众满意度", "≥95", "%")."""
    tokens = list(tokens)
    unit = None
    if has_unit and len(tokens) >= 3 and not VALUE_RE.match(tokens[-1]):
        unit = tokens.pop()
    value, embedded_unit = split_value(tokens.pop())
    name = tokens.pop()
    return tokens, name, value, unit or embedded_unit


def split_value(text: str) -> tuple[str, str | None]:
    "``=100%`` -> (``=100``, ``%``); ``合理`` -> (``合理``, None)."
    match = VALUE_RE.match(text)
    if not match:
        return text, None
    return match.group("value"), match.group("unit") or None


def resolve_pending(state: dict, result: dict) -> None:
    "A wrapped indicator name: its last single-token line is the value (then the unit)."
    pending = state["pending"]
    if not pending:
        return
    state["pending"] = None
    tail = list(pending["tail"])
    unit = None
    if state["has_unit"] and len(tail) >= 2 and tail[-1].text.strip() in UNIT_TOKENS:
        unit = tail.pop().text.strip()
    if not tail:
        for line in pending["lines"]:
            result["consumed_lines"].discard(line.number)
            result["unparsed"].append(unparsed_row(line, "indicator without a value"))
        return
    value, embedded_unit = split_value(tail.pop().text.strip())
    name = "".join(line.text.strip() for line in pending["lines"] + tail)
    add_indicator(pending["lines"][0], name, value, unit or embedded_unit, state, result)


def add_indicator(
    line: Line, name: str, value: str, unit: str | None, state: dict, result: dict
) -> None:
    level1, level2 = state["open"][1], state["open"][2]
    for entry in (level1, level2):
        if entry:
            entry["used"] = True
    state["last_label"] = None
    result["indicators"].append(
        {
            "target": state["target"],
            "level1": level1["label"] if level1 else None,
            "level2": level2["label"] if level2 else None,
            "level3": clean_text(name),
            "value": value,
            "unit": unit,
            "line": line.number,
            "page": line.page,
        }
    )
