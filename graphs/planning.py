"""Plans: when to ask for one, how to ask, and how steps move as tools finish."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool

from graphs.state import Plan, StepState

# Conjunctions and sequencing words that mark a task with several parts (English and Chinese).
_MULTI_STEP = re.compile(
    r"\b(and then|then|after that|afterwards|also|as well as|both|and)\b|[;；]|然后|并且|同时|以及|再|之后|和.*(吗|呢)",
    re.IGNORECASE,
)

PLAN_PROMPT = (
    "You plan before acting. Break the user's task into 2 to 6 short steps, in order. "
    "For each step name the tool it will use (one of: {tools}) or leave the tool empty when "
    "no tool is needed. Do not solve the task yet."
)
REPLAN_PROMPT = (
    "A step of your plan failed. Current plan:\n{plan}\nFailure: {failure}\n"
    "Return an updated plan for what is left: keep finished steps as they are, change the rest."
)


def looks_multi_step(task: str) -> bool:
    """A cheap guess: several questions, sequencing words, or a long task."""
    return len(task) > 240 or task.count("?") + task.count("？") > 1 or bool(_MULTI_STEP.search(task))


def should_plan(task: str, mode: str) -> bool:
    if mode == "off" or not task.strip():
        return False
    return mode == "always" or looks_multi_step(task)


def plan_messages(task: str, tools: Sequence[BaseTool]) -> list[AnyMessage]:
    names = ", ".join(t.name for t in tools) or "none"
    return [SystemMessage(PLAN_PROMPT.format(tools=names)), HumanMessage(task)]


def replan_messages(task: str, plan: Sequence[StepState], failure: str, tools: Sequence[BaseTool]) -> list[AnyMessage]:
    messages = plan_messages(task, tools)
    messages.append(HumanMessage(REPLAN_PROMPT.format(plan=render_plan(plan), failure=failure[:1000])))
    return messages


def to_steps(plan: Plan, done: Sequence[StepState] = ()) -> list[StepState]:
    """The model's plan as state, keeping steps already finished."""
    finished = [s for s in done if s["status"] == "done"]
    fresh: list[StepState] = [
        {"description": s.description.strip()[:300], "tool": s.tool or None, "status": "pending"}
        for s in plan.steps
        if s.description.strip()
    ]
    return finished + fresh


def render_plan(plan: Sequence[StepState]) -> str:
    return "\n".join(
        f"{i}. [{s['status']}] {s['description']}" + (f" (tool: {s['tool']})" if s["tool"] else "")
        for i, s in enumerate(plan, 1)
    )


def advance(plan: Sequence[StepState], results: Sequence[ToolMessage]) -> list[StepState]:
    """Mark, for each tool result, the first open step expecting that tool (else one expecting none)."""
    steps: list[StepState] = [{**s} for s in plan]
    for result in results:
        open_steps = [s for s in steps if s["status"] == "pending"]
        match = next((s for s in open_steps if s["tool"] == result.name), None) or next(
            (s for s in open_steps if s["tool"] is None), None
        )
        if match is not None:
            match["status"] = "failed" if result.status == "error" else "done"
    return steps


def close(plan: Sequence[StepState], answered: bool) -> list[StepState]:
    """Final statuses: steps that needed no tool are done when the task was answered."""
    closed: list[StepState] = []
    for step in plan:
        status = step["status"]
        if status == "pending":
            status = "done" if answered and step["tool"] is None else "skipped"
        closed.append({**step, "status": status})
    return closed


__all__ = [
    "advance",
    "close",
    "looks_multi_step",
    "plan_messages",
    "render_plan",
    "replan_messages",
    "should_plan",
    "to_steps",
]
