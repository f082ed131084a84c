"""The tool side of the graph: validating the model's calls, approval, and running them.

Validation runs inside the model node, on the message it just produced (one
superstep per model turn): repaired calls replace the raw ones, rejected calls
get a tool message saying why, and the bounds decide whether rejections end the
run.  Counters come from the tool log (:class:`~graphs.bounds.ToolUsage`, extended turn by turn), so a
denied call, logged with ``approved: False``, never has to be un-counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AnyMessage, ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import interrupt

from graphs import planning
from graphs.bounds import CUTTING, UsageCache
from graphs.destructive import DestructiveCalls
from graphs.flow import Flow, Work
from graphs.messages import emit, last_ai, thread_of, unanswered_calls
from graphs.run_model import LentModel
from graphs.state import AgentState, RunStats, ToolRecord
from graphs.tool_runner import Paused, arun_calls, run_calls
from graphs.validate import needs_approval, validate_calls

if TYPE_CHECKING:
    from graphs.nodes import NodeConfig
    from graphs.pricing import Pricing

DENIED = "Error: the user denied this call; do not retry it."


def approved(decision: Any, call_id: str) -> bool:
    """Read a resume value: True/'approve'/'yes', False/'deny', or a mapping of call id to either."""
    if isinstance(decision, Mapping):
        if call_id in decision:
            return approved(decision[call_id], call_id)
        for key in ("approve", "approved", "decision"):
            if key in decision:
                return approved(decision[key], call_id)
        return False
    if isinstance(decision, str):
        return decision.strip().lower() in {"approve", "approved", "yes", "y", "ok", "allow"}
    return decision is True


def _record(call: ToolCall, ok: bool, **extra: Any) -> ToolRecord:
    return ToolRecord(id=call["id"], name=call["name"], args=call["args"], ok=ok, **extra)  # type: ignore[typeddict-item]


class ToolSteps:
    """Validation, approval and tool execution, for :class:`~graphs.nodes.AgentNodes`."""

    cfg: NodeConfig
    usage_cache: UsageCache  # the tool log's counts, kept from turn to turn

    if TYPE_CHECKING:

        def _pricing(self, model: Any) -> Pricing: ...

    # --- validation (inside the model node) --------------------------------------
    def validated(self, state: AgentState, response: Any, stats: RunStats) -> dict[str, Any]:
        update: dict[str, Any] = {"messages": [response], "stats": stats}
        if not isinstance(response, AIMessage) or not _may_call(response):
            return update
        usage = self.usage_cache.usage(state.get("tool_log", []))
        verdict = validate_calls(response, self.cfg.tools, usage, self.cfg.bounds)
        messages: list[AnyMessage] = [verdict.message, *verdict.rejected]
        update["messages"] = messages
        if not verdict.rejected:
            return update
        for rejected in verdict.rejected:
            emit(
                {
                    "type": "tool_rejected",
                    "id": rejected.tool_call_id,
                    "name": rejected.name,
                    "error": rejected.text[:300],
                }
            )
        stats = RunStats(**stats)
        if (cut := next((r for r in verdict.reasons if r in CUTTING), None)) and not stats.get("cut_by"):
            stats["cut_by"] = cut  # work the model asked for was refused: the run reports it
        stop = self.cfg.bounds.after_rejections(stats, verdict.reasons)
        stats["validation_retries"] = stats.get("validation_retries", 0) + 1
        stats["repeats"] = stats.get("repeats", 0) + verdict.reasons.count("repeated_calls")
        update["stats"] = stats
        if stop and not (verdict.runnable or verdict.approval):
            update["stop_reason"] = stop
        return update

    def route_calls(self, state: AgentState) -> str:
        """After a model turn: approval, tools, another model call (all rejected), or the end."""
        pending = unanswered_calls(state.get("messages", []))
        if any(needs_approval(self.cfg.tools[c["name"]]) for c in pending):
            return "approve"
        if pending:
            return "tools"
        _, ai = last_ai(state.get("messages", []))
        return "model" if ai is not None and ai.tool_calls else "finish"

    # --- approve -------------------------------------------------------------------
    def approve(self, state: AgentState) -> dict[str, Any]:
        """Pause for a human decision on destructive calls (resume with approve/deny)."""
        calls = [c for c in unanswered_calls(state["messages"]) if needs_approval(self.cfg.tools[c["name"]])]
        if not calls:
            return {}
        decision = interrupt(
            {"type": "approval", "calls": [{"id": c["id"], "name": c["name"], "args": c["args"]} for c in calls]}
        )
        denied = [c for c in calls if not approved(decision, c["id"])]
        if not denied:
            return {}
        for call in denied:
            emit({"type": "tool_denied", "id": call["id"], "name": call["name"]})
        return {
            "messages": [ToolMessage(DENIED, tool_call_id=c["id"], name=c["name"], status="error") for c in denied],
            "tool_log": [*state.get("tool_log", []), *(_record(c, False, approved=False) for c in denied)],
        }

    def route_approve(self, state: AgentState) -> str:
        return "tools" if unanswered_calls(state.get("messages", [])) else "model"

    # --- tools ---------------------------------------------------------------------
    def tools(self, state: AgentState, config: RunnableConfig) -> Flow:
        """Run the open calls concurrently; destructive ones go through the ledger (graphs.destructive)."""
        calls = unanswered_calls(state["messages"])
        _, ai = last_ai(state["messages"])
        guard = DestructiveCalls(self.cfg.ledger, self.cfg.tools, thread_of(config), ai.id if ai else None)
        to_run, known = guard.settle(calls, approved)
        guard.started(to_run)
        lent = LentModel(self.cfg.model, self.cfg.bounds, self._pricing(self.cfg.model), state.get("stats", {}))
        options = {
            "model": lent,
            "timeout": self.cfg.tool_timeout,
            "budget": self.cfg.tool_result_chars,
            "time_left": self.cfg.bounds.seconds_left(state.get("stats", {})),
            "emit": emit,
            "config": config,
        }
        try:
            ran = yield Work(
                lambda: run_calls(to_run, self.cfg.tools, **options),
                lambda: arun_calls(to_run, self.cfg.tools, **options),
            )
        except Paused as paused:  # a call's tool asked the person (an interrupt): the step runs again on resume
            guard.paused(to_run, paused.finished)
            raise paused.cause from None
        by_id = {**known, **{c["id"]: r for c, r in zip(to_run, guard.finished(to_run, ran), strict=True)}}
        results = [by_id[c["id"]] for c in calls]
        destructive = {c["id"] for c in calls if needs_approval(self.cfg.tools[c["name"]])}
        log = [
            *state.get("tool_log", []),
            *(
                _record(c, r.status != "error", **({"approved": True} if c["id"] in destructive else {}))
                for c, r in zip(calls, results, strict=True)
            ),
        ]
        update: dict[str, Any] = {"messages": results, "tool_log": log}
        if lent.calls:  # the tools used the run's model (an MCP server's sampling): the run's counts
            update["stats"] = lent.stats
        if state.get("plan"):
            update["plan"] = planning.advance(state["plan"], results)
            emit({"type": "plan", "steps": update["plan"]})
        return update


def _may_call(message: AIMessage) -> bool:
    from graphs.repair import may_contain_calls

    return bool(message.tool_calls or message.invalid_tool_calls) or may_contain_calls(message.content)


__all__ = ["DENIED", "ToolSteps", "approved"]
