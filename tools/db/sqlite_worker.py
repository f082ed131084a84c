"""The SQLite tools' work, as module-level jobs for a :mod:`tools.sandbox` worker process.

A statement runs in a worker so that two limits hold that SQLite alone cannot
give: a wall-clock limit that stops even one long virtual-machine step (the
caller kills the worker) and an address-space limit on everything the process
allocates, Python's copies of the values included.  Inside, the connection
carries SQLite's own limits (:mod:`tools.db.sqlite_conn`) and the rows read
are bounded three ways: the row limit, :data:`RESULT_BYTE_BUDGET` bytes of raw
values, and the JSON size of the converted rows (:func:`collect_rows`).

Every job returns a pydantic model or raises :class:`ToolError`; any other
exception is a bug, which the sandbox reports as ``internal``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from tools.base import ToolError
from tools.db.common import (
    DatabaseTarget,
    ExecuteResult,
    Params,
    QueryResult,
    TableDescription,
    TableList,
    collect_rows,
    join_notes,
)
from tools.db.sqlite_catalog import describe, list_tables
from tools.db.sqlite_conn import DRIVER_ERRORS, open_connection, sqlite_error

RESULT_BYTE_BUDGET = 32 * 1024 * 1024  # raw text and blob bytes read from one statement's rows


@dataclass(frozen=True)
class Call:
    """What every job needs to know about the database and the call (picklable)."""

    target: DatabaseTarget
    timeout: float
    writes_enabled: bool


class _ByteBudget:
    """Stops handing out rows once their text and blob values pass ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.hit = False

    def rows(self, source: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in source:
            self.used += sum(len(v) for v in row if isinstance(v, (str, bytes)))
            yield row
            if self.used > self.limit:
                self.hit = True
                return

    def note(self) -> list[str]:
        if not self.hit:
            return []
        return [
            f"Reading stopped after {self.used // (1024 * 1024)} MiB of text and binary values (the limit is "
            f"{self.limit // (1024 * 1024)} MiB); there may be more rows. Select fewer or shorter columns."
        ]


def _bind(params: Params) -> Any:
    return () if params is None else params


def list_tables_job(call: Call, include_row_counts: bool) -> TableList:
    with open_connection(call.target, write=False, writes_enabled=call.writes_enabled, timeout=call.timeout) as (
        conn,
        auth,
        deadline,
    ):
        try:
            return list_tables(conn, deadline, call.target, include_row_counts)
        except DRIVER_ERRORS as err:
            raise sqlite_error(err, auth, deadline, call.target) from None


def describe_job(call: Call, table: str) -> TableDescription:
    with open_connection(call.target, write=False, writes_enabled=call.writes_enabled, timeout=call.timeout) as (
        conn,
        auth,
        deadline,
    ):
        try:
            return describe(conn, table, deadline)
        except DRIVER_ERRORS as err:
            raise sqlite_error(err, auth, deadline, call.target) from None


def query_job(call: Call, sql: str, params: Params, max_rows: int) -> QueryResult:
    with open_connection(call.target, write=False, writes_enabled=call.writes_enabled, timeout=call.timeout) as (
        conn,
        auth,
        deadline,
    ):
        budget = _ByteBudget(RESULT_BYTE_BUDGET)
        try:
            cursor = conn.execute(sql, _bind(params))
            columns = [d[0] for d in cursor.description or ()]
            got = collect_rows(budget.rows(cursor), max_rows) if cursor.description else None
        except DRIVER_ERRORS as err:
            raise sqlite_error(err, auth, deadline, call.target) from None
    if got is None:
        return QueryResult(
            dialect="SQLite", columns=columns, rows=[], row_count=0, truncated=False,
            note="The statement returned no rows.",
        )  # fmt: skip
    return QueryResult(
        dialect="SQLite",
        columns=columns,
        rows=got.rows,
        row_count=len(got.rows),
        truncated=got.truncated or budget.hit,
        note=join_notes(got.notes + budget.note()),
    )


def execute_job(call: Call, sql: str, params: Params, max_rows: int) -> ExecuteResult:
    with open_connection(call.target, write=True, writes_enabled=call.writes_enabled, timeout=call.timeout) as (
        conn,
        auth,
        deadline,
    ):
        budget = _ByteBudget(RESULT_BYTE_BUDGET)
        try:
            conn.set_authorizer(None)
            conn.execute("BEGIN IMMEDIATE")
            conn.set_authorizer(auth)
            cursor = conn.execute(sql, _bind(params))
            columns = [d[0] for d in cursor.description or ()]
            got = collect_rows(budget.rows(cursor), max_rows) if cursor.description else None
            for _ in cursor:  # finish the statement (RETURNING rows beyond the limit) before committing
                pass
            affected = cursor.rowcount if cursor.rowcount >= 0 else None
            cursor.close()
            conn.set_authorizer(None)
            conn.execute("COMMIT")
        except DRIVER_ERRORS as err:
            conn.set_authorizer(None)
            conn.set_progress_handler(None, 0)
            if conn.in_transaction:
                with suppress(sqlite3.Error):  # closing the connection rolls back as well
                    conn.execute("ROLLBACK")
            raise sqlite_error(err, auth, deadline, call.target) from None
    return ExecuteResult(
        dialect="SQLite",
        committed=True,
        rows_affected=affected,
        columns=columns,
        rows=got.rows if got else [],
        row_count=len(got.rows) if got else 0,
        truncated=(got.truncated if got else False) or budget.hit,
        note=join_notes((got.notes if got else []) + budget.note()),
    )


def recover_job(target: DatabaseTarget, timeout: float) -> bool:
    """Open ``target`` for writing once, so SQLite rolls back a killed writer's hot journal.

    Returns whether a rollback journal was there before.
    """
    assert target.path is not None
    journal = target.path.with_name(target.path.name + "-journal")
    had_journal = journal.exists()
    try:
        conn = sqlite3.connect(f"{target.path.as_uri()}?mode=rw", uri=True, timeout=timeout, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as err:
        raise ToolError(f"could not roll back the interrupted write: {err}", code="unavailable") from None
    return had_journal


def worker_status() -> dict[str, int]:
    """The worker's process id, peak resident memory and bytes written so far (health checks and tests).

    ``written_bytes`` is Linux's ``wchar`` (every ``write``, files and sockets alike); -1 elsewhere.
    """
    import resource

    written = -1
    with suppress(OSError, ValueError, StopIteration), open("/proc/self/io", encoding="ascii") as io:
        written = int(next(line for line in io if line.startswith("wchar:")).split()[1])
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"pid": os.getpid(), "peak_rss_kib": peak_kib, "written_bytes": written}


__all__ = [
    "RESULT_BYTE_BUDGET",
    "Call",
    "describe_job",
    "execute_job",
    "list_tables_job",
    "query_job",
    "recover_job",
    "worker_status",
]
