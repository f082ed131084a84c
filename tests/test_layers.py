"""The shape of the code: arrows one way (agent -> graphs -> tools, mcp_servers -> tools) and no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "graphs", "tools", "mcp_servers")
ALLOWED = {  # who may import whom
    "agent": {"agent", "graphs", "tools"},
    "graphs": {"graphs", "tools"},
    "tools": {"tools"},
    "mcp_servers": {"mcp_servers", "tools"},
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Our modules and the modules of ours each imports at module level (not inside functions)."""
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found: set[str] = set()
            for node in tree.body:  # module level only: lazy imports inside functions are how we break weight
                if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks do not run
                    continue
                if isinstance(node, ast.Import):
                    found |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module)
            graph[_module(path)] = {m for m in found if m.split(".")[0] in PACKAGES}
    return graph


def test_arrows_point_one_way_everywhere():
    """Every import of ours, lazy ones included, respects the layers."""
    wrong = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in PACKAGES and top not in ALLOWED[package]:
                        wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_no_module_level_import_cycle():
    graph = _imports()
    resolved = {m: {d if d in graph else d.rsplit(".", 1)[0] for d in deps} for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for dep in sorted(resolved.get(module, ())):
            if dep == module or dep not in resolved:
                continue
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep) :], dep] if dep in trail else [module, dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[module] = 2

    for module in sorted(resolved):
        if module not in state:
            visit(module, [module])
    assert cycles == []
