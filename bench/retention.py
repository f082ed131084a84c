"""Retention: what pruning a long thread's old checkpoints gives back, and that the thread goes on after it.

It waits for ``graphs.memory.prune(saver, thread_id=None) -> (bytes_before,
bytes_after)`` (and ``python -m agent threads prune``).  Until that exists it
prints ``prune: not yet implemented``; once it does, this builds a thread of
ours on SQLite and PostgreSQL, prunes it, measures the storage itself before
and after, and runs one more turn on the pruned thread.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from bench import pg
from bench.report import Outcome, Table


def prune_hook() -> Any:
    """``graphs.memory.prune``, or None while it is not implemented."""
    import graphs.memory

    return getattr(graphs.memory, "prune", None)


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    prune = prune_hook()
    if prune is None:
        outcome.skips.append(
            "prune: not yet implemented (hook: graphs.memory.prune(saver, thread_id=None) "
            "-> (bytes_before, bytes_after))"
        )
        return
    from bench.storage import conversation, stored_bytes

    turns = 50 if quick else 200
    table = Table(
        f"one thread of {turns} turns, pruned",
        ["backend", "bytes before", "bytes after", "kept", "prune's own figures", "prune s", "next turn"],
    )
    for kind in ("sqlite", "postgres"):
        if kind == "postgres" and (why := pg.unavailable()):
            outcome.skip("prune on PostgreSQL", why)
            continue
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(pg.temporary_database("prune")) if kind == "postgres" else None
            path = workdir / "prune.sqlite"
            saver, turn = conversation("ours", kind, stack, path=path, url=url)
            for n in range(1, turns + 1):
                turn(n)
            before = stored_bytes(kind, saver, path, url)
            started = time.perf_counter()
            reported = prune(saver, thread_id=None)
            took = time.perf_counter() - started
            after = stored_bytes(kind, saver, path, url)
            out = turn(turns + 1)
            answered = "answered" if out.get("stop_reason") == "answered" else f"stopped: {out.get('stop_reason')}"
        table.add(
            kind, before, after, f"{after / before:.0%}" if before else "-", f"{reported}", f"{took:.2f}", answered
        )
    outcome.tables.append(table)


__all__ = ["prune_hook", "run"]
