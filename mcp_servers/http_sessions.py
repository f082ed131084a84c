"""Bounds on 2025-11-25 sessions, per client address and overall, that never lock a new client out.

Why: the SDK keeps up to ``max_sessions`` sessions (10,000 by default, each
alive for 30 idle minutes) and answers 503 to new ones while full, so one
address calling ``initialize`` in a loop locks every other client out.  We
hand the SDK a short idle timeout (``AGENT_MCP_SESSION_IDLE_TIMEOUT``, 5 min)
and keep, in front of it, a table of the sessions of each client address:

* a request that would open a session while its address already holds
  ``sessions_per_address`` (32) first ends that address's least recently used
  idle session (no request in flight, no open GET stream).  Only when every
  one of them is in use by a live client is it refused (429);
* likewise when the server holds ``max_sessions`` (512): the least recently
  used idle session of any address is ended (503 when none is idle).

So a client that leaks sessions only ever evicts its own idle ones, and a new
client gets in.  The table learns of sessions from the SDK's answers (the
``Mcp-Session-Id`` of a successful opening request) and ends them through the
protocol itself (a ``DELETE`` for the session, handed to the SDK's app
directly), so it relies on no SDK internals; the SDK's own ``max_sessions``
stays as a backstop above ours.  The 2026-07-28 revision has no sessions.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_servers.limits import address_key
from mcp_servers.log_throttle import ThrottledLog

logger = logging.getLogger(__name__)
throttled = ThrottledLog(logger)

SESSION_HEADER = "mcp-session-id"
VERSION_HEADER = "mcp-protocol-version"


@dataclass(eq=False)
class Session:
    sid: str
    address: str
    posts: int = 0  # requests in flight other than GET streams
    streams: int = 0  # open GET streams
    since: float = 0.0  # when it last became idle (monotonic)
    gone: bool = False


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


class SessionTable:
    """Who holds which session, and which one to end when a bound is reached.  Every method is O(1) amortised.

    Only idle sessions (no request in flight, no open GET stream) are ever
    ended: a session with a request in flight belongs to a live client, and
    those are bounded by the connection caps.  Opening requests in flight are
    not counted, so a burst may pass a bound by as many requests as it has
    connections; the next opening request ends idle sessions until it holds.
    """

    def __init__(
        self,
        *,
        max_sessions: int,
        per_address: int,
        idle_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_sessions, self.per_address, self.idle_timeout = max_sessions, per_address, idle_timeout
        self.clock = clock
        self.sessions: dict[str, Session] = {}
        self.held: Counter[str] = Counter()  # sessions per address
        self.idle: OrderedDict[str, Session] = OrderedDict()  # least recently used first
        self.idle_by_address: dict[str, OrderedDict[str, Session]] = {}

    def __len__(self) -> int:
        return len(self.sessions)

    def admit(self, address: str) -> tuple[list[Session], Refusal | None]:
        """Make room for one more session of ``address``: the sessions to end (in any case), and why not, if not."""
        self.expire()
        victims: list[Session] = []
        while self.held[address] >= self.per_address:
            victim = self._oldest_idle(address)
            if victim is None:
                return victims, Refusal(
                    429,
                    f"too many sessions from your address ({self.per_address}), all in use; "
                    "end one (HTTP DELETE) or try again shortly",
                )
            self._forget(victim)
            victims.append(victim)
        while len(self.sessions) >= self.max_sessions:
            victim = self._oldest_idle(None)
            if victim is None:
                refusal = Refusal(
                    503, f"the server has {self.max_sessions} sessions open, all in use; try again shortly"
                )
                return victims, refusal
            self._forget(victim)
            victims.append(victim)
        return victims, None

    def add(self, sid: str, address: str, method: str) -> Session:
        """A session the SDK just opened for ``address`` (or serves though we had forgotten it), in flight."""
        session = Session(sid, address, posts=int(method != "GET"), streams=int(method == "GET"))
        self.sessions[sid] = session
        self.held[address] += 1
        return session

    def begin(self, sid: str, method: str) -> Session | None:
        session = self.sessions.get(sid)
        if session is not None:
            self._not_idle(session)
            if method == "GET":
                session.streams += 1
            else:
                session.posts += 1
        return session

    def end(self, session: Session, method: str, status: int | None) -> None:
        if method == "GET":
            session.streams -= 1
        else:
            session.posts -= 1
        if session.gone:
            return
        if status == 404 or (method == "DELETE" and status is not None and status < 400):
            self._forget(session)  # ended by the client, or unknown to the SDK by now
        elif not session.posts and not session.streams:
            session.since = self.clock()
            self.idle[session.sid] = session
            self.idle_by_address.setdefault(session.address, OrderedDict())[session.sid] = session

    def expire(self) -> None:
        """Forget sessions idle past the timeout: the SDK, timing from the same moment or earlier, has ended them."""
        now = self.clock()
        while (session := self._oldest_idle(None)) is not None and session.since + self.idle_timeout <= now:
            self._forget(session)

    def _oldest_idle(self, address: str | None) -> Session | None:
        found = self.idle if address is None else self.idle_by_address.get(address, {})
        return next(iter(found.values()), None)

    def _not_idle(self, session: Session) -> None:
        self.idle.pop(session.sid, None)
        mine = self.idle_by_address.get(session.address)
        if mine is not None:
            mine.pop(session.sid, None)
            if not mine:
                del self.idle_by_address[session.address]

    def _forget(self, session: Session) -> None:
        session.gone = True
        self.sessions.pop(session.sid, None)
        self._not_idle(session)
        self.held[session.address] -= 1
        if self.held[session.address] <= 0:
            del self.held[session.address]


def opens_session(method: str, headers: Headers) -> bool:
    """Whether the SDK would open a 2025-11-25 session for this request (no session id, a handshake revision)."""
    version = headers.get(VERSION_HEADER)
    handshake = version is None or version in HANDSHAKE_PROTOCOL_VERSIONS
    return method == "POST" and SESSION_HEADER not in headers and handshake


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return address_key(str(client[0])) if client else "unknown"


class SessionLimitMiddleware:
    """Keeps :class:`SessionTable` in step with the SDK's sessions and applies its decisions."""

    def __init__(self, app: ASGIApp, table: SessionTable, path: str) -> None:
        self.app, self.table, self.path = app, table, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sid = headers.get(SESSION_HEADER)
        if sid is not None:
            await self._in_session(sid, scope, receive, send)
        elif opens_session(scope["method"], headers):
            await self._opening(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _opening(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = client_address(scope)
        victims, refused = self.table.admit(address)
        for victim in victims:
            await self._end(victim, scope)
        if refused is not None:
            throttled.log(logging.WARNING, "refused", "refused a new session for %s: %s", address, refused.message)
            await refusal(refused)(scope, receive, send)
            return
        session: Session | None = None

        async def watch(message: Message) -> None:
            nonlocal session
            if message["type"] == "http.response.start" and message["status"] < 400:
                sid = Headers(raw=message.get("headers", [])).get(SESSION_HEADER)
                if sid is not None and sid not in self.table.sessions:
                    session = self.table.add(sid, address, "POST")
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if session is not None:
                self.table.end(session, "POST", None)

    async def _in_session(self, sid: str, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        session = self.table.begin(sid, method)
        status: int | None = None

        async def watch(message: Message) -> None:
            nonlocal session, status
            if message["type"] == "http.response.start":
                status = message["status"]
                if session is None and status < 400 and method != "DELETE":
                    session = self.table.add(sid, client_address(scope), method)
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if session is not None:
                self.table.end(session, method, status)

    async def _end(self, victim: Session, scope: Scope) -> None:
        """End ``victim`` in the SDK as its client would: ``DELETE`` with its session id."""
        host = Headers(scope=scope).get("host", "")
        headers = [(b"host", host.encode("latin-1")), (SESSION_HEADER.encode(), victim.sid.encode("ascii"))]
        delete: Scope = {**scope, "method": "DELETE", "headers": headers, "query_string": b""}
        sent = False
        status: int | None = None

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        with anyio.move_on_after(5):
            await self.app(delete, receive, send)
        message = "ended session %s... of %s (least recently used) to make room for %s: HTTP %s"
        throttled.log(logging.INFO, "evicted", message, victim.sid[:8], victim.address, client_address(scope), status)


def refusal(decision: Refusal) -> JSONResponse:
    return JSONResponse(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": decision.message}},
        status_code=decision.status,
        headers={"Retry-After": "5"},
    )


__all__ = ["Refusal", "Session", "SessionLimitMiddleware", "SessionTable", "opens_session"]
