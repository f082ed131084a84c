"""Loop bounds: when a run must stop, and how to say why.

LangGraph's recursion limit only counts supersteps and ends a run with an
exception; these bounds count what costs money and time, and end a run with a
reason the finish node turns into a best-effort answer.
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel, Field

from graphs.state import RunStats
from tools.settings import Settings

StopReason = Literal[
    "answered",
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


class Bounds(BaseModel):
    """Every limit of one run; defaults come from :class:`~tools.settings.Settings`."""

    max_model_calls: int = Field(default=12, ge=1)
    max_tool_calls: int = Field(default=24, ge=0)
    max_calls_per_tool: int = Field(default=10, ge=1)
    max_repeats: int = Field(default=2, ge=1)
    max_validation_retries: int = Field(default=3, ge=0)
    max_seconds: float = Field(default=300.0, gt=0)
    max_tokens: int = Field(default=200_000, ge=1)
    max_cost: float = Field(default=1.0, ge=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> Bounds:
        return cls(**{name: getattr(settings, name) for name in cls.model_fields})

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

    def seconds_left(self, stats: RunStats, now: float | None = None) -> float:
        now = time.time() if now is None else now
        return max(0.0, self.max_seconds - (now - stats.get("started_at", now)))


__all__ = ["CUTTING", "EXPLAIN", "MODEL_STILL_AVAILABLE", "Bounds", "StopReason"]
