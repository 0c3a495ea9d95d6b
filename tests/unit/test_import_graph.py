"""The package's import graph: sub-packages import each other without a circle, and
nothing imports the command line (varnode.cli) but `python -m varnode`."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "scripts" / "varnode"


def imported_modules(path: Path) -> set[str]:
    """Every varnode module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    return {name for name in found if name.startswith("varnode.")}


def part(path: Path) -> str:
    """The sub-package a module belongs to (top-level modules stand for themselves)."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_sub_packages_import_each_other_without_a_circle():
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        targets = {name.split(".")[1] for name in imported_modules(path)}
        graph.setdefault(part(path), set()).update(targets - {part(path), "__version__"})
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise AssertionError(f"import circle: {' -> '.join(error.args[1])}") from None
    assert "common" in order and "errors" in order


def test_only_the_entry_point_imports_the_cli():
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__main__.py":
            assert "varnode.cli" not in imported_modules(path), path
