"""A minimal MCP client over stdio, in plain JSON-RPC: no SDK on our side to time or to hold memory.

Start-up is timed from spawn to the ``tools/list`` answer, the same bytes for
every server whatever its SDK; the memory benchmark needs the server's pid,
which the SDK clients do not expose.  Lines are read with a deadline and a
size bound, so a server that hangs or floods cannot hang the benchmark.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

PROTOCOL = "2025-11-25"  # a handshake-era revision both SDK generations answer
MAX_LINE = 16 * 2**20


class RPCError(RuntimeError):
    """The server did not answer as MCP says, in time."""


class StdioServer:
    """A server process spoken to line by line; ``close`` ends it (stdin closed, then terminate, then kill)."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: Path, errlog: BinaryIO | int | None = None):
        self.argv = list(argv)
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errlog if errlog is not None else subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        self._buffer = b""
        self._next_id = 0
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def _line(self, deadline: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise RPCError(f"{self.argv[-1]}: no answer in time")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RPCError(f"{self.argv[-1]}: exited (code {self.process.poll()}) before answering")
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE:
                raise RPCError(f"{self.argv[-1]}: a line longer than {MAX_LINE} bytes")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def request(self, method: str, params: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        """Send a request and return its result, skipping notifications; an error answer raises."""
        self._next_id += 1
        ident = self._next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._line(deadline))
            if message.get("id") != ident:
                continue
            if "error" in message:
                raise RPCError(f"{method}: {message['error'].get('message', message['error'])}")
            return message.get("result") or {}

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, **({"params": params} if params else {})})

    def handshake(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """initialize, initialized, tools/list: the tools the server lists."""
        self.request(
            "initialize",
            {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
            timeout,
        )
        self.notify("notifications/initialized")
        return list(self.request("tools/list", {}, timeout).get("tools", []))

    def call(self, tool: str, arguments: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        result = self.request("tools/call", {"name": tool, "arguments": arguments}, timeout)
        if result.get("isError"):
            raise RPCError(f"{tool}: the server reported an error: {str(result.get('content'))[:300]}")
        return result

    def close(self) -> None:
        self._selector.close()
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> StdioServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spawn_to_list(argv: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Seconds from spawn to the ``tools/list`` answer, and how many tools it listed."""
    started = time.perf_counter()
    with StdioServer(argv, env, cwd) as server:
        tools = server.handshake()
        elapsed = time.perf_counter() - started
    if not tools:
        raise RPCError(f"{argv[-1]}: listed no tools")
    return elapsed, len(tools)


__all__ = ["RPCError", "StdioServer", "spawn_to_list"]
