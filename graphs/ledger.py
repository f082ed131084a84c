"""The ledger of destructive tool calls: written before a call runs and after it ends.

A checkpoint is written only after the tools step ends.  A process killed
between a database write's commit and that checkpoint would, on resume, run
the write again with no new approval.  So each destructive call is recorded as
``started`` before it runs and ``done`` (with its result) after, outside the
checkpoint, in the checkpointer's own database.  On resume a ``done`` call's
result is replayed, never the call; a ``started`` one has an unknown outcome
and goes back to a person (see ``graphs.nodes``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from graphs.saver_target import SaverTarget

Status = Literal["started", "done"]


@dataclass(frozen=True)
class Entry:
    status: Status
    name: str
    ok: bool = False
    content: str = ""


class Ledger(Protocol):
    def start(self, thread_id: str, call_id: str, name: str, args: dict[str, Any]) -> None: ...
    def finish(self, thread_id: str, call_id: str, ok: bool, content: str) -> None: ...
    def entry(self, thread_id: str, call_id: str) -> Entry | None: ...
    def forget(self, thread_id: str) -> None: ...
    def drop(self, thread_id: str, call_id: str) -> None: ...


@dataclass
class MemoryLedger:
    rows: dict[tuple[str, str], Entry] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def start(self, thread_id: str, call_id: str, name: str, args: dict[str, Any]) -> None:
        with self.guard:
            self.rows[(thread_id, call_id)] = Entry("started", name)

    def finish(self, thread_id: str, call_id: str, ok: bool, content: str) -> None:
        with self.guard:
            old = self.rows.get((thread_id, call_id))
            self.rows[(thread_id, call_id)] = Entry("done", old.name if old else "", ok, content)

    def entry(self, thread_id: str, call_id: str) -> Entry | None:
        return self.rows.get((thread_id, call_id))

    def forget(self, thread_id: str) -> None:
        with self.guard:
            for key in [k for k in self.rows if k[0] == thread_id]:
                del self.rows[key]

    def drop(self, thread_id: str, call_id: str) -> None:
        with self.guard:
            self.rows.pop((thread_id, call_id), None)


_SQL_SETUP = """
CREATE TABLE IF NOT EXISTS agent_tool_ledger (
    thread_id TEXT NOT NULL, call_id TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL,
    status TEXT NOT NULL, ok BOOLEAN NOT NULL DEFAULT FALSE, content TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (thread_id, call_id)
)"""
_START = (
    "INSERT INTO agent_tool_ledger (thread_id, call_id, name, args, status) VALUES ({p}, {p}, {p}, {p}, 'started') "
    "ON CONFLICT (thread_id, call_id) DO UPDATE SET status = 'started', ok = FALSE, content = ''"
)
_FINISH = (
    "UPDATE agent_tool_ledger SET status = 'done', ok = {p}, content = {p} WHERE thread_id = {p} AND call_id = {p}"
)
_ENTRY = "SELECT status, name, ok, content FROM agent_tool_ledger WHERE thread_id = {p} AND call_id = {p}"
_FORGET = "DELETE FROM agent_tool_ledger WHERE thread_id = {p}"
_DROP = "DELETE FROM agent_tool_ledger WHERE thread_id = {p} AND call_id = {p}"


class SqlLedger:
    """The ledger as a table beside the checkpoints; each write committed before it returns."""

    def __init__(self, target: SaverTarget) -> None:
        self.target = target
        self.mark = "?" if target.kind == "sqlite" else "%s"
        self._ready = False

    def _connect(self) -> Any:
        if self.target.kind == "sqlite":
            conn: Any = sqlite3.connect(self.target.location, timeout=30, isolation_level=None)
        else:
            import psycopg

            conn = psycopg.connect(self.target.location, autocommit=True, connect_timeout=5)
        if not self._ready:
            conn.execute(_SQL_SETUP)
            self._ready = True
        return conn

    def _run(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        conn = self._connect()
        try:
            cursor = conn.execute(sql.format(p=self.mark), params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            conn.close()

    def start(self, thread_id: str, call_id: str, name: str, args: dict[str, Any]) -> None:
        self._run(_START, (thread_id, call_id, name, json.dumps(args, default=str)))

    def finish(self, thread_id: str, call_id: str, ok: bool, content: str) -> None:
        self._run(_FINISH, (ok, content, thread_id, call_id))

    def entry(self, thread_id: str, call_id: str) -> Entry | None:
        rows = self._run(_ENTRY, (thread_id, call_id))
        return Entry(rows[0][0], rows[0][1], bool(rows[0][2]), rows[0][3]) if rows else None

    def forget(self, thread_id: str) -> None:
        self._run(_FORGET, (thread_id,))

    def drop(self, thread_id: str, call_id: str) -> None:
        """One call's entry gone: it did not run (it paused to ask the person) and is made again on resume."""
        self._run(_DROP, (thread_id, call_id))


def ledger_for(target: SaverTarget) -> Ledger:
    return MemoryLedger() if target.kind == "process" else SqlLedger(target)


__all__ = ["Entry", "Ledger", "MemoryLedger", "SqlLedger", "ledger_for"]
