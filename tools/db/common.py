"""What both database engines share, and the import path for all of it.

Here: the time budget of a call, the errors both engines raise in the same
words, and identifier quoting.  The rest lives in sibling modules and is
re-exported, so engines and tests import everything from this one place:
:mod:`tools.db.limits` (limits, setting names), :mod:`tools.db.urls` (URL
parsing, secret scrubbing), :mod:`tools.db.models` (input/output models, the
:class:`Backend` interface) and :mod:`tools.db.values` (JSON-safe rows).

Nothing here opens a connection or imports a driver; :mod:`tools.db.sqlite`
and :mod:`tools.db.postgres` do the engine-specific work.
"""

from __future__ import annotations

import time

from tools.base import ToolError
from tools.db.limits import (
    MAX_BLOB_BYTES,
    MAX_CELL_CHARS,
    MAX_NAMES_IN_MESSAGE,
    MAX_PARAMS,
    MAX_RESULT_CHARS,
    MAX_SQL_CHARS,
    MAX_TABLES_LISTED,
    POSTGRES_EXTRA_HINT,
    WRITE_SETTING,
    Dialect,
)
from tools.db.models import (
    Backend,
    ColumnInfo,
    DescribeTableInput,
    ExecuteResult,
    ForeignKeyInfo,
    IndexInfo,
    ListTablesInput,
    Params,
    QueryResult,
    Scalar,
    TableDescription,
    TableInfo,
    TableList,
    params_field_description,
)
from tools.db.urls import DatabaseTarget, parse_database_url, scrub
from tools.db.values import Rows, collect_rows, join_notes, json_safe


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
    """The error for a statement stopped at the time limit, with ways to make it cheaper."""
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
    """The refusal of several statements in one call (both engines run exactly one)."""
    count = f" (found {found})" if found else ""
    return ToolError(
        f"only one SQL statement per call is allowed{count}; send each statement in its own call",
        code="invalid_input",
    )


def not_found_table(name: str, known: list[str]) -> ToolError:
    """The error for an unknown table, listing the known ones so the model can correct itself."""
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
    """A driver message cut to ``limit`` characters, so an error cannot flood the context."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


__all__ = [
    "MAX_BLOB_BYTES",
    "MAX_CELL_CHARS",
    "MAX_NAMES_IN_MESSAGE",
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
