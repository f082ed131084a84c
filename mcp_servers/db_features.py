"""The database server's resources and prompts: each table's schema, from the live database.

* ``db://<name>/tables/<table>/schema`` (JSON): a table's columns, types,
  keys, indexes and row count, as ``db_describe_table`` gives them; one
  resource per table or view, and the template for any of them.  ``<name>``
  is the database's file stem or PostgreSQL name; ``<table>`` is the table's
  name (``schema.table`` on PostgreSQL), percent-encoded as RFC 6570 says.
* Prompts: ``explore_database`` (an optional question) and ``explore_table``
  (a table, optionally a column), with ``completion/complete`` offering table
  and column names from the live schema.
* A :class:`~mcp_servers.changes.Watcher` fingerprints the table list (names
  and kinds, no row counts: cheap) so clients hear
  ``notifications/resources/list_changed`` when tables come or go.

Everything goes through the tool specs (``db_list_tables``,
``db_describe_table``) in the server's tool slots, so the same read-only
checks, sandbox and time limits apply as to a tool call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcp import types
from mcp.shared.exceptions import MCPError
from mcp.shared.uri_template import UriTemplate

from mcp_servers.changes import ChangeNotifier, Watcher
from mcp_servers.prompts import Argument, PromptSpec, user_text
from mcp_servers.resources import Contents
from mcp_servers.running import ToolSlots, run_blocking
from tools.base import ToolError, ToolSpec

SCHEMA_MIME = "application/json"


def database_name(url: str) -> str:
    """A short name for URIs: the SQLite file's stem or the PostgreSQL database name (never credentials)."""
    from tools.db.common import parse_database_url

    target = parse_database_url(url)
    raw = Path(target.path).stem if target.path is not None else (target.dbname or "database")
    return re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-")[:64] or "database"


def _segment(table: Mapping[str, Any]) -> str:
    schema = table.get("schema_name")
    return f"{schema}.{table['name']}" if schema else str(table["name"])


class DatabaseFeatures:
    """Schema resources, their template, completion and prompts for one database."""

    def __init__(self, specs: Mapping[str, ToolSpec], slots: ToolSlots, name: str) -> None:
        self.list_spec, self.describe_spec = specs["db_list_tables"], specs["db_describe_table"]
        self.slots, self.name = slots, name
        self.template_uri = f"db://{name}/tables/{{table}}/schema"
        self.template = UriTemplate.parse(self.template_uri)
        self.watcher: Watcher | None = None

    # --- calls through the tool specs ------------------------------------------------
    async def _run(self, spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
        output = await run_blocking(spec.call, arguments, name=spec.name, slots=self.slots, timeout=spec.hints.timeout)
        return output.model_dump(mode="json")

    async def tables(self) -> list[dict[str, Any]]:
        listing = await self._run(self.list_spec, {"include_row_counts": False})
        tables = listing["tables"]
        if self.watcher is not None:
            await self.watcher.observe(_fingerprint(tables))
        return tables

    async def fingerprint(self) -> tuple[tuple[str, str], ...]:
        return _fingerprint((await self._run(self.list_spec, {"include_row_counts": False}))["tables"])

    async def describe(self, segment: str) -> dict[str, Any]:
        known = {_segment(t): t for t in await self.tables()}
        table = known.get(segment)
        arguments = {"table": table["name"], "schema_name": table.get("schema_name")} if table else {"table": segment}
        return await self._run(self.describe_spec, arguments)

    # --- ResourceSource ------------------------------------------------------------------
    def uri(self, segment: str) -> str:
        return self.template.expand({"table": segment})

    async def resources(self) -> list[types.Resource]:
        return [
            types.Resource(
                uri=self.uri(_segment(t)),
                name=f"{_segment(t)} schema",
                title=f"{'View' if t['type'] == 'view' else 'Table'} {_segment(t)}: schema",
                description=f"Columns, types, keys, indexes and row count of the {t['type']} {_segment(t)}.",
                mime_type=SCHEMA_MIME,
            )
            for t in await self.tables()
        ]

    def templates(self) -> list[types.ResourceTemplate]:
        return [
            types.ResourceTemplate(
                uri_template=self.template_uri,
                name="table-schema",
                title="Table schema",
                description="Any table's or view's schema (columns, types, keys, indexes, row count) as JSON; "
                "`table` is its name as db_list_tables shows it.",
                mime_type=SCHEMA_MIME,
            )
        ]

    async def read(self, uri: str) -> list[Contents] | None:
        found = self.template.match(uri)
        if found is None or not isinstance(found.get("table"), str) or not found["table"]:
            return None
        try:
            description = await self.describe(str(found["table"]))
        except ToolError as err:
            if err.code == "not_found":
                return None
            raise MCPError(code=types.INTERNAL_ERROR, message=err.message) from None
        text = json.dumps(description, ensure_ascii=False, indent=2)
        return [types.TextResourceContents(uri=uri, mime_type=SCHEMA_MIME, text=text)]

    async def complete(self, template: str, argument: str, value: str, context: Mapping[str, str]) -> list[str] | None:
        if template != self.template_uri:
            return None
        return await self.table_names(value, context) if argument == "table" else []

    # --- completion and prompts ----------------------------------------------------------
    async def table_names(self, value: str, context: Mapping[str, str]) -> list[str]:
        return [_segment(t) for t in await self.tables()]

    async def column_names(self, value: str, context: Mapping[str, str]) -> list[str]:
        table = (context.get("table") or "").strip()
        if not table:
            return []
        try:
            description = await self.describe(table)
        except ToolError:
            return []
        return [column["name"] for column in description["columns"]]

    async def _explore_database(self, arguments: Mapping[str, str]) -> list[types.PromptMessage]:
        question = (arguments.get("question") or "").strip()
        ask = f"\n\nWhat I want to find out: {json.dumps(question, ensure_ascii=False)}" if question else ""
        return [
            user_text(
                "Explore this database with the database tools: list its tables (db_list_tables), describe the ones "
                "that matter (db_describe_table, or read their schema resources), then run a few small read-only "
                "queries (db_query, with LIMIT) to see typical rows and how the tables join. Summarise what the "
                "database holds, its main tables and keys, and one or two questions it can answer." + ask
            )
        ]

    async def _explore_table(self, arguments: Mapping[str, str]) -> list[types.PromptMessage]:
        table = arguments["table"].strip()
        column = (arguments.get("column") or "").strip()
        try:
            description = await self.describe(table)
        except ToolError as err:
            raise MCPError(code=types.INVALID_PARAMS, message=err.message) from None
        segment = _segment({"name": description["name"], "schema_name": description.get("schema_name")})
        if column and column not in {c["name"] for c in description["columns"]}:
            names = ", ".join(c["name"] for c in description["columns"])
            raise MCPError(code=types.INVALID_PARAMS, message=f"{segment} has no column {column!r}; it has: {names}")
        focus = (
            f"Focus on the column {json.dumps(column, ensure_ascii=False)}: its distinct values, nulls and range."
            if column
            else "Look at each column's typical values, nulls and ranges."
        )
        schema = types.EmbeddedResource(
            type="resource",
            resource=types.TextResourceContents(
                uri=self.uri(segment), mime_type=SCHEMA_MIME, text=json.dumps(description, ensure_ascii=False)
            ),
        )
        return [
            types.PromptMessage(role="user", content=schema),
            user_text(
                f"Above is the schema of {segment}. Explore it with db_query (read-only, small LIMITs): "
                f"{focus} Then say what the table records and how it relates to the other tables."
            ),
        ]

    def prompts(self) -> list[PromptSpec]:
        table = Argument("table", "The table or view, as db_list_tables shows it.", True, self.table_names)
        return [
            PromptSpec(
                name="explore_database",
                title="Explore this database",
                description="Find out what this database holds: tables, keys, typical rows.",
                render=self._explore_database,
                arguments=(Argument("question", "Optionally, what you want to find out."),),
            ),
            PromptSpec(
                name="explore_table",
                title="Explore a table",
                description="Look at one table (optionally one column) with its schema and a few queries.",
                render=self._explore_table,
                arguments=(table, Argument("column", "Optionally, a column to focus on.", False, self.column_names)),
            ),
        ]

    def watch(self, notifier: ChangeNotifier) -> Watcher:
        self.watcher = Watcher(
            f"the table list of {self.name}", self.fingerprint, notifier.resources_changed, lambda: notifier.watched
        )
        return self.watcher


def _fingerprint(tables: list[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((_segment(t), str(t["type"])) for t in tables))


__all__ = ["DatabaseFeatures", "database_name"]
