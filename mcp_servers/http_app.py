"""Streamable HTTP: the SDK's app behind Host/Origin checks and an optional bearer token.

Why each guard:

* Host and Origin (DNS rebinding): a web page the user visits can make the
  browser send requests to ``127.0.0.1``; a foreign ``Host`` (421) or
  ``Origin`` (403) gives such a request away.  We use the SDK's
  :class:`TransportSecuritySettings` with the bound ``host:port`` and the
  loopback names, and check them *before* the token so a rebinding page never
  even learns whether a token is needed.
* The bearer token (``AGENT_MCP_TOKEN``): anyone who can reach a port bound
  beyond loopback could call the tools, so such a bind is refused without a
  token; when a token is set it is required on loopback too.  Compared in
  constant time.

The SDK's session manager serves both protocol eras on ``/mcp``: requests
whose ``MCP-Protocol-Version`` header names 2026-07-28 are single exchanges,
everything else (``initialize`` and 2025-era requests) runs in a stateful
session keyed by ``Mcp-Session-Id``.

What one client may hold is bounded in layers (defaults and variables in
:mod:`mcp_servers.limits`), outermost first:

* connections, and the time a request's headers and body may take:
  :mod:`mcp_servers.http_protocol` (uvicorn's h11 protocol, extended);
* the guards above, then the body size (413 over ``AGENT_MCP_MAX_BODY_BYTES``):
  :mod:`mcp_servers.http_body`;
* sessions per client address and overall: :mod:`mcp_servers.http_sessions`;
* tool calls running at once: :class:`mcp_servers.running.ToolSlots`;
* the events kept for clients that resume a stream: :mod:`mcp_servers.http_events`.

uvicorn's ``X-Forwarded-For`` handling is off: the client address that the
bounds count is the socket's peer, which a client cannot choose.  WebSocket
upgrades are off too: MCP does not use them, and they would bypass the guards.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re
import socket
from collections.abc import Iterable
from typing import Any

from mcp.server import Server
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_servers.http_body import RequestBodyMiddleware
from mcp_servers.http_events import RETRY_MS, BoundedEventStore, EventScopeMiddleware
from mcp_servers.http_protocol import MAX_HEADER_BYTES, BoundedH11Protocol
from mcp_servers.http_sessions import SessionLimitMiddleware, SessionTable
from mcp_servers.limits import ServerLimits

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_HAS_PORT = re.compile(r"(^[^:]*|\])(:(\d+|\*))$")  # name:8765, name:*, [::1]:8765


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it appears in a URL or a Host header (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _own_addresses() -> list[str]:
    try:
        return socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        return []


def security_settings(
    host: str, port: int, extra_hosts: Iterable[str] = (), extra_origins: Iterable[str] = ()
) -> TransportSecuritySettings:
    """Host/Origin allow-lists: the bound address and the loopback names on our port."""
    names = [url_host(host), *LOOPBACK_NAMES]
    if is_wildcard(host):  # reachable under the machine's own names and addresses as well
        names += [socket.gethostname(), socket.getfqdn(), *_own_addresses()]
    hosts = [f"{name}:{port}" for name in dict.fromkeys(names)]
    hosts += [h if _HAS_PORT.search(h) else f"{h}:{port}" for h in extra_hosts]
    # Browser pages served from loopback (the MCP Inspector's UI on localhost:6274) may call us.
    origins = [f"http://{name}{suffix}" for name in LOOPBACK_NAMES for suffix in ("", ":*")]
    origins += [f"http://{url_host(host)}:{port}", *extra_origins]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(dict.fromkeys(hosts)),
        allowed_origins=list(dict.fromkeys(origins)),
    )


class GuardMiddleware:
    """Refuses foreign Host/Origin headers, then requests without the bearer token."""

    def __init__(self, app: ASGIApp, security: TransportSecuritySettings, token: str | None) -> None:
        self.app = app
        self.security = TransportSecurityMiddleware(security)
        self.token = token.encode() if token else None

    def authorized(self, header: str | None) -> bool:
        if self.token is None:
            return True
        scheme, _, credentials = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal: Any = await self.security.validate_request(request, is_post=False)
        if refusal is None and not self.authorized(request.headers.get("authorization")):
            refusal = JSONResponse(
                {"error": "invalid_token", "error_description": "send 'Authorization: Bearer <AGENT_MCP_TOKEN>'"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="mcp"'},
            )
        if refusal is not None:
            logger.warning("refused %s %s: HTTP %d", request.method, request.url.path, refusal.status_code)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def build_app(
    server: Server[Any],
    *,
    host: str,
    security: TransportSecuritySettings,
    token: str | None,
    limits: ServerLimits,
    retry_ms: int = RETRY_MS,
) -> ASGIApp:
    """The SDK's streamable HTTP app behind the guards and the body and session bounds.

    SSE streams are resumable (:mod:`mcp_servers.http_events`): priming events tell
    clients to wait ``retry_ms`` before reconnecting with ``Last-Event-ID``.
    """
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=security,
        host=host,
        event_store=BoundedEventStore(),
        retry_interval=retry_ms,
        max_request_body_size=limits.max_body_bytes,
        session_idle_timeout=limits.session_idle_timeout,
        # a backstop: ours evicts first, but may be passed by the opening requests in flight (one per connection)
        max_sessions=limits.max_sessions + limits.max_connections,
    )
    table = SessionTable(
        max_sessions=limits.max_sessions,
        per_address=limits.sessions_per_address,
        idle_timeout=limits.session_idle_timeout,
    )
    sessions = SessionLimitMiddleware(EventScopeMiddleware(app), table, MCP_PATH)
    return GuardMiddleware(RequestBodyMiddleware(sessions, limits.max_body_bytes), security, token)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; binding it ourselves tells us the real port when ``port`` is 0."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(128)
    return sock


def serve_http(
    server: Server[Any],
    *,
    host: str,
    port: int,
    token: str | None,
    limits: ServerLimits | None = None,
    extra_hosts: Iterable[str] = (),
    extra_origins: Iterable[str] = (),
) -> None:
    """Serve ``server`` on ``http://host:port/mcp`` until interrupted."""
    import uvicorn

    limits = limits or ServerLimits()
    sock = bind(host, port)
    port = sock.getsockname()[1]
    security = security_settings(host, port, extra_hosts, extra_origins)
    config = uvicorn.Config(
        build_app(server, host=host, security=security, token=token, limits=limits),
        http=BoundedH11Protocol.bounded_by(limits),
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        ws="none",
        proxy_headers=False,
        log_config=None,  # our stderr logging; uvicorn's default would log access lines to stdout
        access_log=False,
        lifespan="on",
        timeout_keep_alive=5,
        timeout_graceful_shutdown=3,
    )
    logger.info(
        "MCP server %r listening on http://%s:%d%s (streamable HTTP, %s)",
        server.name,
        url_host(host),
        port,
        MCP_PATH,
        "bearer token required" if token else "no token",
    )
    try:
        asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
    finally:
        sock.close()


__all__ = [
    "GuardMiddleware",
    "MCP_PATH",
    "bind",
    "build_app",
    "is_loopback",
    "security_settings",
    "serve_http",
]
