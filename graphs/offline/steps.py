"""What a skill needs from the tools, looked up in the results of the round so far.

The offline model keeps no state: at every call it re-reads the round and each
skill re-runs from the top.  ``Ctx.need`` returns a tool's result when an
identical call already ran, and otherwise raises :class:`Pending` with the call
to make (or :class:`Unfinished` when no more calls may be made).  So a skill is
a straight-line function, and a multi-step task takes one model call per step.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage


class Pending(Exception):  # noqa: N818 - control flow, not an error
    """The skill needs these calls made first."""

    def __init__(self, calls: list[tuple[str, dict[str, Any]]]) -> None:
        super().__init__(calls)
        self.calls = calls


class Failed(Exception):  # noqa: N818
    """A tool the skill needed reported an error; the message is the tool's."""


class Unfinished(Exception):  # noqa: N818
    """The skill needed another call, but the run may make no more (a bound, or the tool is absent)."""


def resolve_tool(canonical: str, available: Sequence[str]) -> str | None:
    """The bound tool serving ``canonical``: the same name, or one ending in it (MCP prefixes)."""
    if canonical in available:
        return canonical
    return next((n for n in available if n.endswith(canonical) and not n[: -len(canonical)][-1:].isalnum()), None)


def _parse(message: ToolMessage) -> tuple[bool, Any]:
    text = message.text.removeprefix("Error: ")
    try:
        data = json.loads(text)
    except ValueError:
        data = {"message": text}
    ok = message.status != "error" and not (isinstance(data, dict) and data.get("ok") is False)
    return ok, data


def round_results(rest: Sequence[BaseMessage]) -> list[tuple[str, dict[str, Any], bool, Any]]:
    """(tool name, arguments, ok, data) of every call of the round that has a result."""
    calls = {c["id"]: c for m in rest if isinstance(m, AIMessage) for c in m.tool_calls}
    found = []
    for message in rest:
        if isinstance(message, ToolMessage) and message.tool_call_id in calls:
            call = calls[message.tool_call_id]
            found.append((call["name"], call["args"], *_parse(message)))
    return found


@dataclass
class Ctx:
    """One model call's view: the tools bound, the round's results, whether calls may still be made."""

    names: list[str]
    results: list[tuple[str, dict[str, Any], bool, Any]]
    final: bool = False
    zh: bool = False
    last_table: str | None = None  # what "it" means: the table named last
    used: set[str] = field(default_factory=set)  # tools whose results the answer used

    def _found(self, tool: str, args: dict[str, Any]) -> tuple[bool, Any] | None:
        for name, called_with, ok, data in self.results:
            if called_with == args and resolve_tool(tool, [name]):
                return ok, data
        return None

    def need(self, tool: str, args: dict[str, Any]) -> Any:
        return self.need_all([(tool, args)])[0]

    def need_all(self, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        """Each call's data, or :class:`Pending` with those still to make; :class:`Failed` on an error."""
        out, missing = [], []
        for tool, args in calls:
            found = self._found(tool, args)
            if found is None:
                actual = resolve_tool(tool, self.names)
                if self.final or actual is None:
                    raise Unfinished(tool)
                missing.append((actual, args))
                continue
            ok, data = found
            if not ok:
                raise Failed(data.get("message", str(data)) if isinstance(data, dict) else str(data))
            self.used.add(tool)
            out.append(data)
        if missing:
            raise Pending(missing)
        return out


__all__ = ["Ctx", "Failed", "Pending", "Unfinished", "resolve_tool", "round_results"]
