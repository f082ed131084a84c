"""Console-script entry points for every tool family: ``agent-mcp-<name> = "mcp_servers.families:<family>"``.

Any family of :data:`tools.registry.FAMILIES` is served by ``main`` functions
made here on demand, so a new tool needs no module in this package.
"""

from __future__ import annotations

from collections.abc import Callable

from mcp_servers.cli import main_for
from tools.registry import FAMILIES


def __getattr__(family: str) -> Callable[[], None]:
    if family == "all":
        return lambda: main_for("all", tuple(FAMILIES))
    if family in FAMILIES:
        return lambda: main_for(family, (family,))
    raise AttributeError(f"no tool family {family!r}; known: {', '.join(FAMILIES)}")


def main() -> None:
    """``python -m mcp_servers.families FAMILY [server options]``."""
    import sys

    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        raise SystemExit(
            f"usage: python -m mcp_servers.families FAMILY [--http ...]; families: {', '.join(FAMILIES)}, all"
        )
    family = sys.argv.pop(1)
    __getattr__(family)()


if __name__ == "__main__":
    main()
