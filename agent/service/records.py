"""Threads and runs, in SQLite (one process) or PostgreSQL (any number of replicas).

Runs are a queue in a table: a worker claims the oldest runnable run with one
``UPDATE … WHERE run_id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``, holds
it with a lease it renews while the run goes on, and a run whose lease expired
(its worker died) is claimed again and resumed from its last checkpoint.  A run
is runnable when no earlier run of its thread is pending or running, so the
runs of one thread execute in the order they were created.

Plain DB-API code (``sqlite3`` or psycopg), run on worker threads by the async
callers: one code path for both engines, and the engines' own locking.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.service.serde import now

ACTIVE = ("pending", "running")
_RUN_COLUMNS = (
    "run_id, thread_id, assistant_id, created_at, updated_at, status, metadata, multitask_strategy, kwargs, "
    "attempt, worker, lease_until, cancel, cancel_reason, seq, temporary"
)


def _schema(dialect: str) -> list[str]:
    seq = "BIGSERIAL" if dialect == "postgres" else "INTEGER"
    json_type = "JSONB" if dialect == "postgres" else "TEXT"
    return [
        f"""CREATE TABLE IF NOT EXISTS agent_threads (
            thread_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            metadata {json_type} NOT NULL, status TEXT NOT NULL DEFAULT 'idle', error TEXT)""",
        f"""CREATE TABLE IF NOT EXISTS agent_runs (
            run_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, assistant_id TEXT NOT NULL,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, status TEXT NOT NULL,
            metadata {json_type} NOT NULL, multitask_strategy TEXT NOT NULL, kwargs TEXT NOT NULL,
            attempt INTEGER NOT NULL DEFAULT 0, worker TEXT, lease_until DOUBLE PRECISION,
            cancel TEXT, cancel_reason TEXT, seq {seq}, temporary BOOLEAN NOT NULL DEFAULT FALSE)""",
        "CREATE INDEX IF NOT EXISTS agent_runs_thread ON agent_runs (thread_id, status)",
        "CREATE INDEX IF NOT EXISTS agent_runs_status ON agent_runs (status, seq)",
    ]


def _json(value: Any) -> str:
    return json.dumps(value if value is not None else {}, default=str)


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class Records:
    """Thread and run records; every method is synchronous (call it with ``asyncio.to_thread``)."""

    def __init__(self, dialect: str, connect: Callable[[], Any]) -> None:
        self.dialect, self._connect = dialect, connect
        self.p = "%s" if dialect == "postgres" else "?"
        self._local = threading.local() if dialect == "sqlite" else None
        with self._tx() as cur:
            for statement in _schema(dialect):
                cur.execute(statement)

    @classmethod
    def open(cls, url: str) -> Records:
        """Beside the checkpoints: the same PostgreSQL database, or a SQLite file next to the checkpoint file."""
        if url.startswith(("postgresql://", "postgres://")):
            from psycopg_pool import ConnectionPool

            pool = ConnectionPool(url, min_size=1, max_size=8, open=True, kwargs={"autocommit": False})
            return cls("postgres", lambda: pool.connection())
        path = url.removeprefix("sqlite:///").removeprefix("sqlite:")
        if path in ("", ":memory:", "memory", "memory:"):  # threads in memory: records for this process only
            import tempfile

            path = str(Path(tempfile.mkdtemp(prefix="agent-service-")) / "checkpoints.sqlite")
        target = str(Path(path).expanduser().with_name("service.sqlite"))

        def connect() -> Any:
            conn = sqlite3.connect(target, timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # as the checkpoints: every commit survives the process being killed (a run is resumed, never
            # lost); a power cut may lose the last few, and a commit does not wait for the disk
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn

        return cls("sqlite", connect)

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        if self.dialect == "postgres":
            with self._connect() as conn, conn.transaction(), conn.cursor() as cur:
                yield cur
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn.cursor()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._tx() as cur:
            return self._on(cur, sql, params)

    def _on(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """One statement inside a transaction already open (several statements, one commit)."""
        cur.execute(sql.replace("?", self.p), params)
        if cur.description is None:
            return []
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # --- threads --------------------------------------------------------------------
    def create_thread(self, thread_id: str, metadata: dict[str, Any]) -> dict[str, Any] | None:
        """The new thread, or None when one with this id exists."""
        stamp = now()
        rows = self._rows(
            "INSERT INTO agent_threads (thread_id, created_at, updated_at, metadata) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (thread_id) DO NOTHING RETURNING *",
            (thread_id, stamp, stamp, _json(metadata)),
        )
        return self._thread(rows[0]) if rows else None

    def thread(self, thread_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM agent_threads WHERE thread_id = ?", (thread_id,))
        return self._thread(rows[0]) if rows else None

    @staticmethod
    def _thread(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "metadata": _load(row["metadata"]) or {}}

    def update_thread(self, thread_id: str, *, metadata: dict[str, Any] | None = None, **fields: Any) -> None:
        sets, params = ["updated_at = ?"], [now()]
        if metadata is not None:
            current = self.thread(thread_id)
            merged = {**((current or {}).get("metadata") or {}), **metadata}
            sets.append("metadata = ?")
            params.append(_json(merged))
        for name, value in fields.items():
            sets.append(f"{name} = ?")
            params.append(value)
        self._rows(f"UPDATE agent_threads SET {', '.join(sets)} WHERE thread_id = ?", (*params, thread_id))

    def delete_thread(self, thread_id: str) -> bool:
        self._rows("DELETE FROM agent_runs WHERE thread_id = ?", (thread_id,))
        return bool(self._rows("DELETE FROM agent_threads WHERE thread_id = ? RETURNING thread_id", (thread_id,)))

    def search_threads(
        self,
        metadata: dict[str, Any],
        status: str | None,
        ids: list[str] | None,
        limit: int,
        offset: int,
        sort_by: str,
        descending: bool,
    ) -> list[dict[str, Any]]:
        where, params = [], []
        for key, value in (metadata or {}).items():
            if self.dialect == "postgres":
                where.append("metadata @> ?::jsonb")
                params.append(_json({key: value}))
            else:
                where.append("json_extract(metadata, ?) = json_extract(?, '$.v')")
                params += [f'$."{key}"', _json({"v": value})]
        if status:
            where.append("status = ?")
            params.append(status)
        if ids:
            where.append(f"thread_id IN ({', '.join('?' for _ in ids)})")
            params += ids
        column = sort_by if sort_by in ("thread_id", "created_at", "updated_at", "status") else "updated_at"
        sql = "SELECT * FROM agent_threads" + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += f" ORDER BY {column} {'DESC' if descending else 'ASC'} LIMIT ? OFFSET ?"
        return [self._thread(r) for r in self._rows(sql, (*params, limit, offset))]

    # --- runs -----------------------------------------------------------------------
    def submit(self, run: dict[str, Any], *, if_not_exists: str, strategy: str) -> tuple[str, Any]:
        """Record a new run in one transaction, unless its thread says otherwise.

        ``("created", run)``; ``("missing", None)`` when the thread does not exist and
        ``if_not_exists`` is ``reject``; ``("busy", active runs)`` when the thread has
        active runs and ``strategy`` is ``reject``, ``interrupt`` or ``rollback`` (nothing
        recorded: the caller stops them first, then submits with ``enqueue``).  A run
        without a thread of its own (``temporary``) gets a new one.
        """
        with self._tx() as cur:
            thread_id = run["thread_id"]
            if run.get("temporary"):
                self._insert_thread(cur, thread_id, {"temporary": True})
            elif not self._on(cur, "SELECT thread_id FROM agent_threads WHERE thread_id = ?", (thread_id,)):
                if if_not_exists == "reject":
                    return "missing", None
                self._insert_thread(cur, thread_id, {})
            elif strategy != "enqueue":
                active = self._on(
                    cur,
                    f"SELECT {_RUN_COLUMNS} FROM agent_runs WHERE thread_id = ? AND status IN ('pending', 'running') "
                    "ORDER BY seq",
                    (thread_id,),
                )
                if active:
                    return "busy", [self._run(r) for r in active]
            created = self._insert_run(cur, run)
            if not run.get("temporary"):
                self._on(
                    cur,
                    "UPDATE agent_threads SET updated_at = ?, status = 'busy' WHERE thread_id = ?",
                    (now(), thread_id),
                )
            return "created", created

    def _insert_thread(self, cur: Any, thread_id: str, metadata: dict[str, Any]) -> None:
        stamp = now()
        self._on(
            cur,
            "INSERT INTO agent_threads (thread_id, created_at, updated_at, metadata) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (thread_id) DO NOTHING",
            (thread_id, stamp, stamp, _json(metadata)),
        )

    def create_run(self, run: dict[str, Any]) -> dict[str, Any]:
        with self._tx() as cur:
            return self._insert_run(cur, run)

    def _insert_run(self, cur: Any, run: dict[str, Any]) -> dict[str, Any]:
        stamp = now()
        seq = "" if self.dialect == "postgres" else ", seq"
        seq_value = "" if self.dialect == "postgres" else ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM agent_runs)"
        rows = self._on(
            cur,
            "INSERT INTO agent_runs (run_id, thread_id, assistant_id, created_at, updated_at, status, metadata, "
            f"multitask_strategy, kwargs, temporary{seq}) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?{seq_value}) "
            f"RETURNING {_RUN_COLUMNS}",
            (
                run["run_id"],
                run["thread_id"],
                run["assistant_id"],
                stamp,
                stamp,
                _json(run.get("metadata")),
                run["multitask_strategy"],
                _json(run["kwargs"]),
                bool(run.get("temporary")),
            ),
        )
        return self._run(rows[0])

    @staticmethod
    def _run(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "metadata": _load(row["metadata"]) or {}, "kwargs": _load(row["kwargs"]) or {}}

    def run(self, run_id: str, thread_id: str | None = None) -> dict[str, Any] | None:
        sql, params = f"SELECT {_RUN_COLUMNS} FROM agent_runs WHERE run_id = ?", [run_id]
        if thread_id is not None:
            sql, params = sql + " AND thread_id = ?", [run_id, thread_id]
        rows = self._rows(sql, tuple(params))
        return self._run(rows[0]) if rows else None

    def runs(self, thread_id: str, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        sql, params = f"SELECT {_RUN_COLUMNS} FROM agent_runs WHERE thread_id = ?", [thread_id]
        if status:
            sql, params = sql + " AND status = ?", [*params, status]
        rows = self._rows(sql + " ORDER BY seq DESC LIMIT ? OFFSET ?", (*params, limit, offset))
        return [self._run(r) for r in rows]

    def active_runs(self, thread_id: str) -> list[dict[str, Any]]:
        rows = self._rows(
            f"SELECT {_RUN_COLUMNS} FROM agent_runs WHERE thread_id = ? AND status IN ('pending', 'running') "
            "ORDER BY seq",
            (thread_id,),
        )
        return [self._run(r) for r in rows]

    def claim(self, worker: str, lease: float, limit: int = 1) -> list[dict[str, Any]]:
        """Up to ``limit`` runnable runs, oldest first, now ours for ``lease`` seconds (one statement).

        A run is runnable when it is pending, or running on a dead worker (its lease expired), and no
        earlier run of its thread is active: so a batch holds at most one run per thread.
        """
        stamp = time.time()
        lock = " FOR UPDATE SKIP LOCKED" if self.dialect == "postgres" else ""
        rows = self._rows(
            "UPDATE agent_runs SET status = 'running', worker = ?, lease_until = ?, attempt = attempt + 1, "
            "updated_at = ? WHERE run_id IN (SELECT r.run_id FROM agent_runs r "
            "WHERE (r.status = 'pending' OR (r.status = 'running' AND r.lease_until < ?)) "
            "AND NOT EXISTS (SELECT 1 FROM agent_runs e WHERE e.thread_id = r.thread_id "
            "AND e.status IN ('pending', 'running') AND e.seq < r.seq) "
            f"ORDER BY r.seq LIMIT ?{lock}) RETURNING {_RUN_COLUMNS}",
            (worker, stamp + lease, now(), stamp, limit),
        )
        return sorted((self._run(r) for r in rows), key=lambda r: r["seq"])

    def renew(self, run_id: str, worker: str, lease: float) -> dict[str, Any] | None:
        """Extend our claim; the run (with any cancel request), or None when the claim is no longer ours."""
        rows = self._rows(
            f"UPDATE agent_runs SET lease_until = ? WHERE run_id = ? AND worker = ? AND status = 'running' "
            f"RETURNING {_RUN_COLUMNS}",
            (time.time() + lease, run_id, worker),
        )
        return self._run(rows[0]) if rows else None

    def finish(self, run_id: str, worker: str | None, status: str) -> bool:
        with self._tx() as cur:
            return self._finish(cur, run_id, worker, status)

    def _finish(self, cur: Any, run_id: str, worker: str | None, status: str) -> bool:
        sql, params = (
            "UPDATE agent_runs SET status = ?, updated_at = ?, worker = NULL WHERE run_id = ?",
            [status, now(), run_id],
        )
        if worker is not None:
            sql, params = sql + " AND worker = ?", [*params, worker]
        return bool(self._on(cur, sql + " RETURNING run_id", tuple(params)))

    def settle(
        self, run_id: str, worker: str, status: str | None, thread_id: str, idle: str, error: str | None
    ) -> bool:
        """A run ends, in one transaction: its status (unless ``None``: it was removed), and its thread's
        (``busy`` while other runs wait, else ``idle``, which is the caller's: idle, interrupted or error).
        True when other runs of the thread wait (the next may start now)."""
        with self._tx() as cur:
            if status is not None:
                self._finish(cur, run_id, worker, status)
            waiting = self._on(
                cur,
                "SELECT run_id FROM agent_runs WHERE thread_id = ? AND status IN ('pending', 'running') LIMIT 1",
                (thread_id,),
            )
            self._on(
                cur,
                "UPDATE agent_threads SET updated_at = ?, status = ?, error = ? WHERE thread_id = ?",
                (now(), "busy" if waiting else idle, error, thread_id),
            )
            return bool(waiting)

    def request_cancel(self, run_id: str, action: str, reason: str) -> dict[str, Any] | None:
        """Mark the run to stop; a pending one stops at once (a rolled-back one is deleted)."""
        rows = self._rows(
            f"UPDATE agent_runs SET cancel = ?, cancel_reason = ?, updated_at = ? WHERE run_id = ? "
            f"AND status IN ('pending', 'running') RETURNING {_RUN_COLUMNS}",
            (action, reason, now(), run_id),
        )
        if not rows:
            return None
        run = self._run(rows[0])
        if run["status"] == "pending":
            if action == "rollback":
                self.delete_run(run_id)
            else:
                self.finish(run_id, None, "interrupted")
        return run

    def delete_run(self, run_id: str) -> bool:
        return bool(self._rows("DELETE FROM agent_runs WHERE run_id = ? RETURNING run_id", (run_id,)))


__all__ = ["ACTIVE", "Records"]
