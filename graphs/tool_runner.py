"""Run validated tool calls concurrently, each with its own timeout.

Whatever a tool does (returns, raises, hangs), the caller gets one
``ToolMessage`` per call, so the conversation stays well-formed for the next
model call.  Results beyond the size budget are cut with a note that says so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.errors import GraphBubbleUp

from graphs.background import MAX_THREADS, wait
from graphs.background import start as _in_thread
from graphs.tool_context import enter, stream_writer
from tools.base import hints_of

Emit = Callable[[dict[str, Any]], None]
log = logging.getLogger(__name__)


def _noop(_: dict[str, Any]) -> None:
    return None


def truncate(text: str, budget: int) -> str:
    if len(text) <= budget:
        return text
    return text[:budget] + f"\n[truncated: showing {budget} of {len(text)} characters]"


def _as_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", str(b)) if isinstance(b, dict) else str(b) for b in content)
    return str(content)


def _finish(call: ToolCall, result: Any, budget: int, started: float, emit: Emit) -> ToolMessage:
    if isinstance(result, ToolMessage):
        message = result
    else:  # a tool that returned something else than a message (custom BaseTool)
        message = ToolMessage(content=_as_text(result), tool_call_id=call["id"], name=call["name"])
    text = _as_text(message.content)
    cut = truncate(text, budget)
    if cut is not text or not isinstance(message.content, str):
        message = message.model_copy(update={"content": cut})
    emit(
        {
            "type": "tool_end",
            "id": call["id"],
            "name": call["name"],
            "ok": message.status != "error",
            "seconds": round(time.perf_counter() - started, 3),
            "result": cut[:500],
        }
    )
    return message


def _error(call: ToolCall, text: str) -> ToolMessage:
    return ToolMessage(content=f"Error: {text}", tool_call_id=call["id"], name=call["name"], status="error")


def _unexpected(call: ToolCall, err: Exception) -> ToolMessage:
    """A tool's failure: a ``ToolException`` is anticipated and its message is for the model; anything
    else is a bug, whose traceback goes to the log and a plain sentence to the model."""
    from langchain_core.tools import ToolException

    if isinstance(err, ToolException):
        return _error(call, f"{call['name']} failed: {err}")
    log.error("tool %s raised %s", call["name"], type(err).__name__, exc_info=err)
    return _error(call, f"{call['name']} failed with an internal error (logged); try other arguments or another way.")


class Paused(Exception):  # noqa: N818 - a pause, not an error
    """A call of the batch paused the run (an ``interrupt()`` inside a tool: an MCP server's question).

    Raised once every call of the batch has ended, with the messages of those that finished (by position), so
    the tools step can record them (the ledger) before the pause, ``cause``, goes on to LangGraph.  The node
    runs again on resume, and its calls with it.
    """

    def __init__(self, cause: GraphBubbleUp, finished: dict[int, ToolMessage]) -> None:
        super().__init__(cause)
        self.cause, self.finished = cause, finished


def _paused(outcomes: Sequence[ToolMessage | BaseException]) -> list[ToolMessage]:
    """The messages, or :class:`Paused` when a call paused the run (the first pause; the others ask again)."""
    pauses = [o for o in outcomes if isinstance(o, GraphBubbleUp)]
    if pauses:
        raise Paused(pauses[0], {i: o for i, o in enumerate(outcomes) if isinstance(o, ToolMessage)})
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return list(outcomes)  # type: ignore[arg-type]


def _timeout_for(tool: BaseTool, default: float, limit: float) -> float:
    own = hints_of(tool).timeout
    return max(0.01, min(own or default, limit))


async def arun_calls(
    calls: Sequence[ToolCall],
    tools: Mapping[str, BaseTool],
    *,
    timeout: float,
    budget: int,
    time_left: float,
    emit: Emit = _noop,
    config: RunnableConfig | None = None,
    model: Any = None,
) -> list[ToolMessage]:
    """Run calls concurrently on the event loop; one message per call, in call order.  ``model``: the run's
    model, lent to the tools (:mod:`graphs.run_model`)."""
    writer = stream_writer()

    async def one(call: ToolCall) -> ToolMessage:  # a task of its own: the call's context is its own
        enter(call["id"], call["name"], writer, model)
        tool = tools[call["name"]]
        limit = _timeout_for(tool, timeout, time_left)
        emit({"type": "tool_start", "id": call["id"], "name": call["name"], "args": call["args"]})
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(tool.ainvoke({**call, "type": "tool_call"}, config), limit)
        except GraphBubbleUp:
            raise  # an interrupt inside the tool: the run pauses (after the other calls end)
        except TimeoutError:
            result = _error(call, f"{call['name']} did not finish within {limit:g} s and was abandoned.")
        except Exception as err:  # a tool's bug must not end the run
            result = _unexpected(call, err)
        return _finish(call, result, budget, started, emit)

    return _paused(await asyncio.gather(*(one(c) for c in calls), return_exceptions=True))


def run_calls(
    calls: Sequence[ToolCall],
    tools: Mapping[str, BaseTool],
    *,
    timeout: float,
    budget: int,
    time_left: float,
    emit: Emit = _noop,
    config: RunnableConfig | None = None,
    model: Any = None,
) -> list[ToolMessage]:
    """The synchronous twin of :func:`arun_calls`, on threads.

    A thread cannot be killed: a call past its timeout is abandoned (its
    result dropped) and the run goes on.  Our CPU-heavy tools enforce their
    own limits in a killable process (``tools.sandbox``).
    """
    if not calls:
        return []
    started = time.perf_counter()
    writer = stream_writer()
    futures: list[concurrent.futures.Future[Any] | None] = []
    for call in calls:  # by position: a model may (wrongly) reuse an id
        emit({"type": "tool_start", "id": call["id"], "name": call["name"], "args": call["args"]})
        context = contextvars.copy_context()  # tracing and stream writers follow the call into its thread
        context.run(enter, call["id"], call["name"], writer, model)
        futures.append(_in_thread(context.run, tools[call["name"]].invoke, {**call, "type": "tool_call"}, config))
    messages: list[ToolMessage | BaseException] = []
    for call, future in zip(calls, futures, strict=True):
        limit = _timeout_for(tools[call["name"]], timeout, time_left)
        if future is None:
            result = _error(
                call,
                f"{call['name']} was not started: {MAX_THREADS} earlier tool calls are still "
                "running past their timeouts; try again later.",
            )
        else:
            try:
                result = wait(future, max(0.01, limit - (time.perf_counter() - started)))
            except concurrent.futures.TimeoutError:
                result = _error(call, f"{call['name']} did not finish within {limit:g} s and was abandoned.")
            except GraphBubbleUp as pause:
                messages.append(pause)
                continue
            except Exception as err:
                result = _unexpected(call, err)
        messages.append(_finish(call, result, budget, started, emit))
    return _paused(messages)


__all__ = ["Paused", "arun_calls", "run_calls", "truncate"]
