"""The project's own modules and what each imports, read from their source (nothing is run).

The Lambda package is ``functions/`` and what it imports; the layering test checks that no
module imports from a layer above its own. Both read the same map, made here. Every import
counts, those inside functions and ``if TYPE_CHECKING:`` blocks too: a lazy import still runs on
Lambda, and a type named from a higher layer still ties the layers together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's packages, lowest layer first: each may import those before it, never after.
LAYERS = ("site_builder", "functions", "infra", "local", "portal")


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the project's packages by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for top in LAYERS:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


@cache
def _imports_of(path: Path, module: str) -> frozenset[str]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # may be modules
    return frozenset(names)


def imports(root: Path = ROOT) -> dict[str, set[str]]:
    """For each project module, the project modules it imports (packages' ``__init__`` included)."""
    files = module_files(root)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        wanted: set[str] = set()
        for name in _imports_of(path, module):
            parts = name.split(".")
            # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
            wanted.update(
                prefix for i in range(1, len(parts) + 1) if (prefix := ".".join(parts[:i])) in files
            )
        wanted.discard(module)
        graph[module] = wanted
    return graph


def closure(start: Iterable[str], root: Path = ROOT) -> set[str]:
    """The modules ``start`` needs: themselves and everything they import, transitively."""
    graph = imports(root)
    seen: set[str] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module] - seen)
    return seen


def layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])
