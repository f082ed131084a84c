"""Work on daemon threads that a caller may stop waiting for.

Not a pool: a call abandoned at its timeout keeps its thread, and a fixed pool
would fill with those and make later, instant calls time out in its queue.
Tool calls and model calls of the synchronous graph both run here, so that a
caller can give up at a deadline (a thread cannot be killed; its result is
dropped).
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

MAX_THREADS = 64  # calls running at once on threads, abandoned ones included
SLICE = 0.1  # seconds between looks at the stop flag while waiting
STOP = threading.Event()  # set by a Ctrl-C handler: every wait below gives up at once
_threads_lock = threading.Lock()
_threads_running = 0


def start(fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any] | None:
    """Run ``fn`` on a daemon thread of its own; None when too many are still running."""
    global _threads_running
    with _threads_lock:
        if _threads_running >= MAX_THREADS:
            return None
        _threads_running += 1
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def work() -> None:
        global _threads_running
        try:
            if future.set_running_or_notify_cancel():
                future.set_result(fn(*args))
        except BaseException as err:  # noqa: BLE001 - handed to the waiting caller
            future.set_exception(err)
        finally:
            with _threads_lock:
                _threads_running -= 1

    threading.Thread(target=work, name="agent-call", daemon=True).start()
    return future


def wait(future: concurrent.futures.Future[Any], seconds: float) -> Any:
    """``future.result(seconds)``, but a set :data:`STOP` ends the wait with ``KeyboardInterrupt``.

    Ctrl-C reaches only the main thread; a graph node waiting on another thread
    would hold the run (and the process) until its call finished.
    """
    import time

    deadline = time.monotonic() + seconds
    while True:
        if STOP.is_set():
            raise KeyboardInterrupt("stopped")
        left = deadline - time.monotonic()
        try:
            return future.result(timeout=max(0.0, min(SLICE, left)))
        except concurrent.futures.TimeoutError:
            if left <= SLICE:
                raise


def stop_on_interrupt() -> None:
    """Make Ctrl-C also stop every wait of :func:`wait` (call once, from the main thread)."""
    import signal

    def handler(signum: int, frame: Any) -> None:
        STOP.set()
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, handler)


class OutOfTime(Exception):  # noqa: N818 - a bound, not a failure
    """The call did not finish by its deadline and is no longer waited for."""


def invoke_within(runnable: Any, value: Any, config: Any, seconds: float) -> Any:
    """``runnable.invoke`` that stops waiting after ``seconds`` (:class:`OutOfTime`).

    The call runs on its own thread with the caller's context (tracing and stream
    writers follow it); the caller's wait is interruptible, so Ctrl-C is not held up.
    """
    import contextvars

    future = start(contextvars.copy_context().run, runnable.invoke, value, config)
    if future is None:  # every thread is taken by abandoned calls: call here, unbounded but working
        return runnable.invoke(value, config)
    try:
        return wait(future, max(0.01, seconds))
    except concurrent.futures.TimeoutError:
        raise OutOfTime from None


async def ainvoke_within(runnable: Any, value: Any, config: Any, seconds: float) -> Any:
    """``runnable.ainvoke``, cancelled after ``seconds`` (:class:`OutOfTime`)."""
    import asyncio

    try:
        return await asyncio.wait_for(runnable.ainvoke(value, config), max(0.01, seconds))
    except TimeoutError:
        raise OutOfTime from None


__all__ = ["MAX_THREADS", "STOP", "OutOfTime", "ainvoke_within", "invoke_within", "start", "stop_on_interrupt", "wait"]
