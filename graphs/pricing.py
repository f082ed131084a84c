"""Prices of model calls: what one million tokens of each kind costs, and a small dated table of estimates.

A call is billed in four parts, each at its own price: input tokens read from no
cache (``pay_in``), input tokens served from the provider's prompt cache
(``pay_cache``), input tokens written into an explicit cache (``pay_cache_write``)
and output tokens, reasoning included (``pay_out``).  An unset cache price falls
back to the input price: no discount is assumed that nobody configured.

When no price is configured for a model, :data:`BUILTIN_PRICES` gives an estimate
for the common models of OpenAI, DeepSeek and DashScope (USD, list prices on
:data:`PRICES_AS_OF`; the closing line and ``--json`` say it is an estimate).
``AGENT_HOME/prices.json`` overrides or extends it: ``{"provider:model": {"pay_in":
…, "pay_out": …, "pay_cache": …, "pay_cache_write": …}}``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

PRICES_AS_OF = "2025-10-01"
PRICES_FILE = "prices.json"


class Pricing(BaseModel):
    """Prices per million tokens.  ``estimated``: from the built-in table, not configured."""

    model_config = ConfigDict(frozen=True)

    input: float = Field(default=0.0, ge=0)
    output: float = Field(default=0.0, ge=0)
    cached: float | None = Field(default=None, ge=0, description="Cached input; None: the input price.")
    cache_write: float | None = Field(default=None, ge=0, description="Explicit cache writes; None: the input price.")
    estimated: bool = False

    @property
    def configured(self) -> bool:
        """Someone set these prices (not an estimate, not all zero)."""
        return not self.estimated and bool(self.input or self.output or self.cached or self.cache_write)

    def cost(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0, cache_write_tokens: int = 0) -> float:
        """Uncached input + cached input + cache writes + output, each at its price.

        ``input_tokens`` is the whole prompt as providers report it (cached and written tokens included).
        """
        uncached = max(0, input_tokens - cached_tokens - cache_write_tokens)
        cached_price = self.input if self.cached is None else self.cached
        write_price = self.input if self.cache_write is None else self.cache_write
        total = (
            uncached * self.input
            + cached_tokens * cached_price
            + cache_write_tokens * write_price
            + output_tokens * self.output
        )
        return total / 1_000_000


class PriceEntry(BaseModel):
    """One row of the price table, in the model file's field names."""

    model_config = ConfigDict(extra="forbid")

    pay_in: float = Field(ge=0)
    pay_out: float = Field(ge=0)
    pay_cache: float | None = Field(default=None, ge=0)
    pay_cache_write: float | None = Field(default=None, ge=0)

    def pricing(self, estimated: bool) -> Pricing:
        return Pricing(
            input=self.pay_in,
            output=self.pay_out,
            cached=self.pay_cache,
            cache_write=self.pay_cache_write,
            estimated=estimated,
        )


def _row(pay_in: float, pay_out: float, cache: float | None = None, write: float | None = None) -> PriceEntry:
    return PriceEntry(pay_in=pay_in, pay_out=pay_out, pay_cache=cache, pay_cache_write=write)


# USD per million tokens, the providers' list prices on PRICES_AS_OF (international endpoints for
# DashScope, lowest context tier; DashScope's implicit cache bills hits at 20 % of input, explicit
# cache writes at 125 %).  Estimates only: configure pay_* for real bills.
BUILTIN_PRICES: dict[str, PriceEntry] = {
    "openai:gpt-4.1": _row(2.0, 8.0, 0.5),
    "openai:gpt-4.1-mini": _row(0.4, 1.6, 0.1),
    "openai:gpt-4.1-nano": _row(0.1, 0.4, 0.025),
    "openai:gpt-4o": _row(2.5, 10.0, 1.25),
    "openai:gpt-4o-mini": _row(0.15, 0.6, 0.075),
    "openai:o4-mini": _row(1.1, 4.4, 0.275),
    "openai:gpt-5": _row(1.25, 10.0, 0.125),
    "openai:gpt-5-mini": _row(0.25, 2.0, 0.025),
    "openai:gpt-5-nano": _row(0.05, 0.4, 0.005),
    "deepseek:deepseek-chat": _row(0.28, 0.42, 0.028),
    "deepseek:deepseek-reasoner": _row(0.28, 0.42, 0.028),
    "dashscope:qwen-max": _row(1.6, 6.4, 0.32, 2.0),
    "dashscope:qwen3-max": _row(1.2, 6.0, 0.24, 1.5),
    "dashscope:qwen-plus": _row(0.4, 1.2, 0.08, 0.5),
    "dashscope:qwen-flash": _row(0.05, 0.4, 0.01, 0.0625),
    "dashscope:qwen-turbo": _row(0.05, 0.2, 0.01, 0.0625),
}


def _overrides(home: Path | None) -> dict[str, PriceEntry]:
    """``AGENT_HOME/prices.json``; a broken file is reported and ignored (the estimates stay estimates)."""
    if home is None:
        return {}
    path = Path(home) / PRICES_FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("the file must be one JSON object of 'provider:model' entries")
        return {str(key): PriceEntry.model_validate(value) for key, value in raw.items()}
    except (OSError, ValueError, ValidationError) as err:
        log.warning("%s is not used: %s", path, " ".join(str(err).split())[:300])
        return {}


def price_table(home: Path | None = None) -> dict[str, tuple[PriceEntry, str]]:
    """Every known row: ``provider:model`` -> (prices, where they come from: "built-in" or the file)."""
    built_in = f"built-in {PRICES_AS_OF}"
    table: dict[str, tuple[PriceEntry, str]] = {key: (row, built_in) for key, row in BUILTIN_PRICES.items()}
    table.update({key: (row, PRICES_FILE) for key, row in _overrides(home).items()})
    return table


def table_pricing(provider: str, model: str, home: Path | None = None) -> Pricing | None:
    """The table's prices for a model (an estimate for built-in rows), or None when it has no row."""
    overrides = _overrides(home)
    for key in (f"{provider}:{model}", model):
        if key in overrides:
            return overrides[key].pricing(estimated=False)
    row = BUILTIN_PRICES.get(f"{provider}:{model}")
    return row.pricing(estimated=True) if row is not None else None


def pricing_json(pricing: Pricing | None) -> dict[str, Any] | None:
    """The prices in the model file's names, for listings."""
    if pricing is None:
        return None
    return {
        "pay_in": pricing.input,
        "pay_out": pricing.output,
        "pay_cache": pricing.cached,
        "pay_cache_write": pricing.cache_write,
        "estimated": pricing.estimated,
    }


__all__ = [
    "BUILTIN_PRICES",
    "PRICES_AS_OF",
    "PRICES_FILE",
    "PriceEntry",
    "Pricing",
    "price_table",
    "pricing_json",
    "table_pricing",
]
