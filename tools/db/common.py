"""What both database engines share: URLs, limits, result models, JSON-safe values.

Nothing here opens a connection or imports a driver; :mod:`tools.db.sqlite`
and :mod:`tools.db.postgres` do the engine-specific work and return the
models defined here, so both engines answer in exactly the same shape.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from tools.base import ToolError

Dialect = Literal["SQLite", "PostgreSQL"]

MAX_CELL_CHARS = 1000  # longer text is cut, with a marker saying how long it was
MAX_BLOB_BYTES = 48  # binary values show this many bytes (base64) at most
MAX_RESULT_CHARS = 100_000  # rows stop being added once the JSON passes this
MAX_TABLES_LISTED = 500
MAX_NAMES_IN_MESSAGE = 40
MAX_SQL_CHARS = 100_000
MAX_PARAMS = 1000

WRITE_SETTING = "AGENT_DATABASE_WRITE"
POSTGRES_EXTRA_HINT = "install the 'postgres' extra: pip install -e '.[postgres]'"

Scalar = str | int | float | bool | None
Params = (
    Annotated[list[Scalar], Field(max_length=MAX_PARAMS)]
    | Annotated[dict[str, Scalar], Field(max_length=MAX_PARAMS)]
    | None
)


# --------------------------------------------------------------------------- URLs


@dataclass(frozen=True)
class DatabaseTarget:
    """A parsed database URL: which engine, where, and a display form without secrets."""

    dialect: Dialect
    display: str  # safe to show a model or a log: never contains a password
    path: Path | None = None  # SQLite: the absolute file path
    dsn: str | None = None  # PostgreSQL: the URL handed to libpq
    host: str | None = None
    port: int | None = None
    dbname: str | None = None
    secrets: tuple[str, ...] = ()  # strings to scrub from driver messages
    hint: str = ""  # added to a "file not found" message


def parse_database_url(url: str) -> DatabaseTarget:
    """Parse ``sqlite:///...``, a bare path, or ``postgresql://`` / ``postgres://``.

    ``sqlite:///`` follows the SQLAlchemy convention: what follows the three
    slashes is the path, so ``sqlite:///demo.db`` is relative (to the working
    directory at build time) and ``sqlite:////var/data/demo.db`` is absolute.
    Raises :class:`ValueError` (never echoing a password) when the URL is unusable.
    """
    text = url.strip()
    if not text:
        raise ValueError("the database URL is empty")
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower() if sep else ""
    if scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        return _parse_postgres(rest)
    if scheme == "sqlite":
        if not rest.startswith("/"):
            raise ValueError(
                "a SQLite URL has three slashes before the path: sqlite:///relative.db or sqlite:////abs/path.db"
            )
        path_text = unquote(rest[1:].split("?", 1)[0])
        if not path_text:
            raise ValueError("the SQLite URL names no file: use sqlite:///path/to/file.db")
        target = _sqlite_target(path_text)
        if not Path(path_text).expanduser().is_absolute():
            hint = (
                f" (sqlite:///{path_text} is relative to the working directory; "
                f"for the absolute path /{path_text} write sqlite:////{path_text})"
            )
            target = DatabaseTarget(dialect="SQLite", display=target.display, path=target.path, hint=hint)
        return target
    if sep:
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}: use sqlite:///..., a file path, or postgresql://..."
        )
    if text.lower().startswith("file:"):
        raise ValueError("give a plain path or a sqlite:/// URL, not a file: URI")
    return _sqlite_target(text)


def _sqlite_target(path_text: str) -> DatabaseTarget:
    path = Path(os.path.abspath(Path(path_text).expanduser()))
    return DatabaseTarget(dialect="SQLite", display=str(path), path=path)


def _parse_postgres(rest: str) -> DatabaseTarget:
    parts = urlsplit("postgresql://" + rest)
    netloc = parts.netloc
    userinfo, at, hostinfo = netloc.rpartition("@")
    user, _, password = userinfo.partition(":") if at else ("", "", "")
    secrets = tuple(s for s in {password, unquote(password)} if s)
    query_secrets = [
        value
        for key, _, value in (item.partition("=") for item in parts.query.split("&"))
        if key == "password" and value
    ]
    secrets += tuple(s for v in query_secrets for s in {v, unquote(v)} if s)
    host, port = hostinfo, 5432
    if "," not in hostinfo:
        try:
            host = parts.hostname or ""
            port = parts.port or 5432
        except ValueError:
            raise ValueError("the PostgreSQL URL has an invalid port") from None
    if not host:
        host = "localhost"
    dbname = unquote(parts.path.lstrip("/")) or unquote(user) or "postgres"
    shown_user = f"{unquote(user)}@" if user else ""
    display = (
        f"postgresql://{shown_user}{host}:{port}/{dbname}"
        if "," not in host
        else f"postgresql://{shown_user}{host}/{dbname}"
    )
    dsn = "postgresql://" + rest  # libpq understands postgresql:// and postgres://, not the +driver forms
    return DatabaseTarget(
        dialect="PostgreSQL", display=display, dsn=dsn, host=host, port=port, dbname=dbname, secrets=secrets
    )


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced, so a driver message cannot leak a password."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# --------------------------------------------------------------------------- time


class Deadline:
    """One call's time budget, shared by every statement the call runs."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end


def timeout_error(seconds: float) -> ToolError:
    return ToolError(
        f"the statement ran longer than the {seconds:g} s limit and was stopped; "
        "narrow it (WHERE, LIMIT, fewer joins) or aggregate instead",
        code="timeout",
    )


def writes_refused(writes_enabled: bool) -> ToolError:
    """The refusal for a write attempted through a read-only tool."""
    if writes_enabled:
        return ToolError(
            "db_query is read-only; use the db_execute tool for statements that change data or schema "
            "(its calls need approval)",
            code="refused",
        )
    return ToolError(
        "writes are disabled: this database tool is read-only. To allow writes, set "
        f"{WRITE_SETTING}=true; the agent then gets a db_execute tool whose calls need approval",
        code="refused",
    )


def one_statement_error(found: int | None = None) -> ToolError:
    count = f" (found {found})" if found else ""
    return ToolError(
        f"only one SQL statement per call is allowed{count}; send each statement in its own call",
        code="invalid_input",
    )


def not_found_table(name: str, known: list[str]) -> ToolError:
    shown = ", ".join(known[:MAX_NAMES_IN_MESSAGE])
    more = f" (and {len(known) - MAX_NAMES_IN_MESSAGE} more)" if len(known) > MAX_NAMES_IN_MESSAGE else ""
    listing = f"known tables and views: {shown}{more}" if known else "the database has no tables or views"
    return ToolError(f"no table or view named {name!r}; {listing}", code="not_found")


def quote_identifier(name: str) -> str:
    """A SQL identifier in double quotes, inner quotes doubled (SQLite and PostgreSQL)."""
    if "\x00" in name:
        raise ToolError("identifiers cannot contain NUL characters")
    return '"' + name.replace('"', '""') + '"'


def bounded_message(text: str, limit: int = 800) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


# --------------------------------------------------------------------------- values


@dataclass
class _Conversion:
    """Flags raised while converting a result, turned into notes for the model."""

    cut_text: bool = False
    binary: bool = False
    decimal: bool = False


def _cut(text: str, conv: _Conversion) -> str:
    if len(text) <= MAX_CELL_CHARS:
        return text
    conv.cut_text = True
    return f"{text[:MAX_CELL_CHARS]}…[truncated: {len(text)} chars in total]"


def json_safe(value: Any, conv: _Conversion | None = None) -> Any:  # noqa: C901 - one branch per type
    """A value any JSON encoder accepts, with long text and binary data bounded."""
    conv = conv or _Conversion()
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, str):
        return _cut(value, conv)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        conv.binary = True
        shown = base64.b64encode(data[:MAX_BLOB_BYTES]).decode("ascii")
        if len(data) > MAX_BLOB_BYTES:
            return f"base64:{shown}…[truncated: {len(data)} bytes in total]"
        return f"base64:{shown}"
    if isinstance(value, Decimal):
        conv.decimal = True
        if value.is_nan():
            return "NaN"
        if value.is_infinite():
            return "Infinity" if value > 0 else "-Infinity"
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (list, tuple, dict)):
        inner = _Conversion()
        if isinstance(value, dict):
            converted: Any = {str(k): json_safe(v, inner) for k, v in value.items()}
        else:
            converted = [json_safe(v, inner) for v in value]
        conv.binary |= inner.binary
        conv.decimal |= inner.decimal
        conv.cut_text |= inner.cut_text
        encoded = json.dumps(converted, ensure_ascii=False)
        if len(encoded) > MAX_CELL_CHARS:
            return _cut(encoded, conv)
        return converted
    return _cut(str(value), conv)  # UUID, ip addresses, ranges, ...


@dataclass
class Rows:
    """Rows taken from a cursor under the row and size limits."""

    rows: list[list[Any]]
    truncated: bool
    notes: list[str]


def collect_rows(source: Any, max_rows: int) -> Rows:
    """Take at most ``max_rows`` rows from an iterable of row tuples, JSON-safe.

    Reads one row more than allowed to know whether the result was cut, and
    stops early when the rows' JSON passes :data:`MAX_RESULT_CHARS`.
    """
    conv = _Conversion()
    rows: list[list[Any]] = []
    size = 0
    truncated_by_rows = truncated_by_size = False
    for raw in source:
        if len(rows) >= max_rows:
            truncated_by_rows = True
            break
        row = [json_safe(v, conv) for v in raw]
        size += len(json.dumps(row, ensure_ascii=False)) + 1
        if size > MAX_RESULT_CHARS and rows:
            truncated_by_size = True
            break
        rows.append(row)
    notes = []
    if truncated_by_rows:
        notes.append(
            f"Only the first {len(rows)} rows are shown (row limit {max_rows}); the result has more. "
            "Narrow it with WHERE/LIMIT/OFFSET or aggregate (COUNT, GROUP BY)."
        )
    if truncated_by_size:
        notes.append(
            f"Only the first {len(rows)} rows are shown: the result passed {MAX_RESULT_CHARS} characters. "
            "Select fewer or shorter columns."
        )
    if conv.cut_text:
        notes.append(f"Text longer than {MAX_CELL_CHARS} characters was cut (marked '…[truncated: N chars in total]').")
    if conv.binary:
        notes.append(f"Binary values are shown as 'base64:...' (first {MAX_BLOB_BYTES} bytes at most).")
    if conv.decimal:
        notes.append("Exact numeric values are given as strings.")
    return Rows(rows=rows, truncated=truncated_by_rows or truncated_by_size, notes=notes)


def join_notes(notes: list[str]) -> str | None:
    return " ".join(notes) or None


# --------------------------------------------------------------------------- models


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListTablesInput(_Input):
    include_row_counts: bool = Field(
        default=True,
        description="Count the rows of each table (exact counts; set false for a faster listing of a large database).",
    )


class DescribeTableInput(_Input):
    table: str = Field(
        min_length=1,
        max_length=500,
        description="Name of the table or view, as db_list_tables shows it (e.g. 'orders'). "
        "'schema.table' is accepted for PostgreSQL.",
    )
    schema_name: str | None = Field(
        default=None,
        max_length=500,
        description="PostgreSQL schema of the table (e.g. 'public'); leave empty to search all schemas. "
        "Ignored for SQLite.",
    )


class TableInfo(BaseModel):
    name: str = Field(description="Table or view name.")
    schema_name: str | None = Field(default=None, description="Schema (PostgreSQL); null for SQLite.")
    type: Literal["table", "view", "materialized view", "foreign table"]
    row_count: int | None = Field(default=None, description="Exact number of rows; null when not counted.")


class TableList(BaseModel):
    dialect: Dialect
    database: str = Field(description="Which database this is (never shows a password).")
    tables: list[TableInfo]
    truncated: bool = Field(default=False, description="True when not every table is listed.")
    note: str | None = None


class ColumnInfo(BaseModel):
    name: str
    type: str = Field(description="Declared type ('' when SQLite has none).")
    nullable: bool
    default: str | None = Field(default=None, description="Default value expression, as SQL text.")
    primary_key: bool = False


class ForeignKeyInfo(BaseModel):
    columns: list[str]
    references_table: str
    references_columns: list[str]
    on_delete: str | None = None
    on_update: str | None = None


class IndexInfo(BaseModel):
    name: str
    columns: list[str] = Field(description="Indexed columns in order ('<expression>' for an expression).")
    unique: bool


class TableDescription(BaseModel):
    dialect: Dialect
    name: str
    schema_name: str | None = None
    type: Literal["table", "view", "materialized view", "foreign table"]
    columns: list[ColumnInfo]
    primary_key: list[str] = Field(default_factory=list)
    foreign_keys: list[ForeignKeyInfo] = Field(default_factory=list)
    indexes: list[IndexInfo] = Field(default_factory=list)
    row_count: int | None = Field(
        default=None, description="Exact number of rows; null when it could not be counted in time."
    )
    note: str | None = None


class QueryResult(BaseModel):
    dialect: Dialect
    columns: list[str] = Field(description="Column names, in order.")
    rows: list[list[Any]] = Field(description="Rows as lists of JSON values, in column order.")
    row_count: int = Field(description="Number of rows returned here.")
    truncated: bool = Field(description="True when the result had more rows than returned.")
    note: str | None = Field(default=None, description="Why rows or values were cut, and what to do about it.")


class ExecuteResult(BaseModel):
    dialect: Dialect
    committed: bool = Field(description="True: the change is saved.")
    rows_affected: int | None = Field(description="Rows inserted, updated or deleted; null for schema changes.")
    status: str | None = Field(default=None, description="The server's command tag, e.g. 'INSERT 0 3' (PostgreSQL).")
    columns: list[str] = Field(default_factory=list, description="Columns of rows returned (e.g. by RETURNING).")
    rows: list[list[Any]] = Field(default_factory=list)
    row_count: int = 0
    truncated: bool = False
    note: str | None = None


def params_field_description(dialect: Dialect) -> str:
    if dialect == "SQLite":
        style = "'?' placeholders with a list, or ':name' placeholders with an object"
    else:
        style = "'%s' placeholders with a list, or '%(name)s' placeholders with an object (write a literal % as %%)"
    return (
        f"Values bound to the statement's placeholders: {style}. Always pass values (user input, strings, "
        "numbers) here instead of writing them into the SQL."
    )


class Backend(Protocol):
    """One database engine behind the tools; each method opens and closes its own connection."""

    target: DatabaseTarget

    def list_tables(self, include_row_counts: bool) -> TableList: ...

    def describe_table(self, table: str, schema_name: str | None) -> TableDescription: ...

    def query(self, sql: str, params: Params, max_rows: int) -> QueryResult: ...

    def execute(self, sql: str, params: Params, max_rows: int) -> ExecuteResult: ...


__all__ = [
    "MAX_CELL_CHARS",
    "MAX_PARAMS",
    "MAX_RESULT_CHARS",
    "MAX_SQL_CHARS",
    "MAX_TABLES_LISTED",
    "POSTGRES_EXTRA_HINT",
    "WRITE_SETTING",
    "Backend",
    "ColumnInfo",
    "DatabaseTarget",
    "Deadline",
    "DescribeTableInput",
    "Dialect",
    "ExecuteResult",
    "ForeignKeyInfo",
    "IndexInfo",
    "ListTablesInput",
    "Params",
    "QueryResult",
    "Rows",
    "Scalar",
    "TableDescription",
    "TableInfo",
    "TableList",
    "bounded_message",
    "collect_rows",
    "join_notes",
    "json_safe",
    "not_found_table",
    "one_statement_error",
    "params_field_description",
    "parse_database_url",
    "quote_identifier",
    "scrub",
    "timeout_error",
    "writes_refused",
]
