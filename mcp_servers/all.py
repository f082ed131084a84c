"""All tools in one MCP server: ``python -m mcp_servers.all [--http]`` (see :mod:`mcp_servers.cli`)."""

from __future__ import annotations

from mcp_servers.cli import main_for
from tools.registry import FAMILIES


def main() -> None:
    main_for("all", tuple(FAMILIES))


if __name__ == "__main__":
    main()
