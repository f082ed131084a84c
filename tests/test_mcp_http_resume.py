"""Resumable SSE streams on our HTTP servers (2025-11-25, SEP-1699), over real sockets.

The fixture tool ``test_reconnection`` closes its own SSE stream mid-call;
the result must arrive when the client reconnects with ``Last-Event-ID``,
and only to the session that owns the stream.
"""

from __future__ import annotations

import anyio
import httpx
import pytest
from mcp import types
from mcp_helpers import HttpServer, server_env

from mcp_servers.http_events import BoundedEventStore, EventScope, _scope

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
CALL = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "test_reconnection", "arguments": {}}}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    with HttpServer("conformance", logs / "conformance.log", server_env(logs / "home")) as server:
        yield server


def open_session(http: httpx.Client, url: str) -> dict[str, str]:
    answer = http.post(url, headers=ACCEPT, json=INIT)
    headers = {**ACCEPT, "mcp-session-id": answer.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    return headers


def events(lines: list[str]) -> list[dict[str, str]]:
    found, current = [], {}
    for line in lines:
        if not line:
            if current:
                found.append(current)
            current = {}
            continue
        field, _, value = line.partition(":")
        current[field] = value.strip()
    return found + ([current] if current else [])


def test_a_closed_stream_resumes_with_last_event_id_for_its_own_session_only(fixtures):
    with httpx.Client(timeout=10) as http:
        mine = open_session(http, fixtures.url)
        with http.stream("POST", fixtures.url, headers=mine, json=CALL) as response:
            first = events(list(response.iter_lines()))
        assert len(first) == 1 and first[0]["data"] == "" and first[0]["retry"] == "1000"  # priming, then closed
        last_id = first[0]["id"]

        other = open_session(http, fixtures.url)
        with http.stream("GET", fixtures.url, headers={**other, "last-event-id": last_id}) as response:
            assert response.status_code == 200
            assert [e for e in events(list(response.iter_lines())) if "message" in e.get("event", "")] == []

        resumed: list[str] = []
        with http.stream("GET", fixtures.url, headers={**mine, "last-event-id": last_id}) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                resumed.append(line)
                if line.startswith("data:") and '"result"' in line:
                    break
        result = [e for e in events(resumed) if e.get("event") == "message"][0]
        assert '"id":2' in result["data"] and "reconnected after stream closure" in result["data"]


def test_our_client_resumes_a_stream_the_server_closed(fixtures, tmp_path):
    """The toolbox (the SDK's transport underneath) waits the retry interval and resumes with Last-Event-ID."""
    from agent.mcp.client import MCPToolbox
    from agent.mcp.config import ServerConfig

    servers = {"fx": ServerConfig(url=fixtures.url, protocol="2025-11-25")}
    with MCPToolbox(servers, home=tmp_path, log_dir=tmp_path / "logs") as toolbox:
        result = toolbox.call("fx", "test_reconnection", {})
    assert "reconnected after stream closure" in result.content[0].text


def test_the_event_store_is_bounded_and_keeps_sessions_apart():
    store = BoundedEventStore(max_events=50, max_per_stream=10, max_bytes=10_000)
    message = types.JSONRPCNotification(jsonrpc="2.0", method="notifications/message", params={"data": "x" * 100})

    async def fill(scope: EventScope) -> list[str]:
        token = _scope.set(scope)
        try:
            return [await store.store_event("1", None)] + [await store.store_event("1", message) for _ in range(30)]
        finally:
            _scope.reset(token)

    async def replay(last: str, scope: EventScope) -> list[str]:
        sent: list[str] = []

        async def send(event) -> None:
            sent.append(event.event_id)

        token = _scope.set(scope)
        try:
            await store.replay_events_after(last, send)
        finally:
            _scope.reset(token)
        return sent

    async def check() -> None:
        scopes = [EventScope() for _ in range(10)]
        filled = [await fill(scope) for scope in scopes]  # ten sessions, each with its own stream "1"
        assert store.size <= 50 and store._bytes <= 10_000  # noqa: SLF001 - the bound itself
        assert await replay(filled[0][0], scopes[0]) == []  # long evicted
        last = filled[-1]
        assert await replay(last[-4], scopes[-1]) == last[-3:]  # its own stream, after the given event
        assert await replay(last[-4], scopes[-2]) == []  # the same stream id in another session: nothing

    anyio.run(check)
