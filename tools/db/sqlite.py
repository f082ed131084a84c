"""SQLite behind the database tools: read-only by construction, bounded in time.

Every call opens its own connection (opening SQLite is cheap) and closes it.
Read-only calls are held back twice:

* the file is opened with a ``file:...?mode=ro`` URI, so SQLite itself
  refuses to write and a missing file is never created;
* an authorizer (``sqlite3_set_authorizer``) denies, while the statement is
  prepared, every action that is not reading: writes, schema changes, ATTACH
  and DETACH (which also stops ``VACUUM``: it attaches internally), changing
  PRAGMAs, transaction control, and the ``load_extension`` function.
  ``SQLITE_LIMIT_ATTACHED`` is 0 as well.

Writes (``db_execute``, only when the user allowed them) open the file with
``mode=rw`` and run the statement in one transaction that is committed; the
authorizer still denies ATTACH/DETACH, PRAGMA changes, transaction control and
extensions there.

A progress handler stops a statement that passes the call's deadline
(``OperationalError: interrupted``); only one statement is accepted per call
(Python's ``sqlite3`` refuses a second one before running anything).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from tools.base import ToolError
from tools.db.common import (
    MAX_TABLES_LISTED,
    ColumnInfo,
    DatabaseTarget,
    Deadline,
    ExecuteResult,
    ForeignKeyInfo,
    IndexInfo,
    Params,
    QueryResult,
    TableDescription,
    TableInfo,
    TableList,
    bounded_message,
    collect_rows,
    join_notes,
    not_found_table,
    one_statement_error,
    quote_identifier,
    timeout_error,
    writes_refused,
)

PROGRESS_STEPS = 1000  # VM instructions between two looks at the clock
MAX_VALUE_BYTES = 50_000_000  # SQLITE_LIMIT_LENGTH: no string or blob may grow past this

_A = sqlite3
READ_ACTIONS = frozenset({_A.SQLITE_SELECT, _A.SQLITE_READ, _A.SQLITE_RECURSIVE})
WRITE_ACTIONS = frozenset(
    {
        _A.SQLITE_INSERT,
        _A.SQLITE_UPDATE,
        _A.SQLITE_DELETE,
        _A.SQLITE_CREATE_INDEX,
        _A.SQLITE_CREATE_TABLE,
        _A.SQLITE_CREATE_TEMP_INDEX,
        _A.SQLITE_CREATE_TEMP_TABLE,
        _A.SQLITE_CREATE_TEMP_TRIGGER,
        _A.SQLITE_CREATE_TEMP_VIEW,
        _A.SQLITE_CREATE_TRIGGER,
        _A.SQLITE_CREATE_VIEW,
        _A.SQLITE_CREATE_VTABLE,
        _A.SQLITE_DROP_INDEX,
        _A.SQLITE_DROP_TABLE,
        _A.SQLITE_DROP_TEMP_INDEX,
        _A.SQLITE_DROP_TEMP_TABLE,
        _A.SQLITE_DROP_TEMP_TRIGGER,
        _A.SQLITE_DROP_TEMP_VIEW,
        _A.SQLITE_DROP_TRIGGER,
        _A.SQLITE_DROP_VIEW,
        _A.SQLITE_DROP_VTABLE,
        _A.SQLITE_ALTER_TABLE,
        _A.SQLITE_REINDEX,
        _A.SQLITE_ANALYZE,
    }
)
# PRAGMAs that only read. Those taking an argument take an object name; the
# others are allowed only without an argument (with one, they set a value).
PRAGMAS_WITH_NAME = frozenset(
    {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list"}
)
PRAGMAS_READ_VALUE = frozenset(
    {
        "application_id",
        "auto_vacuum",
        "collation_list",
        "compile_options",
        "data_version",
        "database_list",
        "encoding",
        "foreign_keys",
        "freelist_count",
        "function_list",
        "journal_mode",
        "module_list",
        "page_count",
        "page_size",
        "pragma_list",
        "schema_version",
        "table_list",
        "user_version",
    }
)
DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})
# Table-valued functions created once per connection before the authorizer is
# installed: creating one makes SQLite report schema-table updates to the
# authorizer, which would otherwise deny e.g. ``SELECT * FROM json_each(?)``.
EPONYMOUS_TABLES = (
    "json_each",
    "json_tree",
    "pragma_table_info",
    "pragma_table_xinfo",
    "pragma_table_list",
    "pragma_index_list",
    "pragma_index_info",
    "pragma_index_xinfo",
    "pragma_foreign_key_list",
)


class Authorizer:
    """Allows reading (and, for db_execute, writing); remembers why it denied."""

    def __init__(self, *, allow_write: bool, writes_enabled: bool) -> None:
        self.allow_write = allow_write
        self.writes_enabled = writes_enabled
        self.denial: ToolError | None = None

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, db_name: str | None, trigger: str | None
    ) -> int:
        refusal = self.judge(action, arg1, arg2)
        if refusal is None:
            return sqlite3.SQLITE_OK
        if self.denial is None:
            self.denial = refusal
        return sqlite3.SQLITE_DENY

    def judge(self, action: int, arg1: str | None, arg2: str | None) -> ToolError | None:
        if action in READ_ACTIONS:
            return None
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() in DENIED_FUNCTIONS:
                return ToolError(f"the SQL function {arg2}() is not allowed", code="refused")
            return None
        if action in WRITE_ACTIONS:
            return None if self.allow_write else writes_refused(self.writes_enabled)
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in PRAGMAS_WITH_NAME or (name in PRAGMAS_READ_VALUE and arg2 is None):
                return None
            if name in PRAGMAS_READ_VALUE:
                return ToolError(
                    f"PRAGMA {name} = ... changes a setting; only reading PRAGMAs is allowed", code="refused"
                )
            return ToolError(
                f"PRAGMA {name} is not allowed; allowed are reading PRAGMAs such as table_info, index_list, "
                "foreign_key_list, user_version",
                code="refused",
            )
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return ToolError(
                "ATTACH, DETACH and VACUUM are not allowed: the tool works on the one configured database file",
                code="refused",
            )
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            return ToolError(
                "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not allowed: "
                "each call runs in its own transaction",
                code="refused",
            )
        return ToolError(f"this kind of statement is not allowed (SQLite authorizer action {action})", code="refused")


class SqliteBackend:
    """The database tools' engine for one SQLite file."""

    def __init__(self, target: DatabaseTarget, *, timeout: float, writes_enabled: bool) -> None:
        assert target.path is not None
        self.target = target
        self.path = target.path
        self.timeout = timeout
        self.writes_enabled = writes_enabled

    # ----------------------------------------------------------- connections

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[tuple[sqlite3.Connection, Authorizer, Deadline]]:
        if not self.path.is_file():
            where = "is a directory, not a database file" if self.path.is_dir() else "does not exist"
            raise ToolError(
                f"the SQLite database {self.path} {where}{self.target.hint}; check AGENT_DATABASE_URL", code="not_found"
            )
        deadline = Deadline(self.timeout)
        uri = f"{self.path.as_uri()}?mode={'rw' if write else 'ro'}"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as err:
            raise ToolError(f"cannot open the SQLite database {self.path}: {err}", code="unavailable") from None
        try:
            conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
            conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
            try:
                for name in EPONYMOUS_TABLES:
                    try:
                        conn.execute(f"SELECT * FROM {name}('') LIMIT 0")
                    except sqlite3.OperationalError as err:
                        if "no such table" not in str(err):  # older SQLite without that function: fine
                            raise
                if write:
                    conn.execute("PRAGMA foreign_keys = ON")
            except sqlite3.DatabaseError as err:
                raise ToolError(f"{self.path} cannot be read as a SQLite database: {err}", code="unavailable") from None
            auth = Authorizer(allow_write=write, writes_enabled=self.writes_enabled)
            conn.set_authorizer(auth)
            conn.set_progress_handler(lambda: 1 if deadline.expired() else 0, PROGRESS_STEPS)
            yield conn, auth, deadline
        finally:
            conn.close()

    def _error(self, err: Exception, auth: Authorizer, deadline: Deadline) -> ToolError:
        """The ToolError for an exception raised by ``sqlite3`` during a call."""
        if auth.denial is not None:
            return auth.denial
        text = str(err)
        if isinstance(err, sqlite3.ProgrammingError) and "one statement at a time" in text:
            return one_statement_error()
        if "interrupted" in text and deadline.expired():
            return timeout_error(self.timeout)
        if "cannot VACUUM" in text:
            return ToolError("VACUUM is not allowed through this tool", code="refused")
        if "readonly database" in text or "read-only" in text:
            return writes_refused(self.writes_enabled)
        if "too big" in text:
            return ToolError(f"a value in the result is too large: {text}", code="too_large")
        if "database is locked" in text or "database is busy" in text:
            return ToolError(f"the database is locked by another writer; try again later ({text})", code="unavailable")
        if "not a database" in text or "disk I/O" in text or "unable to open" in text:
            return ToolError(f"cannot read the SQLite database {self.path}: {text}", code="unavailable")
        return ToolError(f"SQLite error: {bounded_message(text)}", code="invalid_input")

    # ----------------------------------------------------------- catalogue

    def _objects(self, conn: sqlite3.Connection, *, internal: bool) -> list[tuple[str, str]]:
        sql = "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
        if not internal:
            sql += " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        return [(row[0], row[1]) for row in conn.execute(sql + " ORDER BY name")]

    def _count(self, conn: sqlite3.Connection, name: str) -> int:
        return int(conn.execute(f"SELECT count(*) FROM {quote_identifier(name)}").fetchone()[0])

    def list_tables(self, include_row_counts: bool) -> TableList:
        with self._connect(write=False) as (conn, auth, deadline):
            try:
                objects = self._objects(conn, internal=False)
            except sqlite3.Error as err:
                raise self._error(err, auth, deadline) from None
            tables: list[TableInfo] = []
            notes: list[str] = []
            for name, kind in objects[:MAX_TABLES_LISTED]:
                count = None
                if include_row_counts and kind == "table" and not deadline.expired():
                    try:
                        count = self._count(conn, name)
                    except sqlite3.Error as err:  # e.g. a virtual table whose module is missing
                        if "interrupted" not in str(err):
                            notes.append(f"{name}: rows not counted ({bounded_message(str(err), 120)}).")
                counted = include_row_counts and kind == "table"
                if counted and count is None and deadline.expired() and not any("time limit" in n for n in notes):
                    notes.append(
                        f"Counting rows passed the {self.timeout:g} s time limit; the remaining counts are null."
                    )
                tables.append(TableInfo(name=name, type="table" if kind == "table" else "view", row_count=count))
            truncated = len(objects) > MAX_TABLES_LISTED
            if truncated:
                notes.append(f"Only the first {MAX_TABLES_LISTED} of {len(objects)} tables and views are listed.")
            return TableList(
                dialect="SQLite",
                database=self.target.display,
                tables=tables,
                truncated=truncated,
                note=join_notes(notes),
            )

    def describe_table(self, table: str, schema_name: str | None) -> TableDescription:
        with self._connect(write=False) as (conn, auth, deadline):
            try:
                return self._describe(conn, table, deadline)
            except sqlite3.Error as err:
                raise self._error(err, auth, deadline) from None

    def _describe(self, conn: sqlite3.Connection, table: str, deadline: Deadline) -> TableDescription:
        objects = self._objects(conn, internal=True)
        exact = [(n, k) for n, k in objects if n == table]
        folded = exact or [(n, k) for n, k in objects if n.lower() == table.lower()]
        if not folded:
            raise not_found_table(table, [n for n, _ in objects if not n.startswith("sqlite_")])
        name, kind = folded[0]
        quoted = quote_identifier(name)  # a name read back from sqlite_master, quoted: never the raw input

        info = conn.execute(f"PRAGMA table_info({quoted})").fetchall()  # cid, name, type, notnull, dflt, pk
        pk_cols = [row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        rowid_alias = len(pk_cols) == 1 and any(r[1] == pk_cols[0] and (r[2] or "").upper() == "INTEGER" for r in info)
        columns = [
            ColumnInfo(
                name=r[1],
                type=r[2] or "",
                nullable=not r[3] and not (r[5] and rowid_alias),
                default=r[4],
                primary_key=bool(r[5]),
            )
            for r in info
        ]

        foreign_keys: dict[int, dict[str, Any]] = {}
        for fid, _seq, ref_table, col, ref_col, on_update, on_delete, _match in conn.execute(
            f"PRAGMA foreign_key_list({quoted})"
        ):
            fk = foreign_keys.setdefault(
                fid, {"columns": [], "ref": ref_table, "ref_cols": [], "on_update": on_update, "on_delete": on_delete}
            )
            fk["columns"].append(col)
            fk["ref_cols"].append(ref_col)
        fks = []
        for fk in foreign_keys.values():
            ref_cols = fk["ref_cols"]
            if all(c is None for c in ref_cols):  # REFERENCES parent without columns: the parent's primary key
                parent = [r for r in conn.execute(f"PRAGMA table_info({quote_identifier(fk['ref'])})") if r[5]]
                ref_cols = [r[1] for r in sorted(parent, key=lambda r: r[5])] or ref_cols
            fks.append(
                ForeignKeyInfo(
                    columns=fk["columns"],
                    references_table=fk["ref"],
                    references_columns=[c if c is not None else "<primary key>" for c in ref_cols],
                    on_delete=fk["on_delete"],
                    on_update=fk["on_update"],
                )
            )

        indexes = []
        for _seq, index_name, unique, *_rest in conn.execute(f"PRAGMA index_list({quoted})").fetchall():
            cols = [
                r[2] if r[2] is not None else "<expression>"
                for r in conn.execute(f"PRAGMA index_info({quote_identifier(index_name)})")
            ]
            indexes.append(IndexInfo(name=index_name, columns=cols, unique=bool(unique)))

        note = None
        try:
            row_count: int | None = self._count(conn, name)
        except sqlite3.OperationalError:
            if not deadline.expired():
                raise
            row_count, note = None, f"Counting the rows passed the {self.timeout:g} s time limit."
        return TableDescription(
            dialect="SQLite",
            name=name,
            type="table" if kind == "table" else "view",
            columns=columns,
            primary_key=pk_cols,
            foreign_keys=fks,
            indexes=indexes,
            row_count=row_count,
            note=note,
        )

    # ----------------------------------------------------------- statements

    def query(self, sql: str, params: Params, max_rows: int) -> QueryResult:
        with self._connect(write=False) as (conn, auth, deadline):
            try:
                cursor = conn.execute(sql, _bind(params))
                columns = [d[0] for d in cursor.description or ()]
                got = collect_rows(cursor, max_rows) if cursor.description else None
            except sqlite3.Error as err:
                raise self._error(err, auth, deadline) from None
        notes = got.notes if got else ["The statement returned no rows."]
        return QueryResult(
            dialect="SQLite",
            columns=columns,
            rows=got.rows if got else [],
            row_count=len(got.rows) if got else 0,
            truncated=got.truncated if got else False,
            note=join_notes(notes),
        )

    def execute(self, sql: str, params: Params, max_rows: int) -> ExecuteResult:
        with self._connect(write=True) as (conn, auth, deadline):
            try:
                conn.set_authorizer(None)
                conn.execute("BEGIN IMMEDIATE")
                conn.set_authorizer(auth)
                cursor = conn.execute(sql, _bind(params))
                columns = [d[0] for d in cursor.description or ()]
                got = collect_rows(cursor, max_rows) if cursor.description else None
                for _ in cursor:  # finish the statement (RETURNING rows beyond the limit) before committing
                    pass
                affected = cursor.rowcount if cursor.rowcount >= 0 else None
                cursor.close()
                conn.set_authorizer(None)
                conn.execute("COMMIT")
            except sqlite3.Error as err:
                conn.set_authorizer(None)
                conn.set_progress_handler(None, 0)
                if conn.in_transaction:
                    with suppress(sqlite3.Error):  # closing the connection rolls back as well
                        conn.execute("ROLLBACK")
                raise self._error(err, auth, deadline) from None
        return ExecuteResult(
            dialect="SQLite",
            committed=True,
            rows_affected=affected,
            columns=columns,
            rows=got.rows if got else [],
            row_count=len(got.rows) if got else 0,
            truncated=got.truncated if got else False,
            note=join_notes(got.notes if got else []),
        )


def _bind(params: Params) -> Any:
    if params is None:
        return ()
    return params


__all__ = ["Authorizer", "SqliteBackend"]
