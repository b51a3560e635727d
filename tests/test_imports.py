"""The product code's imports stay a clean graph: no cycles, and no module imports another
module's private names (issue 20: no import cycles, no private imports)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PACKAGES = ("components", "offline", "provider", "policies/kurl_policies")


def _module(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[0] == "policies":
        parts = parts[1:]  # the pack imports its package as `kurl_policies` (its own root)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names imported from it) of each import in `path`."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            name = f"{base}.{node.module}" if node.level and node.module else node.module or base
            out.append((name, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
    return out


def _graph() -> dict[str, dict[str, list[str]]]:
    files = [
        p for pkg in PACKAGES for p in (PROJECT_ROOT / pkg).rglob("*.py") if "venv" not in p.parts
    ]
    modules = {_module(p): p for p in files}
    graph: dict[str, dict[str, list[str]]] = {}
    for name, path in modules.items():
        edges: dict[str, list[str]] = {}
        for target, names in _imports(path):
            # `from .pkg import module` imports the module itself.
            for candidate in [target, *(f"{target}.{n}" for n in names)]:
                if candidate in modules and candidate != name:
                    edges.setdefault(candidate, []).extend(
                        n for n in names if f"{target}.{n}" != candidate
                    )
        graph[name] = edges
    return graph


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_no_module_imports_another_modules_private_names() -> None:
    private = [
        f"{module} imports {target}.{name}"
        for module, edges in _graph().items()
        for target, names in edges.items()
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private
