"""Wrapped names: join the lines of a long item name back to its code line.

A PDF table cell that is too narrow for its name wraps it onto more lines. Depending on the
template the code line holds the start of the name and the rest follows (``2080505
机关事业单位基本养老保险缴 446.11`` / ``费支出``), or the name is centred on the row, so
parts sit above and below a code line that holds no name at all (``社会保障和就`` /
``208 754.75 754.75 0.00`` / ``业支出``). Lines between two code lines can then belong to
either row. They are assigned so that each row's name is the name the same code has
elsewhere in the document or in the reference code list; when nothing is known, a line
goes to the row above it unless the row below would be left without a name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .classification import reference


@dataclass
class Row:
    code: str
    own: str  # the name as printed on the code line
    above: list[str] = field(default_factory=list)
    below: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "".join(map(text_of, self.above)) + self.own + "".join(map(text_of, self.below))


def text_of(fragment) -> str:
    """Fragments are strings or :class:`~datasette_budget.documents.Line` objects."""
    return fragment if isinstance(fragment, str) else fragment.text.strip()


# A stream is a list of Row objects, fragments (strings or Lines) and BARRIER (a 合计 line or anything
# a name cannot wrap across).
BARRIER = object()


def comparable(name: str) -> str:
    """Names compared without spaces and with one kind of bracket."""
    return "".join(name.split()).replace("(", "（").replace(")", "）")


def expected_names(code: str, system: str, known: dict[str, set[str]] | None) -> set[str]:
    names = {comparable(n) for n in (known or {}).get(code, ()) if n}
    ref = reference(system).get(code)
    if ref and ref["name"]:
        names.add(comparable(ref["name"]))
    return names


def _row_cost(name: str, expected: set[str]) -> float:
    name = comparable(name)
    if expected:
        if name in expected:
            return 0.0
        return 3.0 + (1.0 - max(SequenceMatcher(None, name, e).ratio() for e in expected))
    return 10.0 if not name else 0.0


LEFTOVER_COST = 5.0


def attach_fragments(stream: list, system: str = "function", known: dict[str, set[str]] | None = None,
                     header_start: bool = True) -> list:
    """Give each fragment in ``stream`` to the row above or below it; returns the fragments
    that belong to no row. ``header_start``: fragments before the first row are header
    lines unless the first row needs them.

        >>> rows = [Row("2080505", "机关事业单位基本养老保险缴"), Row("2080506", "机关事业单位职业年金缴费支出")]
        >>> attach_fragments([rows[0], "费支出", rows[1]])
        []
        >>> rows[0].name
        '机关事业单位基本养老保险缴费支出'
    """
    leftovers: list[str] = []
    chain: list = []
    first_chain = True
    for item in stream + [BARRIER]:
        if item is BARRIER:
            leftovers.extend(_solve_chain(chain, system, known, header_start and first_chain))
            if any(isinstance(x, Row) for x in chain):
                first_chain = False
            chain = []
        else:
            chain.append(item)
    return leftovers


def _solve_chain(chain: list, system: str, known, at_header: bool) -> list:
    """Chain DP: gaps g0 r1 g1 r2 ... rm gm; choose each gap's split."""
    rows = [x for x in chain if isinstance(x, Row)]
    gaps: list[list] = [[]]
    for x in chain:
        if isinstance(x, Row):
            gaps.append([])
        else:
            gaps[-1].append(x)
    if not rows:
        return [] if at_header else list(gaps[0])
    if not any(gaps):
        # nothing wrapped (the usual case): each row keeps its own name, as the search would
        for row in rows:
            row.above, row.below = [], []
        return []
    m = len(rows)
    expected = [expected_names(r.code, system, known) for r in rows]

    # split s of gap i: fragments[:s] go to the row before, fragments[s:] to the row after.
    def choices(i):
        k = len(gaps[i])
        return range(k + 1)

    def gap_cost(i, s):
        k = len(gaps[i])
        if i == 0:  # nothing before: the first s fragments stay header (or are left over)
            return (0.0 if at_header else LEFTOVER_COST * s) + 0.001 * (k - s if at_header else 0)
        if i == m:  # nothing after: fragments beyond s are left over
            return LEFTOVER_COST * (k - s)
        # tie-break: the first half of a gap to the row above, the rest to the row below
        return 0.001 * abs(s - (k + 1) // 2)

    # best[s] = cost of rows before and the gap split s of the current gap
    best = {s: (gap_cost(0, s), [s]) for s in choices(0)}
    for i, row in enumerate(rows, start=1):
        new = {}
        for s_next in choices(i):
            candidates = []
            for s_prev, (cost, path) in best.items():
                above = gaps[i - 1][s_prev:]
                below = gaps[i][:s_next]
                name = "".join(map(text_of, above)) + row.own + "".join(map(text_of, below))
                candidates.append((cost + _row_cost(name, expected[i - 1]) + gap_cost(i, s_next), path + [s_next]))
            new[s_next] = min(candidates, key=lambda c: c[0])
        best = new
    _, path = min(best.values(), key=lambda c: c[0])
    leftovers = [] if at_header else list(gaps[0][: path[0]])
    for i, row in enumerate(rows, start=1):
        row.above = list(gaps[i - 1][path[i - 1]:])
        row.below = list(gaps[i][: path[i]])
    leftovers.extend(gaps[m][path[m]:])
    return leftovers
