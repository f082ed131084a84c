"""MCP tool call latency: our client against the raw SDK and langchain-mcp-adapters, stdio and HTTP.

The server is ours (``python -m mcp_servers.primes``, a ``prime_check`` of 97,
which it answers in microseconds), so the figures are the clients'.  Ours is
timed twice: ``MCPToolbox.acall`` and the LangChain tool the agent binds
(which also checks the arguments against the tool's schema); the floor is the
raw mcp 2.x ``Client.call_tool`` on one session.  Calls are timed one by one
in short blocks, the contenders taking turns (a burst of load elsewhere
falls on all of them).  langchain-mcp-adapters needs mcp 1.x,
so it runs in the side environment (``bench/_legacy.py``) with the raw 1.x
``ClientSession`` for reference; its default opens a new session for every
call (over stdio, a new server process).  Target: ours <= 1.05x raw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.env import REPO, child_env
from bench.report import Measure, Outcome, Table, Target, ms, ms_spread, times
from bench.stats import Stat, ratio

TOOL, ARGUMENTS = "prime_check", {"n": 97}
LIMIT = 1.05
RAW = "raw mcp 2.x Client.call_tool"
OURS_CALL = "ours: MCPToolbox.acall"
OURS_TOOL = "ours: the LangChain tool (ainvoke)"
ADAPTERS_SCRIPT = REPO / "bench" / "anchors" / "mcp_adapters.py"


@dataclass(frozen=True)
class Sizes:
    rounds: int
    block: int
    adapter_default: dict[str, int]
    legacy_raw: int


def sizes(quick: bool) -> Sizes:
    if quick:
        return Sizes(rounds=6, block=10, adapter_default={"stdio": 1, "http": 5}, legacy_raw=20)
    return Sizes(rounds=100, block=10, adapter_default={"stdio": 10, "http": 50}, legacy_raw=500)


def server_argv() -> list[str]:
    return [sys.executable, "-m", "mcp_servers.primes"]


@contextlib.contextmanager
def http_server(workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """Our primes server on streamable HTTP at a free loopback port; yields its URL."""
    log = workdir / "primes-http.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*server_argv(), "--http", "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=env,
            cwd=workdir,
        )
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"listening on (http://\S+/mcp)", log.read_text(errors="replace"))):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the primes HTTP server did not start:\n{log.read_text(errors='replace')[-1500:]}")
            time.sleep(0.05)
        yield found.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.asynccontextmanager
async def contenders(
    transport: str, url: str | None, env: dict[str, str], workdir: Path
) -> AsyncIterator[dict[str, Callable[[], Awaitable[Any]]]]:
    """Each client connected (over stdio, each its own server process), as one-call coroutines."""
    from agent.mcp.client import MCPToolbox
    from agent.mcp.config import ServerConfig
    from bench.anchors import mcp_raw

    argv = server_argv()
    config = ServerConfig(url=url) if url else ServerConfig(command=argv[0], args=argv[1:], env=env)
    async with (
        contextlib.AsyncExitStack() as stack,
        MCPToolbox({"primes": config}, log_dir=workdir / f"logs-{transport}") as box,
    ):
        errlog = stack.enter_context((workdir / f"raw-{transport}-server.log").open("w"))
        raw = await stack.enter_async_context(
            mcp_raw.session(url=url) if url else mcp_raw.session(argv=argv, env=env, errlog=errlog)
        )
        (tool,) = [t for t in await box.alangchain_tools() if t.name == f"primes__{TOOL}"]
        first = await raw.call_tool(TOOL, ARGUMENTS)
        if first.is_error:
            raise RuntimeError(f"{TOOL} failed through the raw client: {first.content}")
        yield {
            RAW: lambda: raw.call_tool(TOOL, ARGUMENTS),
            OURS_CALL: lambda: box.acall("primes", TOOL, ARGUMENTS),
            OURS_TOOL: lambda: tool.ainvoke(ARGUMENTS),
        }


async def timed(calls: dict[str, Callable[[], Awaitable[Any]]], rounds: int, block: int) -> dict[str, list[float]]:
    """Seconds per call: ``rounds`` blocks of ``block`` calls per contender, in rotating order, one warm-up block."""
    names = list(calls)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for round_no in range(rounds + 1):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            call = calls[name]
            for _ in range(block):
                started = time.perf_counter()
                await call()
                if round_no:
                    samples[name].append(time.perf_counter() - started)
    return samples


def legacy(
    transport: str, url: str | None, env: dict[str, str], server_env: dict[str, str], s: Sizes, outcome: Outcome
) -> dict[str, Stat]:
    """The adapters' default and raw mcp 1.x, from the side environment; {} with a skip line if it is missing."""
    from bench._legacy import LegacyEnvError, legacy_python

    try:
        python = legacy_python()
    except LegacyEnvError as err:
        outcome.skip(f"langchain-mcp-adapters ({transport})", str(err))
        return {}
    argv = server_argv()
    spec: dict[str, Any] = {
        "transport": transport,
        "tool": TOOL,
        "arguments": ARGUMENTS,
        "default_calls": s.adapter_default[transport],
        "raw_calls": s.legacy_raw,
    }
    spec.update({"url": url} if url else {"command": argv[0], "args": argv[1:], "env": server_env})
    done = subprocess.run(
        [python, str(ADAPTERS_SCRIPT), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=str(Path(env["AGENT_HOME"]).parent),
    )
    if done.returncode != 0:
        raise RuntimeError(f"the langchain-mcp-adapters anchor failed:\n{done.stderr[-2000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    versions = ", ".join(f"{k} {v}" for k, v in found["versions"].items())
    return {
        f"langchain-mcp-adapters default ({versions})": Stat.of(found["default"]),
        "raw mcp 1.x ClientSession.call_tool": Stat.of(found["raw"]),
    }


def _report(transport: str, stats: dict[str, Stat], outcome: Outcome) -> None:
    table = Table(
        f"{transport}: milliseconds per {TOOL} call, median (warm-up excluded)",
        ["client", "median ms", "p25–p75", "calls", "ours (LangChain tool) ÷ this"],
    )
    mine = stats[OURS_TOOL].median
    for name, stat in stats.items():
        table.add(name, ms(stat), ms_spread(stat), stat.n, times(ratio(mine, stat.median)))
        outcome.measures.append(Measure(transport, name, "s/call", stat, extra={"transport": transport}))
    outcome.tables.append(table)
    for name in (OURS_CALL, OURS_TOOL):
        outcome.targets.append(
            Target(f"{name} ÷ raw, {transport}", ratio(stats[name].median, stats[RAW].median), LIMIT)
        )


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    s = sizes(quick)
    home = workdir / "home"
    env = child_env(home, AGENT_MCP_SESSIONS_PER_ADDRESS="100000", AGENT_MCP_MAX_SESSIONS="100000")
    stdio_env = {k: env[k] for k in ("AGENT_HOME", "PYTHONPATH")}  # what a client adds to the SDK's default env

    async def measure(url: str | None, transport: str) -> dict[str, Stat]:
        async with contenders(transport, url, stdio_env, workdir) as calls:
            return {k: Stat.of(v) for k, v in (await timed(calls, s.rounds, s.block)).items()}

    stats = asyncio.run(measure(None, "stdio"))
    _report("stdio", {**stats, **legacy("stdio", None, env, stdio_env, s, outcome)}, outcome)
    with http_server(workdir, env) as url:
        stats = asyncio.run(measure(url, "streamable HTTP"))
        _report("streamable HTTP", {**stats, **legacy("http", url, env, stdio_env, s, outcome)}, outcome)


__all__ = ["run"]
