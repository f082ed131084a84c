"""The sandbox's worker side: a zygote process that forks job workers on request.

:mod:`tools.sandbox` starts ``python -P -c "from tools.worker import zygote_main; zygote_main()"``
once per :class:`~tools.sandbox.Sandbox`.  That entry point never looks at the
caller's ``__main__``, so any host works: a script with or without a main guard,
``python -`` reading stdin, ``python -c``, exec'd notebook code, server workers.

The zygote imports the heavy modules once (sympy), then, for each request on
its control socket, forks a worker that serves jobs on its own socket (passed
in with ``SCM_RIGHTS``).  Forking here is safe: the zygote has a single thread.
A worker gets an address-space limit, a CPU-time budget per job, and exits when
its socket closes; the zygote exits when its control socket closes (its caller
died or closed the sandbox) and kills its workers on the way out.  On Linux a
worker is also killed by the kernel when the zygote dies (``PR_SET_PDEATHSIG``).

Messages on both sockets are length-prefixed pickles.  The worker unpickles
only what its own caller sent; it is a resource boundary, not a security one.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import select
import signal
import socket
import struct
import sys
import time
import traceback
from collections import OrderedDict
from typing import Any

_HEADER = struct.Struct("!Q")
MAX_MESSAGE_BYTES = 256 * 1024 * 1024  # a reply beyond this is refused, not read into memory
_EXITED_KEPT = 1024  # exit statuses the zygote remembers for its caller to ask about
_REAP_WAIT = 2.0  # seconds the zygote waits for a killed or closing worker to exit


class ProtocolError(Exception):
    """The peer sent something that is not a message of ours."""


# --- framing ------------------------------------------------------------------


def send_frame(sock: socket.socket, data: bytes, fds: tuple[int, ...] = ()) -> None:
    """Send ``data`` with its length; ``fds`` travel with the first byte (``SCM_RIGHTS``)."""
    frame = memoryview(_HEADER.pack(len(data)) + data)
    sent = socket.send_fds(sock, [frame], list(fds)) if fds else 0
    sock.sendall(frame[sent:])


def send_msg(sock: socket.socket, obj: Any, fds: tuple[int, ...] = ()) -> None:
    send_frame(sock, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), fds)


def _settimeout(sock: socket.socket, deadline: float | None) -> None:
    if deadline is None:
        sock.settimeout(None)
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)


def _recv_into(sock: socket.socket, view: memoryview, deadline: float | None) -> None:
    while len(view):
        _settimeout(sock, deadline)
        got = sock.recv_into(view)
        if not got:
            raise EOFError("the peer closed its socket")
        view = view[got:]


def recv_frame(
    sock: socket.socket, *, deadline: float | None = None, max_bytes: int = MAX_MESSAGE_BYTES, max_fds: int = 0
) -> tuple[bytes, list[int]]:
    """One frame's bytes and any descriptors sent with it; ``TimeoutError`` past ``deadline``, ``EOFError``."""
    header = bytearray(_HEADER.size)
    fds: list[int] = []
    _settimeout(sock, deadline)
    if max_fds:
        first, fds, _flags, _addr = socket.recv_fds(sock, _HEADER.size, max_fds)
    else:
        first = sock.recv(_HEADER.size)
    if not first:
        raise EOFError("the peer closed its socket")
    header[: len(first)] = first
    _recv_into(sock, memoryview(header)[len(first) :], deadline)
    (size,) = _HEADER.unpack(header)
    if size > max_bytes:
        for fd in fds:
            os.close(fd)
        raise ProtocolError(f"a message of {size} bytes, more than the {max_bytes} allowed")
    body = bytearray(size)
    _recv_into(sock, memoryview(body), deadline)
    return bytes(body), fds


def recv_msg(sock: socket.socket, *, deadline: float | None = None, max_bytes: int = MAX_MESSAGE_BYTES) -> Any:
    data, _ = recv_frame(sock, deadline=deadline, max_bytes=max_bytes)
    return pickle.loads(data)


class _JobUnpickler(pickle.Unpickler):
    """Resolves functions by module and name, but never in ``__main__`` (here it is not the caller's)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__":
            raise ProtocolError(
                f"{name} is defined in the caller's __main__ (the script being run), which a worker cannot "
                "import: move it into an importable module"
            )
        return super().find_class(module, name)


def load_job(data: bytes) -> Any:
    return _JobUnpickler(io.BytesIO(data)).load()


# --- limits -------------------------------------------------------------------


def cpu_budget(seconds: float) -> None:
    """Let the next job use ``seconds`` more CPU time; past it the kernel kills the worker (SIGXCPU).

    The caller kills a worker at its deadline; this bound holds even when the
    caller cannot (it is gone, or stuck), and while a C call holds the GIL.
    """
    try:
        import resource

        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = used.ru_utime + used.ru_stime
        limit = int(spent + seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (limit, resource.RLIM_INFINITY))
    except (ImportError, ValueError, OSError):  # not on this platform: the caller's kill still bounds us
        pass


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: time still bounds us
        pass


def _die_with_parent(zygote_pid: int) -> None:
    """Linux: the kernel kills this worker when the zygote dies, even in the middle of a job."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != zygote_pid:  # the zygote died before the prctl
        os._exit(0)


# --- the worker -----------------------------------------------------------------


def _run_job(data: bytes) -> tuple[str, Any]:
    from tools.base import ToolError

    try:
        fn, args = load_job(data)
    except MemoryError:
        return "error", "the job could not be loaded in the worker: its memory limit is too low even for that"
    except Exception as err:  # noqa: BLE001 - reported to the caller, the worker stays usable
        return "error", f"the job could not be loaded in the worker: {type(err).__name__}: {err}"
    try:
        return "ok", fn(*args)
    except ToolError as err:
        return "tool_error", (err.message, err.code)
    except MemoryError:
        return "tool_error", ("the computation needs more memory than allowed", "too_large")
    except RecursionError:
        return "tool_error", ("the expression is nested too deeply to evaluate", "too_large")
    except SystemExit as err:
        return "error", f"the job called sys.exit({err.code!r})"
    except Exception as err:  # noqa: BLE001 - reported, not raised: the worker stays usable
        return "error", f"{type(err).__name__}: {err}"


def serve(sock: socket.socket) -> None:
    """Answer jobs ``(seconds, pickled (fn, args))`` until the caller closes the socket."""
    while True:
        try:
            seconds, data = recv_msg(sock)
        except (EOFError, ConnectionError):
            return
        cpu_budget(seconds)
        reply = _run_job(data)
        try:
            send_msg(sock, reply)
        except (BrokenPipeError, ConnectionError):
            return
        except Exception as err:  # noqa: BLE001 - e.g. an unpicklable result
            send_msg(sock, ("error", f"the result could not be sent back: {type(err).__name__}: {err}"))


def _worker(fd: int, spec: dict[str, Any], zygote_pid: int) -> None:
    """In the forked child: limits, the caller's import path, warm-up imports, then serve."""
    _die_with_parent(zygote_pid)
    _limit_memory(int(spec["memory_mb"]))
    sys.path[:] = list(spec["path"])
    try:
        os.chdir(spec["cwd"])
    except OSError:
        pass  # the caller's directory is gone: imports by absolute path still work
    sock = socket.socket(fileno=fd)
    sock.setblocking(True)
    for name in spec["warm"]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the job that needs it reports the same error to its caller
            pass
    send_msg(sock, ("ready", os.getpid()))
    serve(sock)


# --- the zygote -----------------------------------------------------------------


class _Zygote:
    def __init__(self, ctrl: socket.socket) -> None:
        self.ctrl = ctrl
        self.pid = os.getpid()
        self.children: set[int] = set()
        self.exited: OrderedDict[int, int] = OrderedDict()

    def reap(self) -> None:
        for pid in list(self.children):
            self._wait(pid, block=False)

    def _wait(self, pid: int, *, block: bool) -> None:
        end = time.monotonic() + (_REAP_WAIT if block else 0)
        while True:
            try:
                got, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                self.children.discard(pid)
                return
            if got:
                self.children.discard(pid)
                self.exited[pid] = status
                while len(self.exited) > _EXITED_KEPT:
                    self.exited.popitem(last=False)
                return
            if time.monotonic() >= end:
                return
            time.sleep(0.002)

    def fork(self, spec: dict[str, Any], fds: list[int]) -> tuple[str, Any]:
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            return "error", "a fork request must carry exactly one socket"
        pid = os.fork()
        if pid == 0:  # the worker: never return into the zygote's loop
            code = 0
            try:
                self.ctrl.close()
                _worker(fds[0], spec, self.pid)
            except BaseException:  # noqa: BLE001 - a worker must not fall back into the zygote
                traceback.print_exc()
                code = 70
            finally:
                os._exit(code)
        os.close(fds[0])
        self.children.add(pid)
        return "forked", pid

    def stop(self, pid: int) -> tuple[str, Any]:
        """Kill ``pid`` (only while it is our unreaped child: no pid reuse) and return its wait status.

        A worker that already exited keeps its own status: killing a zombie changes nothing.
        """
        if pid in self.children:
            os.kill(pid, signal.SIGKILL)
            self._wait(pid, block=True)
        return "status", self.exited.pop(pid, None)

    def handle(self, data: bytes, fds: list[int]) -> tuple[str, Any]:
        request = pickle.loads(data)
        if request[0] == "fork":
            return self.fork(request[1], fds)
        for fd in fds:
            os.close(fd)
        if request[0] == "stop":
            return self.stop(int(request[1]))
        return "error", f"unknown request {request[0]!r}"

    def loop(self) -> None:
        while True:
            readable, _, _ = select.select([self.ctrl], [], [], 1.0)
            self.reap()
            if not readable:
                continue
            try:
                data, fds = recv_frame(self.ctrl, max_fds=1)
            except (EOFError, ConnectionError):
                return
            send_msg(self.ctrl, self.handle(data, fds))

    def kill_all(self) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._wait(pid, block=True)


def zygote_main(argv: list[str] | None = None) -> None:
    """``CTRL_FD [MODULE...]``: preload the modules, then fork workers until the control socket closes."""
    args = sys.argv[1:] if argv is None else argv
    if not args or not args[0].isdigit():
        sys.exit("usage: python -m tools.worker CTRL_FD [MODULE...] (started by tools.sandbox, not by hand)")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle; we follow its exit
    os.dup2(2, 1)  # a job's print() must never reach the caller's stdout (an MCP stdio stream, say)
    ctrl = socket.socket(fileno=int(args[0]))
    for name in args[1:]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - workers import it again and report the error to their caller
            traceback.print_exc()
    zygote = _Zygote(ctrl)
    try:
        send_msg(ctrl, ("ready", os.getpid()))
        zygote.loop()
    except (BrokenPipeError, ConnectionError):
        pass
    finally:
        zygote.kill_all()


if __name__ == "__main__":
    zygote_main()
