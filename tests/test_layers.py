"""The package's layers hold: base < reading < checking < storing < serving, as the
import-linter contract in pyproject.toml writes them down (a module imports only from the
layers below it). A reader that imported the loader, or a base module that imported a reader,
fails here with the offending import named."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_imports_keep_the_layers():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "lint-imports (import-linter, a test dependency) is not installed"
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "base < reading < checking < storing < serving KEPT" in result.stdout
