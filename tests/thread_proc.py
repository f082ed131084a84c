"""A process running one agent task on a thread, for the concurrency and crash tests.

    python thread_proc.py URL THREAD MODE

MODE ``slow``: the model calls ``pause`` (sleeps PAUSE seconds) then answers with
    the number of human messages it saw; two of these on one thread must not interleave.
MODE ``write``: the model calls the destructive ``insert_row`` (approved here), which
    commits a row to WRITE_DB and then, if BLOCK_MARKER is set, hangs until killed.
MODE ``resume``: ``graph.invoke(None, config)`` as the README documents; prints the
    pending interrupt, if any.
MODE ``approve`` / ``deny``: resume a pending approval with that decision.
Prints one JSON line.  AGENT_THREAD_WAIT is read by the settings as usual.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from pathlib import Path

from langchain_core.messages import HumanMessage
from langchain_core.tools import StructuredTool, tool
from langgraph.types import Command

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.memory import open_checkpointer
from graphs.run_lock import ThreadBusy
from graphs.testing import ScriptedModel, answer, call


@tool
def pause(label: str) -> str:
    """Sleep PAUSE seconds."""
    time.sleep(float(os.environ.get("PAUSE", "1")))
    return f"paused {label}"


def _insert_row(label: str) -> str:
    with sqlite3.connect(os.environ["WRITE_DB"]) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS rows (label TEXT)")
        conn.execute("INSERT INTO rows VALUES (?)", (label,))
    marker = os.environ.get("BLOCK_MARKER")
    if marker:
        Path(marker).write_text("written")
        time.sleep(120)
    return f"inserted {label}"


insert_row = StructuredTool.from_function(
    func=_insert_row, name="insert_row", description="Insert a row (destructive).", metadata={"destructive": True}
)


def _count_humans(messages):
    return answer(f"saw {sum(isinstance(m, HumanMessage) for m in messages)} tasks")


def main() -> None:
    url, thread, mode = sys.argv[1:4]
    replies = {
        "slow": [call("pause", label=str(os.getpid())), _count_humans],
        "write": [call("insert_row", label="x")],
    }.get(mode, [answer("done after the write")])
    model = ScriptedModel(replies)
    graph = build_agent(
        model=model,
        tools=[pause, insert_row],
        checkpointer=open_checkpointer(url),
        settings=Settings(planning="off", context_strategy="all"),
    )
    config = {"configurable": {"thread_id": thread}}
    payload = {
        "slow": {"messages": "slow task"},
        "write": {"messages": "write a row"},
        "resume": None,
        "approve": Command(resume="approve"),
        "deny": Command(resume="deny"),
    }[mode]
    try:
        out = graph.invoke(payload, config)
        if mode == "write":  # approve the first, fresh approval
            out = graph.invoke(Command(resume="approve"), config)
    except ThreadBusy as err:
        print(json.dumps({"busy": str(err)}))
        return
    state = graph.get_state(config)
    print(
        json.dumps(
            {
                "answer": out.get("answer"),
                "interrupts": [i.value for i in state.interrupts],
                "messages": [[m.type, m.text] for m in state.values.get("messages", [])],
                "prompts": [[m.text for m in p] for p in model.prompts],
            }
        )
    )


if __name__ == "__main__":
    main()
