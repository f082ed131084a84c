"""The service under load: runs per second and p50/p99 latency with 1, 10 and 50 concurrent clients.

Every server serves the same graph (``bench/anchors/service_graph.py``: our
agent with a zero-latency scripted model, one tool call per run) on 127.0.0.1,
and gets the same workload from ``langgraph-sdk`` clients in this process
(``bench/service_load.py``: N threads at once, each running M runs with
``runs.wait``).  The servers:

* ours, in its production shape: PostgreSQL (checkpoints, run records) and
  Redis (run events, wake-ups), one replica; and in its default shape, one
  process on SQLite with events in memory;
* LangGraph's own ``langgraph dev`` (in-memory runtime; as it starts, one job at
  a time, and with 10 jobs) and Aegra (``aegra-api``, on a temporary database of
  the same PostgreSQL), from side environments (``bench/anchors/agent_servers.py``).

``langgraph dev`` keeps threads in memory (nothing survives a restart), so it
does no database work per run; Aegra and our production shape write each step
to PostgreSQL.  The last column is ours (production shape) ÷ this server in
seconds per run at that load: below 1, ours serves more runs per second.

All servers start at once and stay up; the blocks of load take turns in a
rotating order (a burst of load elsewhere falls on all of them), the first
run of each thread is a warm-up.  Then each of our servers serves 10,000 more
runs (``--quick``: 200) on fresh threads, and its resident set is read after
each quarter (``bench/service_memory.py``): a server that lives for weeks must
stay flat.
Targets: at least the throughput of both anchors, p99 under 2x p50 at 50
threads, memory flat (last quarter within 5% of the first).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from bench import pg
from bench.report import Measure, Outcome, Table, Target, times
from bench.service_load import Block, block, percentile
from bench.service_memory import memory_tables
from bench.service_procs import REDIS_URL, HttpServer, ServerFailed, ours, redis_unavailable
from bench.stats import Stat, ratio

OURS_PG = "ours: PostgreSQL + Redis"
OURS_SQLITE = "ours: SQLite, one process"
DEV = "langgraph dev (in memory)"
DEV_JOBS = 10
DEV10 = f"langgraph dev --n-jobs-per-worker {DEV_JOBS}"
AEGRA = "Aegra (PostgreSQL)"
OURS = (OURS_PG, OURS_SQLITE)
ANCHORS = (DEV, DEV10, AEGRA)
TAIL_LIMIT = 2.0


@dataclass(frozen=True)
class Plan:
    threads: tuple[int, ...]
    runs: dict[int, int]  # runs per thread in one block
    rounds: int
    memory_runs: int
    memory_threads: int
    memory_runs_per_thread: int
    anchors: bool


def plan(quick: bool) -> Plan:
    if quick:
        return Plan((1, 10, 50), {1: 3, 10: 2, 50: 1}, 1, 200, 10, 4, anchors=False)
    return Plan((1, 10, 50), {1: 20, 10: 10, 50: 5}, 3, 10_000, 10, 25, anchors=True)


def servers(p: Plan, workdir: Path, stack: contextlib.ExitStack, outcome: Outcome) -> dict[str, HttpServer]:
    """Every server that can run here (not started yet); a skip line for each that cannot."""
    found: dict[str, HttpServer] = {}
    why_pg = pg.unavailable()
    why_redis = redis_unavailable(REDIS_URL)
    if why_pg or why_redis:
        outcome.skip(OURS_PG, why_pg or why_redis or "")
    else:
        url = stack.enter_context(pg.temporary_database("service"))
        found[OURS_PG] = ours(OURS_PG, workdir, checkpointer=url, redis_url=REDIS_URL)
    found[OURS_SQLITE] = ours(OURS_SQLITE, workdir)
    if not p.anchors:
        outcome.skip(
            f"{DEV}, {DEV10}, {AEGRA}",
            "not run with --quick (each runs from a side virtualenv built on first use, and langgraph dev "
            "takes ~0.5 s per run with one client); run python -m bench service",
        )
        return found
    found.update(anchor_servers(workdir, stack, outcome, why_pg))
    return found


def anchor_servers(workdir: Path, stack: contextlib.ExitStack, outcome: Outcome, why_pg: str | None) -> dict:
    from bench._legacy import LegacyEnvError
    from bench.anchors import agent_servers as anchors

    found: dict[str, HttpServer] = {}
    try:
        python = anchors.langgraph_dev_python()
        found[DEV] = anchors.langgraph_dev(python, workdir, DEV)
        found[DEV10] = anchors.langgraph_dev(python, workdir, DEV10, DEV_JOBS)
        outcome.notes.append(f"{DEV}: {anchors.versions(python, ('langgraph-cli', 'langgraph-api', 'langgraph'))}")
    except LegacyEnvError as err:
        outcome.skip(f"{DEV}, {DEV10}", f"langgraph-cli[inmem] cannot be installed: {err}")
    if why_pg:
        outcome.skip(AEGRA, why_pg)
        return found
    try:
        python = anchors.aegra_python()
    except LegacyEnvError as err:
        outcome.skip(AEGRA, f"aegra-api cannot be installed: {err}")
        return found
    url = stack.enter_context(pg.temporary_database("aegra"))
    found[AEGRA] = anchors.aegra(python, workdir, url)
    outcome.notes.append(f"{AEGRA}: {anchors.versions(python, ('aegra-api', 'langgraph', 'fastapi'))}")
    return found


def measure(p: Plan, running: dict[str, HttpServer], outcome: Outcome) -> dict[int, dict[str, list[Block]]]:
    """Blocks of load for each thread count, the servers taking turns in a rotating order."""
    found: dict[int, dict[str, list[Block]]] = {}
    live = dict(running)
    for threads in p.threads:
        blocks: dict[str, list[Block]] = {name: [] for name in live}
        for round_no in range(p.rounds):
            names = list(live)
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                try:
                    blocks[name].append(block(live[name].url, threads, p.runs[threads]))
                except Exception as err:
                    if name in OURS:
                        raise
                    outcome.skip(name, f"failed under load ({type(err).__name__}: {str(err)[:300]})")
                    live.pop(name)
                    blocks.pop(name)
        found[threads] = blocks
    return found


def _baseline(stats: dict[str, tuple[Stat, list[float]]]) -> str:
    return OURS_PG if OURS_PG in stats else OURS_SQLITE


def load_table(threads: int, p: Plan, blocks: dict[str, list[Block]], outcome: Outcome) -> dict[str, Stat]:
    runs = p.runs[threads]
    table = Table(
        f"{threads} concurrent thread{'s' if threads > 1 else ''}, {runs} runs.wait each per block, "
        f"{p.rounds} block{'s' if p.rounds > 1 else ''} per server (warm-up excluded)",
        ["server", "runs/s", "p25–p75", "p50 ms", "p99 ms", "p99 ÷ p50", "runs", "ours ÷ this, s/run"],
    )
    rates: dict[str, tuple[Stat, list[float]]] = {}
    for name, found in blocks.items():
        if found:
            rates[name] = (Stat.of([b.per_second for b in found]), [x for b in found for x in b.latencies])
    mine = rates[_baseline(rates)][0].median if rates else None
    for name, (rate, latencies) in rates.items():
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        spread = "-" if rate.n == 1 else f"{rate.p25:.1f}–{rate.p75:.1f}"
        table.add(
            name,
            f"{rate.median:.1f}",
            spread,
            f"{p50 * 1000:.0f}",
            f"{p99 * 1000:.0f}",
            f"{p99 / p50:.2f}x",
            len(latencies),
            times(ratio(rate.median, mine)),
        )
        lat = Stat.of(latencies)
        extra = {"threads": threads, "p50_s": p50, "p99_s": p99, "latency": lat.to_json()}
        outcome.measures.append(Measure(f"{threads} threads", name, "runs/s", rate, extra=extra))
    outcome.tables.append(table)
    return {name: rate for name, (rate, _) in rates.items()}


def servers_table(running: dict[str, HttpServer], ready: dict[str, float], outcome: Outcome) -> None:
    table = Table(
        "the servers: start-up (all at once) and resident set after the load", ["server", "ready s", "RSS MiB"]
    )
    for name, server in running.items():
        rss = server.rss()
        table.add(name, f"{ready.get(name, 0):.1f}", "-" if rss is None else f"{rss / 2**20:.0f}")
    outcome.tables.append(table)


def targets(
    p: Plan, rates: dict[int, dict[str, Stat]], blocks: dict[int, dict[str, list[Block]]], outcome: Outcome
) -> None:
    if not p.anchors:
        outcome.targets.append(Target("best anchor runs/s ÷ ours", None, 1.0, note="anchors not run with --quick"))
    for shape in OURS:
        for threads in p.threads if p.anchors else ():
            found = rates.get(threads, {})
            if shape not in found:
                continue
            present = {n: s.median for n, s in found.items() if n in ANCHORS}
            best = max(present, key=present.__getitem__) if present else None
            name = f"best anchor runs/s ÷ {shape}, {threads} thread{'s' if threads > 1 else ''}"
            value = ratio(present[best], found[shape].median) if best else None
            note = f"{best}" if best else "no anchor measured"
            outcome.targets.append(Target(name, value, 1.0, note=note))
        last = blocks.get(p.threads[-1], {}).get(shape)
        if last:
            latencies = [x for b in last for x in b.latencies]
            tail = percentile(latencies, 99) / percentile(latencies, 50)
            outcome.targets.append(Target(f"{shape}: p99 ÷ p50 at {p.threads[-1]} threads", tail, TAIL_LIMIT))


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    p = plan(quick)
    with contextlib.ExitStack() as stack:
        found = servers(p, workdir, stack, outcome)
        running: dict[str, HttpServer] = {}
        for name, server in found.items():
            stack.callback(server.stop)
            running[name] = server
        ready = _start(running, outcome)
        blocks = measure(p, running, outcome)
        rates = {threads: load_table(threads, p, found_blocks, outcome) for threads, found_blocks in blocks.items()}
        servers_table(running, ready, outcome)
        targets(p, rates, blocks, outcome)
        mine = [running[name] for name in OURS if name in running]
        memory_tables(mine, p.memory_runs, p.memory_threads, p.memory_runs_per_thread, outcome)


def _start(running: dict[str, HttpServer], outcome: Outcome) -> dict[str, float]:
    """Start every server at once; an anchor that does not start is a skip line (ours is a crash)."""
    for server in running.values():
        server.start()
    began = time.monotonic()
    ready: dict[str, float] = {}
    for name, server in list(running.items()):
        try:
            server.wait_ready(max(30.0, 180 - (time.monotonic() - began)))
            ready[name] = time.monotonic() - began
        except ServerFailed as err:
            if name in OURS:
                raise
            outcome.skip(name, f"did not start: {err}")
            running.pop(name)
    return ready


__all__ = ["plan", "run"]
