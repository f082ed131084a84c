"""One run per thread at a time, across processes.

Two runs on one thread would each read the same checkpoint and write their own
continuation of it, and one of them would silently vanish from the thread.  So
every run holds the thread's lock for its whole length:

* SQLite: an OS file lock (``flock``) on a file beside the database, released by
  the kernel when the process dies, whatever kills it;
* PostgreSQL: a session advisory lock on a connection of its own, unlocked when
  the run ends, and released by the server if that connection ends first;
* in memory: a lock in this process.

A run that finds its thread busy waits (polling, so sync and async callers work
the same) up to ``wait`` seconds, then raises :class:`ThreadBusy`, which names
the holder.  ``wait=0`` refuses at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from graphs.saver_target import SaverTarget

POLL_SECONDS = 0.05
log = logging.getLogger(__name__)


class ThreadBusy(RuntimeError):
    """Another run holds the thread; the message says which and what to do."""

    def __init__(self, thread_id: str, holder: str, waited: float) -> None:
        self.thread_id, self.holder = thread_id, holder
        waited_text = f" after waiting {waited:g} s" if waited else ""
        super().__init__(
            f"thread {thread_id} is busy with {holder or 'another run'}{waited_text}; "
            "try again when it finishes, or use another thread"
        )


def holder_info(run_id: str | None = None) -> dict[str, Any]:
    return {"run": run_id or "", "pid": os.getpid(), "host": socket.gethostname(), "since": round(time.time(), 3)}


def describe(info: dict[str, Any] | None) -> str:
    if not info:
        return ""
    run = f"run {info['run']} " if info.get("run") else "a run "
    return f"{run}(process {info.get('pid')} on {info.get('host')})"


class Held(Protocol):
    def release(self) -> None: ...


class Backend(Protocol):
    def try_acquire(self, thread_id: str, info: dict[str, Any]) -> Held | None: ...
    def holder(self, thread_id: str) -> dict[str, Any] | None: ...


@dataclass
class _ProcessHeld:
    locks: ProcessLocks
    thread_id: str

    def release(self) -> None:
        with self.locks.guard:
            self.locks.held.pop(self.thread_id, None)


@dataclass
class ProcessLocks:
    """Threads held by runs of this process (also the first gate of the other backends)."""

    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def try_acquire(self, thread_id: str, info: dict[str, Any]) -> Held | None:
        with self.guard:
            if thread_id in self.held:
                return None
            self.held[thread_id] = info
        return _ProcessHeld(self, thread_id)

    def holder(self, thread_id: str) -> dict[str, Any] | None:
        return self.held.get(thread_id)


def _digest(thread_id: str) -> str:
    return hashlib.sha256(thread_id.encode()).hexdigest()[:32]


@dataclass
class _FileHeld:
    lock: Any
    info_path: Path
    inner: Held

    def release(self) -> None:
        try:
            self.info_path.unlink(missing_ok=True)
        finally:
            self.lock.release()
            self.inner.release()


@dataclass
class FileLocks:
    """``flock`` files in ``<database>.locks/``, one per thread."""

    folder: Path
    process: ProcessLocks = field(default_factory=ProcessLocks)

    def try_acquire(self, thread_id: str, info: dict[str, Any]) -> Held | None:
        from filelock import FileLock, Timeout

        inner = self.process.try_acquire(thread_id, info)
        if inner is None:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.folder / f"{_digest(thread_id)}.lock", thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            inner.release()
            return None
        info_path = self.folder / f"{_digest(thread_id)}.json"
        info_path.write_text(json.dumps(info), encoding="utf-8")
        return _FileHeld(lock, info_path, inner)

    def holder(self, thread_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / f"{_digest(thread_id)}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self.process.holder(thread_id)


_PG_SETUP = """
CREATE TABLE IF NOT EXISTS agent_thread_holders (
    thread_id text PRIMARY KEY, holder jsonb NOT NULL, since timestamptz NOT NULL DEFAULT now()
)"""


def _pg_keys(thread_id: str) -> tuple[int, int]:
    raw = hashlib.sha256(thread_id.encode()).digest()
    return int.from_bytes(raw[:4], "big", signed=True), int.from_bytes(raw[4:8], "big", signed=True)


# One round trip: the lock, and (only when it was won) who holds it, for the busy message.
_PG_ACQUIRE = """
WITH got AS (SELECT pg_try_advisory_lock(%(k1)s, %(k2)s) AS ok)
INSERT INTO agent_thread_holders (thread_id, holder) SELECT %(thread)s, %(holder)s FROM got WHERE ok
ON CONFLICT (thread_id) DO UPDATE SET holder = EXCLUDED.holder, since = now()
RETURNING true"""
PG_IDLE_CONNECTIONS = 4  # lock connections kept open between runs, per server


@dataclass
class _PgHeld:
    locks: PostgresLocks
    conn: Any
    keys: tuple[int, int]
    inner: Held

    def release(self) -> None:
        try:
            self.locks.give_back(self.conn, self.keys)
        finally:
            self.inner.release()


@dataclass
class PostgresLocks:
    """Session advisory locks, each on a connection held for the run.

    The lock is given back with ``pg_advisory_unlock`` (closing the connection
    would free it only once the server noticed, and the next run on the thread
    would find it busy); the connection then waits for the next run, a few kept.
    A connection whose unlock failed is closed, which frees whatever it held.
    """

    conninfo: str
    process: ProcessLocks = field(default_factory=ProcessLocks)
    _ready: bool = False
    _idle: list[Any] = field(default_factory=list)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _pid: int = field(default_factory=os.getpid)

    def _connect(self) -> Any:
        import psycopg

        # The holder row is only for the busy message: its commit need not wait for the disk.
        conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5, options="-c synchronous_commit=off")
        if not self._ready:
            conn.execute(_PG_SETUP)
            self._ready = True
        return conn

    def _take(self) -> Any:
        with self._guard:
            if self._pid != os.getpid():  # a forked child: the parent's sockets are not ours to use or close
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed and not conn.broken:
                    return conn
        return self._connect()

    def _keep(self, conn: Any) -> None:
        with self._guard:
            if len(self._idle) < PG_IDLE_CONNECTIONS and not conn.closed and self._pid == os.getpid():
                self._idle.append(conn)
                return
        conn.close()

    def give_back(self, conn: Any, keys: tuple[int, int]) -> None:
        """Unlock, then keep the connection; closed instead when the unlock did not certainly happen."""
        try:
            unlocked = conn.execute("SELECT pg_advisory_unlock(%s, %s)", keys).fetchone()[0]
        except Exception:  # noqa: BLE001 - a dead connection: closing it ends the session and the lock
            log.warning("could not unlock a PostgreSQL run lock; closing its connection", exc_info=True)
            conn.close()
            return
        if unlocked:
            self._keep(conn)
        else:  # not held by this session (it should be): never reuse a session in an unknown state
            conn.close()

    def try_acquire(self, thread_id: str, info: dict[str, Any]) -> Held | None:
        inner = self.process.try_acquire(thread_id, info)
        if inner is None:
            return None
        conn = None
        keys = _pg_keys(thread_id)
        try:
            conn = self._take()
            params = {"k1": keys[0], "k2": keys[1], "thread": thread_id, "holder": json.dumps(info)}
            if conn.execute(_PG_ACQUIRE, params).fetchone() is not None:
                return _PgHeld(self, conn, keys, inner)
        except BaseException:
            if conn is not None:
                conn.close()
            inner.release()
            raise
        self._keep(conn)
        inner.release()
        return None

    def holder(self, thread_id: str) -> dict[str, Any] | None:
        conn = self._take()
        try:
            row = conn.execute("SELECT holder FROM agent_thread_holders WHERE thread_id = %s", (thread_id,)).fetchone()
        except BaseException:
            conn.close()
            raise
        self._keep(conn)
        return row[0] if row else self.process.holder(thread_id)


_PROCESS = ProcessLocks()


def locks_for(target: SaverTarget) -> Backend:
    if target.kind == "sqlite":
        return FileLocks(Path(target.location + ".locks"), _PROCESS)
    if target.kind == "postgres":
        return PostgresLocks(target.location, _PROCESS)
    return _PROCESS


@dataclass
class RunLock:
    """Hold a thread for a run: ``with lock.hold(thread)`` or ``async with lock.ahold(thread)``."""

    backend: Backend
    wait: float = 30.0  # seconds a run waits for a busy thread; 0 refuses at once

    def _waiting(self, thread_id: str) -> None:
        if self.wait > 0:
            log.warning(
                "thread %s is busy with %s; waiting up to %g s",
                thread_id,
                self._busy(thread_id, 0).holder or "another run",
                self.wait,
            )

    def _busy(self, thread_id: str, waited: float) -> ThreadBusy:
        try:
            holder = describe(self.backend.holder(thread_id))
        except Exception:  # noqa: BLE001 - the holder is only for the message
            holder = ""
        return ThreadBusy(thread_id, holder, waited)

    @contextmanager
    def hold(self, thread_id: str, run_id: str | None = None) -> Iterator[None]:
        started, info = time.monotonic(), holder_info(run_id)
        if (held := self.backend.try_acquire(thread_id, info)) is None:
            self._waiting(thread_id)
        while held is None and (held := self.backend.try_acquire(thread_id, info)) is None:
            if time.monotonic() - started >= self.wait:
                raise self._busy(thread_id, self.wait)
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            held.release()

    async def _atry(self, thread_id: str, info: dict[str, Any]) -> Held | None:
        """One attempt on a worker thread; a lock won while the caller was cancelled is given back."""
        attempt = asyncio.ensure_future(asyncio.to_thread(self.backend.try_acquire, thread_id, info))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            held = await attempt
            if held is not None:
                held.release()
            raise

    @asynccontextmanager
    async def ahold(self, thread_id: str, run_id: str | None = None) -> AsyncIterator[None]:
        started, info = time.monotonic(), holder_info(run_id)
        if (held := await self._atry(thread_id, info)) is None:
            await asyncio.to_thread(self._waiting, thread_id)
        while held is None and (held := await self._atry(thread_id, info)) is None:
            if time.monotonic() - started >= self.wait:
                raise self._busy(thread_id, self.wait)
            await asyncio.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            await asyncio.to_thread(held.release)


__all__ = ["FileLocks", "PostgresLocks", "ProcessLocks", "RunLock", "ThreadBusy", "locks_for"]
