"""PostgreSQL behind the database tools: read-only by the parser, the server and the process.

What holds a ``db_query`` call back, each layer on its own:

1. **The parser** (:mod:`tools.db.sqltext`, in this process, before any
   connection): PostgreSQL's own grammar (libpg_query via ``pglast``) must
   find exactly one ``SELECT`` (``WITH`` of pure ``SELECT``\\ s, ``VALUES``,
   ``TABLE``), ``SHOW`` or ``EXPLAIN`` without ``ANALYZE``; every function and
   operator anywhere in the tree must be on an allow-list of side-effect-free
   built-ins (:mod:`tools.db.pg_allow`), judged by its decoded name, so
   escaped identifiers (``U&"pg\\005fread\\005ffile"``), quoting, comments,
   dollar quoting or nesting change nothing.  Functions that run SQL given as
   a string (``dblink``, ``query_to_xml``, ``ts_rewrite``, ``crosstab``) or
   act outside the transaction (server files, other sessions, settings,
   sequences, locks) are not on it, nor is any function outside
   ``pg_catalog``.  This alone keeps a superuser connection safe.
2. **The server** (:mod:`tools.db.pg_conn`): a ``READ ONLY`` transaction that
   is rolled back, a ``statement_timeout``, and, when ``role`` is given
   (``AGENT_DATABASE_ROLE``), ``SET LOCAL ROLE`` so the server checks a
   least-privileged role's rights.  Connected as a superuser without a role,
   the tools log one warning per process and URL.
3. **The process** (:mod:`tools.db.pg_worker`): each call runs in a sandbox
   worker with an address-space limit of :data:`WORKER_MEMORY_MB`, killed
   :data:`HARD_MARGIN` seconds past its time limit.  Values are cut on the
   server (:mod:`tools.db.pg_cut`), so a 400 MB value arrives as its first
   characters and its length; the worker's limit bounds what cannot be cut
   there (an error message quoting a huge value, a huge ``EXPLAIN``).

``db_execute`` (only with writes enabled, each call approved by the user)
accepts one data or schema change, with the same function and operator
allow-list plus the sequence functions, in a normal transaction that is
committed.  Error messages name ``host:port/db`` and never the password.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from tools.base import ToolError
from tools.db.common import (
    POSTGRES_EXTRA_HINT,
    DatabaseTarget,
    ExecuteResult,
    Params,
    QueryResult,
    TableDescription,
    TableList,
    timeout_error,
)
from tools.db.pg_conn import PgCall, connect_timeout
from tools.db.pg_worker import describe_job, execute_job, list_tables_job, query_job
from tools.db.sqltext import check_execute, check_query
from tools.sandbox import Sandbox

log = logging.getLogger(__name__)

WORKER_MEMORY_MB = 256  # address-space limit of a PostgreSQL worker (one needs about 80 MB to start)
HARD_MARGIN = 3.0  # seconds past the call's limits before the worker is killed

_shared: Sandbox | None = None
_lock = threading.Lock()
_superuser_checked: set[str] = set()  # URLs (without password) checked in this process


def postgres_sandbox() -> Sandbox:
    """The process-wide pool of PostgreSQL workers (apart from the calculator's: another memory limit)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = Sandbox(memory_mb=WORKER_MEMORY_MB, max_idle=2)
            atexit.register(_shared.close)
        return _shared


class PostgresBackend:
    """The database tools' engine for one PostgreSQL database."""

    def __init__(
        self,
        target: DatabaseTarget,
        *,
        timeout: float,
        writes_enabled: bool,
        role: str | None = None,
        extra_functions: Iterable[str] = (),
        sandbox: Sandbox | None = None,
    ) -> None:
        """``role``: run every call as this role (``SET LOCAL ROLE``); ``extra_functions``: names
        (``name`` or ``schema.name``) allowed besides the built-in allow-list."""
        assert target.dsn is not None
        self.target = target
        self.timeout = timeout
        self.writes_enabled = writes_enabled
        self.role = role or None
        self.extra_functions = frozenset(extra_functions)
        self.sandbox = sandbox
        self.connect_timeout = connect_timeout(timeout)
        self.where = f"{target.host}:{target.port}/{target.dbname}"

    def _call(self) -> PgCall:
        return PgCall(
            target=self.target,
            timeout=self.timeout,
            writes_enabled=self.writes_enabled,
            role=self.role,
            extra_functions=self.extra_functions,
            check_superuser=self._key() not in _superuser_checked,
        )

    def _key(self) -> str:
        return f"{self.target.display} role={self.role or ''}"

    def _run(self, job: Callable[..., tuple[Any, bool | None]], *args: Any) -> Any:
        if importlib.util.find_spec("psycopg") is None:
            raise ToolError(f"PostgreSQL support is not installed; {POSTGRES_EXTRA_HINT}", code="unavailable")
        box = self.sandbox or postgres_sandbox()
        limit = self.timeout + self.connect_timeout + HARD_MARGIN
        try:
            result, superuser = box.run(job, self._call(), *args, timeout=limit, what="the PostgreSQL statement")
        except ToolError as err:
            if err.code == "timeout":
                raise timeout_error(self.timeout) from None
            raise
        if superuser is not None:
            self._note_superuser(superuser)
        return result

    def _note_superuser(self, superuser: bool) -> None:
        key = self._key()
        with _lock:
            if key in _superuser_checked:
                return
            _superuser_checked.add(key)
        if superuser:
            log.warning(
                "the database tools are connected to %s as a superuser%s; the query checker keeps them read-only, "
                "but a least-privileged role is safer: CREATE ROLE agent_reader NOLOGIN; GRANT pg_read_all_data "
                "TO agent_reader; GRANT agent_reader TO <login role>; then set AGENT_DATABASE_ROLE=agent_reader",
                self.target.display,
                f" (role {self.role})" if self.role else "",
            )

    def list_tables(self, include_row_counts: bool) -> TableList:
        return self._run(list_tables_job, include_row_counts)

    def describe_table(self, table: str, schema_name: str | None) -> TableDescription:
        return self._run(describe_job, table, schema_name)

    def query(self, sql: str, params: Params, max_rows: int) -> QueryResult:
        checked = check_query(sql, params, writes_enabled=self.writes_enabled, extra_functions=self.extra_functions)
        return self._run(query_job, checked, max_rows)

    def execute(self, sql: str, params: Params, max_rows: int) -> ExecuteResult:
        checked = check_execute(sql, params, extra_functions=self.extra_functions)
        return self._run(execute_job, checked, max_rows)


__all__ = ["HARD_MARGIN", "WORKER_MEMORY_MB", "PostgresBackend", "postgres_sandbox"]
