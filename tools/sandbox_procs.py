"""The caller's handles on the sandbox processes: the zygote and its workers (see :mod:`tools.worker`).

Start-up never goes through :mod:`multiprocessing`, which re-imports the
caller's ``__main__`` in every child: the zygote is a fresh interpreter started
on :func:`tools.worker.zygote_main`, with the caller's stdin and stdout kept
away from it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tools.worker import ProtocolError, recv_msg, send_frame, send_msg

STARTUP_TIMEOUT = 60.0  # seconds for the zygote's imports or a worker's warm-up: a hang, not a budget
REQUEST_TIMEOUT = 10.0  # seconds for the zygote to answer one request
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)  # where ``tools`` lives


class Unavailable(Exception):
    """The zygote could not be started or stopped answering."""


def _caller_path() -> list[str]:
    """The caller's import path, with the current directory made absolute (it is '' under -c and stdin)."""
    cwd = os.getcwd()
    return [os.path.join(cwd, entry) if not os.path.isabs(entry) else entry for entry in sys.path]


class Zygote:
    """One ``tools.worker`` zygote process and its control socket."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        if not sys.executable:
            raise Unavailable("this Python does not know its own executable (sys.executable is empty)")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([_PACKAGE_ROOT, *filter(None, [env.get("PYTHONPATH")])])
        code = "from tools.worker import zygote_main; zygote_main()"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-c", code, str(theirs.fileno()), *preload],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
            )
        except OSError as err:
            ours.close()
            raise Unavailable(f"could not start {sys.executable}: {err}") from err
        finally:
            theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        self.broken = False
        try:
            kind, _pid = recv_msg(ours, deadline=time.monotonic() + STARTUP_TIMEOUT)
        except (EOFError, OSError, TimeoutError, ProtocolError) as err:
            self.close()
            raise Unavailable(f"the sandbox's zygote did not start ({type(err).__name__}: {err})") from err
        if kind != "ready":
            self.close()
            raise Unavailable(f"the sandbox's zygote answered {kind!r} instead of 'ready'")

    def _request(self, request: tuple[Any, ...], fds: tuple[int, ...] = ()) -> Any:
        import pickle

        with self.lock:
            if self.broken:
                raise Unavailable("the sandbox's zygote has stopped")
            try:
                send_frame(self.sock, pickle.dumps(request), fds)
                kind, value = recv_msg(self.sock, deadline=time.monotonic() + REQUEST_TIMEOUT)
            except (EOFError, OSError, TimeoutError, ProtocolError) as err:
                self.broken = True  # the stream may be out of step: never reuse it
                raise Unavailable(f"the sandbox's zygote stopped answering ({type(err).__name__})") from err
        if kind == "error":
            raise Unavailable(f"the sandbox's zygote refused: {value}")
        return value

    def fork(self, memory_mb: int, warm: tuple[str, ...]) -> Worker:
        """A new worker (not yet ready: see :meth:`Worker.wait_ready`)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        spec = {"memory_mb": memory_mb, "path": _caller_path(), "cwd": os.getcwd(), "warm": warm}
        try:
            pid = self._request(("fork", spec), (theirs.fileno(),))
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return Worker(int(pid), ours, self, memory_mb)

    def stop(self, pid: int) -> int | None:
        """Kill a worker and return its wait status, when the zygote could tell it."""
        try:
            return self._request(("stop", pid))
        except Unavailable:  # the zygote is gone, and on Linux its workers died with it
            return None

    def close(self) -> None:
        """Close the control socket: the zygote kills its workers and exits."""
        with self.lock:
            self.broken = True
            self.sock.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def forget(self) -> None:
        """In a forked child of the caller: drop our copy of the socket, leave the parent's zygote alone."""
        self.broken = True
        self.sock.close()
        self.process.returncode = 0  # not ours to wait for


class Worker:
    """One forked worker: a socket to it and its pid (which only its zygote may signal)."""

    def __init__(self, pid: int, sock: socket.socket, zygote: Zygote, memory_mb: int) -> None:
        self.pid = pid
        self.sock = sock
        self.zygote = zygote
        self.memory_mb = memory_mb

    def wait_ready(self) -> None:
        try:
            kind, _pid = recv_msg(self.sock, deadline=time.monotonic() + STARTUP_TIMEOUT)
        except (EOFError, OSError, TimeoutError, ProtocolError) as err:
            status = self.kill()
            raise Unavailable(f"a sandbox worker did not start ({describe_status(status)})") from err
        if kind != "ready":
            self.kill()
            raise Unavailable(f"a sandbox worker answered {kind!r} instead of 'ready'")

    def alive(self) -> bool:
        """False when the worker has exited (its socket is at EOF) or said something unasked."""
        try:
            self.sock.setblocking(False)
            self.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def call(self, seconds: float, payload: bytes, deadline: float) -> tuple[str, Any]:
        """Send a job and wait for its reply; ``TimeoutError`` at ``deadline``, ``EOFError`` if the worker died."""
        self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        send_msg(self.sock, (seconds, payload))
        return recv_msg(self.sock, deadline=deadline)

    def kill(self) -> int | None:
        status = self.zygote.stop(self.pid)
        self.sock.close()
        return status

    def close(self) -> None:
        """Let an idle worker go: it exits when it reads EOF, and the zygote reaps it."""
        self.sock.close()


def describe_status(status: int | None) -> str:
    if status is None:
        return "its exit status is unknown"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


__all__ = ["STARTUP_TIMEOUT", "Unavailable", "Worker", "Zygote", "describe_status"]
