"""One body per node for ``invoke`` and ``ainvoke``: a node is a generator of requests.

A node written as a *flow* yields what it needs done (a model call, a batch of
tool calls) and receives the result, or the exception, back::

    def model(self, state, config):
        response = yield ModelCall(self.bound, prompt, config, seconds)
        return {"messages": [response]}

:func:`node` turns such a flow into a LangGraph node whose sync path runs each
request with ``.run()`` and whose async path awaits ``.arun()``, so the logic
of a step is written once.  Exceptions a request raises are thrown into the
flow at its ``yield``, where it can handle them like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.runnables import RunnableConfig

from graphs.background import ainvoke_within, invoke_within


class Request(Protocol):
    def run(self) -> Any: ...
    async def arun(self) -> Any: ...


Flow = Generator[Request, Any, dict[str, Any]]


@dataclass
class ModelCall:
    """One model call, given up after ``seconds`` (:class:`~graphs.background.OutOfTime`)."""

    runnable: Any
    messages: Any
    config: RunnableConfig = field(default_factory=dict)  # type: ignore[assignment]
    seconds: float = 3600.0

    def run(self) -> Any:
        return invoke_within(self.runnable, self.messages, self.config, self.seconds)

    async def arun(self) -> Any:
        return await ainvoke_within(self.runnable, self.messages, self.config, self.seconds)


@dataclass
class Work:
    """Any other work with a sync and an async form (e.g. a batch of tool calls)."""

    sync: Callable[[], Any]
    asynchronous: Callable[[], Any]

    def run(self) -> Any:
        return self.sync()

    async def arun(self) -> Any:
        return await self.asynchronous()


def drive(flow: Flow) -> dict[str, Any]:
    """Run a flow synchronously."""
    result: Any = None
    error: BaseException | None = None
    while True:
        try:
            request = flow.throw(error) if error is not None else flow.send(result)
        except StopIteration as done:
            return done.value
        result, error = None, None
        try:
            result = request.run()
        except Exception as err:  # noqa: BLE001 - handed back to the flow, which decides
            error = err


async def adrive(flow: Flow) -> dict[str, Any]:
    """Run a flow on the event loop."""
    result: Any = None
    error: BaseException | None = None
    while True:
        try:
            request = flow.throw(error) if error is not None else flow.send(result)
        except StopIteration as done:
            return done.value
        result, error = None, None
        try:
            result = await request.arun()
        except Exception as err:  # noqa: BLE001 - handed back to the flow, which decides
            error = err


Route = Callable[[Any, dict[str, Any]], str]


def node(flow: Callable[..., Flow], name: str | None = None, route: Route | None = None) -> Any:
    """A LangGraph node from a flow function ``(state, config) -> Flow``.

    With ``route`` (``(state, update) -> next node``) the node says where the run goes
    (a ``Command``) instead of a conditional edge deciding it: an edge reads the state
    afresh (every channel copied, the node's writes applied again), which cost more
    than most steps' own work.  The node is added with its ``destinations``.
    """
    from graphs.compat import runnable_callable

    def sync(state: Any, config: RunnableConfig) -> Any:
        return _routed(state, drive(flow(state, config)), route)

    async def asynchronous(state: Any, config: RunnableConfig) -> Any:
        return _routed(state, await adrive(flow(state, config)), route)

    label = name or getattr(flow, "__name__", "node")
    sync.__name__ = asynchronous.__name__ = label
    return runnable_callable(sync, asynchronous, label)


def _routed(state: Any, update: dict[str, Any], route: Route | None) -> Any:
    if route is None:
        return update
    from langgraph.types import Command

    return Command(update=update, goto=route(state, update))


def plain(func: Callable[..., Any]) -> Any:
    """A node with no request to make (pure state updates, or ``interrupt``)."""
    from graphs.compat import runnable_callable

    return runnable_callable(func, None, func.__name__)


__all__ = ["Flow", "ModelCall", "Request", "Route", "Work", "adrive", "drive", "node", "plain"]
