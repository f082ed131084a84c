"""What one tool call of a run brings along to the MCP sessions' loop.

A tool call is made in its run's context (the graph's tools step), but the
server's messages about it — progress notifications, questions for the user,
sampling requests — are handled on the MCP sessions' event loop, often on
another thread, where nothing says which run they belong to.  The MCP tool
builds a :class:`CallScope` in the run's context, when the call starts, and
the toolbox hands it to the call: progress goes to the run's stream
(:mod:`graphs.tool_context`), questions become the run's interrupts when the
run asks for that (:mod:`agent.mcp.questions`), sampling requests are served
by the run's model within the run's bounds (:mod:`graphs.run_model`).

Which call a server's request belongs to (:func:`asking`) is exact when the
request is handled inside the call's own task: with protocol 2026-07-28 a
question comes back as the call's ``InputRequiredResult``, which the SDK
answers within ``call_tool``, where :data:`CURRENT` is the call's scope.  With
2025-11-25 the server sends a request on the session, and the installed SDK
does not say which call it relates to (on stdio nothing could; on streamable
HTTP it arrives on the call's response stream, but the SDK's client does not
pass that on), so it belongs to the only call in flight on that server's
session.  With several in flight, one of them from a run that would make an
interrupt or declines, it is ambiguous: the question is declined rather than
put to a person who may be answering another run's question.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from agent.mcp.questions import RUN_SETTING, Questions
from graphs.tool_context import Report


@dataclass
class CallScope:
    """One tool call of a run, as the server's messages during it need it."""

    call_id: str | None = None
    progress: Report | None = None  # thread-safe, throttled (graphs.tool_context.ProgressReporter)
    questions: Questions | None = None  # the run turns the server's questions into interrupts
    decline: bool = False  # the run declines the server's questions
    model: Any = None  # the run's model, lent for sampling (graphs.run_model.LentModel)
    run_key: str | None = None  # which run (a fallback sampler's allowance is counted per run)

    @classmethod
    def here(cls, tool: str) -> CallScope | None:
        """The scope of the MCP tool call ``tool`` made in this context, or None outside a graph run."""
        from graphs.tool_context import current, progress_reporter

        call, setting = current(), _run_setting()
        if call is None and setting is None:
            return None
        call_id = call.id if call is not None else None
        return cls(
            call_id=call_id,
            progress=progress_reporter(),
            questions=Questions(tool, call_id) if setting == "interrupt" else None,
            decline=setting == "decline",
            model=call.model if call is not None else None,
            run_key=_run_key(),
        )

    @property
    def run_decides(self) -> bool:
        """Does the run say how its questions are answered (not the toolbox's handler)?"""
        return self.questions is not None or self.decline

    def progress_callback(self) -> Callable[[float, float | None, str | None], Awaitable[None]] | None:
        """The SDK's ``progress_callback`` (asking for progress makes the call carry a progress token)."""
        report = self.progress
        if report is None:
            return None

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            report(progress, total, message)

        return on_progress


class _Ambiguous:
    def __repr__(self) -> str:
        return "AMBIGUOUS"


AMBIGUOUS: Final = _Ambiguous()
CURRENT: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar("mcp_call_scope", default=None)
"""The scope of the call this task is making (set by the toolbox around ``call_tool``)."""


def asking(in_flight: Iterable[CallScope | None]) -> CallScope | _Ambiguous | None:
    """The call a server's request belongs to (see the module's docstring): its scope, None (no call of a run
    that decides: the toolbox's handler answers), or :data:`AMBIGUOUS`."""
    exact = CURRENT.get()
    if exact is not None:
        return exact
    calls = list(in_flight)
    if len(calls) == 1:
        return calls[0]
    if any(scope is not None and scope.run_decides for scope in calls):
        return AMBIGUOUS
    return None


def lender(in_flight: Iterable[CallScope | None]) -> Any:
    """The run model a server's sampling request is served with (see :func:`asking`): the asking call's run's,
    None when no call in flight has one (the toolbox's sampler serves), or :data:`AMBIGUOUS` when calls of
    different runs (or of none) are in flight and the request does not say which one asks."""
    exact = CURRENT.get()
    if exact is not None:
        return exact.model
    models = {id(scope.model if scope else None): scope.model if scope else None for scope in in_flight}
    if len(models) == 1:  # one call, or calls of one tools step (one lent model)
        return next(iter(models.values()))
    return AMBIGUOUS if any(model is not None for model in models.values()) else None


def _run_key() -> str | None:
    """The graph run's id (the service puts it in the metadata), else its thread: what a run's allowance is
    counted by when no model is lent."""
    from langgraph.config import get_config

    try:
        config = get_config()
    except RuntimeError:
        return None
    run = (config.get("metadata") or {}).get("run_id") or config.get("run_id")
    thread = (config.get("configurable") or {}).get("thread_id")
    return str(run) if run else (f"thread:{thread}" if thread else None)


def _run_setting() -> Any:
    """How the current graph run wants its MCP questions answered (``configurable.mcp_elicitation``)."""
    from langgraph.config import get_config

    try:
        return (get_config().get("configurable") or {}).get(RUN_SETTING)
    except RuntimeError:  # not inside a graph run
        return None


__all__ = ["AMBIGUOUS", "CURRENT", "CallScope", "asking", "lender"]
