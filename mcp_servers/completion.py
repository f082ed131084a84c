"""``completion/complete``: argument suggestions for prompts and resource templates.

Candidates come from the prompt's or the template's completer (e.g. table
names from the live schema); here they are filtered by what the user typed
(prefix first, then substring, case-insensitively), de-duplicated, and cut to
the 100 values the specification allows, with ``total`` and ``hasMore``
saying what was left out.  A reference to a prompt or template the server
does not have is a protocol error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mcp import types
from mcp.shared.exceptions import MCPError

from mcp_servers.prompts import PromptCatalog
from mcp_servers.resources import ResourceCatalog

MAX_VALUES = 100
MAX_TYPED_CHARS = 1000


def matching(candidates: Iterable[str], typed: str) -> list[str]:
    """Candidates that start with ``typed``, then those containing it (case-insensitive), each once."""
    needle = typed.casefold()
    seen: set[str] = set()
    starts: list[str] = []
    contains: list[str] = []
    for candidate in candidates:
        if candidate in seen:
            continue
        seen.add(candidate)
        folded = candidate.casefold()
        if folded.startswith(needle):
            starts.append(candidate)
        elif needle in folded:
            contains.append(candidate)
    return starts + contains


def result(values: list[str]) -> types.CompleteResult:
    return types.CompleteResult(
        completion=types.Completion(values=values[:MAX_VALUES], total=len(values), has_more=len(values) > MAX_VALUES)
    )


class CompletionHandler:
    """Routes a completion request to the prompt or resource template it names."""

    def __init__(self, prompts: PromptCatalog | None, resources: ResourceCatalog | None) -> None:
        self.prompts, self.resources = prompts, resources

    async def __call__(self, ctx: Any, params: types.CompleteRequestParams) -> types.CompleteResult:
        typed = params.argument.value[:MAX_TYPED_CHARS]
        context = dict(params.context.arguments or {}) if params.context else {}
        ref = params.ref
        if isinstance(ref, types.PromptReference):
            if self.prompts is None:
                raise MCPError(code=types.INVALID_PARAMS, message="this server has no prompts")
            candidates = await self.prompts.complete(ref.name, params.argument.name, typed, context)
        else:
            if self.resources is None or not self.resources.owns_template(ref.uri):
                raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown resource template {ref.uri[:200]!r}")
            candidates = await self.resources.complete(ref.uri, params.argument.name, typed, context) or []
        return result(matching(candidates, typed))


__all__ = ["MAX_VALUES", "CompletionHandler", "matching", "result"]
