"""Chart rendering in worker processes, under a time limit and a size limit.

vl-convert holds the GIL while it draws, so a render in the server's own process (even in
a thread) stops every other request until it is done. Here each render goes to a worker
process; the server only waits on a pipe. A render that passes its time limit has its worker
killed and replaced by a warm one in the background; an image over the size limit is refused
by the worker. At most ``workers`` renders run at once; the others wait their turn, for at
most the same time limit (then a 503, and nothing is killed).

    body = await render_worker.render(spec, "svg", time_limit_ms=5000, max_bytes=5_000_000)

This module imports nothing of Datasette, so a worker starts quickly.
"""
from __future__ import annotations

import asyncio
import os
import pickle
import re
import struct
import subprocess
import sys
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


def ensure_fonts(extra: tuple[str, ...] = ()) -> list[str]:
    """Register CJK font directories with vl-convert once per process."""
    global _fonts_done
    import vl_convert

    with _fonts_lock:
        if _fonts_done:
            return []
        directories = cjk_font_directories(extra)
        for directory in directories:
            vl_convert.register_font_directory(directory)
        _fonts_done = True
        return directories


def _vl_version() -> str:
    import vl_convert

    versions = [v for v in vl_convert.get_vegalite_versions() if v.startswith("6.")]
    return max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))


def render_here(spec: dict, fmt: str, scale: float = 2.0) -> tuple[bytes, float]:
    """Render a spec to ``svg`` or ``png`` in this process; returns the bytes and the
    milliseconds taken. The server calls :func:`render` instead."""
    import vl_convert

    ensure_fonts()
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


WARM_UP_SPEC = {"mark": "bar", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a", "type": "quantitative"}}}


class _Worker:
    """One renderer process. A subprocess rather than multiprocessing: it does not re-import
    the server's main module, whatever script started the server."""

    def __init__(self):
        # this file as a script: the worker imports vl-convert, not Datasette or the plugin
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def warm(self) -> "_Worker":
        """Draw a one-bar chart, so vl-convert has started before a real render."""
        self.send({"spec": WARM_UP_SPEC, "fmt": "svg", "max_bytes": 10**7, "hold": None})
        self.receive()
        return self

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
    on an event loop. The processes outlive an event loop (tests run many); the semaphore
    that bounds them is per loop."""

    def __init__(self):
        self.idle: list[_Worker] = []
        self.slots: dict[tuple[int, int], asyncio.Semaphore] = {}
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
                worker.send(job)
                reply = await asyncio.wait_for(asyncio.to_thread(worker.receive), timeout=time_limit_ms / 1000)
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
