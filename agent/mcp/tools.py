"""MCP tools as LangChain tools, bound to the graph like the function tools.

Names are prefixed by server (``primes__prime_check``) so two servers cannot
clash; the tool's JSON schema becomes ``args_schema`` so the graph's validate
step checks arguments before the call; ``isError`` results become tool error
messages; structured content is preferred over text.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.tools import StructuredTool, ToolException

from agent.mcp.client import MCPServerError

if TYPE_CHECKING:
    from agent.mcp.client import MCPToolbox

MAX_NAME = 64  # OpenAI's limit on function names


def tool_name(server: str, tool: str) -> str:
    """``server__tool``, with characters function-calling APIs refuse replaced."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", f"{server}__{tool}")
    return name[:MAX_NAME]


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


def to_langchain(toolbox: MCPToolbox, server: str, tool: Any) -> StructuredTool:
    """One MCP tool as a LangChain tool that calls it through the toolbox's persistent session."""

    def call(**arguments: Any) -> tuple[str, Any]:
        with tool_errors():
            return render(toolbox.call(server, tool.name, arguments))

    async def acall(**arguments: Any) -> tuple[str, Any]:
        with tool_errors():
            return render(await toolbox.acall(server, tool.name, arguments))

    timeout = toolbox.servers[server].timeout or toolbox.call_timeout
    return StructuredTool(
        name=tool_name(server, tool.name),
        description=(tool.description or tool.title or tool.name)[:1024],
        args_schema=tool.input_schema or {"type": "object", "properties": {}},
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


__all__ = ["render", "to_langchain", "tool_name"]
