"""A separate process running the agent on a checkpointer URL, for persistence tests.

    python agent_proc.py URL THREAD MODE

MODE ``first``: task "add 2 and 3", the model calls add then answers.
MODE ``second``: task "and now?", the model answers from what it sees in the prompt.
MODE ``hang``: the model calls ``block``, which hangs until the process is killed.
MODE ``resume``: continue the thread from its last checkpoint (no new input).
Prints one JSON line: the answer, the messages of the thread, the prompts the model saw.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.memory import open_checkpointer
from graphs.testing import ScriptedModel, answer, call


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def block(label: str) -> str:
    """Hang until killed, unless the test unblocked it."""
    marker = os.environ.get("BLOCK_MARKER")
    if marker:
        Path(marker).write_text("blocked")
        time.sleep(120)
    return f"unblocked {label}"


def _second(messages):
    seen = [m.text for m in messages if isinstance(m, HumanMessage)]
    return answer("I remember: " + " | ".join(seen))


def main() -> None:
    url, thread, mode = sys.argv[1:4]
    replies = {
        "first": [call("add", a=2, b=3), answer("5")],
        "second": [_second],
        "hang": [call("block", label="x")],
        "resume": [answer("resumed and finished")],
    }[mode]
    model = ScriptedModel(replies)
    graph = build_agent(
        model=model,
        tools=[add, block],
        checkpointer=open_checkpointer(url),
        settings=Settings(planning="off", context_strategy="all"),
    )
    config = {"configurable": {"thread_id": thread}}
    if mode == "resume":
        before = graph.get_state(config)
        out = graph.invoke(None, config)
    else:
        before = None
        task = {"first": "add 2 and 3", "second": "and now?", "hang": "block please"}[mode]
        out = graph.invoke({"messages": task}, config)
    print(
        json.dumps(
            {
                "answer": out.get("answer"),
                "next_before": list(before.next) if before else None,
                "messages": [[m.type, m.text] for m in out["messages"]],
                "model_calls": model.calls_made,
            }
        )
    )


if __name__ == "__main__":
    main()
