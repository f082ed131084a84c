"""What one tool call of a run brings along to the MCP sessions' loop.

A tool call is made in its run's context (the graph's tools step), but the
server's messages about it — progress notifications, questions for the user,
sampling requests — are handled on the MCP sessions' event loop, often on
another thread, where nothing says which run they belong to.  The MCP tool
builds a :class:`CallScope` in the run's context, when the call starts, and
the toolbox hands it to the call: progress goes to the run's stream
(:mod:`graphs.tool_context`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from graphs.tool_context import Report


@dataclass
class CallScope:
    """One tool call of a run, as the server's messages during it need it."""

    call_id: str | None = None
    progress: Report | None = None  # thread-safe, throttled (graphs.tool_context.ProgressReporter)

    @classmethod
    def here(cls) -> CallScope | None:
        """The scope of the tool call this context runs, or None outside a graph's tools step."""
        from graphs.tool_context import current, progress_reporter

        call = current()
        if call is None:
            return None
        return cls(call_id=call.id, progress=progress_reporter())

    def progress_callback(self) -> Callable[[float, float | None, str | None], Awaitable[None]] | None:
        """The SDK's ``progress_callback`` (asking for progress makes the call carry a progress token)."""
        report = self.progress
        if report is None:
            return None

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            report(progress, total, message)

        return on_progress


__all__ = ["CallScope"]
