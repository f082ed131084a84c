"""Threads across processes (SQLite, PostgreSQL), crash recovery, and linear storage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from graph_helpers import agent
from langchain_core.messages import AIMessage, HumanMessage

from graphs.memory import open_checkpointer
from graphs.testing import ScriptedModel, call

PROC = str(Path(__file__).with_name("agent_proc.py"))


def run_proc(url: str, thread: str, mode: str, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, PROC, url, thread, mode], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_thread_across_processes(url: str) -> None:
    first = run_proc(url, "work", "first")
    assert first["answer"] == "5"
    second = run_proc(url, "work", "second")
    # the second process saw the first process's conversation
    assert second["answer"] == "I remember: add 2 and 3 | and now?"
    assert [m[0] for m in second["messages"]] == ["human", "ai", "tool", "ai", "human", "ai"]
    other = run_proc(url, "other", "second")
    assert other["answer"] == "I remember: and now?"  # threads are separate


def test_thread_continues_in_a_new_process_sqlite(tmp_path):
    check_thread_across_processes(f"sqlite:///{tmp_path / 'cp.sqlite'}")


def test_thread_continues_in_a_new_process_postgres(pg_database):
    check_thread_across_processes(pg_database)


def check_killed_run_resumes(url: str, tmp_path: Path) -> None:
    marker = tmp_path / "blocked"
    proc = subprocess.Popen(
        [sys.executable, PROC, url, "crash", "hang"],
        env={**os.environ, "BLOCK_MARKER": str(marker)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.time() < deadline, "the tool never started"
            time.sleep(0.05)
        time.sleep(0.3)  # let the background checkpoint write land
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    resumed = run_proc(url, "crash", "resume")
    assert resumed["next_before"] == ["tools"]  # the run stopped inside the tools step
    assert resumed["model_calls"] == 1  # the first model call was not repeated: its result survived
    assert resumed["messages"] == [
        ["human", "block please"],
        ["ai", ""],
        ["tool", "unblocked x"],
        ["ai", "resumed and finished"],
    ]


def test_killed_process_resumes_from_last_checkpoint_sqlite(tmp_path):
    check_killed_run_resumes(f"sqlite:///{tmp_path / 'cp.sqlite'}", tmp_path)


def test_killed_process_resumes_from_last_checkpoint_postgres(pg_database, tmp_path):
    check_killed_run_resumes(pg_database, tmp_path)


def test_memory_checkpointer_and_async_sqlite(tmp_path):
    import asyncio

    saver = open_checkpointer(f"sqlite:///{tmp_path / 'a.sqlite'}")
    model = ScriptedModel([call("add", a=1, b=1), "two", "still here"])
    graph = agent(model, checkpointer=saver)
    config = {"configurable": {"thread_id": "a"}}
    asyncio.run(graph.ainvoke({"messages": "1+1"}, config))
    out = graph.invoke({"messages": "again"}, config)  # sync and async share the thread
    assert [m.type for m in out["messages"]] == ["human", "ai", "tool", "ai", "human", "ai"]
    assert open_checkpointer("memory:").__class__.__name__ == "InMemorySaver"


def _db_bytes(saver, path: Path) -> int:
    saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def test_storage_grows_linearly_with_the_conversation(tmp_path):
    """200 turns of ~1.2 KB each: the second 100 turns must cost about what the first 100 did.

    LangGraph's default message channel stores the whole list at every step,
    so there the second half costs ~3x the first (quadratic growth).
    """
    path = tmp_path / "growth.sqlite"
    saver = open_checkpointer(f"sqlite:///{path}")

    def reply(messages):
        if isinstance(messages[-1], HumanMessage):
            return call("add", a=1, b=len(messages))
        return AIMessage("x" * 1000)

    graph = agent(ScriptedModel([reply], cycle=True), checkpointer=saver)
    config = {"configurable": {"thread_id": "long"}}
    sizes = {}
    for turn in range(1, 201):
        graph.invoke({"messages": [HumanMessage("q" * 200)]}, config)
        if turn in (100, 200):
            sizes[turn] = _db_bytes(saver, path)
    conversation = 200 * 1240
    first_half, second_half = sizes[100], sizes[200] - sizes[100]
    assert second_half < 1.4 * first_half, sizes
    assert sizes[200] < 60 * conversation, sizes  # a bounded constant per byte of conversation
    state = graph.get_state(config)
    assert len(state.values["messages"]) == 800  # and nothing was lost


def test_delta_storage_reconstructs_exact_history_across_snapshots(tmp_path):
    """120 turns pass the snapshot interval: deltas and snapshot together give back every message."""
    saver = open_checkpointer(f"sqlite:///{tmp_path / 'h.sqlite'}")
    model = ScriptedModel([lambda m: f"answer {len(m)}"], cycle=True)
    graph = agent(model, checkpointer=saver)
    config = {"configurable": {"thread_id": "h"}}
    for i in range(120):
        graph.invoke({"messages": f"question {i}"}, config)
    fresh = agent(ScriptedModel([]), checkpointer=open_checkpointer(f"sqlite:///{tmp_path / 'h.sqlite'}"))
    messages = fresh.get_state(config).values["messages"]
    assert [m.text for m in messages if m.type == "human"] == [f"question {i}" for i in range(120)]
    assert len(messages) == 240


def test_message_ids_are_stable_across_loads(tmp_path):
    """Messages given without an id (a string task) keep one id however often the thread is reloaded."""
    url = f"sqlite:///{tmp_path / 'ids.sqlite'}"
    graph = agent(ScriptedModel([call("add", a=1, b=2), "3"]), checkpointer=open_checkpointer(url))
    config = {"configurable": {"thread_id": "ids"}}
    graph.invoke({"messages": "add them"}, config)
    first = [m.id for m in graph.get_state(config).values["messages"]]
    again = [m.id for m in graph.get_state(config).values["messages"]]
    other = agent(ScriptedModel([]), checkpointer=open_checkpointer(url))
    elsewhere = [m.id for m in other.get_state(config).values["messages"]]
    assert first == again == elsewhere and all(first) and len(set(first)) == len(first)
