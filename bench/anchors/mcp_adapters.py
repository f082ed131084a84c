"""Anchor: langchain-mcp-adapters' default, and the raw mcp 1.x ``ClientSession``, run in the side environment.

langchain-mcp-adapters 0.3 requires ``mcp<2``, so this script runs under the
Python of the mcp 1.x virtualenv (``bench/_legacy.py``) and imports nothing
from this repository.  Its argument is one JSON object::

    {"transport": "stdio", "command": "...", "args": [...], "env": {...},
     "tool": "prime_check", "arguments": {"n": 97}, "default_calls": 10, "raw_calls": 500}

(``"transport": "http", "url": "..."`` for streamable HTTP).  It prints one JSON
object: seconds per call of ``MultiServerMCPClient``'s tools as a user gets them
(``get_tools()``: a new session, so over stdio a new server process, for every
call) and of ``ClientSession.call_tool`` on one session, after one warm-up call each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from importlib.metadata import version
from typing import Any


def _connection(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["transport"] == "http":
        return {"transport": "streamable_http", "url": spec["url"]}
    return {"transport": "stdio", "command": spec["command"], "args": spec["args"], "env": spec.get("env")}


@contextlib.asynccontextmanager
async def _raw_session(spec: dict[str, Any]):  # type: ignore[no-untyped-def]
    from mcp import ClientSession

    if spec["transport"] == "http":
        from mcp.client.streamable_http import streamablehttp_client

        async with streamablehttp_client(spec["url"]) as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            yield session
        return
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=spec["command"], args=spec["args"], env=spec.get("env"))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def _timed(call, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    await call()  # warm-up
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    from langchain_mcp_adapters.client import MultiServerMCPClient

    client = MultiServerMCPClient({"server": _connection(spec)})
    tools = {t.name: t for t in await client.get_tools()}
    tool = tools[spec["tool"]]
    default = await _timed(lambda: tool.ainvoke(spec["arguments"]), spec["default_calls"])
    async with _raw_session(spec) as session:
        raw = await _timed(lambda: session.call_tool(spec["tool"], spec["arguments"]), spec["raw_calls"])
    return {
        "default": default,
        "raw": raw,
        "versions": {"mcp": version("mcp"), "langchain-mcp-adapters": version("langchain-mcp-adapters")},
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
