"""Resources: what a server publishes for clients to read (guides, database schemas), and their handlers.

A server's resources come from :class:`ResourceSource` objects (a fixed text
such as a usage guide, or the live tables of a database); a
:class:`ResourceCatalog` joins them behind the ``resources/list``,
``resources/templates/list`` and ``resources/read`` handlers and answers
``completion/complete`` for template arguments.  A URI no source knows is a
protocol error naming it (``-32002`` on 2025-11-25, ``-32602`` on
2026-07-28, as each revision says), never an empty result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mcp import types
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

Contents = types.TextResourceContents | types.BlobResourceContents
RESOURCE_NOT_FOUND = -32002  # 2025-11-25; 2026-07-28 answers INVALID_PARAMS
MAX_URI_CHARS = 4096


class ResourceSource(Protocol):
    """Something that publishes resources: listed ones, templates, how to read them."""

    async def resources(self) -> list[types.Resource]: ...

    def templates(self) -> list[types.ResourceTemplate]: ...

    async def read(self, uri: str) -> list[Contents] | None:
        """The contents of ``uri``, or None when this source does not publish it."""
        ...

    async def complete(self, template: str, argument: str, value: str, context: Mapping[str, str]) -> list[str] | None:
        """Values for ``argument`` of ``template`` starting like ``value``; None when not this source's template."""
        ...


@dataclass(frozen=True)
class TextResource:
    """A fixed text resource, e.g. a usage guide (``text/markdown``)."""

    uri: str
    name: str
    title: str
    description: str
    text: str
    mime_type: str = "text/markdown"

    async def resources(self) -> list[types.Resource]:
        return [
            types.Resource(
                uri=self.uri,
                name=self.name,
                title=self.title,
                description=self.description,
                mime_type=self.mime_type,
                size=len(self.text.encode()),
            )
        ]

    def templates(self) -> list[types.ResourceTemplate]:
        return []

    async def read(self, uri: str) -> list[Contents] | None:
        if uri != self.uri:
            return None
        return [types.TextResourceContents(uri=self.uri, mime_type=self.mime_type, text=self.text)]

    async def complete(self, template: str, argument: str, value: str, context: Mapping[str, str]) -> list[str] | None:
        return None


def not_found(ctx: Any, uri: str) -> MCPError:
    code = types.INVALID_PARAMS if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS else RESOURCE_NOT_FOUND
    shown = uri if len(uri) <= 200 else uri[:200] + "..."
    return MCPError(code=code, message=f"Resource not found: {shown}", data={"uri": shown})


class ResourceCatalog:
    """The resource handlers of one server, over its sources (first source to claim a URI wins)."""

    def __init__(self, sources: Sequence[ResourceSource]) -> None:
        self.sources = list(sources)

    async def list_resources(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        found: list[types.Resource] = []
        for source in self.sources:
            found.extend(await source.resources())
        return types.ListResourcesResult(resources=found)

    async def list_templates(
        self, ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=[template for source in self.sources for template in source.templates()]
        )

    async def read_resource(self, ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        if len(uri) <= MAX_URI_CHARS:
            for source in self.sources:
                contents = await source.read(uri)
                if contents is not None:
                    return types.ReadResourceResult(contents=contents)
        raise not_found(ctx, uri)

    def owns_template(self, template: str) -> bool:
        return any(t.uri_template == template for source in self.sources for t in source.templates())

    async def complete(self, template: str, argument: str, value: str, context: Mapping[str, str]) -> list[str] | None:
        for source in self.sources:
            values = await source.complete(template, argument, value, context)
            if values is not None:
                return values
        return None


__all__ = ["Contents", "ResourceCatalog", "ResourceSource", "TextResource", "not_found"]
