"""MCP servers publishing the function tools of :mod:`tools` to any MCP client.

One server per tool family and one serving them all::

    python -m mcp_servers.calculator     # calculator
    python -m mcp_servers.primes         # prime_check
    python -m mcp_servers.web_search     # web_search
    python -m mcp_servers.database       # db_list_tables, db_describe_table, db_query (+ db_execute)
    python -m mcp_servers.all            # everything above

Each speaks stdio by default and streamable HTTP with ``--http``; both the
2025-11-25 handshake revision (Claude Desktop, the MCP Inspector, mcp 1.x
clients) and the 2026-07-28 per-request revision (mcp 2.x clients) are served.
The tools come from the same :class:`~tools.base.ToolSpec` the agent binds, so
the schema an MCP client reads is the one the agent validates against.

Besides tools: usage guides and, for the database, each table's schema as
resources (with a template and ``list_changed`` when tables come or go),
prompts with argument completion, and the logging capability
(:mod:`mcp_servers.catalog`).  ``python -m mcp_servers.conformance`` is a
test-only server with the MCP conformance suite's fixtures, built on the same
machinery; it is not part of the all-tools server.

This package imports :mod:`tools` only, never ``agent`` or ``graphs``.
"""
