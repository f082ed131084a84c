"""Run CPU-bound tool work in a child process that can really be stopped.

A thread cannot be interrupted in the middle of a sympy computation, and
``signal.alarm`` only works on the main thread, which a tool running inside a
LangGraph executor is not.  So calculations and factorisations run in worker
processes: a worker that passes its deadline is killed and replaced, a job has
a CPU-time budget the kernel enforces even if its caller is gone, and a worker
has an address-space limit so a result that would eat the machine's memory
fails with ``MemoryError`` instead.

Workers are forked by a zygote (:mod:`tools.worker`), a fresh interpreter that
imports sympy once, so any host can use the sandbox (no ``__main__`` is ever
re-imported) and a new worker costs a fork, not an interpreter.  At most
``max_workers`` run at once; further calls queue, and the wait counts against
their own time limit, while a worker's start-up does not.  Jobs must be
importable functions: pickled by module and name, never from ``__main__``.
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from tools.base import ToolError
from tools.sandbox_procs import Unavailable, Worker, Zygote, describe_status
from tools.worker import ProtocolError

T = TypeVar("T")

DEFAULT_MEMORY_MB = 2048
SHARED_PRELOAD = ("sympy",)  # what the calculator and prime tools need in every worker
_QUEUE_NOTE_SECONDS = 0.1  # a timeout message mentions time spent queueing beyond this
_START = object()  # a grant to start a new worker in a freed slot
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGKILL}


def default_max_workers() -> int:
    """The CPUs this process may use, at least 2."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    return max(2, count)


class _Waiter:
    __slots__ = ("event", "grant")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.grant: Any = None  # a Worker, or _START


def _pack(fn: Callable[..., Any], args: tuple[Any, ...], what: str) -> bytes:
    """The job's bytes; refuses what a worker could not import."""
    name = getattr(fn, "__qualname__", repr(fn))
    if getattr(fn, "__module__", None) == "__main__":
        raise ToolError(
            f"{what} cannot run in a sandbox worker: {name} is defined in __main__ (the script being run), "
            "which workers never import; move it into an importable module",
            code="internal",
        )
    if "<locals>" in name or "<lambda>" in name:
        raise ToolError(
            f"{what} cannot run in a sandbox worker: {name} is not a module-level function", code="internal"
        )
    try:
        return pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:  # noqa: BLE001 - any pickling failure means the same thing
        raise ToolError(f"{what} cannot be sent to a sandbox worker: {err}", code="internal") from None


def _death(status: int | None, what: str, memory_mb: int) -> ToolError:
    """The error for a worker that died in the middle of a job."""
    if status is not None and os.WIFSIGNALED(status):
        if os.WTERMSIG(status) == signal.SIGXCPU:
            return ToolError(f"{what} used up its CPU-time budget and was stopped", code="timeout")
        if os.WTERMSIG(status) in _CRASH_SIGNALS:
            return ToolError(
                f"{what} stopped: its worker process was {describe_status(status)}, most likely for needing more "
                f"than its {memory_mb} MB memory limit",
                code="too_large",
            )
    return ToolError(f"{what} stopped: its worker process died ({describe_status(status)})", code="internal")


def _unpack(reply: tuple[str, Any], what: str) -> Any:
    status, value = reply
    if status == "ok":
        return value
    if status == "tool_error":
        message, code = value
        raise ToolError(message, code=code)
    raise ToolError(f"{what} failed: {value}", code="internal")


class Sandbox:
    """A bounded pool of killable worker processes with a memory limit each."""

    def __init__(
        self,
        *,
        memory_mb: int = DEFAULT_MEMORY_MB,
        max_idle: int = 2,
        max_workers: int | None = None,
        preload: tuple[str, ...] = (),
    ) -> None:
        """``preload``: modules the zygote imports once, so every worker starts with them."""
        self.memory_mb = memory_mb
        self.max_idle = max_idle
        self.max_workers = max_workers or default_max_workers()
        self.preload = tuple(preload)
        self._reset()
        _instances.add(self)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._zygote_lock = threading.Lock()
        self._zygote: Zygote | None = None
        self._idle: list[Worker] = []
        self._waiters: deque[_Waiter] = deque()
        self._live = 0  # workers running or starting, including idle ones
        self._workers: set[Worker] = set()  # every handle we hold, for close() and fork safety

    def run(self, fn: Callable[..., T], *args: Any, timeout: float, what: str = "the computation") -> T:
        """Run ``fn(*args)`` in a worker; :class:`ToolError` on timeout, crash or error.

        ``fn`` must be a module-level function of an importable module (not
        ``__main__``) and ``args`` picklable.  ``timeout`` covers waiting for a
        free worker and the job itself, not the start of a new worker.
        """
        payload = _pack(fn, args, what)
        started = time.monotonic()
        module = getattr(fn, "__module__", None)
        worker, startup = self._acquire(started + timeout, (module,) if module else (), what, timeout)
        deadline = started + timeout + startup
        waited = time.monotonic() - started - startup
        if deadline - time.monotonic() <= 0:  # the wait for a free worker used up the whole limit
            self._release(worker)
            raise self._busy(what, timeout)
        try:
            reply = worker.call(deadline - time.monotonic(), payload, deadline)
        except TimeoutError:
            self._discard(worker)
            queued = f" ({waited:.1f} s of it waiting for a free worker)" if waited >= _QUEUE_NOTE_SECONDS else ""
            raise ToolError(f"{what} took longer than {timeout:g} s and was stopped{queued}", code="timeout") from None
        except ProtocolError as err:
            self._discard(worker)
            raise ToolError(f"{what} produced a result too large to return ({err})", code="too_large") from None
        except (EOFError, OSError):
            raise _death(self._discard(worker), what, self.memory_mb) from None
        except BaseException:  # e.g. KeyboardInterrupt: the worker's state is unknown
            self._discard(worker)
            raise
        self._release(worker)
        return _unpack(reply, what)

    # --- the pool ---------------------------------------------------------------

    def _acquire(self, deadline: float, warm: tuple[str, ...], what: str, timeout: float) -> tuple[Worker, float]:
        """An idle worker, or a new one when below the cap, or a place in the queue until ``deadline``."""
        dead: list[Worker] = []
        waiter = None
        grant: Any = None
        with self._lock:
            while self._idle and not self._waiters:
                worker = self._idle.pop()
                if worker.alive():
                    grant = worker
                    break
                dead.append(worker)
                self._live -= 1
            if grant is None:
                if not self._waiters and self._live < self.max_workers:
                    self._live += 1
                    grant = _START
                else:
                    waiter = _Waiter()
                    self._waiters.append(waiter)
        for worker in dead:
            self._forget_worker(worker, kill=True)
        if waiter is not None:
            grant = self._wait(waiter, deadline, what, timeout)
        if isinstance(grant, Worker):
            if grant.alive():
                return grant, 0.0
            self._forget_worker(grant, kill=True)  # keep its slot for a new one
        return self._start(warm)

    def _wait(self, waiter: _Waiter, deadline: float, what: str, timeout: float) -> Any:
        try:
            left = deadline - time.monotonic()
            if left > 0:
                waiter.event.wait(left)
        except BaseException:  # e.g. KeyboardInterrupt: pass on whatever we were given
            with self._lock:
                grant = waiter.grant
                if grant is None:
                    self._waiters.remove(waiter)
            if grant is not None:
                self._release(None if grant is _START else grant)
            raise
        with self._lock:
            if waiter.grant is None:
                self._waiters.remove(waiter)
                raise self._busy(what, timeout)
        return waiter.grant

    def _busy(self, what: str, timeout: float) -> ToolError:
        return ToolError(
            f"{what} did not start within its {timeout:g} s limit: all {self.max_workers} sandbox workers "
            "stayed busy (try again later)",
            code="timeout",
        )

    def _start(self, warm: tuple[str, ...]) -> tuple[Worker, float]:
        began = time.monotonic()
        try:
            worker = self._fork(warm)
        except Unavailable as err:
            self._release(None)
            raise ToolError(f"could not start a sandbox worker: {err}", code="unavailable") from None
        except BaseException:
            self._release(None)
            raise
        return worker, time.monotonic() - began

    def _fork(self, warm: tuple[str, ...]) -> Worker:
        for attempt in range(2):  # a dead zygote is replaced once
            zygote = self._zygote_now()
            try:
                worker = zygote.fork(self.memory_mb, warm)
            except Unavailable:
                if attempt:
                    raise
                continue
            with self._lock:
                self._workers.add(worker)
            try:
                worker.wait_ready()
            except BaseException:
                self._forget_worker(worker, kill=False)
                raise
            return worker
        raise AssertionError("unreachable")

    def _zygote_now(self) -> Zygote:
        with self._zygote_lock:
            old = self._zygote
            if old is None or old.broken or old.process.poll() is not None:
                if old is not None:
                    old.close()
                self._zygote = Zygote(self.preload)
            return self._zygote

    def _release(self, worker: Worker | None) -> None:
        """Hand a worker (or, for None, its freed slot) to the first waiter, or keep or close it."""
        extra = None
        with self._lock:
            if self._waiters:
                waiter = self._waiters.popleft()
                waiter.grant = _START if worker is None else worker
                waiter.event.set()
                return
            if worker is None:
                self._live -= 1
                return
            if len(self._idle) < self.max_idle:
                self._idle.append(worker)
                return
            self._live -= 1
            extra = worker
        self._forget_worker(extra, kill=False)

    def _discard(self, worker: Worker) -> int | None:
        """Kill a worker whose job failed or ran out of time, free its slot; its wait status."""
        status = self._forget_worker(worker, kill=True)
        self._release(None)
        return status

    def _forget_worker(self, worker: Worker, *, kill: bool) -> int | None:
        with self._lock:
            self._workers.discard(worker)
        if kill:
            return worker.kill()
        worker.close()
        return None

    # --- lifecycle ----------------------------------------------------------------

    def close(self) -> None:
        """Stop the zygote and every worker; the next :meth:`run` starts afresh."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
        for worker in idle:
            self._forget_worker(worker, kill=False)
        with self._zygote_lock:
            zygote, self._zygote = self._zygote, None
        if zygote is not None:
            zygote.close()  # it kills busy workers too: their callers get an error

    def _after_fork_in_child(self) -> None:
        """In a forked copy of the caller: drop the parent's processes (never signal them) and start empty."""
        zygote, workers = self._zygote, list(self._workers)
        self._reset()
        for worker in workers:
            worker.sock.close()
        if zygote is not None:
            zygote.forget()


_instances: weakref.WeakSet[Sandbox] = weakref.WeakSet()


def _close_all() -> None:
    for box in list(_instances):
        box.close()


def _forget_all_in_child() -> None:
    global _shared_lock
    _shared_lock = threading.Lock()  # another thread may have held it at the fork
    for box in list(_instances):
        box._after_fork_in_child()


atexit.register(_close_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_all_in_child)

_shared: Sandbox | None = None
_shared_lock = threading.Lock()


def shared_sandbox() -> Sandbox:
    """The process-wide sandbox the calculator and prime tools use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Sandbox(preload=SHARED_PRELOAD)
        return _shared


__all__ = ["DEFAULT_MEMORY_MB", "Sandbox", "default_max_workers", "shared_sandbox"]
