"""How much any one client may take from our MCP servers, read from ``AGENT_MCP_*`` variables and ``.env``.

The defaults are safe for a server on loopback shared by a few local clients
and for one reached across a network with a token:

=====================================  =========  ==========================================================
variable                               default    what it bounds
=====================================  =========  ==========================================================
``AGENT_MCP_MAX_TOOL_CALLS``           2 × cores  tool calls running at once (stdio and HTTP), abandoned ones
                                                  included until their worker ends
``AGENT_MCP_TOOL_QUEUE_TIMEOUT``       5          seconds a call waits for a free slot before "busy"
``AGENT_MCP_TOOL_QUEUE``               32         calls waiting at once; more are answered "busy" at once
``AGENT_MCP_MAX_CONNECTIONS``          256        open HTTP connections; more are answered 503 and closed
``AGENT_MCP_CONNECTIONS_PER_ADDRESS``  64         open HTTP connections from one client address
``AGENT_MCP_HEADER_TIMEOUT``           10         seconds a client has to send a request's headers (408)
``AGENT_MCP_BODY_TIMEOUT``             30         seconds a client has to send a request's body (408)
``AGENT_MCP_MAX_BODY_BYTES``           4 MiB      request body size (413)
``AGENT_MCP_MAX_SESSIONS``             512        open 2025-11-25 sessions
``AGENT_MCP_SESSIONS_PER_ADDRESS``     32         open 2025-11-25 sessions of one client address
``AGENT_MCP_SESSION_IDLE_TIMEOUT``     300        seconds a session lives with no request in flight
=====================================  =========  ==========================================================

"Address" means the client's IPv4 address, or its IPv6 /64 network (what one
site gets, so one client can vary the rest at will); it is the socket's peer,
never a forwarded header.  A session over a bound does not lock anyone out:
the least recently used idle session (of that address, else of any) is ended
to make room; see :mod:`mcp_servers.http_sessions`.  The token (``AGENT_MCP_TOKEN``) lives in
:class:`mcp_servers.cli.ServerSettings` with the tools' settings; this model ignores it.
"""

from __future__ import annotations

import ipaddress
import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def address_key(host: str) -> str:
    """Whom a per-address bound counts: the IPv4 address, or the IPv6 /64 (one site's, which it may fill freely)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def default_tool_calls() -> int:
    """Twice the cores: tools mostly wait (a sandbox process, a database, the network), yet share the CPU."""
    return 2 * (os.cpu_count() or 1)


class ServerLimits(BaseSettings):
    """Bounds on what clients may hold: tool slots, connections, time, bytes and sessions."""

    model_config = SettingsConfigDict(
        env_prefix="AGENT_MCP_", env_file=".env", env_file_encoding="utf-8", extra="ignore", validate_default=True
    )

    max_tool_calls: int = Field(default_factory=default_tool_calls, ge=1, le=1024)
    tool_queue_timeout: float = Field(default=5.0, ge=0, le=300)
    tool_queue: int = Field(default=32, ge=0, le=100_000)
    max_connections: int = Field(default=256, ge=1, le=100_000)
    connections_per_address: int = Field(default=64, ge=1, le=100_000)
    header_timeout: float = Field(default=10.0, gt=0, le=600)
    body_timeout: float = Field(default=30.0, gt=0, le=3600)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=1024**3)
    max_sessions: int = Field(default=512, ge=1, le=1_000_000)
    sessions_per_address: int = Field(default=32, ge=1, le=1_000_000)
    session_idle_timeout: float = Field(default=300.0, gt=0, le=86_400)


__all__ = ["ServerLimits", "address_key", "default_tool_calls"]
