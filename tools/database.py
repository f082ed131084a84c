"""The database tools: list tables, describe a table, query, and (opt-in) execute.

``database_specs(url, ...)`` builds them for one database: a SQLite file (the
default, a bare path or ``sqlite:///...``) or PostgreSQL (``postgresql://`` or
``postgres://``, needs the ``postgres`` extra).  Building never connects, so a
server that is down cannot break the tool list; every call opens, uses and
closes its own connection.

Reading is the default and is enforced by the engine, not by inspecting SQL
alone (see :mod:`tools.db.sqlite` and :mod:`tools.db.postgres`).  Only with
``allow_write=True`` (``AGENT_DATABASE_WRITE=true``) is ``db_execute`` added:
marked destructive, so the graph asks a human before each call.  ``db_query``
stays read-only either way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tools.base import ToolHints, ToolSpec
from tools.db.common import (
    MAX_SQL_CHARS,
    Backend,
    DescribeTableInput,
    ExecuteResult,
    ListTablesInput,
    Params,
    QueryResult,
    TableDescription,
    TableList,
    params_field_description,
    parse_database_url,
)

READ_HINTS = ToolHints(read_only=True, destructive=False, idempotent=True, open_world=False)
WRITE_HINTS = ToolHints(read_only=False, destructive=True, idempotent=False, open_world=False)
TIMEOUT_MARGIN = 5.0  # seconds the graph waits beyond the statement limit (connecting, fetching)

_SQL_HINTS = {
    "SQLite": "SQLite syntax: double quotes for identifiers, single quotes for strings; "
    "dates are usually text, compare with date()/strftime().",
    "PostgreSQL": "PostgreSQL syntax: double quotes for identifiers with capitals, single quotes for strings.",
}
_READ_COMMANDS = {
    "SQLite": "SELECT, WITH, VALUES, EXPLAIN, or a reading PRAGMA such as table_info",
    "PostgreSQL": "SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN",
}


def _backend(url: str, *, timeout: float, writes_enabled: bool, role: str | None = None) -> tuple[Backend, float]:
    """The engine for ``url`` and the seconds the graph should wait for one call."""
    target = parse_database_url(url)
    if target.dialect == "SQLite":
        from tools.db.sqlite import SqliteBackend

        return SqliteBackend(target, timeout=timeout, writes_enabled=writes_enabled), timeout + TIMEOUT_MARGIN
    # tools.db.postgres imports psycopg only when a call is made
    from tools.db.postgres import PostgresBackend

    backend = PostgresBackend(target, timeout=timeout, writes_enabled=writes_enabled, role=role)
    return backend, timeout + backend.connect_timeout + TIMEOUT_MARGIN


def _query_input(dialect: str, row_limit: int) -> type[BaseModel]:
    class DbQueryInput(BaseModel):
        model_config = ConfigDict(extra="forbid")

        sql: str = Field(
            min_length=1,
            max_length=MAX_SQL_CHARS,
            description=f"Exactly one read-only {dialect} statement ({_READ_COMMANDS[dialect]}); "
            f"a trailing semicolon is fine. {_SQL_HINTS[dialect]}",
        )
        params: Params = Field(default=None, description=params_field_description(dialect))  # type: ignore[valid-type]
        max_rows: int | None = Field(
            default=None,
            ge=1,
            le=row_limit,
            description=f"Return at most this many rows (default and maximum {row_limit}).",
        )

    return DbQueryInput


def _execute_input(dialect: str) -> type[BaseModel]:
    class DbExecuteInput(BaseModel):
        model_config = ConfigDict(extra="forbid")

        sql: str = Field(
            min_length=1,
            max_length=MAX_SQL_CHARS,
            description=f"Exactly one {dialect} statement that changes the database (INSERT, UPDATE, DELETE, "
            f"CREATE, ALTER, DROP, ...). {_SQL_HINTS[dialect]}",
        )
        params: Params = Field(default=None, description=params_field_description(dialect))  # type: ignore[valid-type]

    return DbExecuteInput


@dataclass(frozen=True)
class _Tools:
    """What every tool of one database shares: its engine, how to name it, and its limits."""

    backend: Backend
    row_limit: int
    timeout: float  # seconds one statement may run
    call_timeout: float  # seconds the graph waits for one call
    allow_write: bool

    @property
    def dialect(self) -> str:
        return self.backend.target.dialect

    @property
    def where(self) -> str:
        return f"the {self.dialect} database {self.backend.target.display}"


def database_specs(
    url: str, *, allow_write: bool = False, row_limit: int = 200, timeout: float = 5.0, role: str | None = None
) -> list[ToolSpec]:
    """The database tools for ``url``: three read-only ones, plus ``db_execute`` if writes are allowed.

    Raises :class:`ValueError` for an unusable URL or limits; never connects.
    """
    if row_limit < 1:
        raise ValueError("row_limit must be at least 1")
    if not timeout > 0:
        raise ValueError("timeout must be positive")
    backend, call_timeout = _backend(url, timeout=timeout, writes_enabled=allow_write, role=role)
    tools = _Tools(backend, row_limit, timeout, call_timeout, allow_write)
    specs = [_list_tables_spec(tools), _describe_table_spec(tools), _query_spec(tools)]
    if allow_write:
        specs.append(_execute_spec(tools))
    return specs


def _list_tables_spec(tools: _Tools) -> ToolSpec:
    def list_tables(inp: ListTablesInput) -> TableList:
        return tools.backend.list_tables(inp.include_row_counts)

    return ToolSpec(
        name="db_list_tables",
        description=f"List the tables and views of {tools.where}, with exact row counts. "
        "Call this first to learn what data exists, then db_describe_table for a table's columns.",
        input_model=ListTablesInput,
        output_model=TableList,
        func=list_tables,
        hints=replace(READ_HINTS, timeout=tools.call_timeout, title="List database tables"),
    )


def _describe_table_spec(tools: _Tools) -> ToolSpec:
    def describe_table(inp: DescribeTableInput) -> TableDescription:
        return tools.backend.describe_table(inp.table, inp.schema_name)

    return ToolSpec(
        name="db_describe_table",
        description=f"Describe one table or view of {tools.where}: columns (type, nullable, default, "
        "primary key), foreign keys, indexes and the row count. Use it before querying that table.",
        input_model=DescribeTableInput,
        output_model=TableDescription,
        func=describe_table,
        hints=replace(READ_HINTS, timeout=tools.call_timeout, title="Describe a database table"),
    )


def _query_spec(tools: _Tools) -> ToolSpec:
    dialect, row_limit = tools.dialect, tools.row_limit

    def query(inp: BaseModel) -> QueryResult:
        return tools.backend.query(inp.sql, inp.params, inp.max_rows or row_limit)  # type: ignore[attr-defined]

    if tools.allow_write:
        write_sentence = "It cannot change anything: use db_execute for INSERT, UPDATE, DELETE or schema changes."
    else:
        write_sentence = "The database is read-only: statements that change data or schema are refused."
    return ToolSpec(
        name="db_query",
        description=f"Run exactly one read-only SQL statement on {tools.where} ({dialect} dialect: "
        f"{_READ_COMMANDS[dialect]}) and get its columns and rows. At most {row_limit} rows come back; "
        "'truncated' says when there were more (then filter, aggregate, or page with LIMIT/OFFSET). "
        f"Put values in 'params', never into the SQL text. A statement may run {tools.timeout:g} s. "
        f"{write_sentence}",
        input_model=_query_input(dialect, row_limit),
        output_model=QueryResult,
        func=query,
        hints=replace(READ_HINTS, timeout=tools.call_timeout, title="Query the database (read-only)"),
    )


def _execute_spec(tools: _Tools) -> ToolSpec:
    def execute(inp: BaseModel) -> ExecuteResult:
        return tools.backend.execute(inp.sql, inp.params, tools.row_limit)  # type: ignore[attr-defined]

    return ToolSpec(
        name="db_execute",
        description=f"Change {tools.where}: run exactly one {tools.dialect} statement (INSERT, UPDATE, DELETE, "
        "CREATE, ALTER, DROP, ...) in its own transaction, committed when it succeeds. Each call needs "
        "the user's approval and the tool cannot undo it. Returns rows_affected (and RETURNING rows, "
        f"at most {tools.row_limit}). Put values in 'params'. Use db_query for reading.",
        input_model=_execute_input(tools.dialect),
        output_model=ExecuteResult,
        func=execute,
        hints=replace(WRITE_HINTS, timeout=tools.call_timeout, title="Change the database"),
    )


def from_settings(settings: Any) -> list[ToolSpec]:
    """The registry's builder: this family's tools; the demo database is created when none is configured."""
    if settings.database_url is None:
        from tools.demo_db import ensure_demo_database

        ensure_demo_database(settings.home / "demo.sqlite")
    return database_specs(
        settings.resolved_database_url(),
        allow_write=settings.database_write,
        row_limit=settings.database_row_limit,
        timeout=settings.database_timeout,
        role=settings.database_role,
    )


__all__ = ["READ_HINTS", "WRITE_HINTS", "database_specs", "from_settings"]
