"""A tool call through our MCP client against the raw SDK and langchain-mcp-adapters, one run.

    python bench/mcp_overhead.py [CALLS]

The anchor (``../shared/anchors/mcp_overhead.py``) runs in a side virtualenv
with mcp 1.x and langchain-mcp-adapters (they require ``mcp<2``) and measures
the adapters' default (a new session, so a new server process, per call), a
persistent adapter session and the raw 1.x ``ClientSession.call_tool``.  Here,
against the same server, we measure the raw mcp 2.x ``call_tool`` and our
client (``MCPToolbox``, through the LangChain tool the graph binds).
Target: ours within 1.1x of raw.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from _anchors import run_anchor
from _legacy import legacy_python

SERVER = '''
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("calc")
@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b
if __name__ == "__main__":
    mcp.run()
'''


async def raw_sdk(python: str, path: str, calls: int) -> float:
    with open(os.devnull, "w") as quiet:
        return await _raw(python, path, calls, quiet)


async def _raw(python: str, path: str, calls: int, quiet) -> float:  # noqa: ANN001
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async with Client(stdio_client(StdioServerParameters(command=python, args=[path]), errlog=quiet)) as client:
        await client.call_tool("add", {"a": 0, "b": 1})
        started = time.perf_counter()
        for i in range(calls):
            await client.call_tool("add", {"a": i, "b": 1})
        return (time.perf_counter() - started) / calls


async def ours(python: str, path: str, calls: int) -> tuple[float, float]:
    from agent.mcp.client import MCPToolbox
    from agent.mcp.config import ServerConfig

    servers = {"calc": ServerConfig(command=python, args=[path])}
    async with MCPToolbox(servers, log_dir=Path(tempfile.mkdtemp())) as box:
        (tool,) = box.langchain_tools()
        await tool.ainvoke({"a": 0, "b": 1})
        started = time.perf_counter()
        for i in range(calls):
            await tool.ainvoke({"a": i, "b": 1})
        via_tool = (time.perf_counter() - started) / calls
        started = time.perf_counter()
        for i in range(calls):
            await box.acall("calc", "add", {"a": i, "b": 1})
        via_call = (time.perf_counter() - started) / calls
    return via_tool, via_call


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    python = legacy_python()
    anchor = run_anchor("mcp_overhead.py", python=python)
    print("anchor (mcp 1.x, langchain-mcp-adapters):")
    print("  " + anchor.strip().replace("\n", "\n  "))
    default = float(re.search(r"adapter default.*?([\d.]+) ms/call", anchor).group(1))
    raw1 = float(re.search(r"raw mcp ClientSession.call_tool:\s+([\d.]+) ms/call", anchor).group(1))
    path = os.path.join(tempfile.mkdtemp(), "srv.py")
    with open(path, "w") as handle:
        handle.write(SERVER)
    rounds = [(asyncio.run(raw_sdk(python, path, calls)), *asyncio.run(ours(python, path, calls))) for _ in range(3)]
    raw2, tool, direct = (sorted(r[i] for r in rounds)[1] * 1000 for i in range(3))  # median of three
    print(f"ours, same server, median of 3 x {calls} calls:")
    print(f"  raw mcp 2.x Client.call_tool:       {raw2:.2f} ms/call")
    print(f"  MCPToolbox.acall:                   {direct:.2f} ms/call  {direct / raw2:.2f}x raw")
    print(f"  MCP tool as LangChain tool (agent): {tool:.2f} ms/call  {tool / raw2:.2f}x raw (target <= 1.1x)")
    print(f"  adapters' default / ours: {default / tool:.0f}x; ours / raw 1.x ClientSession: {tool / raw1:.2f}x")


if __name__ == "__main__":
    main()
