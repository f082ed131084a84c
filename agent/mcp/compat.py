"""The one place that touches the mcp SDK's private internals.

Three things the SDK does not expose publicly, each with a safe answer when it
moves: whether a session's connection has closed (unknown means open, and the
next call tells), the per-tool output-schema cache (without it, the tools whose
output patterns we cannot bound are dropped), and the HTTP client factory the
SDK uses for streamable HTTP (its timeouts and redirects).
``tests/test_compat.py`` fails loudly when any of them changes underneath.
"""

from __future__ import annotations

from typing import Any


def session_closed(client: Any) -> bool:
    """Has the client's connection closed? (``Client._session._dispatcher._closed``; unknown means open.)"""
    dispatcher = getattr(getattr(client, "_session", None), "_dispatcher", None)
    return bool(getattr(dispatcher, "_closed", False))


def output_schema_cache(client: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The session's ``_tool_output_schemas`` and ``_tool_output_validators``, or None if they moved."""
    session = getattr(client, "session", None)
    schemas = getattr(session, "_tool_output_schemas", None)
    validators = getattr(session, "_tool_output_validators", None)
    if isinstance(schemas, dict) and isinstance(validators, dict):
        return schemas, validators
    return None


def http_client(headers: dict[str, str] | None, auth: Any = None) -> Any:
    """The SDK's own httpx client for streamable HTTP (``mcp.shared._httpx_utils``), with an optional auth flow."""
    from mcp.shared._httpx_utils import create_mcp_http_client

    return create_mcp_http_client(headers=headers, auth=auth)


__all__ = ["http_client", "output_schema_cache", "session_closed"]
