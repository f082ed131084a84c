"""The official MCP Inspector's CLI (``@modelcontextprotocol/inspector --cli``) against our servers.

What a person sees in the Inspector (and, through the same protocol, in
Claude Desktop): the database server's tools with their annotations, each
table's schema as a resource, the schema template, the prompts, and tool
calls; over stdio (the Inspector spawns ``python -m mcp_servers.<name>``, as
Claude Desktop does) and over streamable HTTP in both protocol eras the
Inspector speaks ("legacy" is 2025-11-25 with ``initialize``, "modern" is
2026-07-28).  The Inspector runs on the cached Node.js 22 (see
:func:`mcp_conformance.inspector`); its JSON output (``--format json``) is
what the tests read.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from mcp_conformance import Inspector, inspector
from mcp_helpers import HttpServer, server_env

from tools.sample_db import ensure_sample_database

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DB_TOOLS = {"db_list_tables", "db_describe_table", "db_query"}


@pytest.fixture(scope="module")
def cli() -> Inspector:
    return inspector()


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("inspector")


@pytest.fixture(scope="module")
def database(place) -> Path:
    return ensure_sample_database(place / "chinook.sqlite")


def tables_of(database: Path) -> dict[str, list[tuple[str, str]]]:
    """``{table: [(column, declared type)]}``, straight from SQLite."""
    with closing(sqlite3.connect(database)) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        return {name: [(c[1], c[2]) for c in db.execute(f'PRAGMA table_info("{name}")')] for name in names}


def run(cli: Inspector, place: Path, *args: str, server: tuple[str, ...] = ()) -> dict[str, Any]:
    """One Inspector CLI call; its ``result``.  ``server``: a stdio server's command (after ``--``, as v2 wants)."""
    env = server_env(place / "agent-home", HOME=str(place / "inspector-home"), MCP_INSPECTOR_SECRET_STORE="memory")
    command = cli.command("--format", "json", *args, *(("--", *server) if server else ()))
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, f"inspector exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout)["result"]


def stdio(cli: Inspector, place: Path, database: Path, *args: str) -> dict[str, Any]:
    """The Inspector against ``python -m mcp_servers.database`` on the sample database (env given as ``-e``)."""
    env = ("-e", f"AGENT_HOME={place / 'agent-home'}", "-e", f"AGENT_DATABASE_URL={database}")
    return run(cli, place, *env, *args, server=(sys.executable, "-m", "mcp_servers.database"))


def test_the_database_tools_are_listed_read_only(cli, place, database):
    tools = {t["name"]: t for t in stdio(cli, place, database, "--method", "tools/list")["tools"]}
    assert set(tools) == DB_TOOLS  # read-only: no db_execute
    for name in DB_TOOLS:
        assert tools[name]["annotations"]["readOnlyHint"] is True, name
    assert tools["db_query"]["annotations"]["destructiveHint"] is False
    assert "sql" in tools["db_query"]["inputSchema"]["properties"]


def test_each_table_schema_is_a_resource(cli, place, database):
    resources = stdio(cli, place, database, "--method", "resources/list")["resources"]
    by_uri = {r["uri"]: r for r in resources}
    expected = {f"db://chinook/tables/{table}/schema" for table in tables_of(database)}
    assert len(expected) == 11 and expected <= set(by_uri)
    assert {by_uri[uri]["mimeType"] for uri in expected} == {"application/json"}


def test_reading_a_schema_resource_gives_its_columns(cli, place, database):
    uri = "db://chinook/tables/Track/schema"
    contents = stdio(cli, place, database, "--method", "resources/read", "--uri", uri)["contents"]
    assert [(c["uri"], c["mimeType"]) for c in contents] == [(uri, "application/json")]
    schema = json.loads(contents[0]["text"])
    assert [(c["name"], c["type"]) for c in schema["columns"]] == tables_of(database)["Track"]
    assert schema["primary_key"] == ["TrackId"]
    assert {fk["references_table"] for fk in schema["foreign_keys"]} == {"Album", "Genre", "MediaType"}
    with closing(sqlite3.connect(database)) as db:
        assert schema["row_count"] == db.execute('SELECT count(*) FROM "Track"').fetchone()[0]


def test_the_schema_template_is_listed(cli, place, database):
    templates = stdio(cli, place, database, "--method", "resources/templates/list")["resourceTemplates"]
    assert [(t["uriTemplate"], t["mimeType"]) for t in templates] == [
        ("db://chinook/tables/{table}/schema", "application/json")
    ]


def test_prompts_are_listed_and_rendered_with_arguments(cli, place, database):
    prompts = {p["name"]: p for p in stdio(cli, place, database, "--method", "prompts/list")["prompts"]}
    assert set(prompts) == {"explore_database", "explore_table"}
    arguments = {a["name"]: a.get("required", False) for a in prompts["explore_table"]["arguments"]}
    assert arguments == {"table": True, "column": False}

    args = ("--method", "prompts/get", "--prompt-name", "explore_table", "--prompt-args", "table=Album", "column=Title")
    messages = stdio(cli, place, database, *args)["messages"]
    schema, ask = (m["content"] for m in messages)
    assert schema["type"] == "resource" and schema["resource"]["uri"] == "db://chinook/tables/Album/schema"
    assert [c["name"] for c in json.loads(schema["resource"]["text"])["columns"]] == ["AlbumId", "Title", "ArtistId"]
    assert ask["type"] == "text" and '"Title"' in ask["text"] and "db_query" in ask["text"]


def test_a_tool_call_to_the_primes_server(cli, place):
    args = ("--method", "tools/call", "--tool-name", "prime_check", "--tool-arg", "n=561", "factorize=true")
    result = run(cli, place, *args, server=(sys.executable, "-m", "mcp_servers.primes"))
    assert result["isError"] is False
    found = result["structuredContent"]
    assert found["is_prime"] is False and found["factorization_complete"] is True  # 561 = 3 * 11 * 17, a Carmichael
    assert [f["prime"] for f in found["factors"]] == ["3", "11", "17"]
    assert json.loads(result["content"][0]["text"]) == found


@pytest.fixture(scope="module")
def http_all(place, database):
    env = server_env(place / "agent-home")
    with HttpServer("all", place / "all.log", env, "--database-url", str(database)) as server:
        yield server


@pytest.mark.parametrize(("era", "revision"), [("legacy", "2025-11-25"), ("modern", "2026-07-28")])
def test_the_all_tools_server_over_streamable_http(cli, place, http_all, era, revision):
    def call(*args: str) -> dict[str, Any]:
        return run(cli, place, "--transport", "http", "--server-url", http_all.url, "--protocol-era", era, *args)

    hello = call("--method", "initialize")
    assert hello["protocolVersion"] == revision
    assert hello["serverInfo"]["name"] == "langgraph-mcp-agent-all"
    assert {"tools", "resources", "prompts", "completions", "logging"} <= set(hello["capabilities"])

    result = call("--method", "tools/call", "--tool-name", "calculator", "--tool-arg", "expression=2^10 + sqrt(16)")
    assert result["isError"] is False and result["structuredContent"]["exact"] == "1028"

    uri = "db://chinook/tables/Album/schema"
    schema = json.loads(call("--method", "resources/read", "--uri", uri)["contents"][0]["text"])
    assert [c["name"] for c in schema["columns"]] == ["AlbumId", "Title", "ArtistId"]
