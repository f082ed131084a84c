"""Memory of our service under a long load: its resident set after each quarter of 10,000 runs.

Each of our servers (both shapes at once, each from its own client thread)
serves ``memory_runs`` more runs on fresh threads (N concurrent clients, a new
thread every few runs, so no one thread grows long); its resident set is read
from /proc after each quarter.  A server that lives for weeks must stay flat:
the last quarter within 5% of the first (what a run leaves behind, such as its
events kept for late joiners, must be bounded).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.report import Measure, Outcome, Table, Target
from bench.service_load import block
from bench.service_procs import HttpServer
from bench.stats import Stat

FLAT_LIMIT = 1.05


@dataclass(frozen=True)
class Mark:
    runs: int
    rss: int  # bytes
    peak: int  # bytes


def marks(server: HttpServer, runs: int, threads: int, per_thread: int) -> list[Mark] | None:
    """The resident set before and after each quarter of ``runs`` runs; None without /proc."""
    start = server.rss()
    if start is None:
        return None
    found = [Mark(0, start, server.peak() or 0)]
    per_block = threads * (per_thread + 1)  # each thread's warm-up run counts too
    served = 0
    for _ in range(4):
        for _ in range(max(1, round(runs / 4 / per_block))):
            served += block(server.url, threads, per_thread).runs + threads
        found.append(Mark(served, server.rss() or 0, server.peak() or 0))
    return found


def memory_tables(servers: list[HttpServer], runs: int, threads: int, per_thread: int, outcome: Outcome) -> None:
    """Load every server at once (one client thread each); a table and a flatness target per server."""
    with ThreadPoolExecutor(max(1, len(servers))) as pool:
        found = list(pool.map(lambda s: marks(s, runs, threads, per_thread), servers))
    for server, marked in zip(servers, found, strict=True):
        if marked is None:
            outcome.skip(f"{server.name}: memory", "needs /proc to read a live process's resident set")
            continue
        table = Table(
            f"{server.name}: resident set after N more runs ({threads} concurrent threads, a new thread every "
            f"{per_thread + 1} runs; our servers loaded at the same time, after the load above)",
            ["runs", "RSS MiB", "peak MiB", "÷ after 1/4"],
        )
        first = marked[1].rss
        for mark in marked:
            ratio = f"{mark.rss / first:.3f}x" if mark.runs else "-"
            table.add(mark.runs, f"{mark.rss / 2**20:.1f}", f"{mark.peak / 2**20:.1f}", ratio)
            stat = Stat.of([mark.rss / 2**20])
            extra = {"runs": mark.runs, "peak_mib": mark.peak / 2**20}
            outcome.measures.append(Measure(f"memory after {mark.runs} runs", server.name, "MiB", stat, extra=extra))
        outcome.tables.append(table)
        name = f"{server.name}: RSS after {marked[-1].runs} runs ÷ after {marked[1].runs} (flat)"
        outcome.targets.append(Target(name, marked[-1].rss / first, FLAT_LIMIT))


__all__ = ["FLAT_LIMIT", "Mark", "marks", "memory_tables"]
