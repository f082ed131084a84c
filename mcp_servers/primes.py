"""The primes MCP server: ``python -m mcp_servers.primes [--http]`` (see :mod:`mcp_servers.cli`)."""

from __future__ import annotations

from mcp_servers.cli import main_for


def main() -> None:
    main_for("primes", ("primes",))


if __name__ == "__main__":
    main()
