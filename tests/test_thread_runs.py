"""One run per thread across processes, and destructive calls that survive a crash.

Two runs on one thread must not interleave (nothing lost), and a destructive call
whose process died must never run again without a person saying so (nothing done
twice).  Real processes, real SQLite and PostgreSQL, real SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from graph_helpers import agent
from langchain_core.tools import tool

from graphs.memory import open_checkpointer
from graphs.run_lock import ThreadBusy
from graphs.testing import ScriptedModel, call

PROC = str(Path(__file__).with_name("thread_proc.py"))


def start(url: str, thread: str, mode: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, PROC, url, thread, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def check_two_processes_on_one_thread(url: str) -> None:
    first = start(url, "shared", "slow", PAUSE="1.5")
    time.sleep(0.8)  # the first holds the thread by now (or the second simply goes first: both orders are fine)
    second = start(url, "shared", "slow", PAUSE="0.1")
    answers = sorted([result(first)["answer"], result(second)["answer"]])
    assert answers == ["saw 1 tasks", "saw 2 tasks"]  # the later run saw the earlier one: they did not interleave
    final = result(start(url, "shared", "resume"))
    kinds = [m[0] for m in final["messages"]]
    assert kinds == ["human", "ai", "tool", "ai"] * 2  # both runs, whole, one after the other


def test_two_processes_on_one_thread_run_one_after_the_other_sqlite(tmp_path):
    check_two_processes_on_one_thread(f"sqlite:///{tmp_path / 'cp.sqlite'}")


def test_two_processes_on_one_thread_run_one_after_the_other_postgres(pg_database):
    check_two_processes_on_one_thread(pg_database)


def check_busy_thread_is_refused(url: str) -> None:
    first = start(url, "shared", "slow", PAUSE="3")
    time.sleep(1.5)
    refused = result(start(url, "shared", "slow", AGENT_THREAD_WAIT="0"))
    assert "thread shared is busy with a run (process" in refused["busy"]
    assert str(first.pid) in refused["busy"]
    assert result(first)["answer"] == "saw 1 tasks"
    other = result(start(url, "another", "slow", PAUSE="0", AGENT_THREAD_WAIT="0"))
    assert other["answer"] == "saw 1 tasks"  # other threads are not held


def test_a_busy_thread_is_refused_with_its_holder_sqlite(tmp_path):
    check_busy_thread_is_refused(f"sqlite:///{tmp_path / 'cp.sqlite'}")


def test_a_busy_thread_is_refused_with_its_holder_postgres(pg_database):
    check_busy_thread_is_refused(pg_database)


def test_a_killed_holder_frees_its_thread(tmp_path):
    url = f"sqlite:///{tmp_path / 'cp.sqlite'}"
    holder = start(url, "t", "slow", PAUSE="60")
    time.sleep(1.5)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert result(start(url, "t", "slow", PAUSE="0", AGENT_THREAD_WAIT="5"))["answer"].startswith("saw")


def _kill_after_write(url: str, tmp_path: Path, db: Path) -> None:
    marker = tmp_path / "written"
    proc = start(url, "w", "write", WRITE_DB=str(db), BLOCK_MARKER=str(marker))
    deadline = time.time() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM rows").fetchone()[0]


def check_write_never_replayed(url: str, tmp_path: Path) -> None:
    db = tmp_path / "target.sqlite"
    _kill_after_write(url, tmp_path, db)
    assert _rows(db) == 1
    resumed = result(start(url, "w", "resume", WRITE_DB=str(db)))
    assert _rows(db) == 1  # the README's resume did not run the write again
    [pending] = resumed["interrupts"]
    assert pending["outcome"] == "unknown" and "may have run" in pending["note"]
    assert [c["name"] for c in pending["calls"]] == ["insert_row"]
    denied = result(start(url, "w", "deny", WRITE_DB=str(db)))
    assert _rows(db) == 1
    assert denied["answer"] == "done after the write"
    tool_text = next(text for kind, text in denied["messages"] if kind == "tool")
    assert "outcome unknown" in tool_text and "may have run" in tool_text
    assert "outcome unknown" in " ".join(denied["prompts"][0])  # the model was told the same


def test_a_write_whose_process_died_goes_back_to_approval_sqlite(tmp_path):
    check_write_never_replayed(f"sqlite:///{tmp_path / 'cp.sqlite'}", tmp_path)


def test_a_write_whose_process_died_goes_back_to_approval_postgres(pg_database, tmp_path):
    check_write_never_replayed(pg_database, tmp_path)


def test_an_unknown_outcome_approved_runs_once_more_and_says_so(tmp_path):
    url, db = f"sqlite:///{tmp_path / 'cp.sqlite'}", tmp_path / "target.sqlite"
    _kill_after_write(url, tmp_path, db)
    result(start(url, "w", "resume", WRITE_DB=str(db)))
    approved = result(start(url, "w", "approve", WRITE_DB=str(db)))
    assert _rows(db) == 2  # a person chose to run it again
    tool_text = next(text for kind, text in approved["messages"] if kind == "tool")
    assert tool_text.startswith("Note: an earlier attempt") and tool_text.endswith("inserted x")


def test_a_new_task_after_a_crash_is_not_told_the_write_did_not_run(tmp_path):
    url, db = f"sqlite:///{tmp_path / 'cp.sqlite'}", tmp_path / "target.sqlite"
    _kill_after_write(url, tmp_path, db)
    later = result(start(url, "w", "slow", PAUSE="0", WRITE_DB=str(db)))
    prompt = " ".join(later["prompts"][0])
    assert "may or may not have run" in prompt and "Not run" not in prompt
    assert _rows(db) == 1


@tool
def overlap(label: str) -> str:
    """Record how many calls run at once."""
    with _gauge:
        _running[0] += 1
        _running[1] = max(_running[1], _running[0])
    time.sleep(0.2)
    with _gauge:
        _running[0] -= 1
    return label


_gauge = threading.Lock()
_running = [0, 0]  # now, most at once


def _graph(**overrides):
    model = ScriptedModel([call("overlap", label="x"), "done"], cycle=True)
    return agent(model, tools=[overlap], checkpointer=open_checkpointer("memory:"), **overrides)


def test_threads_of_one_process_take_turns_on_a_thread():
    _running[:] = [0, 0]
    graph = _graph()
    config = {"configurable": {"thread_id": "t"}}
    workers = [threading.Thread(target=graph.invoke, args=({"messages": "go"}, config)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert _running[1] == 1
    assert len(graph.get_state(config).values["messages"]) == 4 * 4


async def test_async_runs_take_turns_and_other_threads_do_not_wait():
    _running[:] = [0, 0]
    graph = _graph()
    same = [graph.ainvoke({"messages": "go"}, {"configurable": {"thread_id": "a"}}) for _ in range(3)]
    await asyncio.gather(*same)
    assert _running[1] == 1
    _running[:] = [0, 0]
    others = [graph.ainvoke({"messages": "go"}, {"configurable": {"thread_id": f"t{i}"}}) for i in range(3)]
    await asyncio.gather(*others)
    assert _running[1] > 1  # different threads run together


def test_wait_zero_refuses_a_busy_thread_in_process():
    graph = _graph(thread_wait=0)
    config = {"configurable": {"thread_id": "t"}}
    stream = graph.stream({"messages": "go"}, config)
    next(stream)  # the first run holds the thread now
    with pytest.raises(ThreadBusy, match="thread t is busy with a run"):
        graph.invoke({"messages": "go"}, config)
    stream.close()  # closing the stream frees the thread
    assert graph.invoke({"messages": "again"}, config)["answer"] == "done"


def test_the_cli_says_which_run_holds_the_thread_and_exits_5(tmp_path):
    from graphs.run_lock import RunLock, locks_for
    from graphs.saver_target import SaverTarget

    home = tmp_path / "home"
    home.mkdir()
    lock = RunLock(locks_for(SaverTarget("sqlite", str(home / "checkpoints.sqlite"))))
    env = {**os.environ, "AGENT_HOME": str(home), "AGENT_THREAD_WAIT": "0.5"}
    with lock.hold("busy-thread", run_id="run-42"):
        out = subprocess.run(
            [sys.executable, "-m", "agent", "run", "Is 97 prime?", "--thread", "busy-thread"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    assert out.returncode == 5, out.stderr
    assert "thread busy-thread is busy with run run-42" in out.stderr
    assert "waiting up to 0.5 s" in out.stderr
    assert "Traceback" not in out.stderr
    again = subprocess.run(
        [sys.executable, "-m", "agent", "run", "Is 97 prime?", "--thread", "busy-thread", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert again.returncode == 0 and json.loads(again.stdout)["stop_reason"] == "answered"


def test_a_call_id_reused_by_a_later_message_is_not_mistaken_for_a_recorded_call():
    from graph_helpers import ERASED, erase
    from langgraph.types import Command

    ERASED.clear()
    model = ScriptedModel(
        [call("erase", id="call_0", table="a"), "erased a", call("erase", id="call_0", table="b"), "b"]
    )
    graph = agent(model, tools=[erase], checkpointer=open_checkpointer("memory:"))
    config = {"configurable": {"thread_id": "ids"}}
    for task in ("erase a", "erase b"):
        graph.invoke({"messages": task}, config)
        graph.invoke(Command(resume="approve"), config)
    assert ERASED == ["a", "b"]  # the second call ran: its id was reused, its message was new
