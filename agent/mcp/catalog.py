"""Resources and prompts of the configured servers, through the toolbox's persistent sessions.

Mixed into :class:`~agent.mcp.client.MCPToolbox`: each method has an async
form (``a...``) for the sessions' own loop and a blocking one for other
threads.  Listings are read page by page up to :data:`MAX_PAGES` pages and
:data:`MAX_ITEMS` items; a server without the capability gives an empty
list.  These are reads, so one whose session broke is sent again once on a
new session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from agent.mcp.errors import MCPServerError, broken, describe, session_gone
from agent.mcp.transport import session_lost

T = TypeVar("T")
MAX_PAGES = 20
MAX_ITEMS = 1000


class CatalogMixin:
    """Needs ``_links``, ``_reconnect``, ``_await``, ``_wait``, ``aready``, ``ready`` and ``call_timeout``."""

    _links: dict[str, Any]
    call_timeout: float

    async def _read(self, server: str, what: str, read: Callable[[Any], Awaitable[T]]) -> T:
        link = self._links.get(server)
        if link is None:
            raise MCPServerError(f"no MCP server named '{server}'")
        client = link.client or await self._reconnect(link, None)  # type: ignore[attr-defined]
        for attempt in (1, 2):
            try:
                with anyio.fail_after(link.config.timeout or self.call_timeout):
                    return await read(client)
            except TimeoutError:
                raise TimeoutError(f"MCP server '{server}' did not answer {what} in time") from None
            except Exception as err:
                if attempt == 2 or not (broken(err) or session_gone(err) or session_lost(client)):
                    raise MCPServerError(f"MCP server '{server}' failed on {what}: {describe(err)}") from None
                client = await self._reconnect(link, client)  # type: ignore[attr-defined]
        raise AssertionError("unreachable")

    def _has(self, server: str, capability: str) -> bool:
        link = self._links.get(server)
        if link is None:
            raise MCPServerError(f"no MCP server named '{server}'")
        return getattr(link.capabilities, capability, None) is not None

    async def _pages(self, server: str, what: str, fetch: Callable[[Any, str | None], Awaitable[Any]],
                     field: str) -> list[Any]:  # fmt: skip
        async def read(client: Any) -> list[Any]:
            items: list[Any] = []
            cursor = None
            for _ in range(MAX_PAGES):
                page = await fetch(client, cursor)
                items.extend(getattr(page, field))
                cursor = page.next_cursor
                if not cursor or len(items) >= MAX_ITEMS:
                    break
            return items[:MAX_ITEMS]

        return await self._read(server, what, read)

    # --- async ------------------------------------------------------------------------
    async def alist_resources(self, server: str) -> list[Any]:
        await self.aready()  # type: ignore[attr-defined]
        if not self._has(server, "resources"):
            return []
        return await self._pages(
            server, "resources/list", lambda c, cursor: c.list_resources(cursor=cursor), "resources"
        )

    async def alist_resource_templates(self, server: str) -> list[Any]:
        await self.aready()  # type: ignore[attr-defined]
        if not self._has(server, "resources"):
            return []
        return await self._pages(
            server,
            "resources/templates/list",
            lambda c, cursor: c.list_resource_templates(cursor=cursor),
            "resource_templates",
        )

    async def aread_resource(self, server: str, uri: str) -> Any:
        await self.aready()  # type: ignore[attr-defined]
        return await self._read(server, "resources/read", lambda c: c.read_resource(uri))

    async def alist_prompts(self, server: str) -> list[Any]:
        await self.aready()  # type: ignore[attr-defined]
        if not self._has(server, "prompts"):
            return []
        return await self._pages(server, "prompts/list", lambda c, cursor: c.list_prompts(cursor=cursor), "prompts")

    async def aget_prompt(self, server: str, name: str, arguments: dict[str, str] | None = None) -> Any:
        await self.aready()  # type: ignore[attr-defined]
        return await self._read(server, "prompts/get", lambda c: c.get_prompt(name, arguments or {}))

    async def alisted_tools(self) -> dict[str, list[Any]]:
        await self.aready()  # type: ignore[attr-defined]
        return {name: [t.tool for t in link.listed] for name, link in self._links.items() if link.listed}

    # --- blocking ---------------------------------------------------------------------
    def list_resources(self, server: str) -> list[Any]:
        return self._wait(self.alist_resources(server))  # type: ignore[attr-defined]

    def list_resource_templates(self, server: str) -> list[Any]:
        return self._wait(self.alist_resource_templates(server))  # type: ignore[attr-defined]

    def read_resource(self, server: str, uri: str) -> Any:
        return self._wait(self.aread_resource(server, uri))  # type: ignore[attr-defined]

    def list_prompts(self, server: str) -> list[Any]:
        return self._wait(self.alist_prompts(server))  # type: ignore[attr-defined]

    def get_prompt(self, server: str, name: str, arguments: dict[str, str] | None = None) -> Any:
        return self._wait(self.aget_prompt(server, name, arguments))  # type: ignore[attr-defined]


__all__ = ["MAX_ITEMS", "MAX_PAGES", "CatalogMixin"]
