"""The one place our servers touch the mcp SDK's private internals.

A lowlevel handler gets a ``ServerRequestContext`` whose ``session`` is a
per-request proxy; the connection behind it (``Connection``: its public
``state`` scratch dict, its ``send_resource_list_changed``) is only reachable
as ``ctx.session._connection``.  We need it for two things the protocol makes
per connection: the level ``logging/setLevel`` asked for, and telling a
2025-11-25 connection that a list changed outside any request.  When it
moves, :func:`connection_of` answers None and the callers fall back (one
server-wide log level; no spontaneous list-changed notifications, clients
still see the new list when they ask).  ``tests/test_mcp_server_features.py``
fails loudly when that happens.
"""

from __future__ import annotations

from typing import Any


def connection_of(ctx: Any) -> Any | None:
    """The SDK ``Connection`` of a request context, or None when it cannot be reached."""
    connection = getattr(getattr(ctx, "session", None), "_connection", None)
    if connection is None or not isinstance(getattr(connection, "state", None), dict):
        return None
    return connection


__all__ = ["connection_of"]
