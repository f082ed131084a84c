"""Peak memory: what a run, a long thread and a long-lived MCP server hold.

* An offline ``python -m agent run``: the child's peak resident set (``ru_maxrss``).
* A thread of 1,000 turns (``--quick``: 100) loaded and continued by the CLI:
  its peak against a fresh thread's says what the thread's history costs
  (a run should load what it needs, not everything the thread ever said).
* Our primes MCP server after 10,000 calls (``--quick``: 1,000): its resident
  set after each quarter, so growth shows; a server that lives for days must
  stay flat (target: the last quarter within 5% of the first).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.env import child_env
from bench.procs import peak_mib, repeated, rss_now, run_once
from bench.report import Measure, Outcome, Table, Target
from bench.rpc import StdioServer
from bench.stats import Stat

QUESTION = "Is 97 prime?"
FLAT_LIMIT = 1.05


def runs_table(turns: int, runs: int, workdir: Path, outcome: Outcome) -> None:
    home = workdir / "home"
    env = child_env(home)
    py = sys.executable
    fresh = repeated([py, "-m", "agent", "run", QUESTION, "--quiet"], env, workdir, runs, warmup=1)
    built = run_once([py, "-m", "bench.thread_builder", str(turns), "long"], env, workdir, timeout=1800)
    long = repeated([py, "-m", "agent", "run", QUESTION, "--quiet", "--thread", "long"], env, workdir, runs, warmup=0)
    table = Table(
        f"peak resident set of the CLI (ru_maxrss of the child), median of {runs}",
        ["run", "peak MiB", "min–max", "seconds", "÷ fresh"],
    )
    fresh_mib, long_mib = peak_mib(fresh), peak_mib(long)
    table.add(
        f'offline run "{QUESTION}", new thread',
        f"{fresh_mib.median:.1f}",
        f"{fresh_mib.low:.1f}–{fresh_mib.high:.1f}",
        f"{Stat.of([r.seconds for r in fresh]).median:.2f}",
        "1.00x",
    )
    table.add(
        f"the same on a thread of {turns} turns (loaded, continued)",
        f"{long_mib.median:.1f}",
        f"{long_mib.low:.1f}–{long_mib.high:.1f}",
        f"{Stat.of([r.seconds for r in long]).median:.2f}",
        f"{long_mib.median / fresh_mib.median:.2f}x",
    )
    outcome.tables.append(table)
    outcome.notes.append(
        f"building the {turns}-turn thread took {built.seconds:.1f} s "
        f"(peak {built.peak_rss / 2**20:.0f} MiB, in one process)"
    )
    outcome.measures.append(Measure("offline run", "ours", "MiB", fresh_mib))
    outcome.measures.append(Measure(f"thread of {turns} turns", "ours", "MiB", long_mib, extra={"thread_turns": turns}))


def server_table(calls: int, workdir: Path, outcome: Outcome) -> None:
    env = child_env(workdir / "home")
    with (
        (workdir / "primes-server.log").open("wb") as log,
        StdioServer([sys.executable, "-m", "mcp_servers.primes"], env, workdir, errlog=log) as server,
    ):
        server.handshake()
        start = rss_now(server.pid)
        if start is None:
            outcome.skip("MCP server memory", "needs /proc to read a live process's resident set")
            return
        marks = [(0, start)]
        for quarter in range(1, 5):
            for i in range(calls // 4):
                server.call("prime_check", {"n": 1_000_003 + 2 * i})
            found = rss_now(server.pid)
            assert found is not None
            marks.append((quarter * calls // 4, found))
    table = Table(
        f"our primes MCP server over stdio: resident set after N of {calls} prime_check calls",
        ["calls", "RSS MiB", "peak MiB", "÷ after 1/4"],
    )
    first = marks[1][1][0]
    for n, (rss, peak) in marks:
        table.add(n, f"{rss / 2**20:.1f}", f"{peak / 2**20:.1f}", f"{rss / first:.3f}x" if n else "-")
        outcome.measures.append(
            Measure(
                f"mcp server after {n} calls",
                "ours",
                "MiB",
                Stat.of([rss / 2**20]),
                extra={"calls": n, "peak_mib": peak / 2**20},
            )
        )
    outcome.tables.append(table)
    outcome.targets.append(
        Target("MCP server RSS after all calls ÷ after the first quarter (flat)", marks[-1][1][0] / first, FLAT_LIMIT)
    )


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    runs_table(100 if quick else 1000, 1 if quick else 5, workdir, outcome)
    server_table(1000 if quick else 10_000, workdir, outcome)


__all__ = ["run"]
