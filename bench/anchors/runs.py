"""How the graph anchors are invoked: one task per fresh thread, the recursion limit raised for K turns."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from langchain_core.messages import HumanMessage

_threads = itertools.count()


def task_runner(graph: Any, k: int) -> Callable[[], Any]:
    """A function running ``go`` on a new thread of ``graph``; a LangGraph user raises the recursion limit
    (default 25 supersteps) to let K tool turns through."""

    def run() -> Any:
        config = {"recursion_limit": 4 * k + 10, "configurable": {"thread_id": f"bench-{next(_threads)}"}}
        return graph.invoke({"messages": [HumanMessage("go")]}, config)

    return run


def standalone(label: str, build: Callable[..., Any], argv: list[str]) -> None:
    """What each graph anchor prints when run alone: median ms per run, no checkpointer."""
    from bench.anchors.scripted import ToolLoopModel, add
    from bench.stats import Stat, interleaved

    k = int(argv[0]) if argv else 10
    runs = int(argv[1]) if len(argv) > 1 else 20
    run = task_runner(build(ToolLoopModel(k=k), [add]), k)
    stat = Stat.of(interleaved({label: run}, runs)[label]).scaled(1000)
    print(f"{label}, K={k}: median {stat.median:.2f} ms (p25–p75 {stat.spread()}) over {runs} runs")


__all__ = ["standalone", "task_runner"]
