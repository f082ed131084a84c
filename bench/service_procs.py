"""HTTP servers as child processes for the service benchmark: start several at once, wait, measure, stop.

Every server binds 127.0.0.1 on a free port and logs to a file in the work
directory; one that exits or does not answer its readiness path in time is
reported with the end of its log.  Its memory is the resident set of its
process and every descendant (a server may fork workers), read from /proc.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.env import REPO, child_env

GRAPH_MODULE = REPO / "bench" / "anchors" / "service_graph.py"


class ServerFailed(RuntimeError):
    """A server did not start; the message has the end of its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class HttpServer:
    """One server: its command, environment and readiness path; started with :meth:`start`."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    port: int
    ready_path: str = "/ok"
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.cwd / "server.log"

    def start(self) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=self.env, cwd=self.cwd
            )

    def tail(self, chars: int = 1500) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from now until the server answers 200 on its readiness path."""
        import httpx

        assert self.proc is not None
        started = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > timeout:
                raise ServerFailed(f"{self.name} did not answer {self.ready_path} within {timeout:g} s:\n{self.tail()}")
            time.sleep(0.1)

    def rss(self) -> int | None:
        """Resident bytes of the server and its descendants now; None without /proc."""
        if self.proc is None:
            return None
        pids = _tree(self.proc.pid)
        sizes = [_vm(pid, "VmRSS") for pid in pids]
        return sum(s for s in sizes if s is not None) if any(s is not None for s in sizes) else None

    def peak(self) -> int | None:
        """The server process's own peak resident bytes (VmHWM); None without /proc."""
        return None if self.proc is None else _vm(self.proc.pid, "VmHWM")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def _vm(pid: int, name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def ours(name: str, workdir: Path, *, checkpointer: str | None = None, redis_url: str | None = None) -> HttpServer:
    """``python -m agent.service`` serving the benchmark graph: SQLite by default, or a database (and Redis)."""
    where = workdir / name.replace(" ", "-").replace(":", "").replace("+", "")
    where.mkdir(parents=True, exist_ok=True)
    graphs = where / "graphs.json"
    graphs.write_text(json.dumps({"graphs": {"agent": f"{GRAPH_MODULE}:make"}}))
    extra = {"AGENT_SERVICE_GRAPHS": str(graphs)}
    if checkpointer:
        extra["AGENT_CHECKPOINTER"] = checkpointer
    if redis_url:
        extra["AGENT_REDIS_URL"] = redis_url
    env = child_env(where / "home", **extra)
    port = free_port()
    argv = [sys.executable, "-m", "agent.service", "--host", "127.0.0.1", "--port", str(port)]
    return HttpServer(name, argv, env, where, port)


def redis_unavailable(url: str) -> str | None:
    """Why Redis at ``url`` cannot be used, or None when it answers PING."""
    try:
        import redis
    except ImportError:
        return "the redis client is not installed: pip install -e '.[bench]'"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as err:
        return f"Redis is not reachable at {url.split('@')[-1]}: {str(err).splitlines()[0] if str(err) else err}"
    return None


REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")

__all__ = ["REDIS_URL", "HttpServer", "ServerFailed", "free_port", "ours", "redis_unavailable"]
