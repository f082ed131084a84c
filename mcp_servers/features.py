"""What a server offers besides its spec tools: resources, prompts, raw tools, watchers.

:func:`mcp_servers.server.build_server` turns a :class:`Features` into
handlers and capabilities; :mod:`mcp_servers.catalog` says which features
each tool family brings (usage guides, database schemas, prompts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mcp import types

from mcp_servers.changes import ChangeNotifier, Watcher
from mcp_servers.prompts import PromptSpec
from mcp_servers.resources import ResourceSource
from mcp_servers.tool_calls import RawTool

SubscribeHandler = Callable[[Any, Any], Awaitable[types.EmptyResult]]


@dataclass
class Features:
    """Everything beyond the spec tools; empty by default (a tools-only server)."""

    resources: list[ResourceSource] = field(default_factory=list)
    prompts: list[PromptSpec] = field(default_factory=list)
    raw_tools: list[RawTool] = field(default_factory=list)
    watchers: list[Watcher] = field(default_factory=list)
    notifier: ChangeNotifier | None = None  # set when a watcher tells clients about changes
    subscribe: tuple[SubscribeHandler, SubscribeHandler] | None = None  # resources/subscribe, unsubscribe
    logging: bool = True
    instructions: list[str] = field(default_factory=list)

    def merge(self, other: Features) -> Features:
        """Both sets together (the "all" server); one notifier serves every watcher."""
        notifier = self.notifier or other.notifier
        return Features(
            resources=[*self.resources, *other.resources],
            prompts=[*self.prompts, *other.prompts],
            raw_tools=[*self.raw_tools, *other.raw_tools],
            watchers=[*self.watchers, *other.watchers],
            notifier=notifier,
            subscribe=self.subscribe or other.subscribe,
            logging=self.logging or other.logging,
            instructions=[*self.instructions, *other.instructions],
        )


__all__ = ["Features", "SubscribeHandler"]
