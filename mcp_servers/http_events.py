"""Resumable SSE streams (2025-11-25, SEP-1699): a bounded in-memory event store that keeps sessions apart.

With an event store the SDK opens each POST's SSE stream with a *priming*
event (an id, empty data and our ``retry`` interval), stores every message it
sends with an id, and when a client reconnects with ``Last-Event-ID`` replays
what came after it on that stream.  So a tool result is not lost when the
connection drops mid-call (or a server closes a long stream on purpose).

Why not a plain dict keyed by stream: the SDK names a stream by its request
id ("1"), the same in every session, and hands the store nothing else.  A
store keyed by that alone would replay one client's results to another.  So
each session gets a *scope*: :class:`EventScopeMiddleware` puts a fresh
scope in a context variable for every request that opens a session, the SDK
starts the session's own tasks (which store its messages) from inside that
request, so they inherit it, and later requests of the session (known by
their ``Mcp-Session-Id``) get the same scope back.  A request outside any
session (2026-07-28) has a scope of its own.  Event ids are random, so one
cannot be guessed to read another client's stream either.

Bounds: at most :data:`MAX_EVENTS` events and :data:`MAX_BYTES` of messages
in all, :data:`MAX_PER_STREAM` per stream, each kept :data:`TTL_SECONDS`;
past them the oldest go first (a client that comes back too late gets what
is left, then the stream continues live).
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import time
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp.types import JSONRPCMessage
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

MAX_EVENTS = 4096
MAX_BYTES = 16 * 1024 * 1024
MAX_PER_STREAM = 256
TTL_SECONDS = 300.0
RETRY_MS = 1000
"""What priming events tell clients to wait before reconnecting (the SSE ``retry`` field)."""

SESSION_HEADER = "mcp-session-id"


@dataclass(eq=False)
class EventScope:
    """The events of one session (or one sessionless request); its key never leaves the server."""

    key: str = field(default_factory=lambda: secrets.token_hex(8))


_scope: contextvars.ContextVar[EventScope | None] = contextvars.ContextVar("mcp_event_scope", default=None)


@dataclass
class _Event:
    scope: str
    stream: StreamId
    message: JSONRPCMessage | None
    size: int
    at: float


class BoundedEventStore(EventStore):
    """The SDK's event store interface, bounded and scoped per session (see the module docstring)."""

    def __init__(
        self,
        *,
        max_events: int = MAX_EVENTS,
        max_bytes: int = MAX_BYTES,
        max_per_stream: int = MAX_PER_STREAM,
        ttl: float = TTL_SECONDS,
    ) -> None:
        self.max_events, self.max_bytes, self.max_per_stream, self.ttl = max_events, max_bytes, max_per_stream, ttl
        self._events: OrderedDict[EventId, _Event] = OrderedDict()  # oldest first
        self._streams: dict[tuple[str, StreamId], deque[EventId]] = {}
        self._bytes = 0

    @property
    def size(self) -> int:
        """Events kept (not ``__len__``: the SDK tests the store for truth, and an empty one must count)."""
        return len(self._events)

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        scope = _scope.get() or EventScope()  # outside any request: a scope of its own, never shared
        size = 0 if message is None else len(message.model_dump_json(by_alias=True, exclude_unset=True))
        event_id = secrets.token_urlsafe(12)
        self._events[event_id] = _Event(scope.key, stream_id, message, size, time.monotonic())
        self._bytes += size
        ids = self._streams.setdefault((scope.key, stream_id), deque())
        ids.append(event_id)
        while len(ids) > self.max_per_stream:
            self._drop(ids[0])
        self._evict()
        return event_id

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        scope = _scope.get()
        last = self._events.get(last_event_id)
        if last is None or scope is None or last.scope != scope.key:
            logger.info("a client resumed after an event this server no longer has (or not its own)")
            return None
        ids = list(self._streams.get((last.scope, last.stream), ()))
        after = ids[ids.index(last_event_id) + 1 :]
        for event_id in after:
            event = self._events.get(event_id)
            if event is not None and event.message is not None:
                await send_callback(EventMessage(event.message, event_id))
        return last.stream

    def _drop(self, event_id: EventId) -> None:
        event = self._events.pop(event_id, None)
        if event is None:
            return
        self._bytes -= event.size
        key = (event.scope, event.stream)
        ids = self._streams.get(key)
        if ids is not None:
            try:
                ids.remove(event_id)  # almost always the first
            except ValueError:
                pass
            if not ids:
                del self._streams[key]

    def _evict(self) -> None:
        deadline = time.monotonic() - self.ttl
        while self._events:
            oldest_id, oldest = next(iter(self._events.items()))
            if len(self._events) <= self.max_events and self._bytes <= self.max_bytes and oldest.at > deadline:
                return
            self._drop(oldest_id)


class EventScopeMiddleware:
    """Gives each request the event scope of its session (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.scopes: weakref.WeakValueDictionary[str, EventScope] = weakref.WeakValueDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sid = Headers(scope=scope).get(SESSION_HEADER)
        events = (self.scopes.get(sid) if sid else None) or EventScope()
        token = _scope.set(events)

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                opened = Headers(raw=message.get("headers", [])).get(SESSION_HEADER)
                if opened and opened not in self.scopes:
                    self.scopes[opened] = events
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            _scope.reset(token)


__all__ = ["RETRY_MS", "BoundedEventStore", "EventScope", "EventScopeMiddleware"]
