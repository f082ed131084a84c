"""uvicorn's h11 protocol with the connection bounds it lacks: a connection cap and header and body deadlines.

What uvicorn 0.54 gives and what it does not:

* ``timeout_keep_alive`` closes a connection idle *between* requests, but no
  timer runs while a request's headers or body trickle in: a client sending
  one header byte every few seconds (slowloris) holds its connection, and a
  file descriptor, forever.  Here a connection must deliver a request's
  headers within ``header_timeout`` seconds of opening (or of its first byte
  after a keep-alive pause) and its body within ``body_timeout`` seconds of
  the headers; otherwise it gets ``408`` and is closed.
* ``limit_concurrency`` answers 503 only once a request's headers have
  arrived, and counts the connection asking, so it neither stops connections
  that never finish their headers nor caps them.  Here a connection beyond
  ``max_connections`` in all, or ``connections_per_address`` from one client
  address, is answered 503 as soon as it opens and closed a second later,
  before it can hold anything; the addresses are the sockets' peers, never a
  forwarded header.
* ``h11_max_incomplete_event_size`` (16 KiB here, h11's default) bounds a
  request line and headers still incomplete: more gets 400.  (A complete
  block that arrives in one read may be larger, up to asyncio's 256 KiB read.)

Both deadlines follow h11's own view of the request (``their_state``), so
pipelined and keep-alive requests are timed the same way as the first.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from mcp_servers.limits import ServerLimits, address_key
from mcp_servers.log_throttle import ThrottledLog

logger = logging.getLogger(__name__)
throttled = ThrottledLog(logger)

LINGER_SECONDS = 1.0
"""How long a refused connection is read (and what it sends dropped) before it is closed."""

MAX_HEADER_BYTES = 16 * 1024
"""Request line plus headers still incomplete (h11's default; a bearer token and the MCP headers need far less)."""


def raw_response(status: int, reason: str, message: str) -> bytes:
    """A complete ``Connection: close`` HTTP/1.1 response carrying a JSON-RPC error, for use outside h11."""
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class BoundedH11Protocol(H11Protocol):
    """One HTTP/1.1 connection, refused when over the caps and closed when its request stalls."""

    limits: ClassVar[ServerLimits]
    open_per_address: ClassVar[Counter[str]]
    lingering: ClassVar[set[BoundedH11Protocol]]  # refused, answered, about to be closed

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._address: str | None = None  # set once counted in open_per_address
        self._refused = False
        self._phase: str | None = None  # "headers" or "body" while a deadline runs
        self._deadline: asyncio.TimerHandle | None = None

    @classmethod
    def bounded_by(cls, limits: ServerLimits) -> type[BoundedH11Protocol]:
        """A protocol class of its own for one server: the limits and the per-address counts it shares."""
        return type(cls.__name__, (cls,), {"limits": limits, "open_per_address": Counter(), "lingering": set()})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # counts us in self.connections
        address = address_key(self.client[0]) if self.client else "unknown"
        if len(self.connections) > self.limits.max_connections:
            self._refuse(f"the server has {self.limits.max_connections} connections open; try again shortly")
        elif self.open_per_address[address] >= self.limits.connections_per_address:
            self._refuse(f"{self.limits.connections_per_address} connections from your address are open; close one")
        else:
            self._address = address
            self.open_per_address[address] += 1
            self._follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        self.lingering.discard(self)
        if self._address is not None:
            self.open_per_address[self._address] -= 1
            if not self.open_per_address[self._address]:
                del self.open_per_address[self._address]
            self._address = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # arms keep-alive, and may start a pipelined request already received
        if self.conn.their_state is not h11.IDLE:  # an idle connection is keep-alive's to time
            self._follow_request()

    def _unsupported_upgrade_warning(self) -> None:
        """WebSockets are off on purpose (MCP does not use them): say so, not that a library is missing."""
        throttled.log(logging.INFO, "upgrade", "ignored a request to upgrade the connection (no WebSockets here)")

    def _refuse(self, message: str) -> None:
        """Answer 503 at once, then read and drop for a moment before closing (lingering close).

        Closing at once would make the kernel answer the request the client is
        about to send with a reset, which may destroy our answer before the
        client reads it.
        """
        peer = self.client[0] if self.client else "?"
        throttled.log(logging.WARNING, "refused", "refused a connection from %s: %s", peer, message)
        self._refused = True
        self.connections.discard(self)  # it holds no place while it lingers
        self.transport.write(raw_response(503, "Service Unavailable", f"server busy: {message}"))
        if len(self.lingering) >= self.limits.max_connections or not self.transport.can_write_eof():
            self.transport.close()  # under a flood of connections, file descriptors come first
            return
        self.transport.write_eof()
        self.lingering.add(self)
        self.loop.call_later(LINGER_SECONDS, self._close_refused)

    def _close_refused(self) -> None:
        self.lingering.discard(self)
        self.transport.close()

    def _follow_request(self) -> None:
        """Run the deadline of the part of the request we are waiting for, if any."""
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        phase = "headers" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if phase == self._phase:
            return
        self._cancel_deadline()
        self._phase = phase
        if phase is not None:
            seconds = self.limits.header_timeout if phase == "headers" else self.limits.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expired, phase, seconds)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = None

    def _expired(self, phase: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        peer = self.client[0] if self.client else "?"
        message = "closed a connection from %s: no complete request %s within %g s"
        throttled.log(logging.WARNING, phase, message, peer, phase, seconds)
        if phase == "headers" or self.cycle is None or not self.cycle.response_started:  # else mid-response
            message = f"request {phase} not received within {seconds:g} s"
            self.transport.write(raw_response(408, "Request Timeout", message))
        self.transport.close()


__all__ = ["MAX_HEADER_BYTES", "BoundedH11Protocol", "raw_response"]
