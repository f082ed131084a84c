"""An mcp 1.x client (protocol 2025-11-25), run by the tests in a virtualenv of its own.

Usage: ``python mcp_old_client.py stdio PYTHON MODULE`` or ``python mcp_old_client.py http URL``.
Initializes, lists the tools, calls ``prime_check`` (with a progress token) and
a bad call, and prints what it saw as one JSON object on stdout.  It imports
nothing from this project: it stands for Claude Desktop, the Inspector or any
client built on the 1.x SDK.
"""

from __future__ import annotations

import json
import sys
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

import anyio
from mcp import ClientSession


@asynccontextmanager
async def streams(argv: list[str]):
    if argv[0] == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=argv[1], args=["-m", argv[2]], env=json.loads(argv[3]))
        async with stdio_client(params) as (read, write):
            yield read, write, None
    else:
        from mcp.client.streamable_http import streamablehttp_client

        async with streamablehttp_client(argv[1]) as (read, write, session_id):
            yield read, write, session_id


async def main(argv: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"sdk": version("mcp")}
    async with streams(argv) as (read, write, session_id), ClientSession(read, write) as session:
        init = await session.initialize()
        out["protocolVersion"] = init.protocolVersion
        out["serverInfo"] = init.serverInfo.model_dump(mode="json")
        out["sessionId"] = session_id() if session_id else None
        tools = await session.list_tools()
        out["tools"] = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools.tools]
        progress: list[list[Any]] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append([value, total, message])

        good = await session.call_tool("prime_check", {"n": 97}, progress_callback=on_progress)
        out["good"] = good.model_dump(mode="json", by_alias=True, exclude_none=True)
        out["progress"] = progress
        bad = await session.call_tool("prime_check", {"n": "ninety-seven"})
        out["bad"] = bad.model_dump(mode="json", by_alias=True, exclude_none=True)
    return out


if __name__ == "__main__":
    result = anyio.run(main, sys.argv[1:])
    print(json.dumps(result))
