"""``python -m agent serve``: the Agent Protocol over HTTP (uvicorn), bound to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_PORT = 2024  # LangGraph's own dev server's port, so its clients find us where they look


def add_parser(sub: Any) -> argparse.ArgumentParser:
    serve = sub.add_parser("serve", help="serve the agent over HTTP (LangGraph's Agent Protocol) and its web page")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)")
    return serve


def run(args: argparse.Namespace, settings: Any) -> int:
    import uvicorn

    from agent.logs import configure_file, configure_stderr
    from agent.service.app import build_app

    configure_stderr()
    configure_file(settings.home)
    from agent.mcp import set_elicitation_handler
    from agent.mcp.elicitation import decline

    set_elicitation_handler(decline)  # never a prompt on the service's console (its runs pause instead)
    from agent.service.runtime import open_service

    token = settings.api_token.get_secret_value() if settings.api_token else None
    if not _loopback(args.host) and not token:
        print(
            f"agent: refusing to serve on {args.host} without AGENT_API_TOKEN (every request would be unauthenticated)",
            file=sys.stderr,
        )
        return 2
    app = build_app(lambda: open_service(settings), token=token, cors_origins=settings.cors_origins, extra_routes=_ui())
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=30, proxy_headers=False
    )
    server = uvicorn.Server(config)
    _announce(server, args.host)
    server.run()
    return 0


def _ui() -> list[Any]:
    try:
        from agent.service.ui import ui_routes
    except ImportError:
        return []
    return ui_routes()


def _loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def _announce(server: Any, host: str) -> None:
    """Say the URL once uvicorn has bound (the port may have been chosen by the system)."""
    startup = server.startup

    async def announce(sockets: Any = None) -> None:
        await startup(sockets=sockets)
        for listener in server.servers:
            for sock in listener.sockets:
                port = sock.getsockname()[1]
                print(
                    f"agent: serving http://{host}:{port} (Agent Protocol; Ctrl-C stops)", file=sys.stderr, flush=True
                )
                return

    server.startup = announce


__all__ = ["DEFAULT_PORT", "add_parser", "run"]
