"""The client side of the service benchmark: N concurrent ``langgraph-sdk`` clients, each on its own thread.

Every server gets the same workload: N tasks, each with a thread of its own
(created before the clock starts), run one warm-up run (not timed), then M
runs one after the other with ``client.runs.wait`` on that thread, all N at
once.  A run is timed from the request to its final values; the block's wall
time gives the runs per second.  Each answer is checked (a server that
answers wrongly, or with an error, is a broken benchmark, not a fast one).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

GRAPH = "agent"


@dataclass(frozen=True)
class Block:
    """One block of load: how many runs, how long it took, and each run's latency in seconds."""

    threads: int
    runs: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.runs / self.seconds if self.seconds > 0 else 0.0


def _message(turn: int) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"turn {turn}"}]}


def _check(out: Any, turn: int) -> None:
    """The run answered ``<turn>+1=<turn+1>`` (the scripted model's answer); anything else stops the bench."""
    messages = out.get("messages") if isinstance(out, dict) else None
    last = messages[-1] if messages else None
    content = last.get("content") if isinstance(last, dict) else None
    if content != f"{turn}+1={turn + 1}":
        detail = out.get("__error__") if isinstance(out, dict) and "__error__" in out else (content or out)
        raise RuntimeError(f"a run did not answer as scripted (turn {turn}): {str(detail)[:300]}")


async def _block(url: str, threads: int, runs: int) -> Block:
    from langgraph_sdk import get_client

    client = get_client(url=url, api_key=None)
    try:
        ids = [t["thread_id"] for t in await asyncio.gather(*(client.threads.create() for _ in range(threads)))]

        async def warm(thread_id: str) -> None:  # the first run of each thread, not timed
            _check(await client.runs.wait(thread_id, GRAPH, input=_message(1)), 1)

        await asyncio.gather(*(warm(t) for t in ids))
        latencies: list[float] = []

        async def worker(thread_id: str) -> None:
            for turn in range(2, runs + 2):
                started = time.perf_counter()
                out = await client.runs.wait(thread_id, GRAPH, input=_message(turn))
                latencies.append(time.perf_counter() - started)
                _check(out, turn)

        started = time.perf_counter()
        await asyncio.gather(*(worker(t) for t in ids))
        seconds = time.perf_counter() - started
    finally:
        await client.aclose()
    return Block(threads, threads * runs, seconds, latencies)


def block(url: str, threads: int, runs: int) -> Block:
    """``threads`` concurrent clients, each running ``runs`` runs on its own thread after a warm-up run."""
    return asyncio.run(_block(url, threads, runs))


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by nearest rank: p99 of 100 samples is the 99th smallest."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


__all__ = ["Block", "block", "percentile"]
