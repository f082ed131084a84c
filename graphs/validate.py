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

from graphs.bounds import Bounds, StopReason, ToolUsage, call_signature
from graphs.repair import ArgumentsError, extract_text_tool_calls, parse_arguments
from tools.base import describe_validation_error, hints_of

MAX_SCHEMA_CHARS = 1500


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
    return hints_of(tool).needs_approval


@dataclass
class Verdict:
    """What validation decided for the calls of one model message."""

    message: AIMessage  # the message with every call repaired and given an id
    changed: bool = False
    runnable: list[ToolCall] = field(default_factory=list)
    approval: list[ToolCall] = field(default_factory=list)
    rejected: list[ToolMessage] = field(default_factory=list)
    reasons: list[StopReason] = field(default_factory=list)  # the bound behind each rejection


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


def _problem(call: dict, tool: BaseTool | None, tools: Mapping[str, BaseTool]) -> str | None:
    """What is wrong with a call before any bound is considered, or None."""
    name, args = call["name"], call["args"]
    if tool is None:
        return f"there is no tool named {name!r}. Available tools: {', '.join(sorted(tools)) or 'none'}."
    if "error" in call:
        return f"{call['error']}. {_schema_hint(tool)}"
    if (schema_problem := check_arguments(tool, args)) is not None:
        return f"invalid arguments for {name}: {schema_problem}. {_schema_hint(tool)}"
    return None


def validate_calls(message: AIMessage, tools: Mapping[str, BaseTool], usage: ToolUsage, bounds: Bounds) -> Verdict:
    """Decide, for each call of ``message``, to run it, ask for approval, or reject it.

    ``usage`` counts the calls that ran before this message; calls accepted here are added to it.
    """
    calls, message, changed = _collect_calls(message, tools)
    verdict = Verdict(message=message)
    for call in calls:
        name, args = call["name"], call["args"]
        tool = tools.get(name)
        reason: StopReason = "validation_retries"
        problem = _problem(call, tool, tools)
        if problem is None and (refusal := bounds.before_tool_call(name, args, usage)) is not None:
            reason, problem = refusal
        if problem is not None:
            verdict.rejected.append(
                ToolMessage(
                    content=f"Error: {problem}", tool_call_id=call["id"], name=name or "unknown", status="error"
                )
            )
            verdict.reasons.append(reason)
            continue
        usage.add(name, args)
        tool_call = ToolCall(name=name, args=args, id=call["id"], type="tool_call")
        (verdict.approval if needs_approval(tool) else verdict.runnable).append(tool_call)  # type: ignore[arg-type]
    if changed:
        verdict.message = message.model_copy(
            update={
                "tool_calls": [ToolCall(name=c["name"], args=c["args"], id=c["id"], type="tool_call") for c in calls],
                "invalid_tool_calls": [],
            }
        )
    verdict.changed = changed
    return verdict


__all__ = ["Verdict", "call_signature", "check_arguments", "needs_approval", "schema_of", "validate_calls"]
