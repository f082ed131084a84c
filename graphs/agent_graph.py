"""The compiled agent graph: LangGraph's, with each run holding its thread's lock.

``invoke``, ``ainvoke`` and the event APIs all go through ``stream`` /
``astream``, so holding the lock there covers every way of running the graph.
A run nested in a parent graph (a non-empty ``checkpoint_ns``) is covered by the
parent's run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graphs.run_lock import RunLock


def _thread_of(*configs: Any) -> str | None:
    for config in configs:
        configurable = (config or {}).get("configurable") or {}
        if configurable.get("checkpoint_ns"):
            return None
        if configurable.get("thread_id") is not None:
            return str(configurable["thread_id"])
    return None


class AgentGraph(CompiledStateGraph):
    """A compiled state graph whose runs take their thread's :class:`RunLock`."""

    def __init__(self, *, run_lock: RunLock | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_lock = run_lock

    def _locked_thread(self, config: Any) -> str | None:
        if self.run_lock is None or not self.checkpointer:
            return None
        return _thread_of(config, self.config)

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]:  # noqa: A002
        thread = self._locked_thread(config)
        if thread is None:
            yield from super().stream(input, config, **kwargs)
            return
        with self.run_lock.hold(thread):  # type: ignore[union-attr]
            yield from super().stream(input, config, **kwargs)

    async def astream(self, input: Any, config: Any = None, **kwargs: Any) -> AsyncIterator[Any]:  # noqa: A002
        thread = self._locked_thread(config)
        if thread is None:
            async for chunk in super().astream(input, config, **kwargs):
                yield chunk
            return
        async with self.run_lock.ahold(thread):  # type: ignore[union-attr]
            async for chunk in super().astream(input, config, **kwargs):
                yield chunk


def with_run_lock(compiled: CompiledStateGraph, run_lock: RunLock | None) -> AgentGraph:
    attrs = {k: v for k, v in compiled.__dict__.items() if k != "__orig_class__"}
    return AgentGraph(run_lock=run_lock, **attrs)


__all__ = ["AgentGraph", "with_run_lock"]
