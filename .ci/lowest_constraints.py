"""Print pip constraints that pin every direct dependency of pyproject.toml to its floor.

    python .ci/lowest_constraints.py > lowest.txt
    pip install -c lowest.txt -e '.[images,test]'

The floors are what pyproject.toml declares (``name>=X``), so CI tests the versions a user
may really get; a dependency without a floor is an error here.
"""
import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8"))["project"]
requirements = list(project["dependencies"])
for extra in project.get("optional-dependencies", {}).values():
    requirements += extra

pins = {}
for requirement in requirements:
    match = re.match(r"^([A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?\s*[^;]*?>=\s*([^,;\s]+)", requirement)
    if not match:
        sys.exit(f"pyproject.toml: {requirement!r} has no '>=' floor to pin")
    pins[match.group(1).lower()] = match.group(3)
for name, floor in sorted(pins.items()):
    print(f"{name}=={floor}")
