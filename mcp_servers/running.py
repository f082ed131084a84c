"""Run a blocking tool function off the event loop, with ticks and prompt cancellation.

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
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

from tools.base import ToolError

T = TypeVar("T")

logger = logging.getLogger(__name__)

MAX_RUNNING = 16
"""Tool calls running at once, abandoned ones included: cancelling and calling
again in a loop cannot pile up threads without bound."""

_slots = threading.BoundedSemaphore(MAX_RUNNING)


async def run_blocking(
    func: Callable[[Any], T],
    argument: Any,
    *,
    name: str,
    on_tick: Callable[[], Awaitable[None]] | None = None,
    interval: float = 0.5,
) -> T:
    """``func(argument)`` in a daemon thread; ``on_tick()`` every ``interval`` seconds meanwhile.

    Cancelling the caller returns immediately and leaves the thread to finish
    on its own (see the module docstring).  Raises what ``func`` raised, or a
    :class:`ToolError` when too many calls are already running.
    """
    if not _slots.acquire(blocking=False):
        raise ToolError(
            f"the server is busy: {MAX_RUNNING} tool calls are still running; try again in a few seconds",
            code="unavailable",
        )
    token = anyio.lowlevel.current_token()
    done = anyio.Event()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = func(argument)
        except BaseException as err:  # noqa: BLE001 - handed back to the event loop
            outcome["error"] = err
        finally:
            _slots.release()
            try:
                anyio.from_thread.run_sync(done.set, token=token)
            except Exception:  # noqa: BLE001 - the event loop is gone: nobody is waiting
                logger.debug("%s finished after its event loop ended", name)

    try:
        threading.Thread(target=target, name=f"tool:{name}", daemon=True).start()
    except BaseException:
        _slots.release()
        raise
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


__all__ = ["MAX_RUNNING", "run_blocking"]
