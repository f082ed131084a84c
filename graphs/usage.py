"""Token usage and cost of model calls, read from the responses' metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage
from pydantic import BaseModel, Field

from graphs.state import RunStats


class Pricing(BaseModel):
    """Prices per million tokens (the model file's ``pay_in`` / ``pay_out``)."""

    input: float = Field(default=0.0, ge=0)
    output: float = Field(default=0.0, ge=0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


def token_usage(response: Any, prompt: Sequence[AnyMessage] | None = None) -> tuple[int, int]:
    """Input and output tokens of one response; estimated when the server reports none."""
    usage = getattr(response, "usage_metadata", None) if isinstance(response, AIMessage) else None
    if usage:
        return int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
    if not isinstance(response, AIMessage):
        return 0, 0
    from langchain_core.messages.utils import count_tokens_approximately

    return (count_tokens_approximately(list(prompt)) if prompt else 0), count_tokens_approximately([response])


def add_usage(stats: RunStats, response: Any, pricing: Pricing, prompt: Sequence[AnyMessage] | None = None) -> RunStats:
    """A copy of ``stats`` with one response's tokens and cost added."""
    tokens_in, tokens_out = token_usage(response, prompt)
    updated = RunStats(**stats)
    updated["input_tokens"] = stats.get("input_tokens", 0) + tokens_in
    updated["output_tokens"] = stats.get("output_tokens", 0) + tokens_out
    updated["cost"] = round(stats.get("cost", 0.0) + pricing.cost(tokens_in, tokens_out), 10)
    return updated


__all__ = ["Pricing", "add_usage", "token_usage"]
