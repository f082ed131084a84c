"""What a framework asks of its checkpointer per tool turn: supersteps, checkpoints, pending-write batches.

The saver's own ``put`` and ``put_writes`` are wrapped on the instance (its
class is untouched, so our graph still recognises a SQLite saver), one run of
K turns is made, and the calls are counted.  Each superstep writes one
checkpoint; each task that finishes writes one batch of pending writes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import ours
from bench.anchors import AnchorMissing
from bench.anchors.scripted import ToolLoopModel, add
from bench.report import Measure, Outcome, Table


@dataclass
class Counts:
    puts: int = 0
    batches: int = 0
    items: int = 0
    steps: set[int] = field(default_factory=set)


def counted(saver: Any) -> Counts:
    """Count ``saver``'s checkpoint and pending-write calls from now on."""
    counts = Counts()
    put, put_writes = saver.put, saver.put_writes

    def counting_put(config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        counts.puts += 1
        counts.steps.add(int(metadata.get("step", -1)))
        return put(config, checkpoint, metadata, new_versions)

    def counting_put_writes(config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        counts.batches += 1
        counts.items += len(writes)
        return put_writes(config, writes, task_id, task_path)

    saver.put = counting_put
    saver.put_writes = counting_put_writes
    return counts


def _one_run(name: str, k: int, path: Path) -> Counts:
    from bench.anchors import langgraph_savers
    from bench.anchors.runs import task_runner
    from bench.loop import _anchor_graph

    model = ToolLoopModel(k=k)
    with contextlib.ExitStack() as stack:
        if name == "ours":
            saver = ours.open_saver("sqlite", stack, path=path)
            run = ours.task_runner(ours.build(model, [add], saver, k))
        else:
            saver = langgraph_savers.open_saver("sqlite", stack, path=path)
            run = task_runner(_anchor_graph(name, model, saver), k)
        counts = counted(saver)
        run()
    return counts


def count_table(k: int, workdir: Path, outcome: Outcome) -> Table:
    table = Table(
        f"per tool turn, K={k}, SQLite: one run counted (supersteps, checkpoints put, pending-write batches and items)",
        ["contender", "supersteps", "per turn", "checkpoints/turn", "write batches/turn", "write items/turn"],
    )
    for name in ("ours", "create_agent", "create_react_agent"):
        try:
            c = _one_run(name, k, workdir / f"count-{name}-{k}.sqlite")
        except AnchorMissing as err:
            outcome.skip(f"{name} (counts)", str(err))
            continue
        steps = len(c.steps)
        table.add(
            "ours (build_agent)" if name == "ours" else name,
            steps,
            f"{steps / k:.2f}",
            f"{c.puts / k:.2f}",
            f"{c.batches / k:.2f}",
            f"{c.items / k:.2f}",
        )
        outcome.measures.append(
            Measure(
                f"K={k} sqlite counts",
                name,
                "per run",
                extra={
                    "k": k,
                    "supersteps": steps,
                    "checkpoints": c.puts,
                    "write_batches": c.batches,
                    "write_items": c.items,
                },
            )
        )
    return table


__all__ = ["Counts", "count_table", "counted"]
