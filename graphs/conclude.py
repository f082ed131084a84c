"""The end of a run: the answer, the stop reason that describes it, the closed plan, what is remembered.

Shared by the model node (a model that answered ends the run in the same
step: one superstep and one checkpoint fewer per run) and the finish node
(a run a bound stopped).
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from graphs import planning
from graphs.bounds import EXPLAIN
from graphs.context import ContextStrategy
from graphs.messages import emit, last_ai
from graphs.state import AgentState, RunStats

EMPTY_ANSWER = "(The model gave an empty answer.)"


def answered(state: AgentState, stats: RunStats) -> tuple[str, str]:
    """The answer of a run the model ended, and its stop reason (``denied`` or a cutting bound may apply)."""
    _, ai = last_ai(state.get("messages", []))
    answer = (ai.text.strip() if ai is not None else "") or EMPTY_ANSWER
    reason = "answered"
    if any(r.get("approved") is False for r in state.get("tool_log", [])):
        reason = "denied"
    if cut := stats.get("cut_by"):  # the model answered, but a bound had refused some of its calls
        reason = cut
        answer += f"\n\n(Stopped early: {EXPLAIN.get(cut, cut)}; some of the work was not done.)"
    return answer, reason


def conclude(
    state: AgentState, config: RunnableConfig, context: ContextStrategy, reason: str, answer: str, stats: RunStats
) -> dict[str, Any]:
    """The run's last update; events for stream consumers; the round remembered by the context strategy."""
    plan = planning.close(state.get("plan") or [], reason in ("answered", "denied"))
    if plan:
        emit({"type": "plan", "steps": plan})
    context.remember(state, config, answer)
    emit({"type": "finish", "stop_reason": reason, "stats": stats})
    return {"answer": answer, "stop_reason": reason, "plan": plan, "stats": stats}


__all__ = ["EMPTY_ANSWER", "answered", "conclude"]
