"""``python -m bench.thread_builder TURNS [THREAD]``: a long thread, as the CLI would have left it.

The memory benchmark continues this thread with ``python -m agent run --thread``
and measures that process.  Building it through the CLI would take a process per
turn; this builds the same graph the CLI builds (the settings from the
environment, the offline model, the function tools, the default checkpointer in
``AGENT_HOME``) in one process and asks it the same question TURNS times.
"""

from __future__ import annotations

import sys

QUESTION = "Is 97 prime?"


def build(turns: int, thread: str) -> None:
    from agent.settings import Settings
    from graphs.builder import build_agent

    graph = build_agent(settings=Settings())
    config = {"configurable": {"thread_id": thread}}
    for n in range(1, turns + 1):
        out = graph.invoke({"messages": QUESTION}, config)
        if out.get("stop_reason") != "answered":
            raise SystemExit(f"turn {n} of the thread stopped with {out.get('stop_reason')!r}")


if __name__ == "__main__":
    build(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "long")
