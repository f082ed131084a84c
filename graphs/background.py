"""Work on daemon threads that a caller may stop waiting for.

Calls run on a small set of reused threads, so a call costs a hand-off, not a
thread start.  It is not a fixed pool: a call abandoned at its timeout keeps its
thread, and a later call gets a new one when no thread is idle, so abandoned
calls never make later, instant calls wait in a queue (at most
:data:`MAX_THREADS` run at once).  A thread idle for :data:`IDLE_SECONDS` ends.
Tool calls and model calls of the synchronous graph both run here, so that a
caller can give up at a deadline (a thread cannot be killed; its result is
dropped).
"""

from __future__ import annotations

import concurrent.futures
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

MAX_THREADS = 64  # calls running at once on threads, abandoned ones included
IDLE_SECONDS = 30.0  # an idle thread ends after this long without work
SLICE = 0.1  # seconds between looks at the stop flag while waiting
STOP = threading.Event()  # set by a Ctrl-C handler: every wait below gives up at once

Job = tuple[concurrent.futures.Future[Any], Callable[..., Any], tuple[Any, ...]]


class _Worker:
    """One reusable daemon thread; it takes jobs from its own queue, handed to it while it is idle."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()

    def loop(self) -> None:
        while True:
            try:
                job = self.jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                if self.pool.retire(self):
                    return
                continue  # handed a job while timing out: it is in the queue now
            _run(*job)
            del job  # drop the result and arguments before idling
            self.pool.rest(self)


def _run(future: concurrent.futures.Future[Any], fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        if future.set_running_or_notify_cancel():
            future.set_result(fn(*args))
    except BaseException as err:  # noqa: BLE001 - handed to the waiting caller
        future.set_exception(err)


class _Pool:
    """Idle workers (last in, first out, so the warm ones stay busy) and a count of all live ones."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []
        self.alive = 0

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> concurrent.futures.Future[Any] | None:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self.lock:
            if self.idle:
                self.idle.pop().jobs.put((future, fn, args))
                return future
            if self.alive >= MAX_THREADS:
                return None
            self.alive += 1
        worker = _Worker(self)
        worker.jobs.put((future, fn, args))
        try:
            threading.Thread(target=worker.loop, name="agent-call", daemon=True).start()
        except BaseException:
            with self.lock:
                self.alive -= 1
            raise
        return future

    def rest(self, worker: _Worker) -> None:
        with self.lock:
            self.idle.append(worker)

    def retire(self, worker: _Worker) -> bool:
        """Whether an idle worker may end: not when a job was handed to it meanwhile."""
        with self.lock:
            if worker not in self.idle:
                return False
            self.idle.remove(worker)
            self.alive -= 1
            return True


_pool = _Pool()


def _forget_threads() -> None:
    """In a forked child the parent's threads do not exist: start again with none."""
    global _pool
    _pool = _Pool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads)


def start(fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any] | None:
    """Run ``fn`` on a pool thread (a new one when none is idle); None when too many are still running."""
    return _pool.submit(fn, args)


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
