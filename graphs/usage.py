"""Token usage, cost and timing of model calls, read from the responses' metadata, and their sums.

Each response's ``usage_metadata`` (LangChain's, completed from the raw response by
:mod:`graphs.providers_usage`) gives input tokens (the whole prompt), the part read
from a cache (``input_token_details.cache_read``), the part written into one
(``cache_creation``), output tokens and the reasoning among them
(``output_token_details.reasoning``).  A model that reports none is estimated from
the text.  Our clients also put ``ttft_ms`` and ``duration_ms`` in ``response_metadata``.

The run's counters live in ``RunStats``; when a new run starts, the finished one is
folded into ``stats["thread"]`` (:func:`roll_up`), so a thread's totals stay one
small record in the state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import median
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage

from graphs.pricing import Pricing
from graphs.state import RunStats, ThreadUsage

MAX_TIMED_CALLS = 200  # TTFTs kept per run (the checkpoint stays small whatever the call bound)
SUMMED = ("model_calls", "input_tokens", "cached_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens")


@dataclass(frozen=True)
class CallUsage:
    """One model call's tokens and timing."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    ttft_ms: int | None = None
    duration_ms: int | None = None

    def cost(self, pricing: Pricing) -> float:
        return pricing.cost(self.input_tokens, self.output_tokens, self.cached_tokens, self.cache_write_tokens)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _millis(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def call_usage(response: Any, prompt: Sequence[AnyMessage] | None = None) -> CallUsage:
    """The tokens and timing of one response; tokens estimated from the text when the server reports none."""
    if not isinstance(response, AIMessage):
        return CallUsage()
    meta = response.response_metadata or {}
    timing = {"ttft_ms": _millis(meta.get("ttft_ms")), "duration_ms": _millis(meta.get("duration_ms"))}
    usage = response.usage_metadata
    if not usage:
        from graphs.estimate import estimate_tokens, message_tokens

        tokens_in = estimate_tokens(prompt) if prompt else 0
        return CallUsage(tokens_in, message_tokens(response), **timing)
    inputs = usage.get("input_token_details") or {}
    outputs = usage.get("output_token_details") or {}
    tokens_in = _count(usage.get("input_tokens"))
    cached = min(_count(inputs.get("cache_read")), tokens_in)
    return CallUsage(
        input_tokens=tokens_in,
        output_tokens=_count(usage.get("output_tokens")),
        cached_tokens=cached,
        cache_write_tokens=min(_count(inputs.get("cache_creation")), tokens_in - cached),
        reasoning_tokens=_count(outputs.get("reasoning")),
        **timing,
    )


def token_usage(response: Any, prompt: Sequence[AnyMessage] | None = None) -> tuple[int, int]:
    """Input and output tokens of one response; estimated when the server reports none."""
    usage = call_usage(response, prompt)
    return usage.input_tokens, usage.output_tokens


def add_call(stats: RunStats, usage: CallUsage, pricing: Pricing) -> RunStats:
    """A copy of ``stats`` with one call's tokens, cost and timing added (not the call count)."""
    updated = RunStats(**stats)
    for key in ("input_tokens", "cached_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens"):
        updated[key] = stats.get(key, 0) + getattr(usage, key)  # type: ignore[literal-required]
    updated["cost"] = round(stats.get("cost", 0.0) + usage.cost(pricing), 10)
    if pricing.estimated and usage.cost(pricing) > 0:
        updated["cost_estimated"] = True
    if usage.ttft_ms is not None and usage.duration_ms is not None:
        updated["ttft_ms"] = [*stats.get("ttft_ms", []), usage.ttft_ms][-MAX_TIMED_CALLS:]
        updated["model_ms"] = stats.get("model_ms", 0) + usage.duration_ms
        updated["timed_output_tokens"] = stats.get("timed_output_tokens", 0) + usage.output_tokens
    return updated


def add_usage(stats: RunStats, response: Any, pricing: Pricing, prompt: Sequence[AnyMessage] | None = None) -> RunStats:
    """A copy of ``stats`` with one response's tokens, cost and timing added."""
    return add_call(stats, call_usage(response, prompt), pricing)


def tokens_per_second(stats: RunStats) -> float | None:
    """Output tokens per second of model time (first-token waits included), over the timed calls."""
    millis = stats.get("model_ms", 0)
    return round(stats.get("timed_output_tokens", 0) * 1000 / millis, 1) if millis > 0 else None


def ttft_median(stats: RunStats) -> int | None:
    times = stats.get("ttft_ms") or []
    return round(median(times)) if times else None


def roll_up(stats: RunStats, tool_calls: int = 0) -> ThreadUsage:
    """The thread's sums: its earlier runs (``stats["thread"]``) plus this run."""
    total = ThreadUsage(**(stats.get("thread") or {}))
    if not stats.get("model_calls") and not tool_calls:
        return total
    total["runs"] = total.get("runs", 0) + 1
    for key in SUMMED:
        total[key] = total.get(key, 0) + stats.get(key, 0)  # type: ignore[literal-required]
    total["tool_calls"] = total.get("tool_calls", 0) + tool_calls
    total["cost"] = round(total.get("cost", 0.0) + stats.get("cost", 0.0), 10)
    if stats.get("cost_estimated"):
        total["cost_estimated"] = True
    return total


def call_event(usage: CallUsage, cost: float, step: str, estimated: bool) -> dict[str, Any]:
    """The ``model_call`` custom stream event of one call."""
    event: dict[str, Any] = {"type": "model_call", "step": step, **asdict(usage), "cost": round(cost, 10)}
    if estimated:
        event["cost_estimated"] = True
    return event


__all__ = [
    "MAX_TIMED_CALLS",
    "CallUsage",
    "Pricing",
    "add_call",
    "add_usage",
    "call_event",
    "call_usage",
    "roll_up",
    "token_usage",
    "tokens_per_second",
    "ttft_median",
]
