"""A corpus of bad and awkward inputs, generated from the seed at test time.

``write_corpus(tmp_path)`` returns {case: path}. Every file is the seed changed in one way
(or not a disclosure at all), so a test can say exactly what a user would see.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "documents" / "zhengzhou-xinfang-2021-budget.txt"
SEED_DEPARTMENT = "郑州市信访局"

# Line 412 of the seed: the income row of 201 03 01; 1O has a letter O for the zero.
STRAY_LINE = 412
STRAY_FROM, STRAY_TO = "10,341,481 10,341,481", "1O,341,481 10,341,481"
# The truncated copy stops in the middle of line 736 (302 39 其他交通费用 of the economic table).
TRUNCATED_LINE = 736
# The 三公 table: its title line to its last note line.
SANGONG_LINES = (803, 829)


def seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


def department_copy(name: str) -> str:
    """The seed as another department's disclosure (a different document, the same figures)."""
    return SEED.read_text(encoding="utf-8").replace(SEED_DEPARTMENT, name)


def department_names(count: int) -> list[str]:
    """``郑州市一甲局``, ``郑州市一乙局`` …: Chinese names, since a department name has no digits."""
    numerals, stems = "一二三四五六七八九十", "甲乙丙丁戊己庚辛壬癸"
    return [f"郑州市{numerals[i // 10 % 10]}{stems[i % 10]}局" for i in range(count)]


def truncated_text() -> str:
    lines = seed_lines()
    cut = lines[TRUNCATED_LINE - 1]
    return "\n".join(lines[: TRUNCATED_LINE - 1] + [cut[: cut.index("150,000") + 5]])


def stray_text() -> str:
    lines = seed_lines()
    assert STRAY_FROM in lines[STRAY_LINE - 1]
    lines[STRAY_LINE - 1] = lines[STRAY_LINE - 1].replace(STRAY_FROM, STRAY_TO)
    return "\n".join(lines)


def without_sangong_text() -> str:
    lines = seed_lines()
    start, end = SANGONG_LINES
    return "\n".join(lines[: start - 1] + lines[end:])


# A budget table's first lines in Traditional Chinese, as a Taiwan or Hong Kong file in Big5
# would hold them, and a Japanese budget's in Shift-JIS: text, but not in an encoding the loader reads.
BIG5_TEXT = """臺北市政府主計處 2021年度單位預算
部門收支總體情況表
單位：元
科目編碼 科目名稱 合計 基本支出 項目支出
201 一般公共服務支出 13,931,481 10,341,481 3,590,000
20103 政府辦公廳（室）及相關機構事務 13,931,481 10,341,481 3,590,000
說明：本年度預算較上年度增加，主要是人員經費調整。
"""
SHIFT_JIS_TEXT = """令和3年度 一般会計予算書
歳出予算事項別明細書
款 項 目 本年度予算額 前年度予算額 比較
総務費 総務管理費 一般管理費 1,234,567 1,200,000 34,567
説明：職員の給与等に要する経費であります。
"""


def minimal_pdf(text: str) -> bytes:
    """A valid one-page PDF whose text layer is ``text`` (ASCII), written by hand."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects)


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1; object 1 the catalog), with its xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_corpus(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "empty": ("empty.txt", b""),
        "binary": ("junk.txt", bytes(range(256)) * 64),
        "truncated": ("truncated.txt", truncated_text().encode("utf-8")),
        "stray": ("stray.txt", stray_text().encode("utf-8")),
        "not_budget_pdf": ("minutes.pdf", minimal_pdf("Minutes of the annual general meeting, 12 March 2021")),
        "gb18030": ("gb18030.txt", SEED.read_text(encoding="utf-8").encode("gb18030")),
        "without_sangong": ("no-sangong.txt", without_sangong_text().encode("utf-8")),
        "big5": ("taipei-big5.txt", BIG5_TEXT.encode("big5")),
        "shift_jis": ("yosan-sjis.txt", SHIFT_JIS_TEXT.encode("shift_jis")),
        "junk_pdf": ("damaged.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 16),
    }
    paths = {}
    for case, (name, data) in files.items():
        path = folder / name
        path.write_bytes(data)
        paths[case] = path
    return paths


def write_special(folder: Path) -> dict[str, Path]:
    """Paths that are not disclosures to read: a FIFO (opening it to read waits for a writer)
    and files larger than the loader reads, made sparse so that they take no disk. /dev/zero
    needs no making."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"fifo": folder / "pipe.txt", "oversize": folder / "huge.pdf", "long_text": folder / "long.txt"}
    os.mkfifo(paths["fifo"])
    for case, size in (("oversize", 201 * 2**20), ("long_text", 50 * 2**20)):
        with open(paths[case], "wb") as f:
            f.truncate(size)
    return paths


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
