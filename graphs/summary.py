"""``summary``: when the prompt passes a share of the window, the oldest half of the rounds is folded
into a model-written summary, kept in the state; the ``compact`` node makes that call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from graphs.context import ContextStrategy, count_tokens, split_rounds

if TYPE_CHECKING:
    from langchain_core.messages import AnyMessage
    from langchain_core.runnables import RunnableConfig

    from graphs.state import AgentState

SUMMARY_PROMPT = (
    "Summarise the conversation below for your own later use: the user's goals, the facts found "
    "(numbers, names, results of tools), decisions and open questions. Be brief and concrete; "
    "keep it under 200 words. Reply with the summary only."
)


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


def render_for_summary(previous: str, messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    from langchain_core.messages import HumanMessage, SystemMessage

    lines = [f"Earlier summary: {previous}"] if previous else []
    for message in messages:
        text = message.text if hasattr(message, "text") else str(message.content)
        calls = getattr(message, "tool_calls", None)
        if calls:
            text += " " + "; ".join(f"[called {c['name']}({c['args']})]" for c in calls)
        lines.append(f"{message.type}: {text[:2000]}")
    return [SystemMessage(SUMMARY_PROMPT), HumanMessage("\n".join(lines))]


class Summary(ContextStrategy):
    """The summary goes into the system message; the rounds it covers leave the prompt."""

    name = "summary"

    def system_notes(self, state: AgentState, config: RunnableConfig, kept: set[str]) -> list[str]:
        return [f"Summary of the earlier conversation:\n{state['summary']}"] if state.get("summary") else []

    def compaction(self, state: AgentState, system_parts: list[str]) -> tuple[int, list[AnyMessage]] | None:
        from langchain_core.messages import SystemMessage

        start = state.get("summary_upto", 0)
        messages = state.get("messages", [])
        system = SystemMessage("\n\n".join([*system_parts, *self.system_notes(state, {}, set())]))
        if count_tokens([system, *messages[start:]]) <= self.budget:
            return None
        upto = summary_split(messages, start)
        if upto is None:
            return None
        return upto, render_for_summary(state.get("summary", ""), messages[start:upto])


__all__ = ["SUMMARY_PROMPT", "Summary", "render_for_summary", "summary_split"]
