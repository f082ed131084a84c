"""The compiled agent graph: LangGraph's, with each run holding its thread's lock.

``invoke``, ``ainvoke`` and the event APIs all go through ``stream`` /
``astream``, so holding the lock there covers every way of running the graph.
A run nested in a parent graph (a non-empty ``checkpoint_ns``) is covered by the
parent's run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graphs.compat import infer_as_node
from graphs.run_lock import RunLock


def _thread_of(*configs: Any) -> str | None:
    for config in configs:
        configurable = (config or {}).get("configurable") or {}
        if configurable.get("checkpoint_ns"):
            return None
        if configurable.get("thread_id") is not None:
            return str(configurable["thread_id"])
    return None


Route = Callable[[Any, dict[str, Any]], str]  # (state before, update) -> the next node


class AgentGraph(CompiledStateGraph):
    """A compiled state graph whose runs take their thread's :class:`RunLock`.

    The model and tools nodes route themselves (a ``Command``: see ``graphs.flow.node``).
    A state update written as one of them (``update_state(config, values, as_node="model")``,
    editing or forking a thread) is routed the same way, as a conditional edge would have
    done: ``routes`` names, per node, the function that decides.
    """

    def __init__(
        self, *, run_lock: RunLock | None = None, routes: dict[str, Route] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.run_lock = run_lock
        self.routes = routes or {}

    def bulk_update_state(self, config: Any, supersteps: Sequence[Sequence[Any]]) -> Any:
        if not self._routable(supersteps):
            return super().bulk_update_state(config, supersteps)
        (update,) = supersteps[0]
        node = update.as_node or infer_as_node(self, config)
        if node not in self.routes:
            return super().bulk_update_state(config, supersteps)
        state = self.get_state(config).values
        return super().bulk_update_state(config, [[_routed(update, node, state, self.routes[node])]])

    async def abulk_update_state(self, config: Any, supersteps: Sequence[Sequence[Any]]) -> Any:
        if not self._routable(supersteps):
            return await super().abulk_update_state(config, supersteps)
        (update,) = supersteps[0]
        node = update.as_node or await asyncio.to_thread(infer_as_node, self, config)
        if node not in self.routes:
            return await super().abulk_update_state(config, supersteps)
        state = (await self.aget_state(config)).values
        return await super().abulk_update_state(config, [[_routed(update, node, state, self.routes[node])]])

    def _routable(self, supersteps: Sequence[Sequence[Any]]) -> bool:
        """One update of plain values (the form a person edits with); anything else goes to LangGraph as it is."""
        return (
            bool(self.routes)
            and len(supersteps) == 1
            and len(supersteps[0]) == 1
            and (isinstance(supersteps[0][0].values, dict))
        )

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


def _routed(update: Any, node: str, state: Any, route: Route) -> Any:
    from langgraph.types import Command, StateUpdate

    return StateUpdate(Command(update=update.values, goto=route(state, update.values)), node, update.task_id)


def with_run_lock(
    compiled: CompiledStateGraph, run_lock: RunLock | None, routes: dict[str, Route] | None = None
) -> AgentGraph:
    attrs = {k: v for k, v in compiled.__dict__.items() if k != "__orig_class__"}
    return AgentGraph(run_lock=run_lock, routes=routes, **attrs)


__all__ = ["AgentGraph", "with_run_lock"]
