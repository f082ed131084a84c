"""Shared pieces of the SQLite backend tests: a backend on a private sandbox, worker measurements."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tools.db.common import parse_database_url
from tools.db.sqlite import WORKER_MEMORY_MB, SqliteBackend
from tools.db.sqlite_worker import worker_status
from tools.sandbox import Sandbox


def private_sandbox() -> Sandbox:
    """One idle worker at most, so consecutive calls run in the same worker process (until it is killed)."""
    return Sandbox(memory_mb=WORKER_MEMORY_MB, max_idle=1)


def backend(db: Path, box: Sandbox, *, timeout: float = 5.0, writes: bool = False) -> SqliteBackend:
    return SqliteBackend(parse_database_url(str(db)), timeout=timeout, writes_enabled=writes, sandbox=box)


def status(box: Sandbox) -> dict[str, int]:
    """pid, peak_rss_kib and written_bytes of the sandbox's (single idle) worker."""
    return box.run(worker_status, timeout=30, what="the status probe")


def snapshot(db: Path) -> tuple[str, list[str]]:
    """The database's bytes (hashed) and the names of all files next to it."""
    return hashlib.sha256(db.read_bytes()).hexdigest(), sorted(p.name for p in db.parent.iterdir())
