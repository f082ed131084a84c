"""Telling clients that a list changed (``notifications/resources/list_changed``), in both revisions.

* 2025-11-25: the server may send the notification on a connection at any
  time.  :class:`ChangeNotifier` remembers the connections it has served
  (weakly: a connection the SDK has ended is forgotten with it) and sends it
  on each one's own channel (stdout on stdio, the GET stream on HTTP).
* 2026-07-28: a client opts in with a ``subscriptions/listen`` request whose
  response is the stream; the SDK's :class:`~mcp.server.subscriptions.ListenHandler`
  serves it and we publish on its bus.

A :class:`Watcher` finds out that something changed by polling a cheap
fingerprint (for a database, its table names) every few seconds, only while
some client is there to tell, and at once when poked (after a tool call that
may have changed it, or when a client lists and sees a different list).
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import types
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourcesListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from mcp_servers.compat import connection_of
from mcp_servers.log_throttle import ThrottledLog

logger = logging.getLogger(__name__)
throttled = ThrottledLog(logger)

POLL_SECONDS = 3.0
SEND_SECONDS = 2.0  # a connection that cannot take a notification this fast is skipped this time
MAX_LISTEN_STREAMS = 256


class ChangeNotifier:
    """Who to tell about a change, and telling them."""

    def __init__(self, *, max_streams: int = MAX_LISTEN_STREAMS) -> None:
        self.bus = InMemorySubscriptionBus()
        self._listen = ListenHandler(self.bus, max_subscriptions=max_streams)
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self._listening = 0

    def remember(self, ctx: Any) -> None:
        """Note the connection of a 2025-11-25 request, to tell it about later changes."""
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return
        connection = connection_of(ctx)
        if connection is not None:
            self._connections.add(connection)

    @property
    def watched(self) -> bool:
        """Is anyone there to tell?"""
        return self._listening > 0 or len(self._connections) > 0

    async def listen(self, ctx: Any, params: types.SubscriptionsListenRequestParams) -> types.SubscriptionsListenResult:
        """``subscriptions/listen`` (2026-07-28): the SDK's handler, counted so polling runs while it is open."""
        self._listening += 1
        try:
            return await self._listen(ctx, params)
        finally:
            self._listening -= 1

    def close(self) -> None:
        self._listen.close()

    async def resources_changed(self) -> None:
        await self.bus.publish(ResourcesListChanged())
        for connection in list(self._connections):
            try:
                with anyio.fail_after(SEND_SECONDS):
                    await connection.send_resource_list_changed()
            except Exception as err:  # noqa: BLE001 - a closed connection: forget it
                logger.debug("list_changed not delivered (%s); connection forgotten", err)
                self._connections.discard(connection)


class Watcher:
    """Polls ``fingerprint()`` while ``watched()``, calls ``changed()`` when it differs from the last one."""

    def __init__(
        self,
        name: str,
        fingerprint: Callable[[], Awaitable[Any]],
        changed: Callable[[], Awaitable[None]],
        watched: Callable[[], bool],
        *,
        interval: float = POLL_SECONDS,
    ) -> None:
        self.name, self.fingerprint, self.changed, self.watched = name, fingerprint, changed, watched
        self.interval = interval
        self.known: Any = None
        self._poke: anyio.Event | None = None

    def poke(self) -> None:
        """Look now (e.g. after a write); harmless when the watcher is not running."""
        if self._poke is not None:
            self._poke.set()

    async def observe(self, fingerprint: Any) -> None:
        """A fingerprint seen elsewhere (a client listed): notify if it moved."""
        previous, self.known = self.known, fingerprint
        if previous is not None and previous != fingerprint:
            logger.info("%s changed; notifying clients", self.name)
            await self.changed()

    async def check(self) -> None:
        try:
            fingerprint = await self.fingerprint()
        except Exception as err:  # noqa: BLE001 - e.g. the database is down: try again next time
            throttled.log(logging.WARNING, f"watch:{self.name}", "could not check %s: %s", self.name, err)
            return
        await self.observe(fingerprint)

    async def run(self) -> None:
        """Take a first fingerprint, then poll until cancelled (the server's lifespan runs this).

        The first one is taken at once, whoever listens: a change made right after a
        client connects must differ from something.
        """
        await self.check()
        while True:
            self._poke = anyio.Event()
            with anyio.move_on_after(self.interval):
                await self._poke.wait()
            if self.watched():
                started = time.monotonic()
                await self.check()
                logger.debug("checked %s in %.3f s", self.name, time.monotonic() - started)


__all__ = ["POLL_SECONDS", "ChangeNotifier", "Watcher"]
