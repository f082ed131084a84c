"""Framework overhead per tool turn: K tool turns then an answer, with a model that costs nothing.

The model is zero-latency, so a run's time is what the framework spends around
it: building prompts, routing, validating, checkpointing.  Ours is timed
against LangChain's ``create_agent``, LangGraph's ``create_react_agent`` and a
bare loop (the floor), interleaved, with no checkpointer, SQLite (a file) and
PostgreSQL (a temporary database).  A second table counts what each framework
does per turn (supersteps, checkpoints written, pending-write batches), which
explains most of the time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ours, pg
from bench.anchors import AnchorMissing
from bench.anchors.scripted import ToolLoopModel, add
from bench.report import Measure, Outcome, Table, Target, ms, ms_spread, times
from bench.stats import Stat, interleaved, ratio

KINDS = ("none", "sqlite", "postgres")
KIND_LABEL = {"none": "no checkpointer", "sqlite": "SQLite", "postgres": "PostgreSQL"}
ANCHORS = ("create_agent", "create_react_agent", "bare loop")
TARGETS = {(10, "none"): 0.8, (10, "sqlite"): 0.8, (100, "sqlite"): 0.5, (100, "postgres"): 0.5}


@dataclass(frozen=True)
class Plan:
    ks: tuple[int, ...]
    runs: dict[int, int]
    warmup: int


def plan(quick: bool) -> Plan:
    if quick:
        return Plan(ks=(10,), runs={10: 5}, warmup=1)
    return Plan(ks=(10, 100), runs={10: 30, 100: 10}, warmup=2)


def _anchor_graph(name: str, model: Any, saver: Any) -> Any:
    if name == "create_agent":
        from bench.anchors import langchain_agent

        return langchain_agent.build(model, [add], checkpointer=saver)
    from bench.anchors import prebuilt_agent

    return prebuilt_agent.build(model, [add], checkpointer=saver)


def contenders(
    k: int, kind: str, stack: contextlib.ExitStack, workdir: Path, url: str | None, outcome: Outcome
) -> dict[str, Callable[[], Any]]:
    """Ours and each anchor that can be built, as functions running one task; skip lines for the others."""
    from bench.anchors import bare_loop, langgraph_savers
    from bench.anchors.runs import task_runner

    model = ToolLoopModel(k=k)
    saver = ours.open_saver(kind, stack, path=workdir / f"ours-{k}.sqlite", url=url)
    runners: dict[str, Callable[[], Any]] = {"ours": ours.task_runner(ours.build(model, [add], saver, k))}
    for name in ANCHORS[:2]:
        try:
            theirs = langgraph_savers.open_saver(kind, stack, path=workdir / f"{name}-{k}.sqlite", url=url)
            runners[name] = task_runner(_anchor_graph(name, model, theirs), k)
        except AnchorMissing as err:
            outcome.skip(f"{name} (K={k}, {KIND_LABEL[kind]})", str(err))
    bare = bare_loop.build(model, [add])
    runners["bare loop"] = lambda: bare("go")
    return runners


def _table(k: int, kind: str, runs: int, stats: dict[str, Stat]) -> Table:
    table = Table(
        f"K={k} tool turns, {KIND_LABEL[kind]}: milliseconds per run, median of {runs} (warm-up excluded)",
        ["contender", "median ms", "p25–p75", "ms/turn", "ours ÷ this"],
    )
    mine = stats["ours"].median
    for name, stat in stats.items():
        label = "ours (build_agent)" if name == "ours" else name
        table.add(label, ms(stat), ms_spread(stat), f"{stat.median * 1000 / k:.3f}", times(ratio(mine, stat.median)))
    return table


def measure_case(k: int, kind: str, p: Plan, workdir: Path, outcome: Outcome) -> dict[str, Stat]:
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(pg.temporary_database("loop")) if kind == "postgres" else None
        runners = contenders(k, kind, stack, workdir, url, outcome)
        samples = interleaved(runners, p.runs[k], p.warmup)
    stats = {name: Stat.of(values) for name, values in samples.items()}
    for name, stat in stats.items():
        outcome.measures.append(Measure(f"K={k} {kind}", name, "s/run", stat, extra={"k": k, "saver": kind}))
    outcome.tables.append(_table(k, kind, p.runs[k], stats))
    return stats


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    from bench.counting import count_table

    p = plan(quick)
    found: dict[tuple[int, str], dict[str, Stat]] = {}
    for k in p.ks:
        for kind in KINDS:
            if kind == "postgres" and (why := pg.unavailable()):
                outcome.skip(f"K={k}, PostgreSQL", why)
                continue
            found[(k, kind)] = measure_case(k, kind, p, workdir, outcome)
    outcome.tables.append(count_table(p.ks[-1], workdir, outcome))
    for (k, kind), limit in TARGETS.items():
        stats = found.get((k, kind), {})
        value = ratio(stats["ours"].median, stats["create_agent"].median) if "create_agent" in stats else None
        note = "" if value is not None else ("not run with --quick" if k not in p.ks else "not measured (see skips)")
        outcome.targets.append(Target(f"ours ÷ create_agent, K={k}, {KIND_LABEL[kind]}", value, limit, note=note))


__all__ = ["KINDS", "contenders", "plan", "run"]
