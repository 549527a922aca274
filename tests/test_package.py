"""The package as a user gets it: `python -m build`, then a fresh virtualenv holding only
the built wheel (and what it depends on), serving the seed under another database name.

Slow (a build and a virtualenv): the wheel is built once per session. The fresh virtualenv
gets the same versions of every dependency as the one running the tests (so each CI job
checks its own Datasette), from the package index.
"""
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import DOCUMENTS, ROOT, SEED_SLUG, stop_server, wait_until_serving

# From the seed document: 201 一般公共服务支出 13,931,481 元.
GENERAL_PUBLIC_SERVICES = 13931481


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """`python -m build --wheel` of this checkout: (wheel path, build output)."""
    out = tmp_path_factory.mktemp("dist")
    env = dict(os.environ)
    # This machine sets PYTHONDONTWRITEBYTECODE, which makes setuptools warn that it does
    # not byte-compile; a user's machine does not.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], env=env)
    wheels = list(out.glob("datasette_budget-*.whl"))
    assert len(wheels) == 1, result.stdout
    return wheels[0], result.stdout + result.stderr


def test_build_gives_a_wheel_without_warnings(built):
    _, output = built
    warnings = [line for line in output.splitlines() if "warning" in line.lower()]
    assert warnings == []


def test_wheel_holds_license_metadata_and_package_data(built):
    wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for name in ("site_metadata.yml", "templates/_facet_results.html", "templates/budget_embed.html",
                 "static/chart.js", "reference/functional.csv"):
        assert f"datasette_budget/{name}" in names, name
    assert "License-Expression: Apache-2.0" in metadata
    assert "Classifier: Framework :: Datasette" in metadata
    assert "pypi.org" not in metadata  # nothing is published there
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [line for line in requires if "extra ==" not in line]
    assert not any("pyyaml" in line.lower() for line in runtime)
    assert any("vl-convert-python" in line and 'extra == "images"' in line for line in requires)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


@pytest.fixture(scope="session")
def wheel_site(built, tmp_path_factory):
    """`datasette serve` from a fresh virtualenv holding only the wheel: the seed, loaded
    by that virtualenv's `datasette budget load` as `shanxi.db`, no metadata file, run
    from a directory with nothing of this repository in it."""
    wheel, _ = built
    home = tmp_path_factory.mktemp("wheel-site")
    venv = home / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    # The same versions as the running suite, without the project itself.
    frozen = _run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"]).stdout
    constraints = home / "constraints.txt"
    constraints.write_text("\n".join(line for line in frozen.splitlines()
                                     if not line.lower().startswith("datasette-budget")) + "\n")
    _run([str(python), "-m", "pip", "install", "--quiet", "-c", str(constraints), f"{wheel}[images]"], cwd=home)
    located = _run([str(python), "-c", "import datasette_budget; print(datasette_budget.__file__)"], cwd=home)
    assert located.stdout.strip().startswith(str(venv)), located.stdout
    db = home / "shanxi.db"
    _run([str(venv / "bin" / "datasette"), "budget", "load", str(db), str(DOCUMENTS)], cwd=home)
    port = _free_port()
    log = open(home / "datasette.log", "wb")
    process = subprocess.Popen(
        [str(venv / "bin" / "datasette"), "serve", "-i", str(db), "-h", "127.0.0.1", "-p", str(port),
         "--setting", "default_allow_sql", "off"],
        cwd=home, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, home / "datasette.log")
        yield base
    finally:
        stop_server(process)
        log.close()


def test_wheel_site_has_titles_descriptions_and_facets(wheel_site):
    _, _, body = _get(wheel_site + "/shanxi/function_expenditure")
    page = body.decode()
    assert "部门支出总体情况表 Expenditure by functional classification (all funds)" in page
    assert "功能分类科目编码（项）Functional classification code, 7 digits" in page
    _, _, body = _get(wheel_site + "/shanxi/function_expenditure.json?_size=0&_extra=facet_results")
    results = json.loads(body)["facet_results"]
    results = results.get("results", results)
    items = {item["value"]: item["sum"] for item in results["function_code"]["results"]}
    assert items["201"] == GENERAL_PUBLIC_SERVICES


def test_wheel_site_canned_queries_and_charts(wheel_site):
    document = quote(SEED_SLUG)
    _, _, body = _get(f"{wheel_site}/shanxi/expenditure_by_function.json?_shape=array&document={document}")
    assert {row["code"]: row["total"] for row in json.loads(body)}["201"] == GENERAL_PUBLIC_SERVICES
    _, content_type, body = _get(f"{wheel_site}/shanxi/expenditure_by_function.vegalite?document={document}")
    spec = json.loads(body)
    assert "vega-lite" in spec["$schema"]
    status, content_type, body = _get(f"{wheel_site}/shanxi/expenditure_by_function.svg?document={document}")
    assert content_type.startswith("image/svg+xml")
    assert "一般公共服务支出" in body.decode()


def test_wheel_site_embed_page_and_its_scripts(wheel_site):
    import re

    status, content_type, body = _get(
        f"{wheel_site}/-/budget/embed/expenditure_by_function?document={quote(SEED_SLUG)}"
    )
    page = body.decode()
    assert status == 200 and "郑州市信访局 2021年部门预算" in page
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert scripts, page[:500]
    for src in scripts:
        url = src if src.startswith("http") else wheel_site + src
        status, content_type, body = _get(url)
        assert status == 200 and len(body) > 100, url
