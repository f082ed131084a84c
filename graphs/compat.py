"""The one place that touches LangGraph's private API.

LangGraph's own ``RunnableCallable`` (what its prebuilt nodes use) costs a
fraction of LangChain's ``RunnableLambda`` per step (bench/); it lives in a
private module.  ``tests/test_compat.py`` fails loudly if it moves, and the
fallback keeps the graph working meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    from langgraph._internal._runnable import RunnableCallable as _RunnableCallable
except ImportError:  # pragma: no cover - a future LangGraph
    _RunnableCallable = None


def has_runnable_callable() -> bool:
    return _RunnableCallable is not None


def runnable_callable(func: Callable[..., Any], afunc: Callable[..., Any] | None, name: str) -> Any:
    """A node's runnable, untraced itself: LangGraph already traces each node as one run under its
    name (as ``create_agent``'s nodes are), so a traced callable only nested a copy of that run."""
    if _RunnableCallable is None:  # pragma: no cover
        from langchain_core.runnables import RunnableLambda

        return RunnableLambda(func, afunc=afunc, name=name)
    return _RunnableCallable(func, afunc, name=name, trace=False)


def infer_as_node(graph: Any, config: Any) -> str | None:
    """The node LangGraph writes an ``update_state`` without ``as_node`` as (the last one to write), or None.

    LangGraph's own rule, ``Pregel._infer_as_node``, on the saved checkpoint's ``versions_seen``.
    """
    infer = getattr(graph, "_infer_as_node", None)
    saver = getattr(graph, "checkpointer", None)
    if infer is None or not saver:  # pragma: no cover - a future LangGraph: LangGraph decides, unrouted
        return None
    saved = saver.get_tuple(config)
    return infer(saved.checkpoint["versions_seen"]) if saved is not None else None


__all__ = ["has_runnable_callable", "infer_as_node", "runnable_callable"]
