"""Loop bounds: every limit of a run, when it stops the run, and how to say why.

LangGraph's recursion limit only counts supersteps and ends a run with an
exception; these bounds count what costs money and time, and end a run with a
reason the finish node turns into a best-effort answer.  :class:`Bounds` is the
one owner of the limits: before each model call (:meth:`Bounds.before_model_call`),
before each tool call (:meth:`Bounds.before_tool_call`) and before a re-plan
(:meth:`Bounds.may_replan`).  The settings read their defaults from here.
Adding a bound is a field, a check in one of those methods, and its line in
``EXPLAIN``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:  # plain dicts at run time: this module stays light for the settings
    from graphs.state import RunStats, ToolRecord

StopReason = Literal[
    "answered",
    "denied",
    "model_calls",
    "tool_calls",
    "calls_per_tool",
    "repeated_calls",
    "validation_retries",
    "time",
    "tokens",
    "cost",
    "model_error",
]

EXPLAIN: dict[str, str] = {
    "answered": "the task was answered",
    "denied": "a destructive call was denied",
    "model_calls": "the run reached its limit of model calls",
    "tool_calls": "the run reached its limit of tool calls",
    "calls_per_tool": "a tool reached its limit of calls",
    "repeated_calls": "the model kept repeating the same tool call",
    "validation_retries": "the model kept making invalid tool calls",
    "time": "the run reached its time limit",
    "tokens": "the run reached its token budget",
    "cost": "the run reached its cost budget",
    "model_error": "the model could not be reached",
}

# Bounds that refuse a call the model asked for: if one did, it is the run's stop reason even
# when the model then answers from what it had.
CUTTING = frozenset({"tool_calls", "calls_per_tool"})

# Stops after which one more model call (without tools) is still within budget.
MODEL_STILL_AVAILABLE = {"tool_calls", "calls_per_tool", "repeated_calls", "validation_retries"}


def call_signature(name: str, args: Mapping[str, Any]) -> str:
    """Identifies 'the same call': tool name plus canonical JSON of its arguments."""
    return name + ":" + json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class ToolUsage:
    """Tool calls of the run so far, derived from the tool log (denied calls did not run)."""

    total: int = 0
    per_tool: dict[str, int] = field(default_factory=dict)
    per_call: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_log(cls, log: Iterable[ToolRecord]) -> ToolUsage:
        usage = cls()
        for record in log:
            if record.get("approved", True):
                usage.add(record["name"], record["args"])
        return usage

    def add(self, name: str, args: Mapping[str, Any]) -> None:
        self.total += 1
        self.per_tool[name] = self.per_tool.get(name, 0) + 1
        signature = call_signature(name, args)
        self.per_call[signature] = self.per_call.get(signature, 0) + 1

    def copy(self) -> ToolUsage:
        return ToolUsage(self.total, dict(self.per_tool), dict(self.per_call))


class UsageCache:
    """:meth:`ToolUsage.from_log`, extended from an earlier log's usage by the records added since.

    A run's log only grows, and it is counted before every model turn: recounting it
    whole (a JSON signature per record) made a run quadratic in its tool calls.  An
    earlier log is reused only when the new one starts with the very same record
    objects (held here, so their ids stay unique), so any other log is counted afresh.
    Each answer is a copy the caller may add to.  Safe across threads.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._seen: OrderedDict[int, tuple[list[ToolRecord], ToolUsage]] = OrderedDict()  # id(last record) -> log

    def usage(self, log: Iterable[ToolRecord]) -> ToolUsage:
        records = list(log)
        with self._lock:
            usage, start = self._longest_prefix(records)
        for record in records[start:]:
            if record.get("approved", True):
                usage.add(record["name"], record["args"])
        if records:
            with self._lock:
                self._seen[id(records[-1])] = (records, usage.copy())
                self._seen.move_to_end(id(records[-1]))
                while len(self._seen) > self._size:
                    self._seen.popitem(last=False)
        return usage

    def _longest_prefix(self, records: list[ToolRecord]) -> tuple[ToolUsage, int]:
        for end in range(len(records), 0, -1):
            hit = self._seen.get(id(records[end - 1]))
            if hit is None:
                continue
            seen, usage = hit
            if len(seen) == end and all(a is b for a, b in zip(seen, records, strict=False)):
                self._seen.move_to_end(id(records[end - 1]))
                return usage.copy(), end
        return ToolUsage(), 0


class Bounds(BaseModel):
    """Every limit of one run."""

    max_model_calls: int = Field(default=12, ge=1, le=1000, description="Model calls per run.")
    max_tool_calls: int = Field(default=24, ge=0, le=10_000, description="Tool calls per run, all tools together.")
    max_calls_per_tool: int = Field(default=10, ge=1, le=10_000, description="Calls of any one tool per run.")
    max_repeats: int = Field(
        default=2, ge=1, le=100, description="How often the very same call (tool and arguments) may run per run."
    )
    max_validation_retries: int = Field(
        default=3, ge=0, le=50, description="Corrective retries after invalid tool calls."
    )
    max_replans: int = Field(default=2, ge=0, le=20, description="New plans after a failed step, per run.")
    max_seconds: float = Field(default=300.0, gt=0, description="Wall-clock seconds per run.")
    max_tokens: int = Field(default=200_000, ge=1, description="Model tokens (input + output) per run.")
    max_cost: float = Field(
        default=1.0, ge=0, description="Model cost per run, in the currency of the prices; 0 means no limit."
    )

    @classmethod
    def from_settings(cls, settings: Any) -> Bounds:
        return cls(**{name: getattr(settings, name) for name in cls.model_fields if hasattr(settings, name)})

    def before_model_call(self, stats: RunStats, now: float | None = None) -> StopReason | None:
        """The bound that forbids another model call, if any."""
        now = time.time() if now is None else now
        if stats.get("model_calls", 0) >= self.max_model_calls:
            return "model_calls"
        if now - stats.get("started_at", now) >= self.max_seconds:
            return "time"
        if stats.get("input_tokens", 0) + stats.get("output_tokens", 0) >= self.max_tokens:
            return "tokens"
        if self.max_cost and stats.get("cost", 0.0) >= self.max_cost:
            return "cost"
        return None

    def before_tool_call(self, name: str, args: Mapping[str, Any], usage: ToolUsage) -> tuple[StopReason, str] | None:
        """The bound that forbids this call, with what to tell the model; None to let it run."""
        if usage.total >= self.max_tool_calls:
            return "tool_calls", f"the run has used all {self.max_tool_calls} tool calls; answer with what you have."
        if usage.per_tool.get(name, 0) >= self.max_calls_per_tool:
            return (
                "calls_per_tool",
                f"{name} has been called {usage.per_tool[name]} times, its limit for this run; use what it returned.",
            )
        if (done := usage.per_call.get(call_signature(name, args), 0)) >= self.max_repeats:
            return "repeated_calls", (
                f"this exact call of {name} already ran {done} times; its result is above. "
                "Use that result, or call with different arguments."
            )
        return None

    def after_rejections(self, stats: RunStats, reasons: list[StopReason]) -> StopReason | None:
        """Whether rejected calls end the run: at once for the tool budget, else after the retries."""
        if "tool_calls" in reasons:
            return "tool_calls"
        if stats.get("validation_retries", 0) < self.max_validation_retries:
            return None
        return next((r for r in ("repeated_calls", "calls_per_tool") if r in reasons), "validation_retries")

    def may_replan(self, stats: RunStats) -> bool:
        return stats.get("replans", 0) < self.max_replans and self.before_model_call(stats) is None

    def seconds_left(self, stats: RunStats, now: float | None = None) -> float:
        now = time.time() if now is None else now
        return max(0.0, self.max_seconds - (now - stats.get("started_at", now)))


__all__ = [
    "CUTTING",
    "EXPLAIN",
    "MODEL_STILL_AVAILABLE",
    "Bounds",
    "StopReason",
    "ToolUsage",
    "UsageCache",
    "call_signature",
]
