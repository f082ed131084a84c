"""The event loop an :class:`~agent.mcp.client.MCPToolbox` keeps its sessions on, and its lifecycle.

``astart`` keeps the sessions on the caller's event loop (a service's
lifespan), so async calls from it go straight through; ``start`` gives them
a loop of their own in a background thread, for synchronous callers, who
reach it through ``run_coroutine_threadsafe``.  A synchronous call made on
that loop itself would block it, so it is refused with a line saying to use
the async API.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
STOP_GRACE = 5.0  # seconds a session gets to close before its task is cancelled
log = logging.getLogger("agent.mcp")


class SessionLoop:
    """The loop plumbing and start/ready/close; subclasses give ``_spawn_all``, ``_ready_all``, ``_stop_all``,
    ``errors`` and ``_forgotten``."""

    _loop: asyncio.AbstractEventLoop | None
    _thread: threading.Thread | None
    _ready: bool

    async def _spawn_all(self) -> None:
        raise NotImplementedError

    async def _ready_all(self) -> dict[str, str]:
        raise NotImplementedError

    async def _stop_all(self) -> None:
        raise NotImplementedError

    @property
    def errors(self) -> dict[str, str]:
        raise NotImplementedError

    def _forgotten(self) -> None:
        """The loop is gone: drop what lived on it."""

    def _run(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="mcp-sessions", daemon=True)
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _here(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def _wait(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if self._here():
            coro.close()
            raise RuntimeError(
                "a synchronous MCP call on the sessions' own event loop would block it: "
                "use the async API (astart / aready / ainvoke / acall) there"
            )
        return self._run(coro).result(timeout)

    async def _await(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._here():
            return await coro
        return await asyncio.wrap_future(self._run(coro))

    # --- lifecycle --------------------------------------------------------------
    def start(self, wait: bool = True) -> dict[str, str]:
        """Start every server on a background loop; with ``wait``, wait for them (see :meth:`ready`)."""
        self._wait(self._spawn_all())
        return self.ready() if wait else {}

    async def astart(self, wait: bool = True) -> dict[str, str]:
        """Start every server on the running loop (a service's lifespan, say)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        await self._await(self._spawn_all())
        return await self.aready() if wait else {}

    def ready(self) -> dict[str, str]:
        """Wait until every server has started or passed its startup_timeout; the start errors by server."""
        if not self._ready:
            self._wait(self._ready_all())
        return self.errors

    async def aready(self) -> dict[str, str]:
        if not self._ready:
            await self._await(self._ready_all())
        return self.errors

    def close(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            self._wait(self._stop_all(), timeout=3 * STOP_GRACE)
        self._forget_loop()

    async def aclose(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            await self._await(self._stop_all())
        self._forget_loop()

    def _forget_loop(self) -> None:
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._thread = None
        self._loop = None
        self._ready = False
        self._forgotten()

    async def __aenter__(self) -> Any:
        await self.astart()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["STOP_GRACE", "SessionLoop", "cancel", "cancel_once", "stop_tasks"]


def cancel_once(task: asyncio.Task[Any] | None) -> None:
    """Cancel a keeper task, never twice: a second native cancel could break into the SDK's shielded
    shutdown of the server process and leave the process running."""
    if task is not None and not task.done() and not task.cancelling():
        task.cancel()


async def cancel(task: asyncio.Task[Any] | None) -> None:
    """Cancel (once) and wait, without ``wait_for``, which would cancel it again on timeout."""
    if task is None or task.done():
        return
    cancel_once(task)
    await asyncio.wait({task}, timeout=STOP_GRACE)


async def stop_tasks(names: dict[asyncio.Task[Any], str]) -> None:
    """Wait for the keeper tasks (told to stop) to close their sessions; cancel the stuck ones; say what failed."""
    _, stuck = await asyncio.wait(names, timeout=STOP_GRACE) if names else (set(), set())
    for task in stuck:
        log.warning("MCP server %s did not close within %g s: cancelled", names[task], STOP_GRACE)
        await cancel(task)
    for task, name in names.items():  # nothing fails silently: a failed close is logged with its traceback
        if not task.done():
            log.error("MCP server %s could not be stopped; its process may still run", name)
        elif not task.cancelled() and task.exception() is not None:
            log.error("MCP server %s failed while closing", name, exc_info=task.exception())
