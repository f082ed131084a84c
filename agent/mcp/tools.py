"""MCP tools as LangChain tools, bound to the graph like the function tools.

Names are prefixed by server (``primes__prime_check``) so two servers cannot
clash, and made unique when sanitising makes two of them equal
(``read.data`` and ``read/data``); the looser, cheap-to-check version of the
tool's JSON schema becomes ``args_schema`` so the graph's validate step checks
arguments before the call, and the tool checks the full schema (patterns
included, in bounded time) before sending anything; ``isError`` results
become tool error messages; structured content is preferred over text.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.tools import StructuredTool, ToolException

from agent.mcp.errors import MCPServerError
from agent.mcp.scope import CallScope

if TYPE_CHECKING:
    from agent.mcp.client import MCPToolbox
    from agent.mcp.listing import ListedTool

MAX_NAME = 64  # OpenAI's limit on function names


def tool_name(server: str, tool: str) -> str:
    """``server__tool``, with characters function-calling APIs refuse replaced."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", f"{server}__{tool}")
    return name[:MAX_NAME]


def unique_names(tools: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """A distinct name for each (server, tool), and one warning line per renamed tool.

    The first tool keeps the plain name; a later one that sanitises to a taken
    name gets a short suffix derived from its real name, so it is stable.
    """
    names: list[str] = []
    warnings: list[str] = []
    owner: dict[str, tuple[str, str]] = {}
    for server, tool in tools:
        base = tool_name(server, tool)
        name, width = base, 4
        digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()
        while name in owner:
            name = f"{base[: MAX_NAME - width - 1]}_{digest[:width]}"
            width += 1
        if name != base:
            first_server, first_tool = owner[base]
            other = repr(first_tool) if first_server == server else f"{first_tool!r} of '{first_server}'"
            warnings.append(f"MCP server '{server}': tool {tool!r} is named {name!r}: {base!r} is taken by {other}")
        owner[name] = (server, tool)
        names.append(name)
    return names, warnings


def render(result: Any) -> tuple[str, Any]:
    """(content for the model, artifact) of a ``CallToolResult``; raises ToolException on ``isError``."""
    texts = []
    for block in result.content or []:
        kind = getattr(block, "type", "")
        texts.append(block.text if kind == "text" else f"[{kind} content omitted]")
    text = "\n".join(texts)
    if result.is_error:
        raise ToolException(text or "the MCP tool reported an error without a message")
    if result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False), result.structured_content
    return text, None


def _hints(tool: Any) -> dict[str, Any]:
    notes = tool.annotations
    read_only = bool(notes and notes.read_only_hint)
    return {
        "read_only": read_only,
        # Annotations are hints from the server; we ask for approval only when it says destructive.
        "destructive": bool(notes and notes.destructive_hint) and not read_only,
        "idempotent": bool(notes and notes.idempotent_hint),
        "open_world": bool(notes and notes.open_world_hint),
    }


def to_langchain(toolbox: MCPToolbox, server: str, listed: ListedTool, name: str | None = None) -> StructuredTool:
    """One MCP tool as a LangChain tool that calls it through the toolbox's persistent session."""
    tool = listed.tool
    name = name or tool_name(server, tool.name)

    def refuse(problem: str | None) -> None:
        if problem is not None:
            raise ToolException(f"invalid arguments for {name}: {problem}")

    def call(**arguments: Any) -> tuple[str, Any]:
        refuse(listed.checker.check(arguments))
        with tool_errors():
            return render(toolbox.call(server, tool.name, arguments, scope=CallScope.here(tool.name)))

    async def acall(**arguments: Any) -> tuple[str, Any]:
        decided, problem = listed.checker.quick(arguments)  # microseconds, usually: a thread hop costs more
        if not decided:  # a slow check (a long pattern, a $ref lattice): bounded (1 s), but not the loop's time
            problem = await asyncio.to_thread(listed.checker.check, arguments)
        refuse(problem)
        with tool_errors():
            return render(await toolbox.acall(server, tool.name, arguments, scope=CallScope.here(tool.name)))

    call.__annotations__ = acall.__annotations__ = {}  # LangChain reads a tool function's type hints at every call
    timeout = toolbox.servers[server].timeout or toolbox.call_timeout
    return StructuredTool(
        name=name,
        description=(tool.description or tool.title or tool.name)[:1024],
        args_schema=listed.args_schema,
        func=call,
        coroutine=acall,
        response_format="content_and_artifact",
        handle_tool_error=True,
        metadata={"mcp_server": server, "mcp_tool": tool.name, "timeout": timeout + 1, **_hints(tool)},
    )


@contextlib.contextmanager
def tool_errors() -> Iterator[None]:
    """Server failures and timeouts become tool errors the model can read."""
    try:
        yield
    except (MCPServerError, TimeoutError) as err:
        raise ToolException(str(err)) from None


__all__ = ["render", "to_langchain", "tool_name", "unique_names"]
