"""Prompts: ready-made requests a client offers its user ("explore this database"), and their handlers.

Each :class:`PromptSpec` says its arguments and renders its messages; a
:class:`PromptCatalog` serves ``prompts/list`` and ``prompts/get``.  Arguments
are checked against the prompt's own list (an allow-list): a missing required
one or an unknown one is a protocol error naming it, and each value is
bounded in length.  An argument may name a completer, which
``completion/complete`` calls with what the user typed so far.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp import types
from mcp.shared.exceptions import MCPError

MAX_ARGUMENT_CHARS = 10_000

Render = Callable[[Mapping[str, str]], Awaitable[list[types.PromptMessage]]]
Completer = Callable[[str, Mapping[str, str]], Awaitable[list[str]]]
"""``(what the user typed so far, the other arguments already given) -> candidate values``."""


@dataclass(frozen=True)
class Argument:
    name: str
    description: str
    required: bool = False
    complete: Completer | None = None


@dataclass(frozen=True)
class PromptSpec:
    name: str
    title: str
    description: str
    render: Render
    arguments: Sequence[Argument] = field(default_factory=tuple)

    def definition(self) -> types.Prompt:
        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=[
                types.PromptArgument(name=a.name, description=a.description, required=a.required)
                for a in self.arguments
            ],
        )


def user_text(text: str) -> types.PromptMessage:
    return types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))


def _invalid(message: str) -> MCPError:
    return MCPError(code=types.INVALID_PARAMS, message=message)


class PromptCatalog:
    """The prompt handlers of one server."""

    def __init__(self, prompts: Sequence[PromptSpec]) -> None:
        self.prompts = {prompt.name: prompt for prompt in prompts}
        if len(self.prompts) != len(prompts):
            raise ValueError("prompt names must be unique")

    async def list_prompts(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[prompt.definition() for prompt in self.prompts.values()])

    def _prompt(self, name: str) -> PromptSpec:
        prompt = self.prompts.get(name)
        if prompt is None:
            raise _invalid(f"Unknown prompt {name[:100]!r}; this server has: {', '.join(self.prompts) or 'none'}")
        return prompt

    async def get_prompt(self, ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        prompt = self._prompt(params.name)
        given = dict(params.arguments or {})
        known = {a.name for a in prompt.arguments}
        unknown = sorted(set(given) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise _invalid(f"prompt {prompt.name!r} has no argument {unknown[0][:100]!r}; its arguments: {allowed}")
        for argument in prompt.arguments:
            value = given.get(argument.name)
            if argument.required and not (value or "").strip():
                raise _invalid(f"prompt {prompt.name!r} needs the argument {argument.name!r}: {argument.description}")
            if value is not None and len(value) > MAX_ARGUMENT_CHARS:
                raise _invalid(f"argument {argument.name!r} is longer than {MAX_ARGUMENT_CHARS} characters")
        messages = await prompt.render({k: v for k, v in given.items() if v is not None})
        return types.GetPromptResult(description=prompt.description, messages=messages)

    async def complete(self, name: str, argument: str, value: str, context: Mapping[str, str]) -> list[str]:
        prompt = self._prompt(name)
        spec = next((a for a in prompt.arguments if a.name == argument), None)
        if spec is None:
            raise _invalid(f"prompt {prompt.name!r} has no argument {argument[:100]!r}")
        return [] if spec.complete is None else await spec.complete(value, context)


__all__ = ["Argument", "PromptCatalog", "PromptSpec", "user_text"]
