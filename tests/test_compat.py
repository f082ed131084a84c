"""Fail loudly when a library changes what our compatibility modules reach into.

``graphs/compat.py`` (LangGraph's RunnableCallable) and ``agent/mcp/compat.py``
(the mcp SDK's session internals and HTTP client) each have a safe fallback;
these tests say at once when the fallback is what runs.
"""

from __future__ import annotations

import asyncio
import sys

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from agent.mcp.compat import http_client, output_schema_cache, session_closed
from graphs.compat import has_runnable_callable, runnable_callable


def test_langgraph_still_has_runnable_callable():
    assert has_runnable_callable(), "langgraph._internal._runnable.RunnableCallable moved: update graphs/compat.py"
    node = runnable_callable(lambda state, config: {"x": 1}, None, "n")
    assert type(node).__name__ == "RunnableCallable"


def test_the_mcp_sdk_still_has_the_internals_we_use():
    async def check() -> None:
        params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.calculator"])
        async with Client(stdio_client(params)) as client:
            assert session_closed(client) is False
            await client.list_tools()  # fills the output-schema cache
            cache = output_schema_cache(client)
            assert cache is not None, "mcp: ClientSession._tool_output_schemas moved: update agent/mcp/compat.py"
            assert "calculator" in cache[0]
            dispatcher = getattr(getattr(client, "_session", None), "_dispatcher", None)
            assert hasattr(dispatcher, "_closed"), (
                "mcp: the dispatcher's _closed flag moved: update agent/mcp/compat.py"
            )
        async with http_client({"X-Test": "1"}) as http:
            assert http.headers["X-Test"] == "1"

    asyncio.run(check())
