"""Run CPU-bound tool work in a child process that can really be stopped.

A thread cannot be interrupted in the middle of a sympy computation, and
``signal.alarm`` only works on the main thread, which a tool running inside a
LangGraph executor is not.  So calculations and factorisations run in worker
processes: a worker that passes its deadline is killed and replaced, and a
worker has an address-space limit so a result that would eat the machine's
memory fails with ``MemoryError`` instead.

Workers are kept between calls (starting one costs an interpreter plus the
sympy import), started from a ``forkserver`` so that forking from a
multi-threaded parent is safe.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from tools.base import ToolError

T = TypeVar("T")

DEFAULT_MEMORY_MB = 2048
_PRELOAD = ["sympy"]


def _cpu_budget(seconds: float) -> None:
    """Let the next job use ``seconds`` more CPU time; past it the kernel kills the worker (SIGXCPU).

    The caller kills a worker at its deadline; this bound holds even when the
    caller is gone (an MCP server whose client hung up).  A parent-death signal
    would not do: a forkserver child keeps the forkserver alive by design.
    """
    try:
        import resource

        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = used.ru_utime + used.ru_stime
        limit = int(spent + seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (limit, resource.RLIM_INFINITY))
    except (ImportError, ValueError, OSError):
        pass


def _worker_main(conn: Connection, memory_mb: int) -> None:
    """Loop in the child: receive ``(fn, args, seconds)``, send ``("ok", value)`` or an error."""
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: time still bounds us
        pass
    while True:
        try:
            fn, args, seconds = conn.recv()
        except (EOFError, OSError):
            return
        _cpu_budget(seconds)
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except ToolError as err:
            reply = ("tool_error", (err.message, err.code))
        except MemoryError:
            reply = ("tool_error", ("the computation needs more memory than allowed", "too_large"))
        except RecursionError:
            reply = ("tool_error", ("the expression is nested too deeply to evaluate", "too_large"))
        except Exception as err:  # reported, not raised: the worker stays usable
            reply = ("error", f"{type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except Exception as err:  # e.g. an unpicklable result
            conn.send(("error", f"result could not be returned: {err}"))


class _Worker:
    def __init__(self, ctx: Any, memory_mb: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, memory_mb), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class Sandbox:
    """A small pool of killable worker processes with a memory limit each."""

    def __init__(self, *, memory_mb: int = DEFAULT_MEMORY_MB, max_idle: int = 2) -> None:
        self.memory_mb = memory_mb
        self.max_idle = max_idle
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._ctx: Any = None

    def _context(self) -> Any:
        if self._ctx is None:
            if "forkserver" in mp.get_all_start_methods():
                ctx = mp.get_context("forkserver")
                ctx.set_forkserver_preload(_PRELOAD)
            else:  # Windows, and macOS where forkserver is absent
                ctx = mp.get_context("spawn")
            self._ctx = ctx
        return self._ctx

    def _checkout(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.kill()
            ctx = self._context()
        return _Worker(ctx, self.memory_mb)

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append(worker)
                return
        worker.kill()

    def run(self, fn: Callable[..., T], *args: Any, timeout: float, what: str = "the computation") -> T:
        """Run ``fn(*args)`` in a worker; :class:`ToolError` on timeout, crash or error.

        ``fn`` must be a module-level function and ``args`` picklable.
        """
        worker = self._checkout()
        try:
            worker.conn.send((fn, args, timeout))
            ready = worker.conn.poll(timeout)
            reply = worker.conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError):
            worker.kill()
            raise ToolError(
                f"{what} stopped: it needed more memory than allowed or crashed", code="too_large"
            ) from None
        if reply is None:
            worker.kill()
            raise ToolError(f"{what} took longer than {timeout:g} s and was stopped", code="timeout")
        self._checkin(worker)
        status, value = reply
        if status == "ok":
            return value
        if status == "tool_error":
            message, code = value
            raise ToolError(message, code=code)
        raise ToolError(f"{what} failed: {value}", code="internal")

    def close(self) -> None:
        with self._lock:
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.kill()


_shared: Sandbox | None = None
_shared_lock = threading.Lock()


def shared_sandbox() -> Sandbox:
    """The process-wide sandbox the calculator and prime tools use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Sandbox()
            atexit.register(_shared.close)
        return _shared


__all__ = ["Sandbox", "shared_sandbox"]
