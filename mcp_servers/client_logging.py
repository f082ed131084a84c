"""The MCP logging capability: ``logging/setLevel`` per connection, log notifications for tool work.

Two protocol revisions, two rules, one helper (:func:`send_log`):

* 2025-11-25: a client may send ``logging/setLevel``; from then on that
  connection gets ``notifications/message`` at that level and above.  Until it
  asks, it gets ``info`` and above (:data:`DEFAULT_LEVEL`).  The level is kept
  in the connection's own state, so two clients of one HTTP server never see
  each other's choice.
* 2026-07-28: ``logging/setLevel`` is gone; each request opts in through the
  ``io.modelcontextprotocol/logLevel`` key of its ``_meta`` and gets messages at
  that level and above, on its own response stream only.  Without the key it
  gets none.  The SDK's :func:`~mcp.server.connection.allowed_log_levels`
  states that rule; we apply it here.

Messages ride the request's own stream (on HTTP, the SSE response of the
``tools/call`` POST), so a client without a GET stream still sees them.  A log
notification is never worth failing a call for: delivery errors are dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp import types
from mcp.server.connection import allowed_log_levels
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from mcp_servers.compat import connection_of

logger = logging.getLogger(__name__)

LEVELS: tuple[types.LoggingLevel, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)
DEFAULT_LEVEL: types.LoggingLevel = "info"
STATE_KEY = "langgraph_mcp_agent.log_level"


class LogLevels:
    """Which level each 2025-11-25 connection asked for.

    Kept in the SDK connection's ``state``; when that cannot be reached (see
    :mod:`mcp_servers.compat`) the last level asked for applies server-wide.
    """

    def __init__(self, default: types.LoggingLevel = DEFAULT_LEVEL) -> None:
        self.default = default
        self._fallback: types.LoggingLevel | None = None

    def level(self, ctx: Any) -> types.LoggingLevel:
        connection = connection_of(ctx)
        if connection is not None:
            return connection.state.get(STATE_KEY, self.default)
        return self._fallback or self.default

    async def set_level(self, ctx: Any, params: types.SetLevelRequestParams) -> types.EmptyResult:
        """``logging/setLevel``: remember the level for this connection (the SDK validated it)."""
        connection = connection_of(ctx)
        if connection is not None:
            connection.state[STATE_KEY] = params.level
        else:
            self._fallback = params.level
        logger.debug("log level set to %s", params.level)
        return types.EmptyResult()

    def allows(self, ctx: Any, level: types.LoggingLevel) -> bool:
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return level in allowed_log_levels(ctx.protocol_version, ctx.meta)
        return LEVELS.index(level) >= LEVELS.index(self.level(ctx))


async def send_log(levels: LogLevels | None, ctx: Any, level: types.LoggingLevel, data: Any, name: str) -> None:
    """One ``notifications/message`` on this request's stream, if the client wants that level."""
    if levels is None or not levels.allows(ctx, level):
        return
    notification = types.LoggingMessageNotification(
        params=types.LoggingMessageNotificationParams(level=level, data=data, logger=name)
    )
    try:
        await ctx.session.send_notification(notification, related_request_id=ctx.request_id)
    except Exception as err:  # noqa: BLE001 - a client that stopped listening does not fail the call
        logger.debug("log notification for %s not delivered (%s)", name, err)


__all__ = ["DEFAULT_LEVEL", "LEVELS", "LogLevels", "send_log"]
