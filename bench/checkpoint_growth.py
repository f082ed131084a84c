"""Checkpoint storage: LangGraph's prebuilt agent (the anchor) against ours, same turns, one run.

    python bench/checkpoint_growth.py [TURNS] [POSTGRES_URL]

With a PostgreSQL URL (an empty database you may fill), ours is also measured
there (the size of the three checkpoint tables).

Each turn: a ~200-character question, one tool call, a ~1 KB answer; SQLite
saver; sizes after the WAL is checkpointed.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time

from _anchors import run_anchor
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.memory import open_checkpointer
from graphs.testing import ScriptedModel, call

TURN_TEXT = 200 + 1000 + 40


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def reply(messages):
    if isinstance(messages[-1], HumanMessage):
        return call("add", a=1, b=2)
    return AIMessage("x" * 1000)


def ours(turns: int, marks: set[int], postgres: str | None = None) -> dict[int, float]:
    path = os.path.join(tempfile.mkdtemp(), "cp.sqlite")
    saver = open_checkpointer(postgres or path)
    graph = build_agent(
        model=ScriptedModel([reply], cycle=True, usage=False),
        tools=[add],
        checkpointer=saver,
        settings=Settings(planning="off", context_strategy="all"),
    )
    config = {"configurable": {"thread_id": "t"}}
    sizes = {}
    for turn in range(1, turns + 1):
        graph.invoke({"messages": [HumanMessage("q" * 200)]}, config)
        if turn in marks:
            sizes[turn] = postgres_mb(postgres) if postgres else sqlite_mb(saver, path)
    return sizes


def sqlite_mb(saver, path: str) -> float:  # noqa: ANN001
    saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return os.path.getsize(path) / 1e6


def postgres_mb(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        tables = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
        return sum(conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0] for t in tables) / 1e6


def main() -> None:
    turns = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    started = time.perf_counter()
    anchor_out = run_anchor("checkpoint_growth.py", str(turns))
    anchor = {int(t): float(mb) for t, mb in re.findall(r"turns=\s*(\d+) db=\s*([\d.]+) MB", anchor_out)}
    mine = ours(turns, set(anchor))
    print(f"{'turns':>6} {'anchor MB':>10} {'ours MB':>9} {'anchor/ours':>12} {'ours bytes per text byte':>26}")
    for turn in sorted(anchor):
        print(
            f"{turn:6d} {anchor[turn]:10.2f} {mine[turn]:9.2f} {anchor[turn] / mine[turn]:12.1f}x "
            f"{mine[turn] * 1e6 / (turn * TURN_TEXT):26.1f}"
        )
    half = turns // 2
    if half in mine:
        print(
            f"growth of the second half / first half: ours {(mine[turns] - mine[half]) / mine[half]:.2f} "
            f"(1.0 = linear), anchor {(anchor[turns] - anchor[half]) / anchor[half]:.2f}"
        )
    if len(sys.argv) > 2:
        pg = ours(turns, set(anchor), sys.argv[2])
        print("ours on PostgreSQL: " + ", ".join(f"{t} turns {mb:.2f} MB" for t, mb in sorted(pg.items())))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
