"""The finish node: the answer, or — when a bound stopped the run — the best we have.

A stopped run never ends in an exception.  If the model may still be called
(the stop was about tools), it gets one call without tools to answer from
what was gathered; otherwise the answer is composed here from the tool
results.  Either way the stop reason is part of the answer, and every tool
call left open gets a closing message so the thread can go on.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig

from graphs.background import OutOfTime
from graphs.bounds import EXPLAIN, MODEL_STILL_AVAILABLE
from graphs.conclude import answered, conclude
from graphs.flow import Flow, ModelCall
from graphs.messages import unanswered_calls
from graphs.nodes import FINAL_TAG, AgentNodes, degraded
from graphs.state import AgentState

FINAL_NOTE = (
    "[agent note] The run must stop now: {why}. Do not call tools. Answer the task from the "
    "information above, and say briefly what is missing."
)


def gathered(state: AgentState, limit: int = 6) -> str:
    """The run's tool results, one line each, for an answer composed without the model."""
    messages = state.get("messages", [])
    start = max((i for i, m in enumerate(messages) if m.type == "human"), default=0)
    lines = [f"- {m.name}: {m.text[:400]}" for m in messages[start:] if m.type == "tool" and m.status != "error"]
    return "\n".join(lines[-limit:])


def composed_answer(state: AgentState, reason: str, detail: str = "") -> str:
    found = gathered(state)
    text = f"I had to stop before finishing: {EXPLAIN.get(reason, reason)}."
    if detail:
        text += f" {detail}"
    return text + (f"\nWhat I gathered so far:\n{found}" if found else "\nI had not gathered any results yet.")


def _closing(state: AgentState, reason: str) -> list[AnyMessage]:
    return [
        ToolMessage(
            content=f"Not run: the run stopped ({EXPLAIN.get(reason, reason)}).",
            tool_call_id=c["id"],
            name=c["name"],
            status="error",
        )
        for c in unanswered_calls(state.get("messages", []))
    ]


class Finisher:
    """The finish node for one :class:`AgentNodes`."""

    def __init__(self, nodes: AgentNodes) -> None:
        self.nodes = nodes

    def _final_request(self, state: AgentState, config: RunnableConfig, reason: str) -> list[AnyMessage] | None:
        if reason not in MODEL_STILL_AVAILABLE or self.nodes.cfg.bounds.before_model_call(state.get("stats", {})):
            return None
        prompt = self.nodes.prompt(state, config)
        return [*prompt, HumanMessage(FINAL_NOTE.format(why=EXPLAIN.get(reason, reason)))]

    def finish(self, state: AgentState, config: RunnableConfig) -> Flow:
        reason = state.get("stop_reason") or "answered"
        stats = dict(state.get("stats", {}))
        messages: list[AnyMessage] = _closing(state, reason)
        if reason == "answered":
            answer, reason = answered(state, stats)  # type: ignore[arg-type]
        else:
            final = None
            if (request := self._final_request(state, config, reason)) is not None:
                tagged = {**config, "tags": [*(config.get("tags") or []), FINAL_TAG]}
                try:
                    final = yield ModelCall(self.nodes.cfg.model, request, tagged, max(5.0, self.nodes._seconds(stats)))
                    stats = self.nodes._counted(stats, final, request)  # type: ignore[arg-type]
                except (OutOfTime, *self.nodes.errors) as err:
                    stats = degraded(stats, "finish", err)  # type: ignore[arg-type]
            text = final.text.strip() if isinstance(final, AIMessage) else ""
            answer = (
                f"{text}\n\n(Stopped early: {EXPLAIN.get(reason, reason)}.)"
                if text
                else composed_answer(state, reason, state.get("error", ""))
            )
            messages.append(AIMessage(content=answer, response_metadata={"stop_reason": reason}))
        end = conclude(state, config, self.nodes.cfg.context, reason, answer, stats)  # type: ignore[arg-type]
        return {"messages": messages, **end}


__all__ = ["FINAL_NOTE", "Finisher", "composed_answer", "gathered"]
