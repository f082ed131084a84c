"""Token usage as each provider reports it, mapped onto LangChain's ``usage_metadata``.

LangChain maps OpenAI's ``prompt_tokens_details.cached_tokens`` and
``completion_tokens_details.reasoning_tokens``; ``ChatDeepSeek`` adds DeepSeek's
``prompt_cache_hit_tokens``.  Nobody maps an explicit cache write: DashScope reports
it as ``prompt_tokens_details.cache_creation_input_tokens`` (some gateways at the top
level of ``usage``).  Read here from the raw usage, for streamed and whole responses
alike, into ``input_token_details.cache_read`` / ``cache_creation`` and
``output_token_details.reasoning``.

Shapes (``prompt_tokens`` always counts the whole prompt, cached and written tokens included)::

    OpenAI     {"prompt_tokens_details": {"cached_tokens": C}, "completion_tokens_details": {"reasoning_tokens": R}}
    DashScope  {"prompt_tokens_details": {"cached_tokens": C, "cache_creation_input_tokens": W}, ...}
    DeepSeek   {"prompt_cache_hit_tokens": C, "prompt_cache_miss_tokens": M, "completion_tokens_details": {...}}
"""

from __future__ import annotations

from typing import Any


def _count(value: Any) -> int | None:
    """A token count, or None for anything that is not a non-negative integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def raw_usage(response: Any) -> dict[str, Any] | None:
    """The ``usage`` object of a completion (a dict, or the OpenAI SDK's model with its extra fields)."""
    usage = response.get("usage") if isinstance(response, dict) else getattr(response, "usage", None)
    if usage is not None and not isinstance(usage, dict) and hasattr(usage, "model_dump"):
        usage = usage.model_dump()
    return usage if isinstance(usage, dict) else None


def usage_details(raw: dict[str, Any]) -> dict[str, int]:
    """``cache_read``, ``cache_creation`` and ``reasoning`` tokens found in a raw usage (only those reported)."""
    prompt = raw.get("prompt_tokens_details") if isinstance(raw.get("prompt_tokens_details"), dict) else {}
    completion = raw.get("completion_tokens_details") if isinstance(raw.get("completion_tokens_details"), dict) else {}
    found: dict[str, int] = {}
    reads = [
        c for c in (_count(prompt.get("cached_tokens")), _count(raw.get("prompt_cache_hit_tokens"))) if c is not None
    ]
    if reads:
        found["cache_read"] = max(reads)
    for value in (
        prompt.get("cache_creation_input_tokens"),
        prompt.get("cache_write_tokens"),
        raw.get("cache_creation_input_tokens"),
    ):
        if (count := _count(value)) is not None:
            found["cache_creation"] = count
            break
    if (reasoning := _count(completion.get("reasoning_tokens"))) is not None:
        found["reasoning"] = reasoning
    return found


def normalize_usage(message: Any, raw: dict[str, Any]) -> None:
    """Put the raw usage's cache and reasoning counts into ``message.usage_metadata`` (when it has one)."""
    usage = getattr(message, "usage_metadata", None)
    if not usage:
        return
    details = usage_details(raw)
    if not details:
        return
    inputs = dict(usage.get("input_token_details") or {})
    outputs = dict(usage.get("output_token_details") or {})
    for key in ("cache_read", "cache_creation"):
        if key in details:
            inputs[key] = details[key]
    if "reasoning" in details:
        outputs["reasoning"] = details["reasoning"]
    message.usage_metadata = {**usage, "input_token_details": inputs, "output_token_details": outputs}


__all__ = ["normalize_usage", "raw_usage", "usage_details"]
