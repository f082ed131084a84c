"""The PostgreSQL tools' work, as module-level jobs for a :mod:`tools.sandbox` worker process.

A call runs in a worker whose address space is limited
(:data:`tools.db.postgres.WORKER_MEMORY_MB`): results are cut on the server
(:mod:`tools.db.pg_cut`), but an error message or an ``EXPLAIN`` can still
carry a huge value (``invalid input syntax for type integer: "xxx…"`` quotes
its input whole), and only a process limit bounds what the driver allocates
for it.  A worker that dies or passes its deadline is killed by the caller;
the server then rolls its transaction back.

Every job returns ``(result, superuser)`` (``superuser`` is None unless the
call asked) or raises :class:`ToolError`.  Statements arrive already checked
by :mod:`tools.db.sqltext`; a wrapped query is checked again here, so what is
sent is always what passed the checker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tools.base import ToolError
from tools.db.common import Deadline, ExecuteResult, QueryResult, collect_rows, join_notes
from tools.db.limits import MAX_SQL_CHARS
from tools.db.pg_conn import (
    PgCall,
    import_psycopg,
    is_superuser,
    pg_error,
    refuse_shadowed,
    set_timeout,
    too_large,
    transaction,
)
from tools.db.pg_cut import Merged, binary_note, layout, wrap
from tools.db.pg_meta import describe_table, list_tables
from tools.db.sqltext import Checked, check_query

Answer = tuple[Any, bool | None]
_WRAP_ALLOWANCE = 200_000  # characters our wrapper may add around a query of at most MAX_SQL_CHARS


@contextmanager
def _bounded() -> Iterator[None]:
    """A job that passes the worker's memory limit gets a clear refusal, not a generic one."""
    try:
        yield
    except MemoryError:
        raise too_large() from None


def _superuser(cur: Any, call: PgCall) -> bool | None:
    return is_superuser(cur) if call.check_superuser else None


def list_tables_job(call: PgCall, include_row_counts: bool) -> Answer:
    with _bounded(), transaction(call, read_only=True) as (conn, deadline):
        cur = conn.cursor()
        su = _superuser(cur, call)
        return list_tables(cur, call, deadline, include_row_counts), su


def describe_job(call: PgCall, table: str, schema_name: str | None) -> Answer:
    with _bounded(), transaction(call, read_only=True) as (conn, deadline):
        cur = conn.cursor()
        su = _superuser(cur, call)
        return describe_table(cur, call, deadline, table, schema_name), su


def query_job(call: PgCall, checked: Checked, max_rows: int) -> Answer:
    psycopg = import_psycopg()
    with _bounded(), transaction(call, read_only=True) as (conn, deadline):
        cur = psycopg.RawCursor(conn)  # $n placeholders: the text checked is the text sent
        try:
            su = _superuser(cur, call)
            refuse_shadowed(cur, checked.called, checked.candidates)
            if checked.kind == "select":
                return _select(cur, call, checked, max_rows, deadline), su
            return _plain(cur, checked, max_rows), su
        except psycopg.Error as err:
            raise pg_error(call, err) from None


def _describe(cur: Any, checked: Checked) -> list[tuple[str, int]]:
    """The query's columns (name, type oid), from planning it under ``LIMIT 0``."""
    cur.execute(f"SELECT * FROM (\n{checked.text}\n) AS q LIMIT 0", checked.args)
    return [(d.name, d.type_code) for d in cur.description or ()]


def _select(cur: Any, call: PgCall, checked: Checked, max_rows: int, deadline: Deadline) -> QueryResult:
    columns = _describe(cur, checked)
    if not columns:  # SELECT with no columns: nothing to cut
        return _plain(cur, checked, max_rows)
    plan = layout(columns)
    sql = wrap(checked.text, plan)
    again = check_query(sql, writes_enabled=call.writes_enabled, extra_functions=call.extra_functions,
                        limit=MAX_SQL_CHARS + _WRAP_ALLOWANCE)  # fmt: skip
    if again.kind != "select" or not (again.candidates <= checked.candidates and again.called <= checked.called):
        raise ToolError("internal: the wrapped query did not pass the checker", code="internal")
    merged = Merged()
    set_timeout(cur, deadline.remaining())  # the describing statement used part of the call's time
    stream = cur.stream(sql, checked.args)
    try:
        got = collect_rows((merged.row(raw, plan) for raw in stream), max_rows)
    finally:
        stream.close()  # cancels the rest of a long result on the server
    notes = got.notes
    if merged.binary_cut and binary_note() not in notes:
        notes = [*notes, binary_note()]
    return _result(list(plan.names), got.rows, got.truncated, notes)


def _plain(cur: Any, checked: Checked, max_rows: int) -> QueryResult:
    """``SHOW``, ``EXPLAIN`` and column-less queries: small by nature, bounded by the worker's memory."""
    stream = cur.stream(checked.text, checked.args)
    try:
        got = collect_rows(stream, max_rows)
    finally:
        stream.close()
    return _result([d.name for d in cur.description or ()], got.rows, got.truncated, got.notes)


def _result(columns: list[str], rows: list[list[Any]], truncated: bool, notes: list[str]) -> QueryResult:
    return QueryResult(
        dialect="PostgreSQL",
        columns=columns,
        rows=rows,
        row_count=len(rows),
        truncated=truncated,
        note=join_notes(notes),
    )


def execute_job(call: PgCall, checked: Checked, max_rows: int) -> Answer:
    psycopg = import_psycopg()
    with _bounded(), transaction(call, read_only=False) as (conn, _deadline):
        cur = psycopg.RawCursor(conn)
        try:
            su = _superuser(cur, call)
            refuse_shadowed(cur, checked.called, checked.candidates)
            cur.execute(checked.text, checked.args, prepare=True)  # extended protocol: one statement only
            got = collect_rows(iter(cur.fetchone, None), max_rows) if cur.description else None
            columns = [d.name for d in cur.description or ()]
            affected = cur.rowcount if cur.rowcount >= 0 else None
            status = cur.statusmessage
            conn.commit()
        except psycopg.Error as err:
            raise pg_error(call, err) from None
    result = ExecuteResult(
        dialect="PostgreSQL",
        committed=True,
        rows_affected=affected,
        status=status,
        columns=columns,
        rows=got.rows if got else [],
        row_count=len(got.rows) if got else 0,
        truncated=got.truncated if got else False,
        note=join_notes(got.notes if got else []),
    )
    return result, su


__all__ = ["describe_job", "execute_job", "list_tables_job", "query_job"]
