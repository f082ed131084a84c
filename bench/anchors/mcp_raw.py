"""Anchor: the raw MCP SDK client (mcp 2.x ``Client.call_tool``) on one persistent session.

This is the least a Python client can spend per tool call; our client adds
argument checks, timeouts, reconnection and the LangChain tool around it.

    python -m bench.anchors.mcp_raw [CALLS]      # against our primes server over stdio
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any, TextIO


@contextlib.asynccontextmanager
async def session(
    *,
    argv: list[str] | None = None,
    env: dict[str, str] | None = None,
    url: str | None = None,
    errlog: TextIO = sys.stderr,
) -> AsyncIterator[Any]:
    """A connected ``mcp.Client``: a stdio server started from ``argv`` (its stderr to ``errlog``), or
    streamable HTTP at ``url``."""
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    if url is not None:
        async with Client(url) as client:
            yield client
        return
    assert argv
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    async with Client(stdio_client(params, errlog=errlog)) as client:
        yield client


async def _main(calls: int) -> None:
    import time

    from bench.env import child_env
    from bench.stats import Stat

    argv = [sys.executable, "-m", "mcp_servers.primes", "--log-level", "WARNING"]
    async with session(argv=argv, env=child_env()) as client:
        await client.call_tool("prime_check", {"n": 97})
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            await client.call_tool("prime_check", {"n": 97})
            samples.append(time.perf_counter() - started)
    stat = Stat.of(samples).scaled(1000)
    print(f"mcp 2.x Client.call_tool over stdio: median {stat.median:.3f} ms (p25–p75 {stat.spread(3)}), {calls} calls")


if __name__ == "__main__":
    import asyncio

    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
