"""Our MCP HTTP server withstands slow, crowding and oversized clients, and bursts of tool calls.

Real servers in subprocesses on 127.0.0.1 with small bounds set through
``AGENT_MCP_*`` variables; raw sockets play the slow clients (slowloris),
httpx and the mcp 2.x client the well-behaved ones.  Addresses 127.0.0.2 and
up stand for other machines.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client
from mcp_helpers import HttpServer, server_env

from mcp_servers.limits import address_key
from mcp_servers.log_throttle import ThrottledLog

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
SEMIPRIME = "3173126578369279394610431051049001108453286564736305554974385667"  # factoring it runs into its timeout
MAX_BODY = 65536
CONNECTIONS, PER_ADDRESS = 16, 10


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mcp-home")


@pytest.fixture(scope="module")
def impatient(home, tmp_path_factory):
    """A server giving 1 s for a request's headers and 1 s for its body, and taking 64 KiB bodies."""
    env = server_env(
        home, AGENT_MCP_HEADER_TIMEOUT="1", AGENT_MCP_BODY_TIMEOUT="1", AGENT_MCP_MAX_BODY_BYTES=str(MAX_BODY)
    )
    with HttpServer("primes", tmp_path_factory.mktemp("logs") / "impatient.log", env) as server:
        yield server


@pytest.fixture(scope="module")
def crowded(home, tmp_path_factory):
    """A server with 16 connections (10 per address) and 2 tool calls at once (2 more waiting up to 5 s)."""
    env = server_env(
        home,
        AGENT_MCP_MAX_CONNECTIONS=str(CONNECTIONS),
        AGENT_MCP_CONNECTIONS_PER_ADDRESS=str(PER_ADDRESS),
        AGENT_MCP_MAX_TOOL_CALLS="2",
        AGENT_MCP_TOOL_QUEUE="2",
        AGENT_MCP_TOOL_QUEUE_TIMEOUT="5",
        AGENT_PRIME_FACTOR_TIMEOUT="2",
    )
    with HttpServer("primes", tmp_path_factory.mktemp("logs") / "crowded.log", env) as server:
        yield server


def address_of(url: str) -> tuple[str, int]:
    parsed = httpx.URL(url)
    return parsed.host, parsed.port


def connect(url: str, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(address_of(url), timeout=10, source_address=(source, 0))
    return sock


def read_until_closed(sock: socket.socket, limit: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (an AssertionError after ``limit`` s)."""
    sock.settimeout(limit)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError as err:
        raise AssertionError(f"the server kept the connection open for {limit} s; it sent {data!r}") from err
    except ConnectionResetError:
        pass
    return data


def json_rpc_error(raw: bytes, status: int) -> str:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), raw
    error = json.loads(body)["error"]
    assert error["code"] < 0
    return error["message"]


def start_request(url: str) -> bytes:
    host, port = address_of(url)
    return f"POST /mcp HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()


async def initialize(url: str, source: str = "127.0.0.1", **body) -> httpx.Response:
    """POST an initialize request (or ``content=...``/``json=...``) from ``source``."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, timeout=20) as http:
        return await http.post(url, headers=ACCEPT, **(body or {"json": INIT}))


async def test_slow_headers_are_cut_off_while_other_clients_are_served(impatient):
    """Slowloris: clients trickling header bytes get 408 and are closed after 1 s; others never wait."""
    slow = [connect(impatient.url) for _ in range(5)]
    started = time.monotonic()
    for sock in slow:
        sock.sendall(start_request(impatient.url) + b"X-Slow: ")
    for _ in range(3):  # keep trickling: a byte does not buy more time
        await anyio.sleep(0.2)
        for sock in slow:
            sock.sendall(b"a")
        assert (await initialize(impatient.url)).status_code == 200
    async with Client(impatient.url) as client:
        assert (await client.call_tool("prime_check", {"n": 97})).structured_content["is_prime"] is True
    for sock in slow:
        with sock:
            raw = await anyio.to_thread.run_sync(read_until_closed, sock)
        assert json_rpc_error(raw, 408) == "request headers not received within 1 s"
    assert 0.9 <= time.monotonic() - started < 8
    assert "no complete request headers within 1 s" in impatient.log.read_text()


def test_a_silent_connection_and_a_stalled_keep_alive_request_are_closed(impatient):
    host, port = address_of(impatient.url)
    with connect(impatient.url) as silent:  # never sends a byte
        assert json_rpc_error(read_until_closed(silent), 408).startswith("request headers not received")
    with connect(impatient.url) as reused:
        reused.sendall(f"GET /elsewhere HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        reused.settimeout(5)
        answer = b""
        while not answer.endswith(b"\r\n\r\nNot Found"):  # a complete 404, the connection kept alive
            answer += reused.recv(4096)
        assert answer.startswith(b"HTTP/1.1 404")
        reused.sendall(start_request(impatient.url))  # then the next request stalls halfway
        assert json_rpc_error(read_until_closed(reused), 408).startswith("request headers not received")


def test_a_stalled_body_gets_408_and_never_reaches_the_sdk(impatient):
    with connect(impatient.url) as sock:
        head = start_request(impatient.url) + (
            b"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            b'Content-Length: 1000\r\n\r\n{"jsonrpc": '
        )
        sock.sendall(head)
        assert json_rpc_error(read_until_closed(sock), 408) == "request body not received within 1 s"
    time.sleep(0.2)
    assert "Traceback" not in impatient.log.read_text()  # the SDK never saw a half-sent request


def test_headers_still_incomplete_at_16_kib_get_400(impatient):
    with connect(impatient.url) as sock:
        sock.sendall(start_request(impatient.url) + b"X-Big: " + b"a" * 20_000)
        assert read_until_closed(sock).startswith(b"HTTP/1.1 400")


async def test_oversize_bodies_get_413_and_bodies_within_the_bound_are_served(impatient):
    declared = await initialize(impatient.url, content=b" " * (MAX_BODY + 1))
    assert declared.status_code == 413
    assert declared.json()["error"]["message"] == (
        f"request body too large: {MAX_BODY + 1} bytes; the server accepts at most {MAX_BODY} bytes"
    )

    async def chunks():  # no Content-Length: the server counts as it reads
        for _ in range(MAX_BODY // 4096 + 1):
            yield b" " * 4096

    chunked = await initialize(impatient.url, content=chunks())
    assert chunked.status_code == 413 and "too large" in chunked.json()["error"]["message"]
    padded = json.loads(json.dumps(INIT))
    padded["params"]["clientInfo"]["name"] = "x" * (MAX_BODY - 1000)  # 63 KiB, within the bound
    assert (await initialize(impatient.url, json=padded)).status_code == 200


async def test_connections_are_capped_per_address_and_overall_without_locking_out_others(crowded):
    held = [connect(crowded.url, "127.0.0.2") for _ in range(PER_ADDRESS)]
    try:
        time.sleep(0.2)
        one_too_many = await initialize(crowded.url, "127.0.0.2")  # a real client reads a clear answer
        assert one_too_many.status_code == 503 and one_too_many.json()["error"]["message"] == (
            f"server busy: {PER_ADDRESS} connections from your address are open; close one"
        )
        assert (await initialize(crowded.url, "127.0.0.3")).status_code == 200  # another address is served
        held += [connect(crowded.url, "127.0.0.3") for _ in range(CONNECTIONS - PER_ADDRESS)]
        time.sleep(0.2)
        with connect(crowded.url, "127.0.0.4") as over:
            message = json_rpc_error(read_until_closed(over), 503)
            assert message == f"server busy: the server has {CONNECTIONS} connections open; try again shortly"
    finally:
        for sock in held:
            sock.close()
    with anyio.fail_after(10):  # room again once the server has seen them close
        while (await initialize(crowded.url, "127.0.0.2")).status_code != 200:
            await anyio.sleep(0.1)


async def test_a_burst_of_tool_calls_queues_briefly_then_answers_busy(crowded):
    """8 slow calls with 2 slots and 2 places in line: 4 are served, the rest told to come back; none hangs."""
    async with Client(crowded.url) as client:
        await client.call_tool("prime_check", {"n": 97})  # the sandbox is up
        results = []

        async def call() -> None:
            results.append(await client.call_tool("prime_check", {"n": SEMIPRIME}))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(call)
        busy = [r for r in results if r.is_error and r.meta["errorCode"] == "unavailable"]
        served = [r for r in results if not r.is_error]
        assert len(busy) + len(served) == 8, [r.content for r in results]
        assert len(served) >= 4 and busy  # 2 ran at once, 2 waited their turn, the others were told to retry
        assert busy[0].content[0].text == (
            "the server is busy: 2 tool calls are running and others are waiting; try again in a few seconds"
        )
        assert served[0].structured_content["is_prime"] is False
        # and once the burst is over, the server serves again at once
        assert (await client.call_tool("prime_check", {"n": 97})).structured_content["is_prime"] is True


def test_bad_limits_are_one_line_naming_the_variable(home):
    env = server_env(home, AGENT_MCP_HEADER_TIMEOUT="-1", AGENT_MCP_MAX_SESSIONS="lots")
    run = subprocess.run(
        [sys.executable, "-m", "mcp_servers.primes", "--http", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "error: invalid settings: AGENT_MCP_HEADER_TIMEOUT: Input should be greater than 0; "
        "AGENT_MCP_MAX_SESSIONS: Input should be a valid integer, unable to parse string as an integer"
    ]


def test_an_address_is_an_ipv4_address_or_an_ipv6_64():
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key("unknown") == "unknown"


def test_abuse_is_logged_at_a_bounded_rate(caplog):
    now = [0.0]
    log = ThrottledLog(logging.getLogger("test.throttle"), every=10, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="test.throttle"):
        for _ in range(1000):
            log.log(logging.WARNING, "refused", "refused %s", "x")
            now[0] += 0.01
        log.log(logging.WARNING, "other", "another kind")
        now[0] = 20
        log.log(logging.WARNING, "refused", "refused %s", "y")
    assert [r.getMessage() for r in caplog.records] == [
        "refused x",
        "another kind",
        "refused y (and 999 more like it in the last 20 s)",
    ]
