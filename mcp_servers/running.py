"""Run a blocking tool function off the event loop, with a bounded number of slots, ticks and prompt cancellation.

Tool functions are synchronous (sympy in a sandbox process, a database
driver, an HTTP search), so they run in a thread while the event loop keeps
serving other requests, progress notifications and cancellations.

Why a daemon thread of our own rather than ``anyio.to_thread``: a cancelled
call must stop *waiting* at once, but a Python thread cannot be interrupted.
The abandoned thread finishes on its own, bounded by the tool's own limits
(the sandbox kills a calculation or factorisation at its timeout, a query has
its statement timeout, a search its deadline).  anyio's worker threads are
not daemons, so an abandoned one would keep the process alive after the
client hung up; ours are, and the sandbox's worker processes are daemons
that :mod:`multiprocessing` kills at exit.

Why :class:`ToolSlots`: a burst of calls must neither pile up threads without
bound nor be refused outright.  At most ``running`` threads run at once
(abandoned ones hold their slot until they end, so cancelling and calling
again in a loop cannot multiply threads); up to ``queued`` more calls wait
in order, each for at most ``wait`` seconds, and are then answered "busy".
Defaults: :class:`mcp_servers.limits.ServerLimits` (2 x cores, 32, 5 s).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

from tools.base import ToolError

T = TypeVar("T")

logger = logging.getLogger(__name__)


class ToolSlots:
    """At most ``running`` tool threads at once; ``queued`` callers wait up to ``wait`` seconds for one."""

    def __init__(self, running: int, *, wait: float = 5.0, queued: int = 32) -> None:
        if running < 1 or queued < 0 or wait < 0:
            raise ValueError("running must be at least 1, queued and wait at least 0")
        self.running, self.wait, self.queued = running, wait, queued
        self._limiter: anyio.CapacityLimiter | None = None  # made in the event loop that uses it

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.running)
        return self._limiter

    def busy(self) -> ToolError:
        return ToolError(
            f"the server is busy: {self.running} tool calls are running and others are waiting; "
            "try again in a few seconds",
            code="unavailable",
        )

    async def acquire(self, borrower: object) -> None:
        """Take a slot for ``borrower``, waiting in line up to ``wait`` s; a :class:`ToolError` if none frees up."""
        limiter = self.limiter
        try:
            limiter.acquire_on_behalf_of_nowait(borrower)
            return
        except anyio.WouldBlock:
            pass
        if limiter.statistics().tasks_waiting >= self.queued:
            raise self.busy()
        with anyio.move_on_after(self.wait):
            await limiter.acquire_on_behalf_of(borrower)
            return
        raise self.busy()

    def release(self, borrower: object) -> None:
        self.limiter.release_on_behalf_of(borrower)


async def run_blocking(
    func: Callable[[Any], T],
    argument: Any,
    *,
    name: str,
    slots: ToolSlots,
    timeout: float | None = None,
    on_tick: Callable[[], Awaitable[None]] | None = None,
    interval: float = 0.5,
) -> T:
    """``func(argument)`` in a daemon thread holding one of ``slots``; ``on_tick()`` every ``interval`` s meanwhile.

    Waits for a slot first (see :class:`ToolSlots`); ``timeout`` counts from
    the start of the thread, not the wait.  Cancelling the caller (or the
    timeout) returns immediately and leaves the thread to finish on its own,
    still holding its slot (see the module docstring).  Raises what ``func``
    raised, :class:`TimeoutError`, or a :class:`ToolError` when no slot freed
    up in time.
    """
    borrower = object()
    await slots.acquire(borrower)
    token = anyio.lowlevel.current_token()
    done = anyio.Event()
    outcome: dict[str, Any] = {}

    def finished() -> None:
        slots.release(borrower)
        done.set()

    def target() -> None:
        try:
            outcome["value"] = func(argument)
        except BaseException as err:  # noqa: BLE001 - handed back to the event loop
            outcome["error"] = err
        finally:
            try:
                anyio.from_thread.run_sync(finished, token=token)
            except Exception:  # noqa: BLE001 - the event loop is gone: nobody is waiting, no slot to give back
                logger.debug("%s finished after its event loop ended", name)

    try:
        threading.Thread(target=target, name=f"tool:{name}", daemon=True).start()
    except BaseException:
        slots.release(borrower)
        raise
    with anyio.fail_after(timeout) if timeout else nullcontext():
        async with anyio.create_task_group() as tg:
            if on_tick is not None:
                tg.start_soon(_tick, on_tick, interval)
            await done.wait()
            tg.cancel_scope.cancel()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


async def _tick(on_tick: Callable[[], Awaitable[None]], interval: float) -> None:
    while True:
        await anyio.sleep(interval)
        await on_tick()


__all__ = ["ToolSlots", "run_blocking"]
