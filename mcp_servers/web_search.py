"""The web_search MCP server: ``python -m mcp_servers.web_search [--http]`` (see :mod:`mcp_servers.cli`)."""

from __future__ import annotations

from mcp_servers.cli import main_for


def main() -> None:
    main_for("web_search", ("web_search",))


if __name__ == "__main__":
    main()
