"""Start-up: how long a person or an MCP client waits before anything useful happens.

Three measurements, each a median of repeated child processes (one warm-up
excluded), interleaved so that load from elsewhere falls on all alike:

* ``python -m agent --help``: the CLI must answer at once (target < 0.15 s);
* an offline ``python -m agent run "Is 97 prime?"`` end to end, against
  ``python -c "import langgraph.graph"``, the least any LangGraph program
  pays (target <= 1.3x);
* an MCP server from spawn to its ``tools/list`` answer over stdio: our primes
  server against a minimal server made with the SDK's own ``MCPServer``
  (target <= 1.1x) and ``mcp-server-time`` (in the mcp 1.x side environment).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from bench.env import REPO, child_env
from bench.procs import interleaved_runs, seconds
from bench.report import Measure, Outcome, Table, Target, times
from bench.rpc import spawn_to_list
from bench.stats import Stat, interleaved, ratio

HELP_LIMIT = 0.15
RUN_LIMIT = 1.3
SERVER_LIMIT = 1.1
MINIMAL_SERVER = REPO / "bench" / "anchors" / "minimal_server.py"


def _table(title: str, stats: dict[str, Stat], ours: str | None) -> Table:
    table = Table(title, ["command", "median s", "p25–p75", "min–max", "ours ÷ this"])
    for name, stat in stats.items():
        mine = stats[ours].median if ours else None
        table.add(
            name,
            f"{stat.median:.3f}",
            stat.spread(3),
            f"{stat.low:.3f}–{stat.high:.3f}",
            times(ratio(mine, stat.median)),
        )
    return table


def _record(outcome: Outcome, case: str, stats: dict[str, Stat]) -> None:
    for name, stat in stats.items():
        outcome.measures.append(Measure(case, name, "s", stat))


def commands(runs: int, workdir: Path, outcome: Outcome) -> None:
    env = child_env(workdir / "home")
    py = sys.executable
    cli = {"python -m agent --help": [py, "-m", "agent", "--help"]}
    stats = {k: seconds(v) for k, v in interleaved_runs(cli, env, workdir, runs).items()}
    _record(outcome, "cli help", stats)
    ours = 'python -m agent run "Is 97 prime?" (offline)'
    pair = {
        ours: [py, "-m", "agent", "run", "Is 97 prime?", "--quiet"],
        'python -c "import langgraph.graph"': [py, "-c", "import langgraph.graph"],
    }
    pair_stats = {k: seconds(v) for k, v in interleaved_runs(pair, env, workdir, runs).items()}
    _record(outcome, "offline run", pair_stats)
    outcome.tables.append(_table(f"the CLI's help: seconds from spawn to exit, median of {runs}", stats, None))
    outcome.tables.append(
        _table(
            f"an offline run against importing LangGraph: seconds from spawn to exit, median of {runs}",
            pair_stats,
            ours,
        )
    )
    outcome.targets.append(
        Target("python -m agent --help", stats["python -m agent --help"].median, HELP_LIMIT, unit=" s")
    )
    imports = pair_stats['python -c "import langgraph.graph"'].median
    outcome.targets.append(
        Target("offline run ÷ import langgraph.graph", ratio(pair_stats[ours].median, imports), RUN_LIMIT)
    )


def servers(runs: int, workdir: Path, outcome: Outcome) -> None:
    from bench._legacy import LegacyEnvError, legacy_python

    env = child_env(workdir / "home")
    py = sys.executable
    argvs = {
        "ours: python -m mcp_servers.primes": [py, "-m", "mcp_servers.primes"],
        "minimal MCPServer (mcp 2.x)": [py, str(MINIMAL_SERVER)],
    }
    try:
        argvs["mcp-server-time (mcp 1.x)"] = [legacy_python(), "-m", "mcp_server_time"]
    except LegacyEnvError as err:
        outcome.skip("mcp-server-time", str(err))

    def spawner(argv: list[str]) -> Callable[[], object]:
        return lambda: spawn_to_list(argv, env, workdir)

    samples = interleaved({name: spawner(argv) for name, argv in argvs.items()}, runs, warmup=1)
    stats = {k: Stat.of(v) for k, v in samples.items()}
    _record(outcome, "mcp server", stats)
    ours = "ours: python -m mcp_servers.primes"
    outcome.tables.append(
        _table(f"MCP servers over stdio: seconds from spawn to the tools/list answer, median of {runs}", stats, ours)
    )
    outcome.targets.append(
        Target(
            "our MCP server ÷ minimal MCPServer, spawn to tools/list",
            ratio(stats[ours].median, stats["minimal MCPServer (mcp 2.x)"].median),
            SERVER_LIMIT,
        )
    )


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    runs = 1 if quick else 15  # after one warm-up each
    compiled()
    commands(runs, workdir, outcome)
    servers(runs, workdir, outcome)


def compiled() -> None:
    """Bytecode for every module of ours, as an installed package has: with PYTHONDONTWRITEBYTECODE set (as in
    many shells and containers) a file changed since its last compile would be compiled again at every start."""
    import compileall

    root = Path(__file__).resolve().parents[1]
    for package in ("agent", "graphs", "tools", "mcp_servers"):
        compileall.compile_dir(root / package, quiet=1)


__all__ = ["run"]
