"""The database MCP server: ``python -m mcp_servers.database [--database-url URL] [--allow-write] [--http]``.

Read-only unless ``--allow-write`` or ``AGENT_DATABASE_WRITE=true``; then ``db_execute``
is published too, annotated destructive so clients ask before running it.
The database is ``--database-url``, else ``AGENT_DATABASE_URL``, else the demo
SQLite database in ``AGENT_HOME``.  See :mod:`mcp_servers.cli` for the other flags.
"""

from __future__ import annotations

from mcp_servers.cli import main_for


def main() -> None:
    main_for("database", ("database",))


if __name__ == "__main__":
    main()
