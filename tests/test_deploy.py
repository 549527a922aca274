"""The Dockerfile: its commands serve the seed, and the image itself where Docker runs.

The first test runs the Dockerfile's own `datasette inspect` and `datasette serve` command
lines (read from the Dockerfile) with the installed Datasette, so it runs everywhere. The
second builds and runs the image, only where a Docker daemon answers.
"""
import json
import shlex
import shutil
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, load, wait_until_serving

DOCKERFILE = ROOT / "Dockerfile"
# From the seed document: 201 一般公共服务支出 13,931,481 元.
GENERAL_PUBLIC_SERVICES = 13931481


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dockerfile_commands() -> tuple[list[str], list[str]]:
    """The `datasette inspect` command of the build and the CMD that serves."""
    text = DOCKERFILE.read_text("utf-8").replace("\\\n", " ")
    inspect = next(part.strip() for line in text.splitlines() if line.startswith("RUN ")
                   for part in line[4:].split("&&") if part.strip().startswith("datasette inspect"))
    cmd = next(line for line in text.splitlines() if line.startswith("CMD "))
    return shlex.split(inspect), json.loads(cmd[4:])


def _check_site(base: str):
    with urllib.request.urlopen(base + "/budget/expenditure_by_function.json?_shape=array&level=1") as r:
        rows = json.load(r)
        cache_control = r.headers["Cache-Control"]
    assert {row["code"]: row["total"] for row in rows}["201"] == GENERAL_PUBLIC_SERVICES
    # immutable, so cacheable for the TTL the Dockerfile sets
    assert cache_control == "max-age=3600"
    with urllib.request.urlopen(base + "/budget/function_expenditure") as r:
        assert "部门支出总体情况表" in r.read().decode()


def test_dockerfile_commands_serve_an_immutable_database_with_inspect_data(tmp_path):
    inspect, serve = _dockerfile_commands()
    assert inspect[:3] == ["datasette", "inspect", "budget.db"]
    assert "-i" in serve and "--inspect-file" in serve
    result = load(tmp_path / "budget.db", ROOT / "data" / "documents")
    assert result.exit_code == 0, result.output
    shutil.copy(ROOT / "metadata.yml", tmp_path / "metadata.yml")
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / inspect[0]), *inspect[1:]], cwd=tmp_path, check=True, capture_output=True)
    counts = json.loads((tmp_path / "inspect-data.json").read_text())["budget"]["tables"]
    assert counts["function_expenditure"]["count"] > 0
    port = _free_port()
    args = [str(bin_dir / serve[0]), *serve[1:]]
    args[args.index("-h") + 1], args[args.index("-p") + 1] = "127.0.0.1", str(port)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(args, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process, log)
        _check_site(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def _docker_unavailable() -> str | None:
    if not shutil.which("docker"):
        return "no docker command on this machine"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True)
    if info.returncode != 0:
        return "no Docker daemon answers (docker info: " + (info.stderr.strip().splitlines() or ["failed"])[-1] + ")"
    return None


def test_docker_image_builds_and_serves(tmp_path):
    reason = _docker_unavailable()
    if reason:
        pytest.skip(f"Docker image not built: {reason}")
    tag = f"datasette-budget-test:{uuid.uuid4().hex[:8]}"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    port = _free_port()
    name = f"datasette-budget-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "docker.log"
    try:
        with open(log, "wb") as out:
            process = subprocess.Popen(["docker", "run", "--rm", "--name", name, "-p", f"127.0.0.1:{port}:8001", tag],
                                       stdout=out, stderr=subprocess.STDOUT)
        wait_until_serving(f"http://127.0.0.1:{port}", process, log)
        _check_site(f"http://127.0.0.1:{port}")
        # the CJK font is in the image: the PNG chart renders
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/budget/sangong.png") as r:
            assert r.headers["Content-Type"] == "image/png"
    finally:
        subprocess.run(["docker", "stop", name], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
