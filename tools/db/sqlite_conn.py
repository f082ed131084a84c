"""Opening a SQLite connection for one call, inside SQLite's own limits; naming its errors.

Only used in a :mod:`tools.db.sqlite_worker` process: the heap limit set here
is process-wide.  The limits make oversized values impossible to build rather
than noticed afterwards (the progress handler only looks at the clock between
virtual-machine steps, and one step such as ``instr()`` on two long strings
can take minutes; the worker's hard wall-clock kill covers that case):

* ``SQLITE_LIMIT_LENGTH``: no string, blob or row larger than
  :data:`MAX_VALUE_BYTES` (a bigger ``printf`` gives NULL, ``zeroblob`` and
  ``||`` fail with "too big");
* ``PRAGMA hard_heap_limit``: SQLite's allocations in the worker stop at
  :data:`HEAP_LIMIT_BYTES` ("out of memory", raised as ``MemoryError``);
* ``temp_store = MEMORY`` with a small ``cache_size``: sorts, temporary
  b-trees and materialised subqueries live in that bounded heap instead of
  spilling gigabytes into temporary files;
* smaller limits on SQL length, columns, expression depth, compound SELECTs,
  function arguments, LIKE/GLOB patterns, variables, program size and
  trigger depth; no attached databases, no sorter threads, no memory map.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from tools.base import ToolError
from tools.db.common import (
    MAX_PARAMS,
    MAX_SQL_CHARS,
    DatabaseTarget,
    Deadline,
    bounded_message,
    one_statement_error,
    timeout_error,
    writes_refused,
)
from tools.db.sqlite_auth import Authorizer, eponymous_tables, hidden_tables

PROGRESS_STEPS = 1000  # VM instructions between two looks at the clock
MAX_VALUE_BYTES = 4 * 1024 * 1024  # SQLITE_LIMIT_LENGTH: no string, blob or row may grow past this
HEAP_LIMIT_BYTES = 256 * 1024 * 1024  # PRAGMA hard_heap_limit in the worker
CACHE_KIB = 8 * 1024  # PRAGMA cache_size = -CACHE_KIB (page cache; the sorter's in-memory run size)

LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_VALUE_BYTES,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 4 * MAX_SQL_CHARS,  # bytes of UTF-8; the tools accept MAX_SQL_CHARS characters
    sqlite3.SQLITE_LIMIT_COLUMN: 1000,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 200,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 250_000,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1000,
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: MAX_PARAMS,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 32,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
}
# Set before the authorizer is installed (it refuses every PRAGMA that sets a value).
SETUP_PRAGMAS = (
    f"PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}",
    "PRAGMA temp_store = MEMORY",
    f"PRAGMA cache_size = -{CACHE_KIB}",
    "PRAGMA mmap_size = 0",
)
# What ``sqlite3`` raises for a bad statement, parameter or result (lone surrogates, integers over 64 bits).
DRIVER_ERRORS = (sqlite3.Error, MemoryError, UnicodeEncodeError, OverflowError)
# Messages of SQLite's limits (lower case) and what to tell the model.
_LIMIT_MESSAGES = (
    ("too many columns", "select fewer columns"),
    ("expression tree is too large", "write a less deeply nested expression"),
    ("too many terms in compound select", "use fewer UNION/INTERSECT/EXCEPT terms"),
    ("too many arguments on function", "pass fewer arguments"),
    ("like or glob pattern too complex", "use a shorter LIKE/GLOB pattern"),
    ("too many sql variables", f"use at most {MAX_PARAMS} parameters"),
    ("variable number must be between", f"number parameters from ?1 to ?{MAX_PARAMS}"),
    ("program too complex", "write a simpler statement"),
    ("query string is too large", "send a shorter statement"),
    ("too many levels of trigger recursion", "avoid recursive triggers"),
)


@contextmanager
def open_connection(
    target: DatabaseTarget, *, write: bool, writes_enabled: bool, timeout: float
) -> Iterator[tuple[sqlite3.Connection, Authorizer, Deadline]]:
    """A connection to ``target`` with the limits above, an authorizer and the call's deadline."""
    path = target.path
    assert path is not None
    if not path.is_file():
        where = "is a directory, not a database file" if path.is_dir() else "does not exist"
        raise ToolError(f"the SQLite database {path} {where}{target.hint}; check AGENT_DATABASE_URL", code="not_found")
    deadline = Deadline(timeout)
    uri = f"{path.as_uri()}?mode={'rw' if write else 'ro'}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as err:
        raise ToolError(f"cannot open the SQLite database {path}: {err}", code="unavailable") from None
    try:
        for limit, value in LIMITS.items():
            conn.setlimit(limit, value)
        try:
            auth = _prepare(conn, write=write, writes_enabled=writes_enabled)
        except sqlite3.DatabaseError as err:
            raise ToolError(f"{path} cannot be read as a SQLite database: {err}", code="unavailable") from None
        conn.set_authorizer(auth)
        conn.set_progress_handler(lambda: 1 if deadline.expired() else 0, PROGRESS_STEPS)
        yield conn, auth, deadline
    finally:
        conn.close()


def _prepare(conn: sqlite3.Connection, *, write: bool, writes_enabled: bool) -> Authorizer:
    """Settings and eponymous tables, made before the authorizer would refuse them."""
    for pragma in SETUP_PRAGMAS:
        conn.execute(pragma)
    if write:
        conn.execute("PRAGMA foreign_keys = ON")
    names = {row[0].lower() for row in conn.execute("SELECT name FROM sqlite_master")}
    for name in eponymous_tables():
        if name not in names:
            conn.execute(f'SELECT * FROM "{name}" LIMIT 0')
    return Authorizer(allow_write=write, writes_enabled=writes_enabled, hidden_tables=hidden_tables(names))


def sqlite_error(err: BaseException, auth: Authorizer, deadline: Deadline, target: DatabaseTarget) -> ToolError:
    """The ToolError for an exception raised by ``sqlite3`` during a call."""
    if auth.denial is not None:
        return auth.denial
    if isinstance(err, MemoryError):
        return memory_error()
    if isinstance(err, UnicodeEncodeError):
        return ToolError(
            "the SQL or a parameter contains a character that is not valid Unicode (a lone surrogate); remove it",
            code="invalid_input",
        )
    if isinstance(err, OverflowError):
        return ToolError("an integer parameter is outside SQLite's 64-bit range; pass it as text", code="invalid_input")
    text = str(err)
    lower = text.lower()
    if isinstance(err, sqlite3.ProgrammingError) and "one statement at a time" in text:
        return one_statement_error()
    if "interrupted" in text and deadline.expired():
        return timeout_error(deadline.seconds)
    if getattr(err, "sqlite_errorname", None) == "SQLITE_READONLY_ROLLBACK":
        return ToolError(
            f"the SQLite database {target.display} has an unfinished write (a hot journal) that only a writer "
            "can roll back; open it once with write access, then try again",
            code="unavailable",
        )
    if "cannot vacuum" in lower:
        return ToolError("VACUUM is not allowed through this tool", code="refused")
    if "readonly database" in lower or "read-only" in lower:
        return writes_refused(auth.writes_enabled)
    if "too big" in lower:
        return ToolError(
            f"a string, blob or row passes the {MAX_VALUE_BYTES // (1024 * 1024)} MiB limit of this tool: such a "
            "value can be neither built nor read here (a stored one not even with length() or substr()); "
            "build smaller values, or leave that column out",
            code="too_large",
        )
    for needle, advice in _LIMIT_MESSAGES:
        if needle in lower:
            return ToolError(f"the statement passes a limit of this tool ({bounded_message(text, 200)}); {advice}",
                             code="too_large")  # fmt: skip
    if "database is locked" in lower or "database is busy" in lower:
        return ToolError(f"the database is locked by another writer; try again later ({text})", code="unavailable")
    if "not a database" in lower or "disk i/o" in lower or "unable to open" in lower:
        return ToolError(f"cannot read the SQLite database {target.display}: {text}", code="unavailable")
    return ToolError(f"SQLite error: {bounded_message(text)}", code="invalid_input")


def memory_error() -> ToolError:
    """The error for a statement or result that needed more memory than the worker may use."""
    return ToolError(
        f"the statement needed more than the {HEAP_LIMIT_BYTES // (1024 * 1024)} MiB of memory allowed and was "
        "stopped; select fewer or smaller values, add a LIMIT, or aggregate",
        code="too_large",
    )


__all__ = [
    "DRIVER_ERRORS",
    "HEAP_LIMIT_BYTES",
    "LIMITS",
    "MAX_VALUE_BYTES",
    "memory_error",
    "open_connection",
    "sqlite_error",
]
