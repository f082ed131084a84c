"""Framework overhead per tool turn with a zero-latency model: anchors and ours, one run.

    python bench/loop_overhead.py [K] [RUNS] [none|memory|sqlite]

The anchor times a bare loop, LangGraph's create_react_agent and LangChain's
create_agent (``pip install -e '.[bench]'`` for the latter); this times
``build_agent`` on the same scripted model and tool.  Ours does more per turn
(validation, bounds, plan check, finish), so the ratio says what that costs.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import tempfile
import time

from _anchors import run_anchor
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.testing import ScriptedModel, call


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def checkpointer(kind: str):
    if kind == "memory":
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()
    if kind == "sqlite":
        from graphs.memory import ThreadedSqliteSaver

        return ThreadedSqliteSaver(sqlite3.connect(os.path.join(tempfile.mkdtemp(), "cp.db"), check_same_thread=False))
    return False


def ours(k: int, runs: int, kind: str) -> float:
    def reply(messages):
        seen = sum(isinstance(m, ToolMessage) for m in messages)
        return call("add", a=seen, b=1) if seen < k else AIMessage("done")

    settings = Settings(
        planning="off", context_strategy="all", max_model_calls=k + 5, max_tool_calls=k + 5, max_calls_per_tool=k + 5
    )
    graph = build_agent(
        model=ScriptedModel([reply], cycle=True, usage=False),
        tools=[add],
        checkpointer=checkpointer(kind),
        settings=settings,
    )
    counter = iter(range(10**9))

    def once() -> None:
        out = graph.invoke({"messages": [HumanMessage("go")]}, {"configurable": {"thread_id": f"t{next(counter)}"}})
        assert out["stop_reason"] == "answered", out["stop_reason"]

    once()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2]


def main() -> None:
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    kind = sys.argv[3] if len(sys.argv) > 3 else "none"
    anchor = run_anchor("loop_overhead.py", str(k), str(runs), kind)
    print(anchor.rstrip())
    found = {name.strip(): float(ms) for name, ms in re.findall(r"^([\w ]+):\s+([\d.]+) ms", anchor, re.M)}
    mine = ours(k, runs, kind) * 1000
    print(
        f"ours (build_agent):     {mine:.2f} ms  ({mine / k:.3f} ms/turn)  {mine / found['bare loop']:.1f}x bare, "
        f"{mine / found['create_react_agent']:.2f}x create_react_agent, "
        f"{mine / found.get('langchain create_agent', float('nan')):.2f}x create_agent"
    )


if __name__ == "__main__":
    main()
