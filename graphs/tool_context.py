"""What a running tool call can reach of its run: its own id and name, the run's custom stream, its model.

The tools step sets a :class:`ToolCallContext` for each call (a context
variable: each call runs in its own asyncio task or thread, with its own copy
of the context), so a tool can tell its run about its work without the graph
knowing the tool.  An MCP tool reports its server's progress notifications
with :func:`progress_reporter`: those arrive on the MCP client's event loop,
on another thread, where LangGraph's stream writer cannot find its run, so
the writer is called in a copy of the node's context, captured when the call
started.  A tool may also call the run's model on the run's behalf, within the
run's bounds and counted in its stats (:mod:`graphs.run_model`): an MCP
server's sampling request is served that way.

A chatty server must not flood the stream: progress is passed on at most
every :data:`PROGRESS_INTERVAL` seconds per call (the last one, progress equal
to total, always), and its message, untrusted text, is cut to
:data:`MAX_MESSAGE` characters with control characters removed.
"""

from __future__ import annotations

import contextvars
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.2  # seconds between two progress events of one call
MAX_MESSAGE = 200  # characters of a progress message
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

Writer = Callable[[dict[str, Any]], None]
Report = Callable[[float, float | None, str | None], None]
"""``(progress, total, message)``; thread-safe."""


@dataclass(frozen=True)
class ToolCallContext:
    """One call of the tools step, as the tool running it sees it."""

    id: str
    name: str
    writer: Writer | None = None  # the run's custom stream (None outside a graph run)
    context: contextvars.Context | None = field(default=None, compare=False)  # the node's, for the writer
    model: Any = field(default=None, compare=False)  # the run's model, lent (graphs.run_model.LentModel)


_current: contextvars.ContextVar[ToolCallContext | None] = contextvars.ContextVar("tool_call", default=None)


def current() -> ToolCallContext | None:
    """The tool call being run in this context, or None (a tool invoked outside the tools step)."""
    return _current.get()


def enter(call_id: str, name: str, writer: Writer | None, model: Any = None) -> None:
    """Make ``(call_id, name)`` the current call of this context (each call has a context of its own)."""
    _current.set(ToolCallContext(call_id, name, writer, contextvars.copy_context() if writer else None, model))


def stream_writer() -> Writer | None:
    """The run's custom stream writer, or None outside a graph run."""
    from langgraph.config import get_stream_writer

    try:
        return get_stream_writer()
    except RuntimeError:  # not inside a graph run (a node's unit test)
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def clean(text: Any, limit: int = MAX_MESSAGE) -> str | None:
    """Untrusted text made fit for a page or a terminal: no control or bidi characters, at most ``limit``."""
    if text is None:
        return None
    plain = _CONTROL.sub("", str(text)).strip()
    return plain if len(plain) <= limit else plain[: limit - 3] + "..."


class ProgressReporter:
    """``tool_progress`` events of one call onto its run's stream, throttled (callable from any thread)."""

    def __init__(self, call: ToolCallContext, interval: float = PROGRESS_INTERVAL) -> None:
        self.call, self.interval = call, interval
        self._lock = threading.Lock()
        self._last = -math.inf
        self.sent = self.dropped = 0
        self._failed = False

    def __call__(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        value, whole = _number(progress), _number(total)
        if value is None or self.call.writer is None or self.call.context is None:
            return
        final = whole is not None and value >= whole
        event = {
            "type": "tool_progress",
            "id": self.call.id,
            "name": self.call.name,
            "progress": value,
            "total": whole,
            "message": clean(message),
        }
        with self._lock:  # also serialises entering the captured context (one thread at a time)
            now = time.monotonic()
            if self._failed or (not final and now - self._last < self.interval):
                self.dropped += 1
                return
            self._last = now
            try:
                self.call.context.run(self.call.writer, event)
                self.sent += 1
            except Exception:  # the run ended meanwhile (its stream closed): no more progress for this call
                self._failed = True
                log.warning("progress of tool call %s could not be streamed; no more for this call", self.call.id,
                            exc_info=True)  # fmt: skip


def progress_reporter() -> Report | None:
    """A reporter for the current tool call, or None when there is no run's stream to report to."""
    call = current()
    if call is None or call.writer is None:
        return None
    return ProgressReporter(call)


__all__ = [
    "MAX_MESSAGE",
    "PROGRESS_INTERVAL",
    "ProgressReporter",
    "ToolCallContext",
    "clean",
    "current",
    "enter",
    "progress_reporter",
    "stream_writer",
]
