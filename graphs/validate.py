"""Check every tool call before anything runs.

A call is runnable when its tool exists, its arguments parse (after repair)
and pass the tool's schema, and no bound forbids it.  Every other call gets a
tool message that tells the model what was wrong and what the schema expects,
so the next model call can correct it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from graphs.bounds import Bounds, StopReason
from graphs.repair import ArgumentsError, extract_text_tool_calls, parse_arguments
from graphs.state import RunStats
from tools.base import describe_validation_error

MAX_SCHEMA_CHARS = 1500


def call_signature(name: str, args: Mapping[str, Any]) -> str:
    """Identifies 'the same call': tool name plus canonical JSON of its arguments."""
    return name + ":" + json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)


def schema_of(tool: BaseTool) -> dict[str, Any]:
    """The JSON schema of a tool's arguments, whatever form the tool keeps it in."""
    schema = tool.args_schema
    if isinstance(schema, dict):
        return schema
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_json_schema()
    return {"type": "object", "properties": tool.args}


def _schema_hint(tool: BaseTool) -> str:
    text = json.dumps(schema_of(tool), ensure_ascii=False)
    if len(text) > MAX_SCHEMA_CHARS:
        text = text[:MAX_SCHEMA_CHARS] + " ...(schema cut)"
    return f"The arguments of {tool.name} must match this JSON schema: {text}"


def check_arguments(tool: BaseTool, args: dict[str, Any]) -> str | None:
    """None when ``args`` pass the tool's schema, else what is wrong."""
    schema = tool.args_schema
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        try:
            schema.model_validate(args)
        except ValidationError as err:
            return describe_validation_error(err)
        return None
    if isinstance(schema, dict):
        import jsonschema

        problems = sorted(jsonschema.Draft202012Validator(schema).iter_errors(args), key=str)
        if problems:
            return "; ".join(
                f"{'.'.join(str(p) for p in err.absolute_path) or 'arguments'}: {err.message}" for err in problems[:5]
            )
    return None


def needs_approval(tool: BaseTool) -> bool:
    return bool((tool.metadata or {}).get("destructive"))


@dataclass
class Verdict:
    """What validation decided for the calls of one model message."""

    message: AIMessage  # the message with every call repaired and given an id
    changed: bool = False
    runnable: list[ToolCall] = field(default_factory=list)
    approval: list[ToolCall] = field(default_factory=list)
    rejected: list[ToolMessage] = field(default_factory=list)
    reasons: list[StopReason] = field(default_factory=list)  # the bound behind each rejection
    counters: dict[str, Any] = field(default_factory=dict)  # tool_calls, per_tool, call_counts after this batch


def _collect_calls(message: AIMessage, known: Mapping[str, BaseTool]) -> tuple[list[dict], AIMessage, bool]:
    """All calls of the message (valid, invalid, written in text), each with a unique id.

    A call whose arguments could not be read carries the reason under ``"error"``.
    """
    calls: list[dict] = [dict(c) for c in message.tool_calls]
    calls += [
        {"name": bad.get("name") or "", "id": bad.get("id") or "", "args": bad.get("args"), "type": "tool_call"}
        for bad in message.invalid_tool_calls
    ]
    changed = bool(message.invalid_tool_calls)
    if not calls and isinstance(message.content, str):
        text_calls, rest = extract_text_tool_calls(message.content, known)
        if text_calls:
            calls, changed = text_calls, True
            message = message.model_copy(update={"content": rest})
    seen: set[str] = set()
    for call in calls:
        if not isinstance(call.get("args"), dict) or "__unparsed__" in call["args"]:
            raw = call["args"].get("__unparsed__") if isinstance(call.get("args"), dict) else call.get("args")
            try:  # near-JSON, or arguments double-encoded as a JSON string
                call["args"] = parse_arguments(raw)
            except ArgumentsError as err:
                call["args"], call["error"] = {}, f"the arguments could not be read: {err}"
            changed = True
        if not call.get("id") or call["id"] in seen:  # ids must be unique: results are matched by them
            call["id"] = f"call_{uuid.uuid4().hex[:16]}"
            changed = True
        seen.add(call["id"])
    return calls, message, changed


def validate_calls(message: AIMessage, tools: Mapping[str, BaseTool], stats: RunStats, bounds: Bounds) -> Verdict:
    """Decide, for each call of ``message``, to run it, ask for approval, or reject it."""
    calls, message, changed = _collect_calls(message, tools)
    per_tool = dict(stats.get("per_tool", {}))
    counts = dict(stats.get("call_counts", {}))
    total = stats.get("tool_calls", 0)
    verdict = Verdict(message=message)

    for call in calls:
        name, args = call["name"], call["args"]
        tool = tools.get(name)
        problem: str | None = None
        reason: StopReason = "validation_retries"
        if tool is None:
            problem = f"there is no tool named {name!r}. Available tools: {', '.join(sorted(tools)) or 'none'}."
        elif "error" in call:
            problem = f"{call['error']}. {_schema_hint(tool)}"
        elif (schema_problem := check_arguments(tool, args)) is not None:
            problem = f"invalid arguments for {name}: {schema_problem}. {_schema_hint(tool)}"
        elif total >= bounds.max_tool_calls:
            problem, reason = (
                f"the run has used all {bounds.max_tool_calls} tool calls; answer with what you have.",
                "tool_calls",
            )
        elif per_tool.get(name, 0) >= bounds.max_calls_per_tool:
            problem = f"{name} has been called {per_tool[name]} times, its limit for this run; use what it returned."
            reason = "calls_per_tool"
        elif counts.get(sig := call_signature(name, args), 0) >= bounds.max_repeats:
            problem = (
                f"this exact call of {name} already ran {counts[sig]} times; its result is above. "
                "Use that result, or call with different arguments."
            )
            reason = "repeated_calls"
        if problem is not None:
            verdict.rejected.append(
                ToolMessage(
                    content=f"Error: {problem}", tool_call_id=call["id"], name=name or "unknown", status="error"
                )
            )
            verdict.reasons.append(reason)
            continue
        total += 1
        per_tool[name] = per_tool.get(name, 0) + 1
        counts[sig] = counts.get(sig, 0) + 1
        tool_call = ToolCall(name=name, args=args, id=call["id"], type="tool_call")
        (verdict.approval if needs_approval(tool) else verdict.runnable).append(tool_call)

    if changed:
        verdict.message = message.model_copy(
            update={
                "tool_calls": [ToolCall(name=c["name"], args=c["args"], id=c["id"], type="tool_call") for c in calls],
                "invalid_tool_calls": [],
            }
        )
    verdict.changed = changed
    verdict.counters = {"tool_calls": total, "per_tool": per_tool, "call_counts": counts}
    return verdict


__all__ = ["Verdict", "call_signature", "check_arguments", "needs_approval", "schema_of", "validate_calls"]
