"""The database tools' input and output models, and the engine interface that returns them.

Both engines answer with these models, so a model sees exactly the same shape
whichever database is behind the tools.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from tools.db.limits import MAX_PARAMS, Dialect
from tools.db.urls import DatabaseTarget

Scalar = str | int | float | bool | None
Params = (
    Annotated[list[Scalar], Field(max_length=MAX_PARAMS)]
    | Annotated[dict[str, Scalar], Field(max_length=MAX_PARAMS)]
    | None
)


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
    """The ``params`` field's description, in the placeholder style of ``dialect``."""
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
