"""Retention: keep, per thread, only what resuming and reading the conversation need; drop old threads.

LangGraph's own ``prune`` refuses threads with a ``DeltaChannel`` (the message
history is the sum of every step's writes since a snapshot), and the PostgreSQL
saver implements none.  Pruning here rewrites a finished thread as one
checkpoint whose single write holds the whole history: the messages, the
summary, the last run's plan and counters stay; the steps in between (time
travel within old runs) go.  A thread that is paused or mid-run is left alone,
and the thread's run lock is held while it is rewritten, so no run interleaves.

``expired_threads`` lists threads not touched for a given age (``AGENT_THREAD_TTL``),
which ``python -m agent threads prune --ttl`` deletes whole.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

log = logging.getLogger(__name__)
KEPT = ("messages", "plan", "stats", "tool_log", "summary", "summary_upto", "stop_reason", "error")


def prune_thread(graph: Any, thread_id: str) -> bool:
    """Rewrite one finished thread as a single checkpoint; False when it was left as it was (empty, paused, busy)."""
    config = {"configurable": {"thread_id": thread_id}}
    lock = getattr(graph, "run_lock", None)
    if lock is None:
        return _prune(graph, config)
    with lock.hold(thread_id, run_id="prune"):
        return _prune(graph, config)


def _prune(graph: Any, config: dict[str, Any]) -> bool:
    state = graph.get_state(config)
    if not state.values or state.next or state.interrupts:
        return False
    values = {key: state.values[key] for key in KEPT if key in state.values}
    thread_id = config["configurable"]["thread_id"]
    graph.checkpointer.delete_thread(thread_id)
    graph.update_state(config, values, as_node="finish")  # finish leads to END: nothing is pending after
    log.info("pruned thread %s to one checkpoint (%d messages)", thread_id, len(values.get("messages", [])))
    return True


def expired_threads(saver: Any, older_than: dt.timedelta, now: dt.datetime | None = None) -> list[str]:
    """Threads whose newest checkpoint is older than ``older_than``."""
    now = now or dt.datetime.now(dt.UTC)
    newest: dict[str, str] = {}
    for item in saver.list(None):
        thread = item.config["configurable"]["thread_id"]
        stamp = item.checkpoint.get("ts", "")
        if stamp > newest.get(thread, ""):
            newest[thread] = stamp
    cutoff = (now - older_than).isoformat()
    return sorted(thread for thread, stamp in newest.items() if stamp and stamp < cutoff)


def storage_bytes(saver: Any) -> int:
    """What the saver keeps: SQLite pages in use, PostgreSQL live row bytes (space of deleted rows is
    reused by autovacuum, not returned at once); 0 when unknown."""
    from graphs.memory import is_postgres_saver

    if is_postgres_saver(saver):
        with saver._cursor() as cur:  # the saver's own connection
            cur.execute(
                "SELECT (SELECT COALESCE(SUM(pg_column_size(c.*)), 0) FROM checkpoints c) "
                "+ (SELECT COALESCE(SUM(pg_column_size(b.*)), 0) FROM checkpoint_blobs b) "
                "+ (SELECT COALESCE(SUM(pg_column_size(w.*)), 0) FROM checkpoint_writes w) AS size"
            )
            return int(cur.fetchone()["size"])
    conn = getattr(saver, "conn", None)
    if conn is None:
        return 0
    with saver.cursor() as cur:
        pages = cur.execute("PRAGMA page_count").fetchone()[0]
        free = cur.execute("PRAGMA freelist_count").fetchone()[0]
        size = cur.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def compact_storage(saver: Any) -> None:
    """Give freed space back to the file system (SQLite ``VACUUM``); PostgreSQL's autovacuum does it there."""
    from graphs.memory import is_postgres_saver

    if not is_postgres_saver(saver) and getattr(saver, "conn", None) is not None:
        with saver.lock:
            saver.conn.execute("VACUUM")


__all__ = ["KEPT", "compact_storage", "expired_threads", "prune_thread", "storage_bytes"]
