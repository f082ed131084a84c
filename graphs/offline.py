"""The offline model: a deterministic, rule-based chat model for machines with no LLM.

It drives the same graph and the same tools as a real model: it reads the
task (English or Chinese), emits real tool calls for what it understands —
several at once when they are independent, a structured plan when asked for
one — and composes the answer from the tool results.  It says plainly that
it is the offline model, and declines what it does not understand.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from graphs.context import SUMMARY_PROMPT
from graphs.local_model import LocalChatModel
from graphs.offline_answers import render
from graphs.offline_intents import Intent, is_chinese, parse_task

BANNER_EN = "(Offline model: no language model is configured, so these answers come straight from the tools.)"
BANNER_ZH = "（离线模型：未配置语言模型，以下答案直接来自工具。）"
DECLINE_EN = (
    "I am the offline model (no language model is configured), so I can only help with: primality, "
    "factorisation and next/previous primes; arithmetic; the configured database (list the tables, "
    "describe a table, count the rows of a table); and web searches. Configure a model "
    "(OPENAI_API_KEY, AGENT_MODEL or --model-config) for anything else."
)
DECLINE_ZH = (
    "我是离线模型（未配置语言模型），只能处理：判断素数、分解质因数、求下一个/上一个素数；算术计算；"
    "查询已配置的数据库（列出表、描述表结构、统计表的行数）；以及网页搜索。其他任务请先配置模型"
    "（OPENAI_API_KEY、AGENT_MODEL 或 --model-config）。"
)
AGENT_NOTE = "[agent note]"
STEP_TEXT = {
    "prime": "Check whether {s} is prime",
    "factor": "Factorise {s}",
    "next_prime": "Find the next prime after {s}",
    "previous_prime": "Find the previous prime before {s}",
    "calc": "Calculate {s}",
    "tables": "List the tables",
    "describe": "Describe table {s}",
    "count": "Count the rows of table {s}",
    "search": "Search the web for {s}",
}


def _tool_names(tools: Sequence[dict[str, Any]] | None) -> list[str]:
    return [t["function"]["name"] for t in tools or [] if "function" in t]


def resolve_tool(canonical: str, available: Sequence[str]) -> str | None:
    """The bound tool serving ``canonical``: the same name, or one ending in it (MCP prefixes)."""
    if canonical in available:
        return canonical
    return next((n for n in available if n.endswith(canonical) and not n[: -len(canonical)][-1:].isalnum()), None)


def current_round(messages: Sequence[BaseMessage]) -> tuple[str, list[BaseMessage], bool]:
    """The task (last real user message), the messages after it, and whether a final answer is demanded."""
    final = False
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if isinstance(message, HumanMessage):
            if message.text.startswith(AGENT_NOTE):
                final = True
                continue
            rest = [m for m in messages[index + 1 :] if not (isinstance(m, HumanMessage))]
            return message.text, rest, final
    return "", [], final


class OfflineModel(LocalChatModel):
    """Rule-based stand-in for an LLM; see the module docstring."""

    @property
    def _llm_type(self) -> str:
        return "offline"

    # --- the decision ------------------------------------------------------------
    def reply(self, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]] | None) -> AIMessage:
        names = _tool_names(tools)
        if messages and isinstance(messages[0], SystemMessage) and messages[0].text == SUMMARY_PROMPT:
            return AIMessage(content=self._summary(messages))
        task, rest, final = current_round(messages)
        intents = parse_task(task)
        if names == ["Plan"]:
            return self._plan(intents)
        done = [m for m in rest if isinstance(m, ToolMessage)]
        if intents and not done and not final and names:
            calls = [self._call(i, names) for i in intents]
            if any(calls):
                return AIMessage(content="", id=_id(), tool_calls=[c for c in calls if c])
        return AIMessage(content=self._answer(task, intents, rest), id=_id())

    def _call(self, intent: Intent, names: Sequence[str]) -> dict[str, Any] | None:
        tool = resolve_tool(intent.tool, names)
        if tool is None:
            return None
        return {"name": tool, "args": dict(intent.args), "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}

    def _plan(self, intents: list[Intent]) -> AIMessage:
        steps = [
            {"description": STEP_TEXT[i.kind].format(s=i.subject), "tool": i.tool, "status": "pending"} for i in intents
        ]
        steps.append({"description": "Compose the answer from the results", "tool": None, "status": "pending"})
        call = {"name": "Plan", "args": {"steps": steps}, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
        return AIMessage(content="", id=_id(), tool_calls=[call])

    # --- the answer --------------------------------------------------------------
    def _answer(self, task: str, intents: list[Intent], rest: Sequence[BaseMessage]) -> str:
        chinese = is_chinese(task)
        if not intents:
            return DECLINE_ZH if chinese else DECLINE_EN
        results = _results_by_call(rest)
        lines = [BANNER_ZH if chinese else BANNER_EN]
        for intent, (ok, data) in zip(intents, _match(intents, results), strict=True):
            if data is None:
                lines.append(_missing(intent, chinese))
            elif not ok:
                message = data.get("message") if isinstance(data, dict) else str(data)
                lines.append(
                    f"{STEP_TEXT[intent.kind].format(s=intent.subject)}: 失败 — {message}"
                    if chinese
                    else f"{STEP_TEXT[intent.kind].format(s=intent.subject)}: failed — {message}"
                )
            else:
                lines.append(render(intent, data, chinese))
        return "\n".join(lines)

    def _summary(self, messages: Sequence[BaseMessage]) -> str:
        text = messages[-1].text if messages else ""
        lines = [line for line in text.splitlines() if line.startswith(("human:", "ai:", "Earlier summary:"))]
        return " | ".join(line[:160] for line in lines[-12:])


def _id() -> str:
    return f"offline-{uuid.uuid4().hex[:12]}"


def _results_by_call(rest: Sequence[BaseMessage]) -> list[tuple[str, bool, Any]]:
    """(tool name, ok, parsed content) for each tool result of the round, in order."""
    found = []
    for message in rest:
        if isinstance(message, ToolMessage):
            try:
                data = json.loads(message.text.removeprefix("Error: "))
            except ValueError:
                data = {"message": message.text.removeprefix("Error: ")}
            ok = message.status != "error" and not (isinstance(data, dict) and data.get("ok") is False)
            found.append((message.name or "", ok, data))
    return found


def _match(intents: list[Intent], results: list[tuple[str, bool, Any]]) -> list[tuple[bool, Any]]:
    """Pair each intent with the first unused result of its tool."""
    used: set[int] = set()
    paired = []
    for intent in intents:
        index = next(
            (i for i, (name, _, _) in enumerate(results) if i not in used and resolve_tool(intent.tool, [name])), None
        )
        if index is None:
            paired.append((False, None))
            continue
        used.add(index)
        paired.append((results[index][1], results[index][2]))
    return paired


def _missing(intent: Intent, chinese: bool) -> str:
    step = STEP_TEXT[intent.kind].format(s=intent.subject)
    return (
        f"{step}: 没有可用的工具结果（工具 {intent.tool} 不可用或未运行）。"
        if chinese
        else (f"{step}: no result (the {intent.tool} tool is not available or did not run).")
    )


__all__ = ["OfflineModel", "current_round", "resolve_tool"]
