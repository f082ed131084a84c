"""SQLite behind the database tools: read-only by construction, bounded in time and memory.

Every call runs in a worker process of a :class:`~tools.sandbox.Sandbox`
(:mod:`tools.db.sqlite_worker`), opens its own connection there and closes it.
What holds a statement back:

* the file is opened with a ``file:...?mode=ro`` URI, so SQLite itself
  refuses to write and a missing file is never created;
* an authorizer (:mod:`tools.db.sqlite_auth`) allows, while the statement is
  prepared, only reading: tables, views, ``json_each``/``json_tree`` and
  reading PRAGMAs (as statements or as ``pragma_*`` table functions);
* SQLite's own limits (:mod:`tools.db.sqlite_conn`): no value over 4 MiB,
  a 256 MiB heap, temporary data in that heap, shorter SQL and shallower
  expressions, so huge values cannot be built;
* a progress handler stops a statement at the call's deadline, and the caller
  kills the worker :data:`HARD_MARGIN` seconds later if one long step (such as
  ``instr()`` on two long strings) never returns to the handler; the worker's
  address space is limited to :data:`WORKER_MEMORY_MB`;
* only one statement is accepted per call (Python's ``sqlite3`` refuses a
  second one before running anything); parameters are always bound.

Writes (``db_execute``, only when the user allowed them) open the file with
``mode=rw`` and run the statement in one transaction that is committed; the
authorizer still denies ATTACH/DETACH, PRAGMA changes, transaction control and
extensions there.  A write whose worker had to be killed leaves a rollback
journal, which is rolled back at once by opening the file for writing again.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from tools.base import ToolError
from tools.db.common import (
    DatabaseTarget,
    ExecuteResult,
    Params,
    QueryResult,
    TableDescription,
    TableList,
    timeout_error,
)
from tools.db.sqlite_auth import Authorizer
from tools.db.sqlite_worker import (
    Call,
    describe_job,
    execute_job,
    list_tables_job,
    query_job,
    recover_job,
)
from tools.sandbox import Sandbox

T = TypeVar("T")
log = logging.getLogger(__name__)

HARD_MARGIN = 2.0  # seconds past the statement limit before the worker is killed
WORKER_MEMORY_MB = 1024  # address-space limit of a SQLite worker (SQLite's heap is capped at 256 MiB inside)

_shared: Sandbox | None = None
_shared_lock = threading.Lock()


def sqlite_sandbox() -> Sandbox:
    """The process-wide pool of SQLite workers (separate from the calculator's: its heap limit is global)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Sandbox(memory_mb=WORKER_MEMORY_MB, max_idle=2)
            atexit.register(_shared.close)
        return _shared


class SqliteBackend:
    """The database tools' engine for one SQLite file."""

    def __init__(
        self, target: DatabaseTarget, *, timeout: float, writes_enabled: bool, sandbox: Sandbox | None = None
    ) -> None:
        assert target.path is not None
        self.target = target
        self.path = target.path
        self.timeout = timeout
        self.writes_enabled = writes_enabled
        self.sandbox = sandbox
        self._call = Call(target=target, timeout=timeout, writes_enabled=writes_enabled)

    def _check_file(self) -> None:
        """Refuse a missing file here, without a worker (the worker checks again)."""
        if not self.path.is_file():
            where = "is a directory, not a database file" if self.path.is_dir() else "does not exist"
            raise ToolError(
                f"the SQLite database {self.path} {where}{self.target.hint}; check AGENT_DATABASE_URL", code="not_found"
            )

    def _run(self, job: Callable[..., T], *args: Any) -> T:
        self._check_file()
        box = self.sandbox or sqlite_sandbox()
        try:
            return box.run(job, self._call, *args, timeout=self.timeout + HARD_MARGIN, what="the SQLite statement")
        except ToolError as err:
            if err.code == "timeout" and "did not start" not in err.message:  # killed: say the limit the user set
                raise timeout_error(self.timeout) from None
            raise

    def list_tables(self, include_row_counts: bool) -> TableList:
        return self._run(list_tables_job, include_row_counts)

    def describe_table(self, table: str, schema_name: str | None) -> TableDescription:
        return self._run(describe_job, table)

    def query(self, sql: str, params: Params, max_rows: int) -> QueryResult:
        return self._run(query_job, sql, params, max_rows)

    def execute(self, sql: str, params: Params, max_rows: int) -> ExecuteResult:
        try:
            return self._run(execute_job, sql, params, max_rows)
        except ToolError as err:
            if err.code in ("timeout", "too_large", "internal"):  # the worker may have died inside the transaction
                self._recover()
            raise

    def _recover(self) -> None:
        """Roll back what a killed writer left behind, so readers are not locked out by a hot journal."""
        box = self.sandbox or sqlite_sandbox()
        try:
            if box.run(recover_job, self.target, self.timeout, timeout=self.timeout + HARD_MARGIN, what="the rollback"):
                log.info("rolled back an interrupted write to %s", self.target.display)
        except ToolError:
            log.warning("could not roll back an interrupted write to %s", self.target.display, exc_info=True)


__all__ = ["HARD_MARGIN", "WORKER_MEMORY_MB", "Authorizer", "SqliteBackend", "sqlite_sandbox"]
