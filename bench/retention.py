"""Retention: what pruning a long thread gives back, and that the thread goes on after it.

A thread of ours grows by every step's checkpoint; ``graphs.retention.prune_thread``
(``python -m agent threads prune``) rewrites a finished thread as one checkpoint
holding its whole conversation.  This builds a thread of T turns on SQLite and
PostgreSQL, measures what the saver keeps before and after the prune (SQLite: the
file after ``VACUUM``; PostgreSQL: the live bytes of the checkpoint tables, since
the space of deleted rows is reused by autovacuum rather than returned to the
system at once), and plays one more turn on the pruned thread.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from bench import pg
from bench.report import Outcome, Table


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    turns = 50 if quick else 200
    table = Table(
        f"one thread of {turns} turns, pruned to one checkpoint",
        ["backend", "measured", "KB before", "KB after", "kept", "checkpoints", "prune s", "next turn"],
    )
    for kind in ("sqlite", "postgres"):
        if kind == "postgres" and (why := pg.unavailable()):
            outcome.skip("prune on PostgreSQL", why)
            continue
        table.add(kind, *prune_one(kind, turns, workdir))
    outcome.tables.append(table)


def prune_one(kind: str, turns: int, workdir: Path) -> list[str]:
    """One thread built, measured, pruned, measured and continued: the table's cells after the backend."""
    from bench.storage import conversation
    from graphs.retention import compact_storage, prune_thread

    config = {"configurable": {"thread_id": "bench-thread"}}
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(pg.temporary_database("prune")) if kind == "postgres" else None
        path = workdir / "prune.sqlite"
        saver, turn, graph = conversation("ours", kind, stack, path=path, url=url)
        for n in range(1, turns + 1):
            turn(n)
        checkpoints = len(list(saver.list(config)))
        before = _kept(kind, saver, path, url)
        started = time.perf_counter()
        if not prune_thread(graph, "bench-thread"):
            raise RuntimeError("the finished thread was not pruned")
        compact_storage(saver)
        took = time.perf_counter() - started
        after = _kept(kind, saver, path, url)
        left = len(list(saver.list(config)))
        out = turn(turns + 1)
    answered = "answered" if out.get("stop_reason") == "answered" else f"stopped: {out.get('stop_reason')}"
    return [
        "file" if kind == "sqlite" else "live rows", f"{before / 1024:.0f}", f"{after / 1024:.0f}",
        f"{after / before:.1%}", f"{checkpoints} -> {left}", f"{took:.2f}", answered,
    ]  # fmt: skip


def _kept(kind: str, saver: Any, path: Path, url: str | None) -> int:
    from bench.storage import stored_bytes
    from graphs.retention import storage_bytes

    return stored_bytes(kind, saver, path, url) if kind == "sqlite" else storage_bytes(saver)


__all__ = ["prune_one", "run"]
