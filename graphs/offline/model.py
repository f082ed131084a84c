"""The offline model: a deterministic, rule-based chat model for machines with no LLM.

It drives the same graph and the same tools as a real model: it reads the
task (English or Chinese) clause by clause (:mod:`graphs.offline.understand`),
runs one skill per understood clause (:mod:`graphs.offline.skills`), emits the
tool calls the skills still need — all independent ones at once — and composes
the answer from the results.  It says that it is the offline model, names every
part of a task it could not work out, and declines when it understood nothing.

What kind of call it is answering comes from the call's tags, set by the graph
(``agent:plan``, ``agent:summary``, ``agent:final``), never from prompt text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from graphs.local_model import LocalChatModel
from graphs.offline.skills import SKILLS, NoTable, NotInteger, plan_steps, title
from graphs.offline.steps import Ctx, Failed, Pending, Unfinished, round_results
from graphs.offline.tables import last_table
from graphs.offline.text import is_chinese
from graphs.offline.understand import Intent, understand

PLAN_TAG, SUMMARY_TAG, FINAL_TAG = "agent:plan", "agent:summary", "agent:final"
BANNER_EN = "(Offline model: no language model is configured, so these answers come straight from the tools.)"
BANNER_ZH = "（离线模型：未配置语言模型，以下答案直接来自工具。）"
DECLINE_EN = (
    "I am the offline model (no language model is configured), so I can only help with: primality, "
    "factorisation and next/previous primes (of numbers or expressions such as 2^61-1); arithmetic "
    "(97 squared, 10!, 2 to the power of 10); the configured database (list the tables, describe a table, "
    "count a table's rows, which row of one table has the most rows in another); and web searches. "
    "Configure a model (OPENAI_API_KEY, AGENT_MODEL or --model-config) for anything else."
)
DECLINE_ZH = (
    "我是离线模型（未配置语言模型），只能处理：判断素数、分解质因数、求下一个/上一个素数"
    "（数字或 2^61-1 这样的表达式）；"
    "算术计算（97的平方、10的阶乘）；查询已配置的数据库（列出表、描述表结构、统计表的行数、哪一行关联的行最多）；以及网页搜索。"
    "其他任务请先配置模型（OPENAI_API_KEY、AGENT_MODEL 或 --model-config）。"
)


def _tool_names(tools: Sequence[dict[str, Any]] | None) -> list[str]:
    return [t["function"]["name"] for t in tools or [] if "function" in t]


def current_round(messages: Sequence[BaseMessage], final: bool) -> tuple[str, list[BaseMessage], list[BaseMessage]]:
    """The task, the messages after it, and the messages before it.

    A final-answer request ends with the graph's note as a last user message: it is not the task.
    """
    humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if final and humans and humans[-1] == len(messages) - 1:
        humans.pop()
    if not humans:
        return "", list(messages), []
    index = humans[-1]
    rest = [m for m in messages[index + 1 :] if not isinstance(m, HumanMessage)]
    return messages[index].text, rest, list(messages[:index])


def _call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _id() -> str:
    return f"offline-{uuid.uuid4().hex[:12]}"


class OfflineModel(LocalChatModel):
    """Rule-based stand-in for an LLM; see the module docstring."""

    @property
    def _llm_type(self) -> str:
        return "offline"

    def respond(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None, tags: list[str]) -> AIMessage:
        if SUMMARY_TAG in tags:
            return AIMessage(content=self._summary(messages), id=_id())
        names = _tool_names(tools)
        final = FINAL_TAG in tags
        task, rest, before = current_round(messages, final)
        intents, unknown = understand(task)
        if PLAN_TAG in tags or names == ["Plan"]:
            return self._plan(intents)
        ctx = Ctx(names=names, results=round_results(rest), final=final, zh=is_chinese(task))
        ctx.last_table = last_table(before)
        lines, pending = self._run(ctx, intents)
        if pending:
            return AIMessage(content="", id=_id(), tool_calls=pending)
        return AIMessage(content=self._compose(ctx.zh, intents, lines, unknown), id=_id())

    def reply(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> AIMessage:
        return self.respond(messages, tools, [])

    def _run(self, ctx: Ctx, intents: list[Intent]) -> tuple[list[str], list[dict[str, Any]]]:
        """Each intent's answer line, or the calls still needed (deduplicated across intents)."""
        lines: list[str] = []
        pending: dict[str, dict[str, Any]] = {}
        for intent in intents:
            try:
                lines.append(SKILLS[intent.kind].run(ctx, intent))
            except Pending as wanted:
                for name, args in wanted.calls:
                    pending.setdefault(name + json.dumps(args, sort_keys=True), _call(name, args))
            except (NotInteger, NoTable) as err:
                lines.append(str(err))
            except Failed as err:
                lines.append(f"{title(intent, ctx.zh)}: " + ("失败 — " if ctx.zh else "failed — ") + str(err))
            except Unfinished as err:
                lines.append(self._unfinished(intent, str(err), ctx))
        return lines, list(pending.values())

    @staticmethod
    def _unfinished(intent: Intent, tool: str, ctx: Ctx) -> str:
        what = title(intent, ctx.zh)
        if not ctx.final:
            return f"{what}: " + (
                f"没有结果（工具 {tool} 不可用）。" if ctx.zh else f"no result (the {tool} tool is not available)."
            )
        return f"{what}: " + (
            "未完成（本次运行不能再调用工具）。" if ctx.zh else "not finished (the run could make no more tool calls)."
        )

    @staticmethod
    def _compose(zh: bool, intents: list[Intent], lines: list[str], unknown: list[str]) -> str:
        if not intents:
            return DECLINE_ZH if zh else DECLINE_EN
        text = [BANNER_ZH if zh else BANNER_EN, *lines]
        if unknown:
            parts = "; ".join(f"“{_short(u)}”" if zh else f"'{_short(u)}'" for u in unknown)
            text.append(f"我没能理解：{parts}。" if zh else f"I could not work out: {parts}.")
        return "\n".join(text)

    @staticmethod
    def _plan(intents: list[Intent]) -> AIMessage:
        steps = [
            {"description": description, "tool": tool, "status": "pending"}
            for intent in intents
            for description, tool in plan_steps(intent)
        ]
        steps.append({"description": "Compose the answer from the results", "tool": None, "status": "pending"})
        return AIMessage(content="", id=_id(), tool_calls=[_call("Plan", {"steps": steps})])

    @staticmethod
    def _summary(messages: Sequence[BaseMessage]) -> str:
        text = messages[-1].text if messages else ""
        lines = [line for line in text.splitlines() if line.startswith(("human:", "ai:", "Earlier summary:"))]
        return " | ".join(line[:160] for line in lines[-12:])


__all__ = ["BANNER_EN", "BANNER_ZH", "FINAL_TAG", "PLAN_TAG", "SUMMARY_TAG", "OfflineModel", "current_round"]
