"""Command line of every server: parse flags, read the settings, serve stdio or HTTP.

Settings come from ``AGENT_*`` variables and ``.env`` (:class:`ServerSettings`);
flags override them.  The bearer token has no flag on purpose: a command line
is visible to every user of the machine (``ps``), the environment is not.
The bounds on what clients may take (tool calls at once, connections, request
time and size, sessions) are ``AGENT_MCP_*`` variables read by
:class:`~mcp_servers.limits.ServerLimits`, whose docstring lists them; they
have no flags either, to keep one place that says what a server allows.

On stdio, stdout carries the protocol and nothing else: logging goes to
stderr, and while serving the SDK points file descriptor 1 at stderr so that
stray prints (ours, a library's, a child process's) cannot corrupt the stream.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr

from mcp_servers.limits import ServerLimits
from mcp_servers.running import ToolSlots
from tools.base import ToolError
from tools.registry import FAMILIES, family_specs
from tools.settings import ToolSettings

if TYPE_CHECKING:
    from mcp.server import Server

logger = logging.getLogger("mcp_servers")

DEFAULT_PORT = 8765
TOKEN_HINT = (
    "set AGENT_MCP_TOKEN (in the environment or .env), e.g. "
    "AGENT_MCP_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(32))'), "
    "and have clients send 'Authorization: Bearer <token>'"
)


def build_parser(name: str, families: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m mcp_servers.{name}",
        description=f"MCP server for the {', '.join(families)} tool{'s' if len(families) > 1 else ''} "
        "(stdio by default, streamable HTTP with --http).",
        epilog="Bounds on clients come from AGENT_MCP_* variables (or .env): MAX_TOOL_CALLS (2 x cores), "
        "TOOL_QUEUE_TIMEOUT (5 s), TOOL_QUEUE (32); over HTTP also MAX_CONNECTIONS (256), "
        "CONNECTIONS_PER_ADDRESS (64), HEADER_TIMEOUT (10 s), BODY_TIMEOUT (30 s), MAX_BODY_BYTES (4 MiB), "
        "MAX_SESSIONS (512), SESSIONS_PER_ADDRESS (32), SESSION_IDLE_TIMEOUT (300 s).",
    )
    http = parser.add_argument_group("streamable HTTP")
    http.add_argument("--http", action="store_true", help="serve streamable HTTP on http://HOST:PORT/mcp")
    http.add_argument(
        "--host", default=None, help="address to bind (default 127.0.0.1; anything but loopback needs AGENT_MCP_TOKEN)"
    )
    http.add_argument("--port", type=int, default=None, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    http.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="another Host header to accept (e.g. a name clients use to reach a non-loopback bind)",
    )
    http.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="another browser Origin to accept, e.g. https://app.example:443",
    )
    if "database" in families:
        db = parser.add_argument_group("database")
        db.add_argument(
            "--database-url",
            default=None,
            help="SQLite path or sqlite:/// URL, or postgresql://... (default: AGENT_DATABASE_URL, "
            "else the demo database in AGENT_HOME)",
        )
        db.add_argument(
            "--database-role",
            default=None,
            help="PostgreSQL role every statement runs as (SET LOCAL ROLE; default: AGENT_DATABASE_ROLE)",
        )
        write = db.add_mutually_exclusive_group()
        write.add_argument(
            "--allow-write",
            dest="database_write",
            action="store_const",
            const=True,
            help="publish db_execute, which may change the database (default: AGENT_DATABASE_WRITE, else read-only)",
        )
        write.add_argument(
            "--read-only",
            dest="database_write",
            action="store_const",
            const=False,
            help="never publish db_execute, whatever AGENT_DATABASE_WRITE says",
        )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level on stderr (default INFO)",
    )
    return parser


def configure_logging(level: str) -> None:
    """Everything to stderr; the SDK and libraries at WARNING unless we debug."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if level == "DEBUG" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logger.setLevel(level)
    logging.captureWarnings(True)


class ServerSettings(ToolSettings):
    """The tools' settings and the bearer token our HTTP servers require (``AGENT_MCP_TOKEN``)."""

    mcp_token: SecretStr | None = Field(
        default=None, description="Bearer token our MCP HTTP servers require (always when bound beyond loopback)."
    )


def load_settings(args: argparse.Namespace) -> ServerSettings:
    overrides: dict[str, Any] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "database_write", None) is not None:
        overrides["database_write"] = args.database_write
    if getattr(args, "database_role", None):
        overrides["database_role"] = args.database_role
    return ServerSettings(**overrides)


def one_line(err: ValueError) -> str:
    """A settings error as ``AGENT_MCP_HEADER_TIMEOUT: Input should be ...`` (never the value: it may be a secret)."""
    from pydantic import ValidationError

    if not isinstance(err, ValidationError):
        return str(err)
    prefix = "AGENT_MCP_" if err.title == ServerLimits.__name__ else "AGENT_"
    return "; ".join(f"{prefix}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in err.errors())


def run(name: str, families: Sequence[str], argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, build the server for ``families`` and serve until the client leaves."""
    parser = build_parser(name, families)
    args = parser.parse_args(argv)
    prepared = prepare(parser, args)
    if isinstance(prepared, int):
        return prepared
    settings, limits, token = prepared
    from mcp_servers.catalog import server_features
    from mcp_servers.server import build_server

    slots = ToolSlots(limits.max_tool_calls, wait=limits.tool_queue_timeout, queued=limits.tool_queue)
    try:  # a stray print while importing or building a tool must not reach the stdio wire
        with contextlib.redirect_stdout(sys.stderr):
            by_family = {family: family_specs(family, settings) for family in families}
            features = server_features(families, by_family, settings, slots)
    except (ToolError, ValueError, OSError) as err:  # e.g. an unsupported database URL (never echoes a password)
        print(f"error: {err}", file=sys.stderr)
        return 2
    specs = [spec for family in families for spec in by_family[family]]
    if "database" in families:
        from tools.db.common import parse_database_url

        where = parse_database_url(settings.resolved_database_url()).display  # without the password
        logger.info("database tools use %s (%s)", where, "read-write" if settings.database_write else "read-only")
    server = build_server(
        f"langgraph-mcp-agent-{name}", specs, title=f"langgraph-mcp-agent: {name}", slots=slots, features=features
    )
    return serve(server, args, limits, token)


def prepare(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[ServerSettings, ServerLimits, str | None] | int:
    """Check the flags, set up logging, read the settings: (settings, limits, token), or an exit code."""
    if not args.http and (args.host or args.port is not None or args.allowed_host or args.allowed_origin):
        parser.error("--host, --port, --allowed-host and --allowed-origin need --http")
    configure_logging(args.log_level)
    try:
        settings = load_settings(args)
        limits = ServerLimits()
    except ValueError as err:  # pydantic's ValidationError: e.g. AGENT_DATABASE_WRITE=perhaps
        print(f"error: invalid settings: {one_line(err)}", file=sys.stderr)
        return 2
    token = settings.mcp_token.get_secret_value() if settings.mcp_token else None
    if args.http:
        from mcp_servers.http_app import is_loopback

        host = args.host or "127.0.0.1"
        if not is_loopback(host) and not token:
            print(f"error: refusing to serve on {host} without a bearer token: {TOKEN_HINT}.", file=sys.stderr)
            return 2
        if token and len(token) < 16:
            logger.warning("AGENT_MCP_TOKEN is only %d characters long; use 32 or more random ones", len(token))
    return settings, limits, token


def serve(server: Server[Any], args: argparse.Namespace, limits: ServerLimits, token: str | None) -> int:
    """Serve ``server`` on stdio, or on HTTP with ``--http``, until the client leaves or Ctrl-C."""
    try:
        if args.http:
            from mcp_servers.http_app import serve_http

            port = DEFAULT_PORT if args.port is None else args.port
            serve_http(
                server,
                host=args.host or "127.0.0.1",
                port=port,
                token=token,
                limits=limits,
                extra_hosts=args.allowed_host,
                extra_origins=args.allowed_origin,
            )
        else:
            serve_stdio(server)
    except KeyboardInterrupt:
        pass
    except OSError as err:  # e.g. the port is taken
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def serve_stdio(server: Server[Any]) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    logger.info("MCP server %r on stdio", server.name)
    anyio.run(serve)


def main_for(name: str, families: Sequence[str]) -> None:
    """What each server module's ``main`` does (also the console scripts' entry)."""
    raise SystemExit(run(name, families))


__all__ = ["DEFAULT_PORT", "FAMILIES", "build_parser", "main_for", "prepare", "run", "serve"]
