"""Chart rendering in worker processes, under a time limit and a size limit.

vl-convert holds the GIL while it draws, so a render in the server's own process (even in
a thread) stops every other request until it is done. Here each render goes to a worker
process; the server only waits on a pipe. A render that passes its time limit has its worker
killed and replaced by a warm one in the background; an image over the size limit is refused
by the worker. At most ``workers`` renders run at once; the others wait their turn, for at
most the same time limit (then a 503, and nothing is killed). Requests for a spec that is
being drawn wait for that render instead of starting another.

    body = await render_worker.render(spec, "svg", time_limit_ms=5000, max_bytes=5_000_000)

This module imports nothing of Datasette, so a worker starts quickly.
"""
from __future__ import annotations

import asyncio
import json
import os
import pickle
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# A test hook: when set to the path of a FIFO, a worker opens it for reading before it
# draws and draws once the writer closes it, so a test holds a render open without sleeps.
test_hold_fifo: str | None = None


class RenderError(Exception):
    """A render that could not be done; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


IMAGES_MISSING = (
    "Server-side chart images need vl-convert, which is not installed here: "
    "pip install 'datasette-budget[images]'. The chart's Vega-Lite spec (.vegalite) and "
    "its embed page work without it."
)


_images_available: bool | None = None


def images_available() -> bool:
    """Whether vl-convert can be imported (it is the ``[images]`` extra); asked once, since
    a failed import searches the whole path again each time."""
    global _images_available
    if _images_available is None:
        try:
            import vl_convert  # noqa: F401
        except ImportError:
            _images_available = False
        else:
            _images_available = True
    return _images_available


# --- fonts (in the worker) ---------------------------------------------------------------

FONT_DIRECTORIES = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/opentype",
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
)
_CJK_FONT = re.compile(r"(CJK|SourceHan|wqy|WenQuanYi|DroidSansFallback|NotoSansSC)", re.I)
_fonts_lock = threading.Lock()
_fonts_done = False


def cjk_font_directories(extra: tuple[str, ...] = ()) -> list[str]:
    """Directories that hold a CJK font (fonts-noto-cjk on Debian puts them in
    /usr/share/fonts/opentype/noto)."""
    found = []
    for base in tuple(extra) + FONT_DIRECTORIES:
        root = Path(base).expanduser()
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.suffix.lower() in (".ttc", ".otf", ".ttf") and _CJK_FONT.search(path.name):
                if str(path.parent) not in found:
                    found.append(str(path.parent))
    return found


# vl-convert (usvg underneath) opens and parses the font again for every glyph it measures or
# draws: an 8-bar chart with Chinese labels opens NotoSansCJK-Regular.ttc about 1,300 times.
# Most of each parse is the collection's OpenType layout tables (GSUB/GPOS for the Japanese,
# Korean and traditional forms of the same glyphs), which horizontal Chinese text without
# ligatures never uses. So the renderer draws with a copy of the collection's simplified-Chinese
# face without those tables, under a family name of its own (so vl-convert cannot pick the
# system's copy instead): the same glyphs and advances, about a third of the CPU per image.
RENDER_FAMILY = "Noto Sans CJK SC Charts"
_CJK_SC_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
_CJK_SOURCE = re.compile(r"^(NotoSansCJK(sc)?|NotoSansSC|SourceHanSans(SC)?)-(?P<weight>Regular|Bold)\.(ttc|otf)$", re.I)
# layout tables, and vertical metrics: horizontal text without ligatures reads none of them
_LAYOUT_TABLES = {b"GSUB", b"GPOS", b"GDEF", b"BASE", b"JSTF", b"VORG", b"vhea", b"vmtx"}
_render_family: str | None = None
_FONT_FORMAT = 2  # changes when the files written change, so a new folder is written
_TABLE_ORDER = [b"head", b"hhea", b"maxp", b"OS/2", b"name", b"cmap", b"post", b"CFF ", b"glyf", b"loca", b"hmtx"]


def _faces(data: bytes) -> list[int]:
    """Offsets of the faces' table directories in an OpenType file or collection."""
    if data[:4] == b"ttcf":
        (count,) = struct.unpack_from(">I", data, 8)
        return list(struct.unpack_from(f">{count}I", data, 12))
    return [0]


def _tables(data: bytes, face: int) -> dict[bytes, bytes]:
    (count,) = struct.unpack_from(">H", data, face + 4)
    tables = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, face + 12 + 16 * i)
        tables[tag] = data[offset:offset + length]
    return tables


def _names(name: bytes) -> list[tuple[tuple[int, int, int, int], bytes]]:
    _, count, strings = struct.unpack_from(">HHH", name, 0)
    records = []
    for i in range(count):
        platform, encoding, language, name_id, length, offset = struct.unpack_from(">6H", name, 6 + 12 * i)
        records.append(((platform, encoding, language, name_id), name[strings + offset:strings + offset + length]))
    return records


def _family(name: bytes) -> str | None:
    """The face's English family name (typographic family if it has one)."""
    found = {}
    for (platform, _, language, name_id), value in _names(name):
        if platform == 3 and language == 0x409 and name_id in (1, 16):
            found[name_id] = value.decode("utf-16-be", "replace")
    return found.get(16) or found.get(1)


def _renamed(name: bytes, family: str, bold: bool) -> bytes:
    """A name table (format 0) whose family, full and PostScript names are ``family``."""
    style = "Bold" if bold else "Regular"
    new = {1: family, 16: family, 4: f"{family} {style}" if bold else family,
           6: f"{family.replace(' ', '')}-{style}"}
    records = []
    for key, value in _names(name):
        platform, _, language, name_id = key
        if language >= 0x8000:  # a language-tag record of format 1
            continue
        if name_id in new:
            value = new[name_id].encode("latin-1" if platform == 1 else "utf-16-be")
        records.append((key, value))
    header = struct.pack(">HHH", 0, len(records), 6 + 12 * len(records))
    directory, strings = b"", b""
    for key, value in records:
        directory += struct.pack(">6H", *key, len(value), len(strings))
        strings += value
    return header + directory + strings


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def _sfnt(tables: dict[bytes, bytes], version: bytes) -> bytes:
    """One OpenType font from its tables."""
    tags = sorted(tables)  # the directory is sorted by tag
    # the tables themselves in the order OpenType recommends for CFF fonts: the small ones
    # that every parse reads come first, together, then the outlines
    order = sorted(tags, key=lambda t: (_TABLE_ORDER.index(t) if t in _TABLE_ORDER else len(_TABLE_ORDER), t))
    power = 1 << (len(tags).bit_length() - 1)
    header = version + struct.pack(">HHHH", len(tags), power * 16, power.bit_length() - 1, (len(tags) - power) * 16)
    offset = len(header) + 16 * len(tags)
    where, body = {}, b""
    for tag in order:
        where[tag] = offset + len(body)
        body += tables[tag] + b"\0" * (-len(tables[tag]) % 4)
    directory = b"".join(
        struct.pack(">4sIII", tag, _checksum(tables[tag]), where[tag], len(tables[tag])) for tag in tags
    )
    font = bytearray(header + directory + body)
    if b"head" in tables:  # checkSumAdjustment, 8 bytes into head
        font[where[b"head"] + 8:where[b"head"] + 12] = struct.pack(
            ">I", (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


def render_face(data: bytes, bold: bool) -> bytes | None:
    """The simplified-Chinese face of a Noto Sans CJK / Source Han Sans file (a collection or
    one face), without its layout tables and named :data:`RENDER_FAMILY`; None if it has none."""
    for face in _faces(data):
        tables = _tables(data, face)
        if b"name" in tables and _family(tables[b"name"]) in _CJK_SC_FAMILIES:
            kept = {tag: table for tag, table in tables.items() if tag not in _LAYOUT_TABLES}
            kept[b"name"] = _renamed(tables[b"name"], RENDER_FAMILY, bold)
            return _sfnt(kept, data[face:face + 4])
    return None


def _font_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "datasette-budget"


def render_font_directory(extra: tuple[str, ...] = ()) -> str | None:
    """A directory holding the renderer's faces (regular and bold), written once per machine
    into the user's cache folder (or the temporary folder); None without a Noto Sans CJK or
    Source Han Sans font."""
    sources = {}
    for directory in cjk_font_directories(extra):
        for path in sorted(Path(directory).iterdir()):
            match = _CJK_SOURCE.match(path.name)
            if match:
                sources.setdefault(match.group("weight").lower(), path)
    if "regular" not in sources:
        return None
    stamp = "-".join(f"{p.stat().st_size}.{p.stat().st_mtime_ns}" for _, p in sorted(sources.items()))
    for base in (_font_cache(), Path(tempfile.gettempdir())):
        folder = base / f"render-fonts-{_digest(stamp)}"
        try:
            if not folder.is_dir():
                _write_render_fonts(sources, folder)
            if (folder / "regular.otf").exists():
                return str(folder)
        except OSError:
            continue
    return None


def _write_render_fonts(sources: dict[str, Path], folder: Path) -> None:
    """Write the faces into a folder of their own, then rename it into place: renderers
    starting together never see one face without the other."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".render-fonts-", dir=folder.parent))
    partial.chmod(0o755)  # fonts are public: another user of a shared temporary folder may read them
    try:
        for weight, path in sources.items():
            try:
                face = render_face(path.read_bytes(), bold=weight == "bold")
            except (struct.error, IndexError):  # not a font file we can read: draw without it
                face = None
            if face is not None:
                (partial / f"{weight}.otf").write_bytes(face)
        os.rename(partial, folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(f"{text} {RENDER_FAMILY} {sorted(_LAYOUT_TABLES)} {_FONT_FORMAT}".encode()).hexdigest()[:16]


def ensure_fonts(extra: tuple[str, ...] = ()) -> list[str]:
    """Register CJK font directories with vl-convert once per process, and the renderer's
    own faces (:func:`render_font_directory`), which :func:`with_render_font` names first."""
    global _fonts_done, _render_family
    import vl_convert

    with _fonts_lock:
        if _fonts_done:
            return []
        directories = cjk_font_directories(extra)
        for directory in directories:
            vl_convert.register_font_directory(directory)
        own = render_font_directory(extra)
        if own:
            vl_convert.register_font_directory(own)
            _render_family = RENDER_FAMILY
            directories.append(own)
        _fonts_done = True
        return directories


def with_render_font(spec: dict) -> dict:
    """The spec with the renderer's own family named first; the rest of the list stays, for a
    browser that shows an SVG (it skips a family it does not have)."""
    if not _render_family:
        return spec
    config = dict(spec.get("config") or {})
    config["font"] = f'"{_render_family}", ' + (config.get("font") or "sans-serif")
    return dict(spec, config=config)


def _vl_version() -> str:
    import vl_convert

    versions = [v for v in vl_convert.get_vegalite_versions() if v.startswith("6.")]
    return max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))


def render_here(spec: dict, fmt: str, scale: float = 2.0) -> tuple[bytes, float]:
    """Render a spec to ``svg`` or ``png`` in this process; returns the bytes and the
    milliseconds taken. The server calls :func:`render` instead."""
    import vl_convert

    ensure_fonts()
    spec = with_render_font(spec)
    started = time.perf_counter()
    if fmt == "svg":
        body = vl_convert.vegalite_to_svg(spec, vl_version=_vl_version()).encode("utf-8")
    elif fmt == "png":
        body = vl_convert.vegalite_to_png(spec, vl_version=_vl_version(), scale=scale)
    else:
        raise ValueError(fmt)
    return body, (time.perf_counter() - started) * 1000


def _send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def _receive(stream):
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the other end closed the pipe")
    (length,) = struct.unpack(">Q", header)
    data = stream.read(length)
    if len(data) < length:
        raise EOFError("the other end closed the pipe")
    return pickle.loads(data)


def _worker_main() -> None:
    """A worker (``python -m datasette_budget.render_worker``): render each job read from
    stdin, answer on stdout, until stdin closes."""
    jobs = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever vl-convert prints goes to stderr, not into the replies
    while True:
        try:
            job = _receive(jobs)
        except (EOFError, OSError):
            return
        try:
            if job.get("hold"):
                with open(job["hold"], encoding="utf-8") as fifo:
                    fifo.read()
            body, ms = render_here(job["spec"], job["fmt"], job.get("scale", 2.0))
            if len(body) > job["max_bytes"]:
                reply = ("too_large", len(body))
            else:
                reply = ("ok", body, ms)
        except ImportError:
            reply = ("missing", IMAGES_MISSING)
        except Exception as e:  # a spec vl-convert cannot draw
            reply = ("error", f"{type(e).__name__}: {str(e)[:300]}")
        try:
            _send(replies, reply)
        except (BrokenPipeError, OSError):
            return


# --- the pool (in the server) --------------------------------------------------------------


# A small chart with Chinese text, drawn as SVG and PNG when a renderer starts, so that a
# real chart is never a renderer's first (starting vl-convert's JavaScript and its first
# text measurement take most of a second).
WARM_UP_SPEC = {
    "title": {"text": "支出功能分类（类）", "subtitle": "单位：万元"},
    "data": {"values": [{"label": "201 一般公共服务支出", "amount": 1234.56}]},
    "layer": [
        {"mark": "bar", "encoding": {"y": {"field": "label", "type": "nominal", "title": None},
                                     "x": {"field": "amount", "type": "quantitative", "title": "金额（万元）"}}},
        {"mark": {"type": "text", "align": "left"},
         "encoding": {"y": {"field": "label", "type": "nominal"}, "x": {"field": "amount", "type": "quantitative"},
                      "text": {"field": "amount", "type": "quantitative", "format": ",.2f"}}},
    ],
}


class _Worker:
    """One renderer process. A subprocess rather than multiprocessing: it does not re-import
    the server's main module, whatever script started the server."""

    def __init__(self):
        # this file as a script: the worker imports vl-convert, not Datasette or the plugin
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def warm(self) -> "_Worker":
        """Draw a small chart in both formats, so vl-convert has started before a real render."""
        for fmt in ("svg", "png"):
            self.exchange({"spec": WARM_UP_SPEC, "fmt": fmt, "max_bytes": 10**8, "hold": None})
        return self

    def exchange(self, job):
        """Send a job and wait for its reply (in a thread: both block)."""
        self.send(job)
        return self.receive()

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, job) -> None:
        _send(self.process.stdin, job)

    def receive(self):
        return _receive(self.process.stdout)

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class RenderPool:
    """Worker processes, each drawing one chart at a time; at most ``size`` renders at once
    on an event loop, the others waiting their turn in order. Requests for the same spec in
    the same format while it is being drawn share that one render. The processes outlive an
    event loop (tests run many); the semaphore that bounds them is per loop."""

    def __init__(self):
        self.idle: list[_Worker] = []
        self.slots: dict[tuple[int, int], asyncio.Semaphore] = {}
        self.drawing: dict[tuple, asyncio.Future] = {}
        self.shared = 0  # requests answered by a render another request started
        self.lock = threading.Lock()

    def _slots(self, size: int) -> asyncio.Semaphore:
        key = (id(asyncio.get_running_loop()), size)
        if key not in self.slots:
            self.slots[key] = asyncio.Semaphore(size)
        return self.slots[key]

    def _take(self) -> _Worker:
        with self.lock:
            while self.idle:
                worker = self.idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        return _Worker().warm()

    def _replace(self, worker: _Worker, size: int) -> None:
        """Kill a worker and start a warm one in its place, in the background, so the next
        render does not pay for starting vl-convert."""
        def replace():
            worker.kill()
            try:
                self._give_back(_Worker().warm(), size)
            except (EOFError, OSError):
                pass

        threading.Thread(target=replace, daemon=True, name="datasette-budget-render-restart").start()

    def _give_back(self, worker: _Worker, size: int) -> None:
        with self.lock:
            if len(self.idle) < size:
                self.idle.append(worker)
                return
        worker.kill()

    async def render(self, spec: dict, fmt: str, time_limit_ms: int, max_bytes: int,
                     size: int, scale: float = 2.0) -> tuple[bytes, float, float]:
        """Draw a spec, or wait for the render of the same spec that is already under way
        (the bytes, the milliseconds drawing and waiting for a renderer took)."""
        key = (id(asyncio.get_running_loop()), fmt, scale, max_bytes, test_hold_fifo,
               json.dumps(spec, sort_keys=True, ensure_ascii=False))
        drawing = self.drawing.get(key)
        if drawing is None:
            drawing = asyncio.ensure_future(self._render(spec, fmt, time_limit_ms, max_bytes, size, scale))
            self.drawing[key] = drawing
            drawing.add_done_callback(lambda done: self._finished(key, done))
        else:
            self.shared += 1
        # shielded: a client that goes away does not cancel the render the others wait for
        return await asyncio.shield(drawing)

    def _finished(self, key: tuple, done: asyncio.Future) -> None:
        self.drawing.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved, even when every request for it went away

    async def _render(self, spec: dict, fmt: str, time_limit_ms: int, max_bytes: int,
                      size: int, scale: float) -> tuple[bytes, float, float]:
        """Wait for a free renderer (at most ``time_limit_ms``: then a 503, nothing killed),
        then draw (at most ``time_limit_ms`` more: then the renderer is killed and replaced)."""
        asked = time.monotonic()
        limit_text = f"render_time_limit_ms ({time_limit_ms} ms)"
        slots = self._slots(size)
        try:
            await asyncio.wait_for(slots.acquire(), timeout=time_limit_ms / 1000)
        except asyncio.TimeoutError:
            raise RenderError(
                f"Every chart renderer stayed busy for longer than {limit_text}; try again shortly.", 503
            )
        waited = (time.monotonic() - asked) * 1000
        try:
            worker = await asyncio.to_thread(self._take)
            job = {"spec": spec, "fmt": fmt, "scale": scale, "max_bytes": max_bytes,
                   "hold": test_hold_fifo}
            try:
                # the pipe is written and read in a thread, never on the event loop
                reply = await asyncio.wait_for(asyncio.to_thread(worker.exchange, job), timeout=time_limit_ms / 1000)
            except asyncio.TimeoutError:
                self._replace(worker, size)
                raise RenderError(
                    f"Drawing this chart took longer than {limit_text}; "
                    "ask for a lower level or one document.", 503
                )
            except (EOFError, OSError):
                self._replace(worker, size)
                raise RenderError("The chart renderer stopped while drawing this chart; try again.", 503)
            self._give_back(worker, size)
        finally:
            slots.release()
        kind = reply[0]
        if kind == "ok":
            return reply[1], reply[2], waited
        if kind == "too_large":
            raise RenderError(
                f"This chart's image would be {reply[1]:,} bytes, over render_max_bytes "
                f"({max_bytes:,} bytes); ask for a lower level or use the .vegalite spec.", 400
            )
        if kind == "missing":
            raise RenderError(reply[1], 501)
        raise RenderError(f"This chart could not be drawn ({reply[1]}).", 500)


_pool = RenderPool()


def default_workers() -> int:
    return max(1, min(2, (os.cpu_count() or 1) - 1))


async def render(spec: dict, fmt: str, *, time_limit_ms: int, max_bytes: int, workers: int | None = None,
                 scale: float = 2.0) -> tuple[bytes, float, float]:
    """Render in a worker process: the bytes, the milliseconds drawing took and the
    milliseconds spent waiting for a free renderer. Raises :class:`RenderError` (501
    without vl-convert, 503 past the time limit, 400 over the size limit)."""
    if not images_available():
        raise RenderError(IMAGES_MISSING, 501)
    return await _pool.render(spec, fmt, time_limit_ms, max_bytes, int(workers or default_workers()), scale)


if __name__ == "__main__":
    _worker_main()
