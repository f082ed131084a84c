"""The run's model, lent to the tools of one tools step (an MCP server's sampling request is served with it).

A model call a tool makes on the run's behalf is the run's own:

* it is refused when the run's bounds forbid another model call (model calls, time, tokens, cost: the check
  before the model node's own calls), or when this request at its largest (its prompt, estimated, plus the
  output it may ask for) could take the run past its token or cost budget;
* it gets the time the run has left, no more;
* it counts: one model call, its tokens and cost, in the run's stats, which the tools step writes with its
  results (:attr:`LentModel.stats`).

The allowance is the run's (its stats), never a counter of the process shared by concurrent runs.  Calls
come from another thread (the MCP sessions' loop), so the counters are locked; a call is counted when it
starts, so two at once cannot both pass the last allowed call.  The model runs in a context of its own: the
run's callbacks would stream the server's completion as if it were the agent's answer.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Sequence
from typing import Any

from graphs.bounds import EXPLAIN, Bounds
from graphs.pricing import Pricing
from graphs.state import RunStats


class ModelRefused(Exception):
    """Why the run's model was not lent for a call; the message says which bound, with its value."""


class LentModel:
    """The run's model for one tools step: bounded by the run's bounds, counted in the run's stats."""

    def __init__(self, model: Any, bounds: Bounds, pricing: Pricing, stats: RunStats) -> None:
        self.model, self.bounds, self.pricing = model, bounds, pricing
        self.stats = RunStats(**stats)
        self.calls = 0
        self._lock = threading.Lock()

    def _limit(self, reason: str) -> str:
        value = {
            "model_calls": self.bounds.max_model_calls,
            "time": f"{self.bounds.max_seconds:g} s",
            "tokens": self.bounds.max_tokens,
            "cost": self.bounds.max_cost,
        }.get(reason)
        return f"{EXPLAIN.get(reason, reason)} ({value})" if value is not None else EXPLAIN.get(reason, reason)

    def reserve(self, prompt_tokens: int, max_output: int) -> None:
        """Count one call now, or raise :class:`ModelRefused` saying which bound forbids it."""
        with self._lock:
            stats = self.stats
            reason = self.bounds.before_model_call(stats)
            if reason is not None:
                raise ModelRefused(self._limit(reason))
            used = stats.get("input_tokens", 0) + stats.get("output_tokens", 0)
            if used + prompt_tokens + max_output > self.bounds.max_tokens:
                raise ModelRefused(
                    f"this request (about {prompt_tokens} tokens in, up to {max_output} out) could take the run "
                    f"past its token budget ({used} of {self.bounds.max_tokens} used)"
                )
            worst = self.pricing.cost(prompt_tokens, max_output)
            if self.bounds.max_cost and stats.get("cost", 0.0) + worst > self.bounds.max_cost:
                raise ModelRefused(
                    f"this request (up to {worst:.4f}) could take the run past its cost budget "
                    f"({stats.get('cost', 0.0):.4f} of {self.bounds.max_cost:g} used)"
                )
            self.stats = RunStats(**{**stats, "model_calls": stats.get("model_calls", 0) + 1})
            self.calls += 1

    async def ainvoke(self, messages: Sequence[Any], max_tokens: int, stop: list[str] | None = None) -> Any:
        """The model's reply to ``messages`` (within the run's bounds), counted in :attr:`stats`."""
        from graphs.estimate import estimate_tokens
        from graphs.usage import add_call, call_usage

        self.reserve(estimate_tokens(messages), max_tokens)
        seconds = self.bounds.seconds_left(self.stats)
        options: dict[str, Any] = {"max_tokens": max_tokens, **({"stop": stop} if stop else {})}
        task = asyncio.create_task(self._call(list(messages), options), context=contextvars.Context())
        try:
            response = await asyncio.wait_for(task, max(seconds, 0.01))
        except TimeoutError:
            raise ModelRefused(f"the run's time ran out during the request ({seconds:.1f} s were left)") from None
        with self._lock:
            self.stats = add_call(self.stats, call_usage(response, list(messages)), self.pricing)
        return response

    async def _call(self, messages: list[Any], options: dict[str, Any]) -> Any:
        try:
            return await self.model.ainvoke(messages, **options)
        except TypeError:  # a model that takes no such options
            return await self.model.ainvoke(messages)


__all__ = ["LentModel", "ModelRefused"]
