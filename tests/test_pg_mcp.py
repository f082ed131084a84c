"""The database MCP server on PostgreSQL: ``db_query`` (advertised read-only) refuses the escaped attacks too.

A real ``python -m mcp_servers.database`` subprocess over stdio, driven by the mcp 2.x client.
"""

from __future__ import annotations

import sys

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_helpers import stdio_env


async def test_mcp_database_server_refuses_escaped_calls(pg_database, tmp_path):
    import psycopg

    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('hi')")
        victim = psycopg.connect(pg_database, autocommit=True)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.database", "--database-url", pg_database],
        env=stdio_env(tmp_path / "home"),
    )
    try:
        with (tmp_path / "server.log").open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:
                listed = {t.name: t for t in (await client.list_tools()).tools}
                assert listed["db_query"].annotations.read_only_hint is True and "db_execute" not in listed

                fine = await client.call_tool("db_query", {"sql": "SELECT body FROM notes"})
                assert not fine.is_error and fine.structured_content["rows"] == [["hi"]]

                pid = victim.info.backend_pid
                for sql, args, words in [
                    ("SELECT U&\"pg\\005fread\\005ffile\"('/etc/hostname')", None, "pg_read_file() is not allowed"),
                    ('SELECT U&"pg\\005fterminate\\005fbackend"(%s)', [pid], "pg_terminate_backend() is not allowed"),
                    ("SELECT ('/etc/hostname'::text).pg_read_file", None, "column notation"),
                    ("WITH d AS (DELETE FROM notes RETURNING 1) SELECT count(*) FROM d", None, "read-only"),
                ]:
                    result = await client.call_tool("db_query", {"sql": sql, "params": args})
                    assert result.is_error and result.meta["errorCode"] == "refused", result
                    assert words in result.content[0].text, result.content
        assert victim.execute("SELECT body FROM notes").fetchall() == [("hi",)]  # alive, and nothing deleted
    finally:
        victim.close()
