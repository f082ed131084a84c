"""The finish node: the answer, or — when a bound stopped the run — the best we have.

A stopped run never ends in an exception.  If the model may still be called
(the stop was about tools), it gets one call without tools to answer from
what was gathered; otherwise the answer is composed here from the tool
results.  Either way the stop reason is part of the answer, and every tool
call left open gets a closing message so the thread can go on.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig

from graphs import planning
from graphs.bounds import EXPLAIN, MODEL_STILL_AVAILABLE
from graphs.nodes import FINAL_TAG, AgentNodes, current_task, emit, last_ai, thread_id, unanswered_calls
from graphs.state import AgentState
from graphs.usage import add_usage

FINAL_NOTE = (
    "[agent note] The run must stop now: {why}. Do not call tools. Answer the task from the "
    "information above, and say briefly what is missing."
)


def gathered(state: AgentState, limit: int = 6) -> str:
    """The run's tool results, one line each, for an answer composed without the model."""
    messages = state.get("messages", [])
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
    lines = []
    for message in messages[start:]:
        if isinstance(message, ToolMessage) and message.status != "error":
            lines.append(f"- {message.name}: {message.text[:400]}")
    return "\n".join(lines[-limit:])


def composed_answer(state: AgentState, reason: str, detail: str = "") -> str:
    found = gathered(state)
    text = f"I had to stop before finishing: {EXPLAIN.get(reason, reason)}."
    if detail:
        text += f" {detail}"
    return text + (f"\nWhat I gathered so far:\n{found}" if found else "\nI had not gathered any results yet.")


def _final(config: RunnableConfig) -> RunnableConfig:
    return {**config, "tags": [*(config.get("tags") or []), FINAL_TAG]}


class Finisher:
    """The finish node for one :class:`AgentNodes`."""

    def __init__(self, nodes: AgentNodes) -> None:
        self.nodes = nodes

    def _final_request(self, state: AgentState, config: RunnableConfig, reason: str) -> list[AnyMessage] | None:
        if reason not in MODEL_STILL_AVAILABLE or self.nodes.cfg.bounds.before_model_call(state.get("stats", {})):
            return None
        prompt = self.nodes._prompt(state, config)
        return [*prompt, HumanMessage(FINAL_NOTE.format(why=EXPLAIN.get(reason, reason)))]

    def _closing(self, state: AgentState, reason: str) -> list[AnyMessage]:
        return [
            ToolMessage(
                content=f"Not run: the run stopped ({EXPLAIN.get(reason, reason)}).",
                tool_call_id=c["id"],
                name=c["name"],
                status="error",
            )
            for c in unanswered_calls(state.get("messages", []))
        ]

    def _result(self, state: AgentState, config: RunnableConfig, reason: str, final: Any) -> dict[str, Any]:
        messages: list[AnyMessage] = self._closing(state, reason)
        stats = dict(state.get("stats", {}))
        if reason == "answered":
            _, ai = last_ai(state.get("messages", []))
            answer = ai.text.strip() if ai is not None else ""
            if cut := stats.get("cut_by"):  # the model answered, but a bound had refused some of its calls
                reason = cut
                answer += f"\n\n(Stopped early: {EXPLAIN.get(cut, cut)}; some of the work was not done.)"
        else:
            if final is not None:
                stats = add_usage(stats, final, self.nodes.cfg.pricing)  # type: ignore[arg-type]
                stats["model_calls"] = stats.get("model_calls", 0) + 1
            text = final.text.strip() if isinstance(final, AIMessage) else ""
            if text:
                answer = f"{text}\n\n(Stopped early: {EXPLAIN.get(reason, reason)}.)"
            else:
                answer = composed_answer(state, reason, state.get("error", ""))
            messages.append(AIMessage(content=answer, response_metadata={"stop_reason": reason}))
        plan = planning.close(state.get("plan") or [], reason == "answered")
        self._remember(state, config, answer)
        emit({"type": "finish", "stop_reason": reason, "stats": stats})
        return {"messages": messages, "answer": answer, "stop_reason": reason, "plan": plan, "stats": stats}

    def _remember(self, state: AgentState, config: RunnableConfig, answer: str) -> None:
        recall = self.nodes.cfg.recall
        if recall is None or self.nodes.cfg.strategy != "recall":
            return
        human = next((m for m in reversed(state.get("messages", [])) if isinstance(m, HumanMessage)), None)
        key = (human.id if human is not None and human.id else None) or str(len(state.get("messages", [])))
        recall.remember(thread_id(config), key, f"User: {current_task(state)}\nAssistant: {answer}")

    def finish(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        reason = state.get("stop_reason") or "answered"
        final = None
        if (request := self._final_request(state, config, reason)) is not None:
            try:
                final = self.nodes.cfg.model.invoke(request, _final(config))
            except Exception:
                final = None
        return self._result(state, config, reason, final)

    async def afinish(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        reason = state.get("stop_reason") or "answered"
        final = None
        if (request := self._final_request(state, config, reason)) is not None:
            try:
                final = await self.nodes.cfg.model.ainvoke(request, _final(config))
            except Exception:
                final = None
        return self._result(state, config, reason, final)


__all__ = ["Finisher", "composed_answer", "gathered"]
