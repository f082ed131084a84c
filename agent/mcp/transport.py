"""Connections to MCP servers, and where their output goes.

A stdio server's stderr goes to its own log file (``AGENT_HOME/logs/mcp-<name>.log``)
unless the caller asks for a stream; so does anything it prints on stdout
that is not JSON-RPC: the SDK reports such a line through its logger with a
traceback, which would land on the user's terminal, so a filter on that
logger sends it to the log file of the server whose connection read it
(known from a context variable set in the connection's task).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from agent.mcp.config import ServerConfig

NOISE_CHARS = 1000
_server_log: contextvars.ContextVar[TextIO | None] = contextvars.ContextVar("mcp_server_log", default=None)


def note(log: TextIO, line: str) -> None:
    """One timestamped line in a server's log file."""
    try:
        log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [agent] {line}\n")
        log.flush()
    except (OSError, ValueError):  # a closed or full log must not break the session
        logging.getLogger("agent.mcp").debug("could not write to an MCP server log", exc_info=True)


class _StdoutNoise(logging.Filter):
    """The SDK's records about a server's stdout, routed to that server's log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        log = _server_log.get()
        if log is None:
            return True
        note(log, _describe(record))
        return False


def _describe(record: logging.LogRecord) -> str:
    err = record.exc_info[1] if record.exc_info else None
    errors = getattr(err, "errors", None)
    try:
        raw = errors()[0].get("input") if callable(errors) else None
    except (IndexError, TypeError, AttributeError):
        raw = None
    if isinstance(raw, str):
        text = raw if len(raw) <= NOISE_CHARS else raw[:NOISE_CHARS] + f"... ({len(raw)} characters)"
        return f"stdout, not JSON-RPC (ignored): {text!r}"
    detail = f": {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}" if err else ""
    return f"{record.getMessage()}{detail}"


_FILTER = _StdoutNoise()


def watch_stdout_noise(log: TextIO) -> None:
    """Route the SDK's stdout-parsing records of connections opened from this task to ``log``."""
    logger = logging.getLogger("mcp.client.stdio")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    _server_log.set(log)


def log_path(log_dir: Path, server: str) -> Path:
    """``mcp-<name>.log``, with the name made safe as a file name (it comes from a config file)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", server).lstrip(".") or "server"
    return log_dir / f"mcp-{safe[:100]}.log"


def default_log_dir() -> Path:
    """``AGENT_HOME/logs``, where the CLI keeps the servers' logs too."""
    try:
        from tools.settings import ToolSettings

        return ToolSettings().home / "logs"
    except Exception:  # broken settings must not stop a program from logging somewhere sensible
        from tools.settings import default_home

        logging.getLogger("agent.mcp").warning("settings unreadable; MCP logs go to the default home", exc_info=True)
        return default_home() / "logs"


@dataclass
class SessionOptions:
    """What a connection does besides tools: answer the server's requests and take its notifications."""

    auth: Any = None  # an httpx2.Auth (OAuth) for HTTP servers
    elicitation_callback: Any = None
    sampling_callback: Any = None
    logging_callback: Any = None
    message_handler: Any = None


MODES = {"auto": "auto", "2025-11-25": "legacy", "2026-07-28": "2026-07-28"}


@contextlib.asynccontextmanager
async def open_session(
    config: ServerConfig, errlog: TextIO | None, options: SessionOptions | None = None
) -> AsyncIterator[Any]:
    """One connection to the server: a stdio process (stderr to ``errlog``), or an HTTP client closed with it."""
    from mcp import Client, StdioServerParameters

    options = options or SessionOptions()
    client_options: dict[str, Any] = {
        "mode": MODES[config.protocol],
        "elicitation_callback": options.elicitation_callback,
        "sampling_callback": options.sampling_callback,
        "logging_callback": options.logging_callback,
        "message_handler": options.message_handler,
        "log_level": config.log_level if options.logging_callback else None,  # 2026-07-28: the opt-in per request
        "client_info": client_info(),
    }
    if config.command:
        from mcp.client.stdio import stdio_client

        params = StdioServerParameters(command=config.command, args=config.args, env=config.env or None, cwd=config.cwd)
        async with Client(stdio_client(params, errlog=errlog or sys.stderr), **client_options) as client:
            await _ask_log_level(client, config, options)
            yield client
        return
    from mcp.client.streamable_http import streamable_http_client

    from agent.mcp.compat import http_client

    lost = {"gone": False}

    async def watch(response: Any) -> None:
        """A 404 for a request that named our session: the server ended or forgot it (and did not run it)."""
        if response.status_code == 404 and SESSION_HEADER in response.request.headers:
            lost["gone"] = True

    async with http_client(config.headers or None, auth=options.auth) as http:
        http.event_hooks["response"].append(watch)
        async with Client(streamable_http_client(config.url or "", http_client=http), **client_options) as client:
            await _ask_log_level(client, config, options)
            _lost[id(client)] = lost
            try:
                yield client
            finally:
                _lost.pop(id(client), None)


async def _ask_log_level(client: Any, config: ServerConfig, options: SessionOptions) -> None:
    """2025-11-25: ``logging/setLevel`` once (a server sends ``info`` and up until asked); 2026-07-28 needs no
    request (the level rides each request's ``_meta``)."""
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS

    logging_ = getattr(client.server_capabilities, "logging", None)
    if options.logging_callback is None or logging_ is None or client.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return
    warnings.filterwarnings("ignore", "The logging capability is deprecated", module=r"(agent\.mcp|mcp)\.")
    try:
        await client.set_logging_level(config.log_level)  # deprecated by 2026-07-28, the way on 2025-11-25
    except Exception:  # a server that declares logging but refuses the level still serves its tools
        logging.getLogger("agent.mcp").warning("MCP server refused logging/setLevel", exc_info=True)


SESSION_HEADER = "mcp-session-id"
_lost: dict[int, dict[str, bool]] = {}  # by id() of the open Client (it is not hashable); removed when it closes


def session_lost(client: Any) -> bool:
    """Has the server answered 404 for this connection's session (HTTP only)?"""
    return _lost.get(id(client), {}).get("gone", False)


def client_info() -> Any:
    from importlib.metadata import PackageNotFoundError, version

    from mcp import types

    try:
        ours = version("langgraph-mcp-agent")
    except PackageNotFoundError:
        ours = "0"
    return types.Implementation(name="langgraph-mcp-agent", title="langgraph-mcp-agent", version=ours)


__all__ = [
    "SessionOptions",
    "default_log_dir",
    "log_path",
    "note",
    "open_session",
    "session_lost",
    "watch_stdout_noise",
]
