"""PostgreSQL behind the database tools, through psycopg 3 (imported on first use).

Every call opens its own connection (with ``connect_timeout``), runs in one
transaction and closes it:

* read-only calls use ``READ ONLY`` transactions (``conn.read_only = True``)
  that are rolled back; writes (``db_execute``) use a normal transaction that
  is committed;
* ``SET LOCAL statement_timeout`` bounds each statement; a cancelled statement
  is reported as a ``timeout``;
* statements go through the extended query protocol (``Cursor.stream`` for
  queries, ``execute(prepare=True)`` for writes), which refuses a second
  statement; :mod:`tools.db.sqltext` refuses it earlier with a clearer message,
  together with COPY, session control and server-side functions a read-only
  transaction does not stop.

The role in the URL remains the real boundary: a superuser can still read
server files through functions the lexer does not know, so point the tool at a
role with only the privileges it needs (e.g. one granted ``pg_read_all_data``).

Error messages name ``host:port/db`` and never the password.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from tools.base import ToolError
from tools.db.common import (
    MAX_TABLES_LISTED,
    POSTGRES_EXTRA_HINT,
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
    scrub,
    timeout_error,
    writes_refused,
)
from tools.db.sqltext import check_execute, check_query

_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}
_RELATIONS = """
    SELECT c.oid, n.nspname, c.relname, c.relkind
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%%'
"""
_COLUMNS = """
    SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid)
    FROM pg_catalog.pg_attribute a
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
"""
_CONSTRAINTS = """
    SELECT con.contype,
           ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
           fn.nspname, fc.relname,
           ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord),
           con.confdeltype, con.confupdtype
    FROM pg_catalog.pg_constraint con
    LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
    LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
    WHERE con.conrelid = %s AND con.contype IN ('p', 'f')
    ORDER BY con.contype DESC, con.conname
"""
_INDEXES = """
    SELECT ic.relname, i.indisunique,
           ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
                 FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k)
    FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    WHERE i.indrelid = %s
    ORDER BY ic.relname
"""
_FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ToolError(f"PostgreSQL support is not installed; {POSTGRES_EXTRA_HINT}", code="unavailable") from None
    return psycopg


class PostgresBackend:
    """The database tools' engine for one PostgreSQL database."""

    def __init__(self, target: DatabaseTarget, *, timeout: float, writes_enabled: bool) -> None:
        assert target.dsn is not None
        self.target = target
        self.timeout = timeout
        self.writes_enabled = writes_enabled
        self.connect_timeout = max(2, min(10, math.ceil(timeout)))  # libpq counts whole seconds, at least 2
        self.where = f"{target.host}:{target.port}/{target.dbname}"

    # ----------------------------------------------------------- connections

    @contextmanager
    def _connect(self, *, read_only: bool) -> Iterator[tuple[Any, Deadline]]:
        psycopg = _import_psycopg()
        try:
            conn = psycopg.connect(self.target.dsn, connect_timeout=self.connect_timeout, autocommit=False)
        except psycopg.Error as err:
            reason = scrub(bounded_message(str(err), 400), self.target.secrets)
            raise ToolError(f"cannot connect to PostgreSQL at {self.where}: {reason}", code="unavailable") from None
        deadline = Deadline(self.timeout)
        try:
            conn.read_only = read_only  # psycopg opens the transaction with BEGIN READ ONLY
            yield conn, deadline
        finally:
            with suppress(psycopg.Error):
                conn.rollback()  # a no-op after COMMIT; undoes whatever a failed call left open
            conn.close()

    def _set_timeout(self, cur: Any, seconds: float) -> None:
        ms = max(1, int(seconds * 1000))
        cur.execute(f"SET LOCAL statement_timeout = {ms}")  # an int we computed, never user input

    def _error(self, err: Exception) -> ToolError:
        psycopg = _import_psycopg()
        errors = psycopg.errors
        text = scrub(bounded_message(str(err)), self.target.secrets)
        if isinstance(err, errors.QueryCanceled):
            return timeout_error(self.timeout)
        if isinstance(err, errors.ReadOnlySqlTransaction):
            return writes_refused(self.writes_enabled)
        if isinstance(err, errors.InsufficientPrivilege):
            return ToolError(f"permission denied by the database: {text}", code="refused")
        if isinstance(err, errors.SyntaxError) and "multiple commands" in text:
            return one_statement_error()
        if isinstance(err, (errors.ProgramLimitExceeded, errors.OutOfMemory, errors.DiskFull)):
            return ToolError(f"the statement needs more resources than allowed: {text}", code="too_large")
        state = getattr(err, "sqlstate", None) or ""
        if isinstance(err, psycopg.InterfaceError) or (
            isinstance(err, psycopg.OperationalError) and (not state or state.startswith(("08", "57P")))
        ):
            return ToolError(f"lost the connection to PostgreSQL at {self.where}: {text}", code="unavailable")
        return ToolError(f"PostgreSQL error: {text}", code="invalid_input")

    # ----------------------------------------------------------- catalogue

    def list_tables(self, include_row_counts: bool) -> TableList:
        psycopg = _import_psycopg()
        with self._connect(read_only=True) as (conn, deadline):
            cur = conn.cursor()
            try:
                self._set_timeout(cur, deadline.remaining())
                cur.execute(_RELATIONS + " ORDER BY n.nspname, c.relname LIMIT %s", [MAX_TABLES_LISTED + 1])
                relations = cur.fetchall()
            except psycopg.Error as err:
                raise self._error(err) from None
            truncated = len(relations) > MAX_TABLES_LISTED
            relations = relations[:MAX_TABLES_LISTED]
            notes: list[str] = []
            counting = include_row_counts
            tables = []
            for _oid, schema, name, kind in relations:
                count = None
                if counting and kind in ("r", "p", "m"):
                    if deadline.expired():
                        counting = False
                    else:
                        try:
                            self._set_timeout(cur, deadline.remaining())
                            cur.execute(f"SELECT count(*) FROM {quote_identifier(schema)}.{quote_identifier(name)}")
                            count = int(cur.fetchone()[0])
                        except psycopg.Error as err:  # the transaction is aborted: no more counts
                            counting = False
                            notes.append(f"Counting rows stopped at {schema}.{name}: {self._error(err).message}")
                    if not counting and not any("null" in n for n in notes):
                        notes.append("The remaining row counts are null.")
                tables.append(TableInfo(name=name, schema_name=schema, type=_KINDS[kind], row_count=count))
            if truncated:
                notes.append(f"Only the first {MAX_TABLES_LISTED} tables and views are listed.")
            return TableList(
                dialect="PostgreSQL",
                database=self.target.display,
                tables=tables,
                truncated=truncated,
                note=join_notes(notes),
            )

    def describe_table(self, table: str, schema_name: str | None) -> TableDescription:
        psycopg = _import_psycopg()
        with self._connect(read_only=True) as (conn, deadline):
            cur = conn.cursor()
            try:
                self._set_timeout(cur, deadline.remaining())
                oid, schema, name, kind = self._find(cur, table, schema_name)
                cur.execute(_COLUMNS, [oid])
                column_rows = cur.fetchall()
                cur.execute(_CONSTRAINTS, [oid])
                constraints = cur.fetchall()
                cur.execute(_INDEXES, [oid])
                index_rows = cur.fetchall()
            except psycopg.Error as err:
                raise self._error(err) from None
            primary_key: list[str] = []
            foreign_keys = []
            for contype, cols, ref_schema, ref_table, ref_cols, on_delete, on_update in constraints:
                if contype == "p":
                    primary_key = list(cols)
                else:
                    shown = ref_table if ref_schema == schema else f"{ref_schema}.{ref_table}"
                    foreign_keys.append(
                        ForeignKeyInfo(
                            columns=list(cols),
                            references_table=shown,
                            references_columns=list(ref_cols),
                            on_delete=_FK_ACTIONS.get(on_delete, on_delete),
                            on_update=_FK_ACTIONS.get(on_update, on_update),
                        )
                    )
            columns = [
                ColumnInfo(name=c, type=t, nullable=bool(nullable), default=d, primary_key=c in primary_key)
                for c, t, nullable, d in column_rows
            ]
            indexes = [IndexInfo(name=n, columns=list(cols), unique=bool(u)) for n, u, cols in index_rows]
            row_count, note = None, None
            if kind == "f":
                note = "Rows of a foreign table are not counted."
            else:
                try:
                    self._set_timeout(cur, max(deadline.remaining(), 0.001))
                    cur.execute(f"SELECT count(*) FROM {quote_identifier(schema)}.{quote_identifier(name)}")
                    row_count = int(cur.fetchone()[0])
                except psycopg.Error as err:  # e.g. the time limit, or no SELECT privilege
                    note = f"The rows were not counted: {self._error(err).message}"
            return TableDescription(
                dialect="PostgreSQL",
                name=name,
                schema_name=schema,
                type=_KINDS[kind],
                columns=columns,
                primary_key=primary_key,
                foreign_keys=foreign_keys,
                indexes=indexes,
                row_count=row_count,
                note=note,
            )

    def _find(self, cur: Any, table: str, schema_name: str | None) -> tuple[int, str, str, str]:
        """The relation named by the user, looked up with bound parameters only."""
        candidates: list[tuple[str | None, str]] = [(schema_name, table)]
        if schema_name is None and "." in table:
            schema_part, _, table_part = table.partition(".")
            candidates.append((schema_part.strip('"'), table_part.strip('"')))
        for schema, name in candidates:
            for fold in (False, True):
                column = "lower(c.relname) = lower(%s)" if fold else "c.relname = %s"
                sql, args = _RELATIONS + f" AND {column}", [name]
                if schema is not None:
                    sql += " AND lower(n.nspname) = lower(%s)" if fold else " AND n.nspname = %s"
                    args.append(schema)
                cur.execute(sql + " ORDER BY n.nspname <> 'public', n.nspname", args)
                found = cur.fetchall()
                if len(found) == 1 or (found and found[0][1] == "public"):
                    return found[0]
                if found:
                    where = ", ".join(f"{r[1]}.{r[2]}" for r in found[:10])
                    raise ToolError(f"{table!r} is ambiguous ({where}); give schema_name", code="invalid_input")
        cur.execute(_RELATIONS + " ORDER BY n.nspname <> 'public', n.nspname, c.relname LIMIT 200")
        known = [name if schema == "public" else f"{schema}.{name}" for _o, schema, name, _k in cur.fetchall()]
        shown = table if schema_name is None else f"{schema_name}.{table}"
        raise not_found_table(shown, known)

    # ----------------------------------------------------------- statements

    def query(self, sql: str, params: Params, max_rows: int) -> QueryResult:
        check_query(sql, writes_enabled=self.writes_enabled)
        psycopg = _import_psycopg()
        with self._connect(read_only=True) as (conn, deadline):
            cur = conn.cursor()
            try:
                self._set_timeout(cur, deadline.remaining())
                stream = cur.stream(sql, params)
                try:
                    got = collect_rows(stream, max_rows)
                finally:
                    stream.close()  # cancels the rest of a long result on the server
                columns = [d.name for d in cur.description or ()]
            except psycopg.ProgrammingError as err:
                if "didn't produce a result" in str(err):
                    return QueryResult(dialect="PostgreSQL", columns=[], rows=[], row_count=0, truncated=False,
                                       note="The statement returned no rows.")  # fmt: skip
                raise self._error(err) from None
            except psycopg.Error as err:
                raise self._error(err) from None
        return QueryResult(
            dialect="PostgreSQL",
            columns=columns,
            rows=got.rows,
            row_count=len(got.rows),
            truncated=got.truncated,
            note=join_notes(got.notes),
        )

    def execute(self, sql: str, params: Params, max_rows: int) -> ExecuteResult:
        check_execute(sql)
        psycopg = _import_psycopg()
        with self._connect(read_only=False) as (conn, deadline):
            cur = conn.cursor()
            try:
                self._set_timeout(cur, deadline.remaining())
                cur.execute(sql, params, prepare=True)  # extended protocol: one statement only
                got = collect_rows(iter(cur.fetchone, None), max_rows) if cur.description else None
                columns = [d.name for d in cur.description or ()]
                affected = cur.rowcount if cur.rowcount >= 0 else None
                status = cur.statusmessage
                conn.commit()
            except psycopg.Error as err:
                raise self._error(err) from None
        return ExecuteResult(
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


__all__ = ["PostgresBackend"]
