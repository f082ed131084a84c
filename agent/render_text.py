"""Text for the terminal: untrusted text made printable, tool results made compact, the closing line.

Tool results, plans and answers come from tools, web pages and models, so
control characters (terminal escapes, bidi overrides) are dropped before
anything is printed.  Everything here is linear in the input.
"""

from __future__ import annotations

import json
from statistics import median
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate characters.
_UNPRINTABLE = dict.fromkeys(
    [c for c in range(0x20) if c not in (0x09, 0x0A)]
    + [0x7F, *range(0x80, 0xA0)]
    + [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
MAX_PARSED = 20_000  # a result longer than this is shown as text, not parsed


def printable(text: str) -> str:
    """``text`` without characters a terminal would interpret (escapes, carriage returns, bidi controls)."""
    return text.translate(_UNPRINTABLE)


def short(value: Any, limit: int) -> str:
    """One printable line of at most ``limit`` characters (``…`` when cut)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(printable(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _pruned(value: Any) -> Any:
    """Nested values without null or empty members."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if not _empty(v)}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(_pruned(value), ensure_ascii=False, separators=(",", ":"))


def result_object(text: str) -> dict[str, Any] | None:
    """A tool result that is a JSON object, parsed; None for anything else (plain text, cut JSON)."""
    if len(text) > MAX_PARSED or not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def compact_result(result: Any, previous: dict[str, Any] | None = None) -> str:
    """A JSON-object result as ``key=value`` pairs without null, empty fields.

    With ``previous`` (the last result of the same tool shown in this run), the
    fields whose values differ come first, so two calls of one tool do not look alike;
    a field that was set before and is empty now is shown as ``key=null``.
    Anything else is returned as it is.
    """
    text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
    data = result_object(text)
    if data is None:
        return text
    keys = [k for k, v in data.items() if not _empty(v)]
    if previous is not None:
        changed = [k for k in data if data[k] != previous.get(k) and not (_empty(data[k]) and _empty(previous.get(k)))]
        keys = changed + [k for k in keys if k not in changed]
    return " · ".join(f"{k}={'null' if _empty(data[k]) else _shown(data[k])}" for k in keys)


def usage_line(
    usage: dict[str, Any],
    elapsed: float,
    ttft: float | None = None,
    thread: str = "",
    models: tuple[str, str] = ("", ""),
) -> str:
    """The closing line: thread, model, calls, tokens (cached, cache writes, reasoning when any), cost
    ("~" and "(estimate)" when from the built-in price table), time, first token and tokens per second,
    then fallback and degraded steps when any.

    The first token is the median over the run's model calls when the usage has their times
    (``ttft_ms``), else ``ttft`` as the renderer measured it.
    """
    model, fallback = models
    estimate = bool(usage.get("cost_estimated"))
    line = (
        (f"thread {thread} · " if thread else "")
        + (f"model {model} · " if model else "")
        + (
            f"model calls {usage['model_calls']} · tool calls {usage['tool_calls']} · tokens "
            f"{usage['total_tokens']:,} (in {usage['input_tokens']:,} / out {usage['output_tokens']:,})"
        )
        + "".join(
            f" · {label} {usage[key]:,}"
            for key, label in (
                ("cached_tokens", "cached"),
                ("cache_write_tokens", "cache writes"),
                ("reasoning_tokens", "reasoning"),
            )
            if usage.get(key)
        )
        + f" · cost {'~' if estimate else ''}{usage['cost']:.6f}{' (estimate)' if estimate else ''} · {elapsed:.2f}s"
    )
    times = usage.get("ttft_ms") or []
    if times:
        ttft = median(times) / 1000
    line += f" · first token {ttft:.2f}s" if ttft is not None else ""
    if len(times) > 1:
        line += " (median)"
    if usage.get("tokens_per_second"):
        line += f" · {usage['tokens_per_second']:,.1f} tok/s"
    if usage.get("fallback_calls"):
        line += f" · fallback {fallback or 'model'} answered {usage['fallback_calls']}"
    if usage.get("degraded"):
        line += f" · steps without the model {usage['degraded']}"
    return line


def stop_note(stop_reason: str) -> str:
    """What the closing line adds about how the run ended ("" when it simply answered)."""
    if stop_reason == "answered":
        return ""
    if stop_reason == "denied":
        return " · a destructive call was denied and not run"
    return f" · stopped: {stop_reason}"


class PlanTracker:
    """Which plan to show: only one whose statuses changed; "done" when every step of a shown plan is done."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] | None = None

    def view(self, steps: list[dict[str, Any]]) -> str | None:
        """None (nothing new), ``"done"`` (one line: all done) or ``"full"`` (the whole plan)."""
        statuses = [(str(s.get("description", "")), str(s.get("status", ""))) for s in steps]
        if not statuses or statuses == self.shown:
            return None
        before, self.shown = self.shown, statuses
        same_steps = before is not None and [d for d, _ in before] == [d for d, _ in statuses]
        return "done" if same_steps and all(s == "done" for _, s in statuses) else "full"


__all__ = ["PlanTracker", "compact_result", "printable", "result_object", "short", "stop_note", "usage_line"]
