"""One PostgreSQL call's connection and transaction, set up so the server enforces what it can.

Runs inside a sandbox worker (:mod:`tools.db.pg_worker`).  Each call opens its
own connection (``connect_timeout``, ``client_encoding=UTF8``) and one
transaction, rolled back at the end unless a write commits it:

* ``BEGIN READ ONLY`` for every reading call: PostgreSQL itself refuses any
  write, whatever the statement;
* ``SET LOCAL statement_timeout``: the server stops a statement at the limit;
* ``SET LOCAL ROLE <role>`` when a role is configured, so the server checks
  that role's privileges (e.g. one granted only ``pg_read_all_data``);
* ``SET LOCAL standard_conforming_strings = on``, so the server reads the
  text exactly as the checker's parser did, and for reading calls a
  ``search_path`` with ``pg_catalog`` explicitly first, so an unqualified name
  means the built-in function even where the configured path lists
  ``pg_catalog`` late (a write keeps the configured path, whose first schema
  is where ``CREATE`` creates; PostgreSQL searches ``pg_catalog`` first
  anyway unless the path names it).

Error messages name ``host:port/db`` and never the password.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from tools.base import ToolError
from tools.db.common import (
    POSTGRES_EXTRA_HINT,
    DatabaseTarget,
    Deadline,
    bounded_message,
    one_statement_error,
    quote_identifier,
    scrub,
    timeout_error,
    writes_refused,
)

_SEARCH_PATH = (
    "SELECT pg_catalog.set_config('search_path', CASE WHEN pg_catalog.current_setting('search_path') = '' "
    "THEN 'pg_catalog' ELSE 'pg_catalog, ' || pg_catalog.current_setting('search_path') END, true)"
)
_IS_SUPERUSER = "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user"
_NO_MEMORY = ("out of memory", "cannot allocate memory")
_SHADOWING = """
    SELECT p.proname, n.nspname FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proname = ANY($1) AND n.nspname = ANY(pg_catalog.current_schemas(true))
      AND NOT (n.nspname = 'pg_catalog' AND p.proname = ANY($2))
    ORDER BY n.nspname = 'pg_catalog', 1, 2 LIMIT 1
"""


@dataclass(frozen=True)
class PgCall:
    """Everything a worker needs for one call (picklable)."""

    target: DatabaseTarget
    timeout: float  # seconds for the whole call's statements
    writes_enabled: bool
    role: str | None = None
    extra_functions: frozenset[str] = field(default_factory=frozenset)
    check_superuser: bool = False  # ask the server whether the effective role is a superuser

    @property
    def connect_timeout(self) -> int:
        return connect_timeout(self.timeout)

    @property
    def where(self) -> str:
        return f"{self.target.host}:{self.target.port}/{self.target.dbname}"


def connect_timeout(timeout: float) -> int:
    """libpq counts whole seconds, at least 2."""
    return max(2, min(10, math.ceil(timeout)))


def import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ToolError(f"PostgreSQL support is not installed; {POSTGRES_EXTRA_HINT}", code="unavailable") from None
    return psycopg


@contextmanager
def transaction(call: PgCall, *, read_only: bool) -> Iterator[tuple[Any, Deadline]]:
    """An open connection inside one set-up transaction, and the call's time budget."""
    psycopg = import_psycopg()
    try:
        conn = psycopg.connect(
            call.target.dsn, connect_timeout=call.connect_timeout, autocommit=False, client_encoding="UTF8"
        )
    except psycopg.Error as err:
        reason = scrub(bounded_message(str(err), 400), call.target.secrets)
        raise ToolError(f"cannot connect to PostgreSQL at {call.where}: {reason}", code="unavailable") from None
    deadline = Deadline(call.timeout)
    try:
        conn.read_only = read_only  # psycopg opens the transaction with BEGIN READ ONLY
        _set_up(conn, call, deadline, read_only=read_only)
        yield conn, deadline
    finally:
        with suppress(psycopg.Error):
            conn.rollback()  # a no-op after COMMIT; undoes whatever a failed call left open
        conn.close()


def _set_up(conn: Any, call: PgCall, deadline: Deadline, *, read_only: bool) -> None:
    psycopg = import_psycopg()
    statements = [
        f"SET LOCAL statement_timeout = {max(1, int(deadline.remaining() * 1000))}",  # our number, not input
        "SET LOCAL standard_conforming_strings = on",
    ]
    if call.role:
        statements.append(f"SET LOCAL ROLE {quote_identifier(call.role)}")
    try:
        conn.execute("; ".join(statements))  # no params: one simple-protocol round trip
        if read_only:  # a write keeps the configured path: the first schema on it is where CREATE creates
            conn.execute(_SEARCH_PATH)
    except psycopg.Error as err:
        if call.role and isinstance(err, (psycopg.errors.InsufficientPrivilege, psycopg.errors.InvalidParameterValue)):
            reason = scrub(bounded_message(str(err), 300), call.target.secrets)
            raise ToolError(
                f"cannot switch to the database role {call.role!r} at {call.where}: {reason}; the login role must "
                "be a member of it (GRANT <role> TO <login role>); check AGENT_DATABASE_ROLE",
                code="unavailable",
            ) from None
        raise pg_error(call, err) from None


def set_timeout(cur: Any, seconds: float) -> None:
    cur.execute(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")  # an int we computed


def is_superuser(cur: Any) -> bool:
    """Whether the effective role (after ``SET ROLE``) is a superuser."""
    cur.execute(_IS_SUPERUSER)
    row = cur.fetchone()
    return bool(row and row[0])


def refuse_shadowed(cur: Any, called: frozenset[str], candidates: frozenset[str]) -> None:
    """Refuse the statement if a name in it could reach a function that is not an allowed built-in.

    ``called``: allowed names written unqualified, refused when a schema on
    the search path other than ``pg_catalog`` has a function of that name (an
    overload the server might pick).  ``candidates``: names that PostgreSQL's
    column notation (``t.f``, ``(expr).f``) would read as a call ``f(t)``,
    refused when any schema on the path has a function of that name.
    """
    names = sorted(called | candidates)
    if not names:
        return
    cur.execute(_SHADOWING, [names, sorted(called)])  # a raw cursor: $1, $2
    row = cur.fetchone()
    if row is None:
        return
    name, schema = row
    if name in candidates:
        raise ToolError(
            f"'.{name}' can be read as a call of the function {schema}.{name}() (PostgreSQL's column notation), "
            "which is not allowed in these queries; if it is a column, write it without the table prefix, or "
            "rename it in a subquery",
            code="refused",
        )
    raise ToolError(
        f"{name}() is ambiguous in this database: schema {schema} on the search path also defines a function "
        f"{name}(), which a call could reach; write pg_catalog.{name}(...) for the built-in one",
        code="refused",
    )


def too_large() -> ToolError:
    """The refusal of a result or error message larger than the worker may hold."""
    return ToolError(
        "what the server sent back (a value or an error message quoting one) is larger than the tool's "
        "memory limit allows; select or compare shorter values (e.g. left(col, 1000))",
        code="too_large",
    )


def pg_error(call: PgCall, err: Exception) -> ToolError:
    """A driver error as one clear :class:`ToolError`, without secrets."""
    psycopg = import_psycopg()
    errors = psycopg.errors
    text = scrub(bounded_message(str(err)), call.target.secrets)
    if isinstance(err, errors.QueryCanceled):
        return timeout_error(call.timeout)
    if isinstance(err, errors.ReadOnlySqlTransaction):
        return writes_refused(call.writes_enabled)
    if isinstance(err, errors.InsufficientPrivilege):
        return ToolError(f"permission denied by the database: {text}", code="refused")
    if isinstance(err, errors.SyntaxError) and "multiple commands" in text:
        return one_statement_error()
    state = getattr(err, "sqlstate", None) or ""
    if not text or any(words in text for words in _NO_MEMORY):  # the driver could not hold what came back
        return too_large()
    if isinstance(err, (errors.ProgramLimitExceeded, errors.OutOfMemory, errors.DiskFull)):
        return ToolError(f"the statement needs more resources than allowed: {text}", code="too_large")
    if isinstance(err, psycopg.InterfaceError) or (
        isinstance(err, psycopg.OperationalError) and (not state or state.startswith(("08", "57P")))
    ):
        return ToolError(f"lost the connection to PostgreSQL at {call.where}: {text}", code="unavailable")
    return ToolError(f"PostgreSQL error: {text}", code="invalid_input")


__all__ = [
    "PgCall",
    "connect_timeout",
    "import_psycopg",
    "is_superuser",
    "pg_error",
    "refuse_shadowed",
    "set_timeout",
    "too_large",
    "transaction",
]
