"""Our agent as the benchmarks build it: ``graphs.build_agent`` with the shared scripted model.

Planning is off and the context strategy keeps every message, so a run does
what the anchors do (call the model, run its tool calls, repeat) plus what
ours always does (validate each call, count against the bounds, finish).
The bounds are raised only as far as the longest benchmark run needs.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

_threads = itertools.count()


def settings(k: int = 10) -> Any:
    from graphs.settings import GraphSettings

    room = max(k + 5, 20)
    return GraphSettings(
        planning="off",
        context_strategy="all",
        max_model_calls=min(room, 1000),
        max_tool_calls=room,
        max_calls_per_tool=room,
        max_seconds=3600.0,
        max_tokens=10**9,
    )


def open_saver(kind: str, stack: contextlib.ExitStack, *, path: Path | None = None, url: str | None = None) -> Any:
    """``False`` (no checkpointer) for ``none``; else our ``open_checkpointer`` on the file or URL."""
    if kind == "none":
        return False
    from graphs.memory import open_checkpointer

    saver = open_checkpointer(str(path) if kind == "sqlite" else str(url))
    conn = getattr(saver, "conn", None)
    if conn is not None and hasattr(conn, "close"):
        stack.callback(conn.close)
    return saver


def build(model: BaseChatModel, tools: list[Any], checkpointer: Any, k: int = 10) -> Any:
    from graphs import build_agent

    return build_agent(model=model, tools=tools, checkpointer=checkpointer, settings=settings(k))


def task_runner(graph: Any) -> Callable[[], Any]:
    """A function running ``go`` on a new thread; it checks the run answered (a stopped run is a broken bench)."""

    def run() -> Any:
        out = graph.invoke(
            {"messages": [HumanMessage("go")]}, {"configurable": {"thread_id": f"ours-{next(_threads)}"}}
        )
        if out.get("stop_reason") != "answered":
            raise RuntimeError(f"our agent stopped with {out.get('stop_reason')!r}: {out.get('error') or ''}")
        return out

    return run


__all__ = ["build", "open_saver", "settings", "task_runner"]
