"""The package's shape: no module imports, at run time, a module that imports it back.

Imports are read from the source (module level and inside functions alike; a function-level import
hides a circle, it does not remove it). Imports under `if TYPE_CHECKING:` are left out: they never
run. An import of a package's own parent (`from gan_playground import __version__`) is left out
too: a package is always imported before its modules, so that edge cannot close a circle.

Run alone: `python -m pytest -q tests/test_design.py`.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gan_playground"


def module_files() -> dict[str, Path]:
    files = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = path
    return files


def runtime_imports(name: str, source: str, modules: set[str], *, is_package: bool = False) -> set[str]:
    """The package's modules that module `name` (its `source`) imports when it runs (see above)."""
    found: set[str] = set()
    package = name if is_package else name.rpartition(".")[0]

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for child in node.orelse:
                    self.visit(child)
            else:
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # `from pkg import module` imports the module
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source)

    Visitor().visit(ast.parse(source))
    edges = set()
    for target in found:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name and not name.startswith(target + "."):
            edges.add(target)
    return edges


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import one another (strongly connected, Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return circles


def package_graph() -> dict[str, set[str]]:
    files = module_files()
    return {name: runtime_imports(name, path.read_text(encoding="utf-8"), set(files),
                                  is_package=path.name == "__init__.py")
            for name, path in files.items()}


def test_the_package_has_no_import_circle():
    graph = package_graph()
    circles = import_circles(graph)
    described = ["; ".join(f"{m} imports {', '.join(sorted(graph[m] & set(c)))}" for m in c) for c in circles]
    assert not circles, "import circles:\n" + "\n".join(described)


def test_the_circle_finder_finds_a_circle_hidden_in_a_function():
    """The check above can fail: a function-level import back is a circle; a TYPE_CHECKING one is not."""
    source = {"a": "from pkg import b\n",
              "b": "def f():\n    from pkg import a\n",
              "c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\nimport pkg.b\n"}
    modules = {f"pkg.{m}" for m in source} | {"pkg"}
    graph = {f"pkg.{m}": runtime_imports(f"pkg.{m}", text, modules) for m, text in source.items()}
    graph["pkg"] = set()
    assert import_circles(graph) == [["pkg.a", "pkg.b"]]
    assert graph["pkg.c"] == {"pkg.b"}
