"""2025-11-25 sessions over HTTP are bounded per client address and overall, expire when idle, and lock nobody out.

Real servers in subprocesses on 127.0.0.1 with small bounds set through
``AGENT_MCP_*`` variables, raw httpx clients bound to other loopback
addresses (127.0.0.2, ...) standing for other machines, and the mcp 2.x
client standing for a live user.  :class:`SessionTable` is also driven
directly with a clock of our own, for the rules the servers cannot show
quickly.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_helpers import HttpServer, server_env

from mcp_servers.http_sessions import SessionTable

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
PER_ADDRESS = 4
MAX_SESSIONS = 10


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mcp-home")


@pytest.fixture(scope="module")
def bounded(home, tmp_path_factory):
    """The primes server with 4 sessions per address and 10 in all."""
    env = server_env(
        home,
        AGENT_MCP_SESSIONS_PER_ADDRESS=str(PER_ADDRESS),
        AGENT_MCP_MAX_SESSIONS=str(MAX_SESSIONS),
    )
    with HttpServer("primes", tmp_path_factory.mktemp("logs") / "primes.log", env) as server:
        yield server


def client_from(address: str) -> httpx.AsyncClient:
    """A raw client whose connections come from ``address`` (any 127.x.y.z is ours on Linux)."""
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address), timeout=20)


async def initialize(http: httpx.AsyncClient, url: str) -> httpx.Response:
    return await http.post(url, headers=ACCEPT, json=INIT)


async def alive(http: httpx.AsyncClient, url: str, sid: str) -> bool:
    """Whether the server still serves session ``sid`` (404 once it has ended)."""
    headers = {**ACCEPT, "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"}
    response = await http.post(url, headers=headers, json=LIST)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


async def open_sessions(http: httpx.AsyncClient, url: str, count: int) -> list[str]:
    sids = []
    for _ in range(count):
        response = await initialize(http, url)
        assert response.status_code == 200, response.text
        sids.append(response.headers["mcp-session-id"])
    return sids


async def alive_count(http: httpx.AsyncClient, url: str, sids: Iterable[str]) -> int:
    return sum([await alive(http, url, sid) for sid in sids])


def refused_as_json_rpc(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["jsonrpc"] == "2.0" and body["error"]["code"] == -32000
    assert response.headers["retry-after"]
    return body["error"]["message"]


@asynccontextmanager
async def listening(http: httpx.AsyncClient, url: str, sids: list[str]):
    """Open a GET stream on each session (a live client waiting for notifications) until the block ends."""
    opened: list[str] = []
    ready, stop = anyio.Event(), anyio.Event()

    async def listen(sid: str) -> None:
        headers = {"Accept": "text/event-stream", "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"}
        async with http.stream("GET", url, headers=headers) as response:
            assert response.status_code == 200
            opened.append(sid)
            if len(opened) == len(sids):
                ready.set()
            await stop.wait()

    async with anyio.create_task_group() as tg:
        for sid in sids:
            tg.start_soon(listen, sid)
        with anyio.fail_after(20):
            await ready.wait()
        try:
            yield
        finally:
            stop.set()


@asynccontextmanager
async def mcp_client_from(address: str, url: str):
    """The mcp 2.x client (2025-11-25 sessions) connecting from ``address``."""
    http = httpx2.AsyncClient(transport=httpx2.AsyncHTTPTransport(local_address=address), timeout=30)
    async with http, Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
        assert client.protocol_version == "2025-11-25"
        yield client


async def use(client: Client) -> None:
    result = await client.call_tool("prime_check", {"n": 97})
    assert result.structured_content["is_prime"] is True


async def test_initialize_flood_from_one_address_locks_out_nobody(bounded):
    """300 initialize calls, 3 at a time, from one address: live sessions survive and new clients get in."""
    statuses: list[int] = []
    flood: list[str] = []

    async def flooder(http: httpx.AsyncClient, count: int) -> None:
        for _ in range(count):
            response = await initialize(http, bounded.url)
            statuses.append(response.status_code)
            if response.status_code == 200:
                flood.append(response.headers["mcp-session-id"])
            else:  # only in a moment when all 4 of the address's sessions are in flight
                assert "too many sessions from your address" in refused_as_json_rpc(response, 429)

    async with client_from("127.0.0.1") as http:
        live = await open_sessions(http, bounded.url, 1)
        async with listening(http, bounded.url, live):
            async with anyio.create_task_group() as tg:
                for _ in range(3):
                    tg.start_soon(flooder, http, 100)
                while len(statuses) < 100:  # mid-flood, a client from another address gets in and works
                    await anyio.sleep(0.01)
                with anyio.fail_after(30):
                    async with mcp_client_from("127.0.0.9", bounded.url) as other:
                        await use(other)
            assert len(statuses) == 300 and statuses.count(200) >= 200, statuses
            assert await alive(http, bounded.url, live[0])  # never evicted: its client is listening
            # the flood's sessions were ended as it went, and a new client from its address gets in
            assert not await alive_count(http, bounded.url, flood[:50])
            with anyio.fail_after(30):
                async with mcp_client_from("127.0.0.1", bounded.url) as newcomer:
                    await use(newcomer)
                    # the bound holds: the live session, the newcomer's and at most 2 of the flood's
                    assert await alive_count(http, bounded.url, flood[-10:]) <= PER_ADDRESS - 2


async def test_other_addresses_keep_their_sessions_and_the_server_bound_evicts_the_stalest(bounded):
    async with client_from("127.0.0.2") as first, client_from("127.0.0.3") as second:
        kept = await open_sessions(first, bounded.url, PER_ADDRESS)
        flood = await open_sessions(second, bounded.url, 40)  # 127.0.0.3 only ever evicts its own
        assert await alive_count(first, bounded.url, kept) == PER_ADDRESS
    # 8 sessions or more are open; 5 more from two new addresses take the server past its 10,
    # so the least recently used idle ones are ended: 127.0.0.3's, not those 127.0.0.2 just used
    async with client_from("127.0.0.4") as third, client_from("127.0.0.5") as fourth:
        await open_sessions(third, bounded.url, PER_ADDRESS)
        newest = await open_sessions(fourth, bounded.url, 1)
        assert await alive(fourth, bounded.url, newest[0])
        assert await alive_count(third, bounded.url, flood[-PER_ADDRESS:]) <= 1
        assert await alive_count(third, bounded.url, kept) == PER_ADDRESS


async def test_an_address_whose_sessions_are_all_live_is_refused_429_and_others_are_not(bounded):
    async with client_from("127.0.0.6") as http, client_from("127.0.0.7") as other:
        sids = await open_sessions(http, bounded.url, PER_ADDRESS)
        async with listening(http, bounded.url, sids):
            message = refused_as_json_rpc(await initialize(http, bounded.url), 429)
            assert message.startswith("too many sessions from your address (4), all in use")
            assert (await initialize(other, bounded.url)).status_code == 200  # another address is not affected
        # the streams closed: those sessions are idle again (once the server saw it), so the oldest makes room
        with anyio.fail_after(20):
            while (response := await initialize(http, bounded.url)).status_code == 429:
                await anyio.sleep(0.1)
        assert response.status_code == 200
        assert await alive_count(http, bounded.url, sids) == PER_ADDRESS - 1


async def test_idle_sessions_expire_and_used_ones_do_not(home, tmp_path):
    env = server_env(home, AGENT_MCP_SESSION_IDLE_TIMEOUT="1")
    with HttpServer("primes", tmp_path / "primes.log", env) as server:
        async with client_from("127.0.0.1") as http:
            idle, used = await open_sessions(http, server.url, 2)
            for _ in range(8):  # 2.4 s of use, never 1 s apart
                assert await alive(http, server.url, used)
                await anyio.sleep(0.3)
            assert not await alive(http, server.url, idle)
            assert await alive(http, server.url, used)


def test_table_evicts_the_least_recently_used_idle_session_of_the_address():
    now = [0.0]
    table = SessionTable(max_sessions=5, per_address=2, idle_timeout=60, clock=lambda: now[0])

    def open_(sid: str, address: str) -> None:
        victims, refused = table.admit(address)
        assert refused is None
        for victim in victims:
            assert victim.sid not in table.sessions
        table.end(table.add(sid, address, "POST"), "POST", 200)
        now[0] += 1

    open_("a1", "A")
    open_("a2", "A")
    used = table.begin("a1", "POST")  # a1 was used after a2: a2 is now the least recently used
    table.end(used, "POST", 200)
    assert [v.sid for v in table.admit("A")[0]] == ["a2"]
    table.add("a3", "A", "POST")  # in flight, like a1 below
    table.begin("a1", "GET")
    victims, refused = table.admit("A")
    assert victims == [] and refused is not None and refused.status == 429
    for sid, address in [("b1", "B"), ("b2", "B"), ("c1", "C")]:
        open_(sid, address)
    victims, refused = table.admit("D")  # the server is full: the stalest idle session of any address goes
    assert [v.sid for v in victims] == ["b1"] and refused is None
    now[0] += 61
    table.admit("D")  # expired sessions are forgotten, never counted
    assert set(table.sessions) == {"a1", "a3"} and dict(table.held) == {"A": 2}


def test_table_forgets_sessions_the_client_deleted_or_the_server_no_longer_knows():
    table = SessionTable(max_sessions=5, per_address=5, idle_timeout=60)
    for sid in ("x", "y"):
        table.add(sid, "A", "POST")
    table.end(table.sessions["x"], "POST", 404)
    table.end(table.begin("y", "DELETE"), "DELETE", 200)
    assert not table.sessions and not table.held and not table.idle and not table.idle_by_address
