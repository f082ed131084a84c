"""Our MCP servers, end to end: real subprocesses, real sockets on 127.0.0.1, real clients.

The mcp 2.x client talks both protocol revisions to the servers ("auto" opens
a 2026-07-28 connection, "legacy" the 2025-11-25 handshake) over stdio and
streamable HTTP; an mcp 1.x client in a virtualenv of its own stands for
Claude Desktop and the Inspector.  Nothing is mocked.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import jsonschema
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_helpers import OLD_CLIENT, HttpServer, count_lines, server_env, stdio_env, wait_for_line

from agent.settings import Settings
from tools.registry import tools_by_name

SEMIPRIME = "3173126578369279394610431051049001108453286564736305554974385667"  # (2^100+277)(3^70+...): hard
SLOW = {"AGENT_PRIME_FACTOR_TIMEOUT": "20"}  # factoring SEMIPRIME runs 20 s: long enough to cancel
MODES = {"auto": "2026-07-28", "legacy": "2025-11-25"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mcp-home")


@pytest.fixture(scope="module")
def expected(home):
    """The specs the "all" server publishes, built here from the same settings."""
    return tools_by_name(Settings(home=home, prime_factor_timeout=20))


@pytest.fixture(scope="module")
def http_all(home, tmp_path_factory):
    with HttpServer("all", tmp_path_factory.mktemp("logs") / "all.log", server_env(home, **SLOW)) as server:
        yield server


@asynccontextmanager
async def connect(transport: str, mode: str, home: Path, http_all: HttpServer, log: Path):
    """A 2.x client on the "all" server; yields (client, the server's log file)."""
    if transport == "stdio":
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "mcp_servers.all"], env=stdio_env(home, **SLOW)
        )
        with log.open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:
                yield client, log
    else:
        async with Client(http_all.url, mode=mode) as client:
            yield client, http_all.log


def ok(result) -> dict[str, Any]:
    assert not result.is_error, result.content
    data = result.structured_content
    assert json.loads(result.content[0].text) == data  # the text rendering is the same data
    return data


def check_listing(listed: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(listed) == set(expected)
    for name, spec in expected.items():
        tool = listed[name]
        assert tool.description == spec.description and tool.title
        assert tool.input_schema == spec.input_model.model_json_schema()
        assert tool.output_schema == spec.output_model.model_json_schema(mode="serialization")
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)
        notes = tool.annotations
        assert (notes.read_only_hint, notes.destructive_hint, notes.idempotent_hint, notes.open_world_hint) == (
            spec.hints.read_only,
            spec.hints.destructive,
            spec.hints.idempotent,
            spec.hints.open_world,
        )
    # the input schema accepts what the model accepts: n as an integer or as a string of digits
    n_schema = listed["prime_check"].input_schema
    jsonschema.validate({"n": 97}, n_schema)
    jsonschema.validate({"n": SEMIPRIME}, n_schema)
    assert listed["web_search"].annotations.open_world_hint is True
    assert listed["web_search"].annotations.idempotent_hint is False
    assert "db_execute" not in listed  # read-only unless asked


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_every_family_over_both_transports_and_revisions(transport, mode, home, expected, http_all, tmp_path):
    async with connect(transport, mode, home, http_all, tmp_path / "server.log") as (client, _):
        assert client.protocol_version == MODES[mode]
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        check_listing(listed, expected)

        def valid(name: str, result) -> dict[str, Any]:
            data = ok(result)
            jsonschema.validate(data, listed[name].output_schema)
            return data

        assert valid("calculator", await client.call_tool("calculator", {"expression": "2^10"}))["exact"] == "1024"
        assert valid("prime_check", await client.call_tool("prime_check", {"n": 97}))["is_prime"] is True
        factored = valid("prime_check", await client.call_tool("prime_check", {"n": "91"}))
        assert factored["is_prime"] is False
        assert [(f["prime"], f["exponent"]) for f in factored["factors"]] == [("7", 1), ("13", 1)]

        with sqlite3.connect(home / "demo.sqlite") as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            orders = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        listing = valid("db_list_tables", await client.call_tool("db_list_tables", {}))
        assert {t["name"] for t in listing["tables"]} == tables
        counted = valid("db_query", await client.call_tool("db_query", {"sql": "SELECT COUNT(*) AS n FROM orders"}))
        assert counted["rows"] == [[orders]]
        columns = valid("db_describe_table", await client.call_tool("db_describe_table", {"table": "orders"}))
        assert "id" in {c["name"] for c in columns["columns"]}

        search = await client.call_tool("web_search", {"query": "model context protocol"})
        if search.is_error:  # no network here: an answer the model can act on, not a crash
            assert search.content[0].text.startswith("web search")
        else:
            valid("web_search", search)

        bad = await client.call_tool("prime_check", {"n": "ninety-seven"})
        assert bad.is_error and bad.structured_content is None
        assert bad.content[0].text.startswith("invalid arguments for prime_check: n:")
        assert bad.meta["errorCode"] == "invalid_input"
        missing = await client.call_tool("calculator", {})
        assert missing.is_error and "expression" in missing.content[0].text
        write = await client.call_tool("db_query", {"sql": "DELETE FROM orders"})
        assert write.is_error and write.meta["errorCode"] in ("refused", "invalid_input")
        with pytest.raises(MCPError, match="Unknown tool 'nope'"):
            await client.call_tool("nope", {})

        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append((value, total, message))

        await client.call_tool("calculator", {"expression": "sqrt(2)"}, progress_callback=on_progress)
        assert progress[0][0] == 0 and progress[0][2] == "calculator: started"
        assert progress[-1][2] == "calculator: done" and progress[-1][1] == progress[-1][0]
        assert all(a[0] < b[0] for a, b in zip(progress, progress[1:], strict=False))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_slow_call_reports_progress_and_cancellation_returns_promptly(transport, mode, home, http_all, tmp_path):
    async with connect(transport, mode, home, http_all, tmp_path / "server.log") as (client, log):
        cancelled_before = count_lines(log, "tools/call prime_check cancelled")
        ticks: list[str] = []
        ticking = anyio.Event()

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            ticks.append(message or "")
            if sum("running for" in m for m in ticks) >= 2:
                ticking.set()

        async def slow() -> None:
            await client.call_tool("prime_check", {"n": SEMIPRIME}, progress_callback=on_progress)
            raise AssertionError("the slow call finished instead of being cancelled")

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            with anyio.fail_after(10):
                await ticking.wait()  # periodic progress while the worker thread runs
            cancelled_at = time.monotonic()
            tg.cancel_scope.cancel()
        assert ticks[0] == "prime_check: started"
        # the server stopped waiting for its worker at once (factoring would take 20 s)
        await anyio.to_thread.run_sync(
            lambda: wait_for_line(log, "tools/call prime_check cancelled", after=cancelled_before, timeout=5)
        )
        assert time.monotonic() - cancelled_at < 5
        with anyio.fail_after(10):  # and still serves
            assert ok(await client.call_tool("prime_check", {"n": 97}))["is_prime"] is True


def test_stdout_carries_only_json_rpc(home):
    """A whole raw session: every stdout line is a JSON-RPC message, logs go to stderr."""
    requests = [
        INIT,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "calculator", "arguments": {"expression": "2^10"}, "_meta": {"progressToken": "p"}},
        },
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "prime_check", "arguments": {"n": -1}}},
        {
            "jsonrpc": "2.0",
            "id": 6,
            "method": "tools/call",
            "params": {"name": "web_search", "arguments": {"query": "x"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 5,
            "method": "tools/call",
            "params": {"name": "prime_check", "arguments": {"n": SEMIPRIME}},
        },
    ]
    server = subprocess.Popen(
        [sys.executable, "-m", "mcp_servers.all"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=server_env(home, **SLOW),
    )
    lines: list[str] = []
    with server:
        server.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
        server.stdin.flush()
        while sum("id" in json.loads(line) for line in lines) < 5:  # EOF on stdin would cancel running calls
            line = server.stdout.readline()
            assert line, server.stderr.read()
            lines.append(line)
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}}
        server.stdin.write(json.dumps(cancel) + "\n")
        server.stdin.close()  # the client leaves: the server exits at once, abandoning the 20 s factoring
        left_at = time.monotonic()
        lines += server.stdout.readlines()
        stderr = server.stderr.read()
        assert server.wait(10) == 0, stderr
        assert time.monotonic() - left_at < 3, stderr
    messages = [json.loads(line) for line in lines]
    assert messages and all(m["jsonrpc"] == "2.0" for m in messages)
    replies = {m["id"]: m for m in messages if "id" in m}
    assert set(replies) == {1, 2, 3, 4, 6}  # 5 was cancelled: no reply
    assert replies[1]["result"]["protocolVersion"] == "2025-11-25"
    assert replies[3]["result"]["structuredContent"]["exact"] == "1024"
    assert replies[4]["result"]["isError"] is True
    assert any(m.get("method") == "notifications/progress" for m in messages)
    assert "tools/call calculator done" in stderr


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_old_mcp_1x_client(transport, home, http_all, legacy_mcp_python):
    python = legacy_mcp_python
    if transport == "stdio":
        args = ["stdio", sys.executable, "mcp_servers.primes", json.dumps(stdio_env(home))]
    else:
        args = ["http", http_all.url]
    run = subprocess.run([str(python), str(OLD_CLIENT), *args], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["sdk"].startswith("1.") and out["protocolVersion"] == "2025-11-25"
    assert out["serverInfo"]["name"] == (
        "langgraph-mcp-agent-primes" if transport == "stdio" else "langgraph-mcp-agent-all"
    )
    assert (out["sessionId"] is not None) == (transport == "http")  # Mcp-Session-Id on HTTP
    tool = {t["name"]: t for t in out["tools"]}["prime_check"]
    assert tool["annotations"]["readOnlyHint"] is True and tool["outputSchema"]["type"] == "object"
    assert out["good"]["structuredContent"]["is_prime"] is True and not out["good"]["isError"]
    jsonschema.validate(out["good"]["structuredContent"], tool["outputSchema"])
    assert out["progress"][0][2] == "prime_check: started" and out["progress"][-1][2] == "prime_check: done"
    assert out["bad"]["isError"] is True
    assert out["bad"]["content"][0]["text"].startswith("invalid arguments for prime_check")


@pytest.mark.parametrize("header", [{"Origin": "http://evil.example"}, {"Host": "evil.example"}])
@pytest.mark.parametrize("revision", ["2025-11-25", "2026-07-28"])
def test_http_refuses_foreign_origin_and_host(header, revision, http_all):
    headers = {**ACCEPT, **header} | ({"MCP-Protocol-Version": revision} if revision != "2025-11-25" else {})
    body = INIT if revision == "2025-11-25" else {"jsonrpc": "2.0", "id": 1, "method": "server/discover"}
    response = httpx.post(http_all.url, headers=headers, json=body)
    assert response.status_code == (403 if "Origin" in header else 421)
    # a loopback page (the Inspector's UI) is fine
    fine = httpx.post(http_all.url, headers={**ACCEPT, "Origin": "http://localhost:6274"}, json=INIT)
    assert fine.status_code == 200 and fine.headers["mcp-session-id"]


async def test_http_token_is_required_when_set(home, tmp_path):
    token = "a-test-token-of-enough-length-1234"
    with HttpServer("primes", tmp_path / "primes.log", server_env(home, AGENT_MCP_TOKEN=token)) as server:
        async with httpx.AsyncClient() as raw:
            for auth in (None, "Bearer wrong-token", f"Basic {token}"):
                refused = await raw.post(
                    server.url, headers={**ACCEPT, **({"Authorization": auth} if auth else {})}, json=INIT
                )
                assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
            accepted = await raw.post(server.url, headers={**ACCEPT, "Authorization": f"Bearer {token}"}, json=INIT)
            assert accepted.status_code == 200
        for mode in MODES:
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
            async with http, Client(streamable_http_client(server.url, http_client=http), mode=mode) as client:
                assert client.protocol_version == MODES[mode]
                assert [t.name for t in (await client.list_tools()).tools] == ["prime_check"]


def test_beyond_loopback_without_token_refuses_to_start(home):
    run = subprocess.run(
        [sys.executable, "-m", "mcp_servers.calculator", "--http", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        env=server_env(home),
    )
    assert run.returncode == 2 and run.stdout == ""
    assert "refusing to serve on 0.0.0.0 without a bearer token" in run.stderr and "AGENT_MCP_TOKEN" in run.stderr


def test_http_flags_without_http_are_a_usage_error(capsys):
    from mcp_servers.cli import run

    with pytest.raises(SystemExit) as exit_:
        run("calculator", ("calculator",), ["--port", "9"])
    assert exit_.value.code == 2 and "need --http" in capsys.readouterr().err


async def test_database_url_and_write_permission(home, tmp_path):
    db = tmp_path / "things.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
    from_env = stdio_env(home, AGENT_DATABASE_URL=str(db), AGENT_DATABASE_WRITE="true")

    async def tools(*args: str, env: dict[str, str] = from_env) -> dict[str, Any]:
        params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.database", *args], env=env)
        async with Client(params) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            listed["tables"] = ok(await client.call_tool("db_list_tables", {}))["tables"]
            if "db_execute" in listed:
                sql = {"sql": "INSERT INTO things (name) VALUES (?)", "params": [args[-1] if args else "env"]}
                ok(await client.call_tool("db_execute", sql))
            return listed

    from_variables = await tools()  # AGENT_DATABASE_URL and AGENT_DATABASE_WRITE
    assert [t["name"] for t in from_variables["tables"]] == ["things"]
    execute = from_variables["db_execute"].annotations
    assert execute.destructive_hint is True and execute.read_only_hint is False
    assert "db_execute" not in await tools("--read-only")  # the flag beats the variable
    flags = await tools("--database-url", f"sqlite:///{db}", "--allow-write", env=stdio_env(home))
    assert "db_execute" in flags
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM things ORDER BY id").fetchall() == [("env",), ("--allow-write",)]
