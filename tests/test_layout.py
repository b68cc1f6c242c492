"""The package's shape: modules a reader can hold in mind, and imports that only go downward."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gan_playground"
MAX_LINES = 600
BEING_REWRITTEN = {"ui/panels.py"}  # the UI's old panel file, which the UI's rewrite replaces


def test_no_module_is_longer_than_600_lines():
    long = {str(f.relative_to(PACKAGE)): n for f in PACKAGE.rglob("*.py")
            if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= BEING_REWRITTEN, long


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_models_sit_below_checkpoints():
    """checkpoints.py builds models; a model that read checkpoints (the clustering AAE's teachers)
    made an import circle, once broken by an import inside a function. teachers.py reads them now."""
    for path in (PACKAGE / "models").glob("*.py"):
        above = imported_modules(path) & {"gan_playground.checkpoints", "gan_playground.teachers",
                                          "gan_playground.engine"}
        assert not above, (path.name, above)
    loaded = subprocess.run([sys.executable, "-c", "import sys, gan_playground.models, gan_playground.metrics; "
                             "print(sorted(m for m in sys.modules if m.startswith('gan_playground')))"],
                            capture_output=True, text=True, check=True).stdout
    assert "gan_playground.checkpoints" not in loaded and "gan_playground.engine" not in loaded
