"""Build an MCP server from a list of :class:`~tools.base.ToolSpec` and optional :class:`Features`.

The tools and their handlers are :mod:`mcp_servers.tool_calls`; resources,
prompts and completion come from :class:`~mcp_servers.features.Features`;
every server declares the logging capability (``logging/setLevel``, log
notifications for tool work).  Capabilities follow from the handlers
registered, as the SDK derives them, plus ``listChanged`` for resources when
a watcher tells clients about changes (:mod:`mcp_servers.changes`).

``Server.run`` serves both protocol eras on one stream (the first request
decides: ``initialize`` opens a 2025-11-25 session, an enveloped request a
2026-07-28 connection); the streamable HTTP app routes on the
``MCP-Protocol-Version`` header the same way.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
from mcp import types
from mcp.server import Server
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.models import InitializationOptions

from mcp_servers.client_logging import LogLevels
from mcp_servers.completion import CompletionHandler
from mcp_servers.features import Features
from mcp_servers.prompts import PromptCatalog
from mcp_servers.resources import ResourceCatalog
from mcp_servers.running import ToolSlots
from mcp_servers.tool_calls import (
    PROGRESS_INTERVAL,
    RawTool,
    ToolCall,
    ToolHandlers,
    error_result,
    package_version,
    success_result,
    tool_definition,
)
from tools.base import ToolSpec

logger = logging.getLogger(__name__)


class AgentServer(Server[Any]):
    """The SDK's low-level server, advertising the list-changed notifications our watchers send.

    The SDK's HTTP session manager builds the ``initialize`` answer from
    ``create_initialization_options()`` with no arguments, so the default
    must already say what we send.
    """

    resources_change = False

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        if notification_options is None:
            notification_options = NotificationOptions(resources_changed=self.resources_change)
        return super().create_initialization_options(notification_options, experimental_capabilities, extensions)


def _instructions(handlers: ToolHandlers, features: Features) -> str:
    names = ", ".join([*handlers.specs, *handlers.raw])
    parts = [
        f"Tools: {names}. Results come as structuredContent (matching each tool's outputSchema) "
        "and as the same JSON in text; a failed call has isError and a message saying what to change."
    ]
    if features.resources:
        parts.append("Resources: usage guides and, for a database, each table's schema (resources/list).")
    if features.prompts:
        parts.append(f"Prompts: {', '.join(p.name for p in features.prompts)}.")
    return " ".join(parts + features.instructions)


def _lifespan(features: Features) -> Any:
    """Run the watchers while the server runs; end open listen streams when it stops."""

    @contextlib.asynccontextmanager
    async def lifespan(_server: Server[Any]) -> AsyncIterator[dict[str, Any]]:
        async with anyio.create_task_group() as tg:
            for watcher in features.watchers:
                tg.start_soon(watcher.run)
            try:
                yield {}
            finally:
                if features.notifier is not None:
                    features.notifier.close()
                tg.cancel_scope.cancel()

    return lifespan


def build_server(
    name: str,
    specs: Sequence[ToolSpec],
    *,
    title: str | None = None,
    slots: ToolSlots | None = None,
    features: Features | None = None,
) -> Server[Any]:
    """A low-level MCP server publishing ``specs`` as tools (and ``features``), at most ``slots`` calls at once.

    Without ``slots``, the bounds come from :class:`~mcp_servers.limits.ServerLimits` defaults.
    """
    if slots is None:
        from mcp_servers.limits import ServerLimits

        limits = ServerLimits()
        slots = ToolSlots(limits.max_tool_calls, wait=limits.tool_queue_timeout, queued=limits.tool_queue)
    features = features or Features()
    levels = LogLevels() if features.logging else None
    watchers = features.watchers

    def after_call() -> None:
        for watcher in watchers:
            watcher.poke()

    handlers = ToolHandlers(
        specs, slots, raw=features.raw_tools, levels=levels, after_call=after_call if watchers else None
    )
    resources = ResourceCatalog(features.resources) if features.resources else None
    prompts = PromptCatalog(features.prompts) if features.prompts else None
    server = AgentServer(
        name,
        version=package_version(),
        title=title,
        instructions=_instructions(handlers, features),
        lifespan=_lifespan(features),
        get_tool_input_schema=handlers.input_schema,
        on_list_tools=handlers.list_tools,
        on_call_tool=handlers.call_tool,
        on_list_resources=resources.list_resources if resources else None,
        on_list_resource_templates=resources.list_templates if resources else None,
        on_read_resource=resources.read_resource if resources else None,
        on_subscribe_resource=features.subscribe[0] if features.subscribe else None,
        on_unsubscribe_resource=features.subscribe[1] if features.subscribe else None,
        on_list_prompts=prompts.list_prompts if prompts else None,
        on_get_prompt=prompts.get_prompt if prompts else None,
        on_completion=CompletionHandler(prompts, resources) if (prompts or resources) else None,
        on_subscriptions_listen=features.notifier.listen if features.notifier else None,
    )
    if levels is not None:  # registered directly: the constructor argument warns that 2026-07-28 dropped it
        server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, levels.set_level)
    if features.notifier is not None:
        server.resources_change = True
        server.middleware.append(_Remember(features.notifier))
    return server


class _Remember:
    """Server middleware: note each 2025-11-25 connection, to tell it when the resource list changes."""

    def __init__(self, notifier: Any) -> None:
        self.notifier = notifier

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        self.notifier.remember(ctx)
        return await call_next(ctx)


__all__ = [
    "PROGRESS_INTERVAL",
    "AgentServer",
    "RawTool",
    "ToolCall",
    "ToolHandlers",
    "build_server",
    "error_result",
    "success_result",
    "tool_definition",
]
