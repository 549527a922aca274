"""Every Vega-Lite spec the plugin serves is valid against the JSON schema of the Vega-Lite
version the browser draws it with, and that version is the one vl-convert renders images with.

The schema is ``build/vega-lite-schema.json`` of the vega-lite npm package, kept gzipped in
tests/fixtures/ under its version (see tests/fixtures/README.md).
"""
import gzip
import json
import re
from pathlib import Path

import jsonschema
import pytest

from datasette_budget import charts

from conftest import SEED_SLUG

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
STATIC = ROOT / "datasette_budget" / "static"
PACKAGE_JSON = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))


def vendored_version(package: str) -> str:
    """The version of a vendored script, from its file name in charts.SCRIPTS."""
    names = [s for s in charts.SCRIPTS if re.fullmatch(rf"{package}-\d+\.\d+\.\d+\.min\.js", s)]
    assert len(names) == 1, f"{package} is not vendored exactly once: {charts.SCRIPTS}"
    return names[0][len(package) + 1 : -len(".min.js")]


VEGA_LITE = vendored_version("vega-lite")
SCHEMA_FIXTURE = FIXTURES / f"vega-lite-schema-{VEGA_LITE}.json.gz"


@pytest.fixture(scope="module")
def validator():
    assert SCHEMA_FIXTURE.exists(), f"no schema fixture for the vendored vega-lite {VEGA_LITE}"
    schema = json.loads(gzip.decompress(SCHEMA_FIXTURE.read_bytes()))
    return jsonschema.Draft7Validator(schema)


def errors_of(validator, spec) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}"
        for e in validator.iter_errors(spec)
    ]


def chart_urls(datasette) -> list[str]:
    """A spec URL for every chart the plugin serves on the seed, at every level it allows,
    for both economic code systems, drilled below each level, for one document and for all."""
    urls = []
    for name, chart in charts.charts_config(datasette, "budget").items():
        variants = [{}]
        if chart["levels"]:
            variants = [{"level": str(level)} for level in range(1, int(chart["levels"]) + 1)]
        if chart["drill"]:
            # 208 社会保障和就业支出 → 20805 行政事业单位养老支出 in the seed
            variants += [{"parent": "208"}, {"parent": "20805"}][: int(chart["levels"]) - 1]
        if chart["query"] == "expenditure_by_economic":
            variants = [{**v, "system": s} for v in variants for s in ("department", "government")]
        for document in (SEED_SLUG, ""):
            for params in variants:
                query = "&".join(f"{k}={v}" for k, v in {"document": document, **params}.items())
                urls.append(f"/budget/{name}.vegalite?{query}")
    return urls


def test_browser_and_server_draw_with_the_same_vega_versions():
    import vl_convert

    vega, vega_lite = vendored_version("vega"), VEGA_LITE
    assert vega == vl_convert.get_vega_version()
    minor = ".".join(vega_lite.split(".")[:2])
    assert minor in vl_convert.get_vegalite_versions()
    assert charts._vl_version() == minor
    assert charts.VEGA_LITE_SCHEMA == f"https://vega.github.io/schema/vega-lite/v{vega_lite.split('.')[0]}.json"
    # package.json pins what is vendored, so `npm outdated` tracks it
    deps = PACKAGE_JSON["dependencies"]
    assert deps["vega"] == vega and deps["vega-lite"] == vega_lite
    assert deps["vega-embed"] == vendored_version("vega-embed")
    for script in charts.SCRIPTS:
        assert (STATIC / script).is_file(), script


@pytest.mark.asyncio
async def test_every_chart_spec_is_valid_vega_lite(ds, validator):
    urls = chart_urls(ds)
    # six charts by default: 3 + 2 drilled + 2 × 2 systems + 3 single-level ones, per document scope
    assert len(urls) >= 2 * (5 + 5 + 4 + 3)
    invalid = {}
    for url in urls:
        response = await ds.client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        spec = response.json()
        assert spec["$schema"] == charts.VEGA_LITE_SCHEMA
        assert spec["data"]["values"], f"{url} draws no data"
        errors = errors_of(validator, spec)
        if errors:
            invalid[url] = errors[:5]
    assert not invalid, json.dumps(invalid, ensure_ascii=False, indent=1)


@pytest.mark.asyncio
async def test_embed_page_spec_is_valid_vega_lite(ds, validator):
    response = await ds.client.get(f"/-/budget/embed/expenditure_basic_project?document={SEED_SLUG}&level=2")
    assert response.status_code == 200
    block = re.search(r'<script type="application/json" id="budget-chart-spec">(.*?)</script>', response.text, re.S)
    spec = json.loads(block.group(1).replace("<\\/", "</"))
    assert errors_of(validator, spec) == []


def test_the_schema_rejects_a_broken_spec(validator):
    """The fixture really checks: a mark Vega-Lite does not know is an error."""
    spec = {"$schema": charts.VEGA_LITE_SCHEMA, "data": {"values": []}, "mark": "barr"}
    assert errors_of(validator, spec)


@pytest.mark.asyncio
async def test_the_server_renders_every_chart_spec_with_the_same_vega_lite(ds):
    """vl-convert draws each spec the browser draws (same major, same minor) as SVG."""
    urls = [u for u in chart_urls(ds) if SEED_SLUG in u]
    for url in urls:
        response = await ds.client.get(url.replace(".vegalite?", ".svg?"))
        assert response.status_code == 200, (url, response.text[:300])
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert "<svg" in response.text and 'class="mark-' in response.text, url
