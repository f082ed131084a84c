"""One read-only tool per server with resources, so the model can list and read them.

``<server>__resources`` takes ``{"uri": ...}`` to read one resource, or no
arguments to list them (and the templates, whose URIs it may fill in).  It
is marked read-only and idempotent, so it never asks for approval and may be
sent again after a broken connection.  Text comes back as the server sent
it (untrusted, like any tool result), cut at :data:`MAX_CHARS`; binary
contents are described, not inlined.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from agent.mcp.tools import tool_errors

if TYPE_CHECKING:
    from agent.mcp.client import MCPToolbox

RESOURCE_TOOL = "resources"
MAX_CHARS = 100_000
MAX_LISTED = 200


class ResourceArgs(BaseModel):
    uri: str | None = Field(
        default=None,
        max_length=4096,
        description="The resource to read, as the listing shows it (or a template with its variables filled in); "
        "leave out to list the resources.",
    )


def listing(resources: list[Any], templates: list[Any]) -> dict[str, Any]:
    return {
        "resources": [
            {"uri": r.uri, "name": r.name, "title": r.title, "description": r.description, "mimeType": r.mime_type}
            for r in resources[:MAX_LISTED]
        ],
        "templates": [
            {"uriTemplate": t.uri_template, "name": t.name, "description": t.description}
            for t in templates[:MAX_LISTED]
        ],
        "truncated": len(resources) > MAX_LISTED or len(templates) > MAX_LISTED,
    }


def contents(result: Any) -> dict[str, Any]:
    parts = []
    budget = MAX_CHARS
    for item in result.contents:
        text = getattr(item, "text", None)
        if text is None:
            size = len(getattr(item, "blob", "") or "") * 3 // 4
            parts.append({"uri": item.uri, "mimeType": item.mime_type, "binary": f"{size} bytes, not shown"})
            continue
        cut = text[: max(budget, 0)]
        budget -= len(cut)
        part = {"uri": item.uri, "mimeType": item.mime_type, "text": cut}
        if len(cut) < len(text):
            part["truncated"] = f"{len(text)} characters in all"
        parts.append(part)
    return {"contents": parts}


def resource_tool(toolbox: MCPToolbox, server: str, name: str) -> StructuredTool:
    """The resources of ``server`` as one read-only LangChain tool named ``name``."""

    async def aread(uri: str | None = None) -> tuple[str, Any]:
        with tool_errors():
            if uri:
                data = contents(await toolbox.aread_resource(server, uri))
            else:
                data = listing(await toolbox.alist_resources(server), await toolbox.alist_resource_templates(server))
        return json.dumps(data, ensure_ascii=False), data

    def read(uri: str | None = None) -> tuple[str, Any]:
        with tool_errors():
            if uri:
                data = contents(toolbox.read_resource(server, uri))
            else:
                data = listing(toolbox.list_resources(server), toolbox.list_resource_templates(server))
        return json.dumps(data, ensure_ascii=False), data

    timeout = toolbox.servers[server].timeout or toolbox.call_timeout
    return StructuredTool(
        name=name,
        description=f"List (no arguments) or read (uri) the resources of the MCP server '{server}': documents, "
        "schemas, guides it publishes. Read-only. Their content comes from that server.",
        args_schema=ResourceArgs,
        func=read,
        coroutine=aread,
        response_format="content_and_artifact",
        handle_tool_error=True,
        metadata={
            "mcp_server": server,
            "timeout": 2 * timeout + 1,
            "read_only": True,
            "destructive": False,
            "idempotent": True,
            "open_world": False,
        },
    )


__all__ = ["RESOURCE_TOOL", "resource_tool"]
