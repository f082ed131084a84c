"""Fit a long conversation into the model's context window.

The thread keeps every message (it is the record a user reads back); only
the *prompt* is cut.  The unit of cutting is the round — a user message and
everything up to the next one — so a tool call is never separated from its
result.  Strategies:

* ``all``: every round since the last summary.
* ``last_rounds``: the last N rounds.
* ``summary``: when the prompt passes a share of the window, the oldest half
  of the rounds is folded into a model-written summary (kept in the state).
* ``recall``: the last N rounds plus the earlier rounds most similar to the
  task, retrieved from a LangGraph store.

Whatever the strategy, a prompt still over budget loses its oldest rounds,
never the current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.utils import count_tokens_approximately

Strategy = Literal["all", "last_rounds", "summary", "recall"]

SUMMARY_PROMPT = (
    "Summarise the conversation below for your own later use: the user's goals, the facts found "
    "(numbers, names, results of tools), decisions and open questions. Be brief and concrete; "
    "keep it under 200 words. Reply with the summary only."
)


def count_tokens(messages: Sequence[AnyMessage]) -> int:
    return count_tokens_approximately(list(messages)) if messages else 0


def split_rounds(messages: Sequence[AnyMessage]) -> list[list[AnyMessage]]:
    """Rounds start at each human message; anything before the first is its own round."""
    rounds: list[list[AnyMessage]] = []
    for message in messages:
        if isinstance(message, HumanMessage) or not rounds:
            rounds.append([])
        rounds[-1].append(message)
    return rounds


def flatten(rounds: Sequence[Sequence[AnyMessage]]) -> list[AnyMessage]:
    return [m for r in rounds for m in r]


def fit_rounds(rounds: list[list[AnyMessage]], budget: int, fixed_tokens: int = 0) -> list[list[AnyMessage]]:
    """Drop the oldest rounds until the prompt fits; the last round always stays."""
    kept = list(rounds)
    while len(kept) > 1 and fixed_tokens + count_tokens(flatten(kept)) > budget:
        kept.pop(0)
    return kept


def select_rounds(rounds: list[list[AnyMessage]], strategy: Strategy, keep_rounds: int) -> list[list[AnyMessage]]:
    """The rounds a strategy puts verbatim into the prompt (before the budget cut)."""
    if strategy in ("last_rounds", "recall"):
        return rounds[-keep_rounds:]
    return rounds


def summary_split(messages: Sequence[AnyMessage], start: int) -> int | None:
    """Index up to which the oldest half of the rounds after ``start`` is summarised.

    None when there are fewer than two rounds to split: the current round is
    never summarised away.
    """
    rounds = split_rounds(messages[start:])
    if len(rounds) < 2:
        return None
    half = max(1, len(rounds) // 2)
    return start + sum(len(r) for r in rounds[:half])


INTERRUPTED = (
    "No result: the run was interrupted before this call's result was recorded, "
    "so it may or may not have run. Check before repeating anything it changes."
)


def close_open_calls(messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    """The prompt with an "outcome unknown" result after every tool call left unanswered.

    A run stopped from outside (Ctrl-C, a killed process) can leave a call
    without its result in the thread; providers refuse such a history.  The
    stored thread keeps what really happened; only the prompt is completed.
    """
    out: list[AnyMessage] = []
    open_calls: list[dict] = []

    def close() -> None:
        out.extend(
            ToolMessage(content=INTERRUPTED, tool_call_id=c["id"], name=c["name"], status="error") for c in open_calls
        )
        open_calls.clear()

    for message in messages:
        if isinstance(message, ToolMessage):
            open_calls[:] = [c for c in open_calls if c["id"] != message.tool_call_id]
        else:
            close()
            open_calls.extend(getattr(message, "tool_calls", None) or [])
        out.append(message)
    close()
    return out


def render_for_summary(previous: str, messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    lines = [f"Earlier summary: {previous}"] if previous else []
    for message in messages:
        text = message.text if hasattr(message, "text") else str(message.content)
        calls = getattr(message, "tool_calls", None)
        if calls:
            text += " " + "; ".join(f"[called {c['name']}({c['args']})]" for c in calls)
        lines.append(f"{message.type}: {text[:2000]}")
    return [SystemMessage(SUMMARY_PROMPT), HumanMessage("\n".join(lines))]


__all__ = [
    "INTERRUPTED",
    "SUMMARY_PROMPT",
    "close_open_calls",
    "Strategy",
    "count_tokens",
    "fit_rounds",
    "flatten",
    "render_for_summary",
    "select_rounds",
    "split_rounds",
    "summary_split",
]
