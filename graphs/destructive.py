"""Destructive calls around a crash: recorded before they run, never replayed silently.

Before the tools step runs a destructive call it is written to the ledger as
``started``; after, as ``done`` with its result.  When the step runs again for
the same calls (a resume after the process died), a ``done`` call gets its
recorded result back without running, and a ``started`` call — which may or may
not have run — goes back to a person, marked so; the model is told the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.messages import ToolCall, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.types import interrupt

from graphs.ledger import Ledger
from graphs.validate import needs_approval

UNKNOWN = "outcome unknown: the run was interrupted while this call was running, so it may have run"
RERUN_NOTE = f"Note: an earlier attempt of this call ended with its {UNKNOWN}; it was run again on approval.\n"


def _denied_unknown(call: ToolCall) -> ToolMessage:
    return ToolMessage(
        content=f"Error: {UNKNOWN}. The user chose not to run it again: check its effect before retrying.",
        tool_call_id=call["id"],
        name=call["name"],
        status="error",
    )


def _replayed(call: ToolCall, ok: bool, content: str) -> ToolMessage:
    return ToolMessage(content=content, tool_call_id=call["id"], name=call["name"], status="success" if ok else "error")


class DestructiveCalls:
    """The ledger's side of the tools step for one thread."""

    def __init__(
        self, ledger: Ledger | None, tools: Mapping[str, BaseTool], thread_id: str | None, message_id: str | None
    ) -> None:
        self.ledger = ledger if thread_id is not None else None
        self.tools, self.thread = tools, thread_id or ""
        self.message_id = message_id or ""
        self.rerun: set[str] = set()

    def _key(self, call: ToolCall) -> str:
        """Call ids are only unique within one model message (some servers reuse ``call_0``)."""
        return f"{self.message_id}:{call['id']}"

    def _destructive(self, call: ToolCall) -> bool:
        return self.ledger is not None and needs_approval(self.tools[call["name"]])

    def settle(
        self, calls: list[ToolCall], approved: Callable[[Any, str], bool]
    ) -> tuple[list[ToolCall], dict[str, ToolMessage]]:
        """The calls to run now, and results already known (replayed or refused) by call id."""
        known: dict[str, ToolMessage] = {}
        unknown: list[ToolCall] = []
        for call in calls:
            entry = self.ledger.entry(self.thread, self._key(call)) if self._destructive(call) else None  # type: ignore[union-attr]
            if entry is not None and entry.status == "done":
                known[call["id"]] = _replayed(call, entry.ok, entry.content)
            elif entry is not None:
                unknown.append(call)
        if unknown:
            decision = interrupt(
                {
                    "type": "approval",
                    "outcome": "unknown",
                    "note": UNKNOWN,
                    "calls": [
                        {"id": c["id"], "name": c["name"], "args": c["args"], "outcome": "unknown"} for c in unknown
                    ],
                }
            )
            for call in unknown:
                if approved(decision, call["id"]):
                    self.rerun.add(call["id"])
                else:
                    known[call["id"]] = _denied_unknown(call)
        return [c for c in calls if c["id"] not in known], known

    def started(self, calls: list[ToolCall]) -> None:
        for call in calls:
            if self._destructive(call):
                self.ledger.start(self.thread, self._key(call), call["name"], call["args"])  # type: ignore[union-attr]

    def paused(self, calls: list[ToolCall], finished: Mapping[int, ToolMessage]) -> None:
        """The step paused (a call's tool asked the person) and will run again on resume: a destructive call
        that finished keeps its result (replayed then, not run again); one that paused is forgotten, as it was
        answered "cancel" and is made again, already approved, when the run resumes."""
        for index, call in enumerate(calls):
            if not self._destructive(call):
                continue
            if index in finished:
                result = finished[index]
                self.ledger.finish(self.thread, self._key(call), result.status != "error", result.text)  # type: ignore[union-attr]
            else:
                self.ledger.drop(self.thread, self._key(call))  # type: ignore[union-attr]

    def finished(self, calls: list[ToolCall], results: list[ToolMessage]) -> list[ToolMessage]:
        out = []
        for call, result in zip(calls, results, strict=True):
            if self._destructive(call):
                self.ledger.finish(self.thread, self._key(call), result.status != "error", result.text)  # type: ignore[union-attr]
            if call["id"] in self.rerun:
                result = result.model_copy(update={"content": RERUN_NOTE + result.text})
            out.append(result)
        return out


__all__ = ["UNKNOWN", "DestructiveCalls"]
