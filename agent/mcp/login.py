"""Logging in to OAuth servers: the loopback listener a connection needs for the browser step, and ``login``.

:func:`login_listener` gives a server's connection its ``httpx2.Auth``: with
a ``browser`` (``mcp login``, the conformance client, a program that can
show its user a URL) it first listens on a loopback port for the redirect,
on the port the client was registered with when there is one (a new one,
and a new registration, when that port is taken); without a browser the
auth can use and refresh stored tokens but never starts the browser step.

:func:`login` is ``python -m agent mcp login NAME``: forget the old tokens
(the registration stays), connect through the browser step, list the tools.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agent.mcp.config import ServerConfig
from agent.mcp.loopback import LOGIN_SECONDS, LoopbackCallback
from agent.mcp.oauth import Browser, build_auth, store_for

log = logging.getLogger("agent.mcp")
DEFAULT_REDIRECT_PORT = 33418


def _port(uri: str | None) -> int | None:
    try:
        return urlsplit(uri).port if uri else None
    except ValueError:
        return None


async def _registered_port(name: str, config: ServerConfig, home: Path) -> int | None:
    store = store_for(name, config, home)
    client = await store.get_client_info() if store is not None else None
    uris = getattr(client, "redirect_uris", None) or []
    return _port(str(uris[0])) if uris else None


@contextlib.asynccontextmanager
async def login_listener(name: str, config: ServerConfig, home: Path, browser: Browser | None) -> AsyncIterator[Any]:
    """The auth for one server's connections (None without OAuth), listening for redirects while it lives."""
    if not config.uses_oauth:
        yield None
        return
    if browser is None or config.grant == "client_credentials":
        yield build_auth(name, config, home)
        return
    fixed = _port(config.redirect_uri) if config.redirect_uri else None
    wanted = fixed or await _registered_port(name, config, home)
    path = urlsplit(config.redirect_uri).path if config.redirect_uri else "/callback"
    host = urlsplit(config.redirect_uri).hostname if config.redirect_uri else "127.0.0.1"
    callback = LoopbackCallback(host or "127.0.0.1", wanted or (DEFAULT_REDIRECT_PORT if config.client_id else 0), path)
    try:
        listening = callback.listening()
        await listening.__aenter__()
    except OSError as err:
        if fixed is not None or config.client_id:
            raise RuntimeError(
                f"cannot listen on {callback.redirect_uri} for the login redirect ({err.strerror}); "
                "free that port or set another 'redirect_uri' (one the client is registered with)"
            ) from None
        store = store_for(name, config, home)
        if store is not None:
            store.forget_client()  # registered for a port we cannot have: register again
        callback = LoopbackCallback("127.0.0.1", 0, path)
        listening = callback.listening()
        await listening.__aenter__()
    try:

        async def redirect(url: str) -> None:
            callback.expect(url)
            await browser(url)

        yield build_auth(
            name, config, home, browser=redirect, callback=callback.wait, redirect_uri=callback.redirect_uri
        )
    finally:
        await listening.__aexit__(None, None, None)


@dataclass
class LoginOutcome:
    server: str
    ok: bool
    detail: str  # one line: the tools and issuer, or what went wrong
    tools: int = 0


async def login(
    name: str, config: ServerConfig, home: Path, browser: Browser, *, log_dir: Path | None = None
) -> LoginOutcome:
    """Log in to one server through the browser step; the tokens are stored for later runs."""
    from agent.mcp.client import MCPToolbox

    store = store_for(name, config, home)
    if store is None:
        why = "it is not an HTTP server" if not config.url else "its entry has an Authorization header or oauth false"
        return LoginOutcome(name, False, f"MCP server '{name}' does not use OAuth ({why})")
    store.forget_tokens()
    toolbox = MCPToolbox(
        {name: config}, home=home, browser=browser, startup_timeout=LOGIN_SECONDS + 30, log_dir=log_dir
    )
    try:
        errors = await toolbox.astart()
        tools = len((await toolbox.alisted_tools()).get(name, []))
    finally:
        await toolbox.aclose()
    if errors:
        return LoginOutcome(name, False, f"login to MCP server '{name}' failed: {errors[name]}")
    status = store.status()
    if not status["logged_in"]:
        return LoginOutcome(name, True, f"MCP server '{name}' did not ask for a login ({tools} tools)", tools)
    return LoginOutcome(name, True, f"logged in to MCP server '{name}' at {status['issuer']} ({tools} tools)", tools)


__all__ = ["DEFAULT_REDIRECT_PORT", "LoginOutcome", "login", "login_listener"]
