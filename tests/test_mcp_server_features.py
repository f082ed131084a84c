"""Resources, prompts, completion, logging and list-changed notifications of our servers, end to end.

Real server processes over stdio and streamable HTTP on 127.0.0.1, driven by
the mcp 2.x client in both protocol revisions ("legacy": the 2025-11-25
handshake; "auto": 2026-07-28).  The database is a real SQLite file that the
test changes underneath the server.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from mcp_helpers import HttpServer, server_env, stdio_env

MODES = ("legacy", "auto")
TRANSPORTS = ("stdio", "http")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("features-home")


@pytest.fixture(scope="module")
def http_all(home, tmp_path_factory):
    with HttpServer("all", tmp_path_factory.mktemp("logs") / "all.log", server_env(home)) as server:
        yield server


@asynccontextmanager
async def connect(transport: str, mode: str, home: Path, http_all: HttpServer, **options: Any):
    if transport == "stdio":
        params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.all"], env=stdio_env(home))
        with (home / f"stdio-{mode}.log").open("a") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode=mode, **options) as client:
                yield client
    else:
        async with Client(http_all.url, mode=mode, **options) as client:
            yield client


def run(coro_fn, *args: Any) -> Any:
    return anyio.run(coro_fn, *args)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode", MODES)
def test_resources_prompts_and_completion(transport, mode, home, http_all):
    async def check() -> None:
        async with connect(transport, mode, home, http_all) as client:
            caps = client.server_capabilities
            assert caps.resources is not None and caps.prompts is not None and caps.completions is not None
            assert caps.resources.list_changed is True
            uris = [r.uri for r in (await client.list_resources()).resources]
            assert "guide://calculator/calculator" in uris and "guide://primes/prime_check" in uris
            assert "db://demo/tables/customers/schema" in uris and "db://demo/tables/orders/schema" in uris
            templates = (await client.list_resource_templates()).resource_templates
            assert [t.uri_template for t in templates] == ["db://demo/tables/{table}/schema"]

            schema = json.loads((await client.read_resource("db://demo/tables/customers/schema")).contents[0].text)
            assert schema["name"] == "customers" and schema["primary_key"] == ["id"]
            assert {c["name"] for c in schema["columns"]} >= {"id", "name", "email"}
            assert schema["row_count"] == 20
            orders = json.loads((await client.read_resource("db://demo/tables/orders/schema")).contents[0].text)
            types_of = {c["name"]: (c["type"], c["nullable"]) for c in orders["columns"]}
            assert types_of["customer_id"] == ("INTEGER", False) and types_of["status"][0] == "TEXT"
            (fk,) = orders["foreign_keys"]
            assert fk["references_table"] == "customers" and fk["references_columns"] == ["id"]
            guide = (await client.read_resource("guide://primes/prime_check")).contents[0]
            assert guide.mime_type == "text/markdown" and "`n` (required)" in guide.text
            with pytest.raises(MCPError, match="Resource not found"):
                await client.read_resource("db://demo/tables/no_such_table/schema")

            prompts = {p.name: p for p in (await client.list_prompts()).prompts}
            assert set(prompts) == {
                "explain_calculation",
                "check_primality",
                "research_question",
                "explore_database",
                "explore_table",
            }
            assert all(p.description for p in prompts.values())
            got = await client.get_prompt("explore_table", {"table": "orders", "column": "customer_id"})
            embedded = got.messages[0].content
            assert isinstance(embedded, types.EmbeddedResource)
            assert json.loads(embedded.resource.text)["name"] == "orders"
            assert "customer_id" in got.messages[1].content.text
            with pytest.raises(MCPError, match="needs the argument 'numbers'"):
                await client.get_prompt("check_primality", {})
            with pytest.raises(MCPError, match="'9x' is not a non-negative integer"):
                await client.get_prompt("check_primality", {"numbers": "97, 9x"})
            primality = await client.get_prompt("check_primality", {"numbers": "97 561,7919"})
            assert "- 561" in primality.messages[0].content.text

            table_ref = types.PromptReference(type="ref/prompt", name="explore_table")
            tables = (await client.complete(table_ref, {"name": "table", "value": "ord"})).completion
            assert tables.values == ["order_items", "order_totals", "orders"]
            columns = await client.complete(table_ref, {"name": "column", "value": "cust"}, {"table": "orders"})
            assert columns.completion.values == ["customer_id"]
            template_ref = types.ResourceTemplateReference(type="ref/resource", uri="db://demo/tables/{table}/schema")
            by_template = await client.complete(template_ref, {"name": "table", "value": "p"})
            assert "products" in by_template.completion.values
            with pytest.raises(MCPError, match="Unknown prompt"):
                await client.complete(types.PromptReference(type="ref/prompt", name="nope"), {"name": "a", "value": ""})

    run(check)


@pytest.mark.filterwarnings("ignore:The logging capability is deprecated")  # by 2026-07-28; 2025-11-25 has it
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_log_notifications_follow_the_level_each_connection_asked_for(transport, home, http_all):
    async def check() -> None:
        seen: dict[str, list[types.LoggingMessageNotificationParams]] = {"debug": [], "error": []}

        def collector(name: str):
            async def collect(params: types.LoggingMessageNotificationParams) -> None:
                seen[name].append(params)

            return collect

        async with (
            connect(transport, "legacy", home, http_all, logging_callback=collector("debug")) as chatty,
            connect(transport, "legacy", home, http_all, logging_callback=collector("error")) as quiet,
        ):
            assert chatty.server_capabilities.logging is not None
            await chatty.set_logging_level("debug")
            await quiet.set_logging_level("error")
            for client in (chatty, quiet):
                assert not (await client.call_tool("prime_check", {"n": 97})).is_error
                assert (await client.call_tool("prime_check", {"n": -1})).is_error  # a warning, not an error
        texts = [p.data for p in seen["debug"]]
        assert "prime_check: started" in texts and any(t.startswith("prime_check: done in") for t in texts)
        assert any(t.startswith("prime_check: failed (invalid_input)") for t in texts)
        assert {p.level for p in seen["debug"]} == {"info", "warning"}
        assert seen["error"] == []  # the other connection's level is its own

    run(check)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_log_notifications_on_2026_07_28_only_when_the_request_opts_in(transport, home, http_all):
    async def check() -> None:
        seen: list[str] = []

        async def collect(params: types.LoggingMessageNotificationParams) -> None:
            seen.append(params.data)

        async with connect(transport, "auto", home, http_all, logging_callback=collect) as client:
            assert client.protocol_version == "2026-07-28"
            await client.call_tool("prime_check", {"n": 97})
        assert seen == []
        async with connect(transport, "auto", home, http_all, logging_callback=collect, log_level="info") as client:
            await client.call_tool("prime_check", {"n": 97})
        assert seen[0] == "prime_check: started" and seen[-1].startswith("prime_check: done in")

    run(check)


def _add_table(home: Path, name: str) -> None:
    with sqlite3.connect(home / "demo.sqlite") as db:
        db.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, label TEXT)")


def _drop_table(home: Path, name: str) -> None:
    with sqlite3.connect(home / "demo.sqlite") as db:
        db.execute(f"DROP TABLE IF EXISTS {name}")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_schema_changes_reach_2025_clients_as_list_changed(transport, home, http_all):
    table = f"added_{transport}_legacy"

    async def check() -> None:
        changed = anyio.Event()

        async def on_message(message: Any) -> None:
            if isinstance(message, types.ResourceListChangedNotification):
                changed.set()

        async with connect(transport, "legacy", home, http_all, message_handler=on_message) as client:
            await client.list_resources()
            _add_table(home, table)
            with anyio.fail_after(15):  # the watcher polls every 3 s
                await changed.wait()
            uris = [r.uri for r in (await client.list_resources()).resources]
            assert f"db://demo/tables/{table}/schema" in uris

    try:
        run(check)
    finally:
        _drop_table(home, table)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_schema_changes_reach_2026_listeners(transport, home, http_all):
    table = f"added_{transport}_modern"

    async def check() -> None:
        async with connect(transport, "auto", home, http_all) as client:
            await client.list_resources()  # what the client knows (and the server's baseline)
            async with client.listen(resources_list_changed=True) as subscription:
                _add_table(home, table)
                with anyio.fail_after(15):
                    event = await subscription.__anext__()
            assert type(event).__name__ == "ResourcesListChanged"
            uris = [r.uri for r in (await client.list_resources()).resources]
            assert f"db://demo/tables/{table}/schema" in uris

    try:
        run(check)
    finally:
        _drop_table(home, table)
