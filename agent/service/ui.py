"""The web page: ``/`` and its files under ``/ui/``, served from the package with no build step.

The page is public (it must load before a person enters the token); every API
call it makes carries the bearer token.  A strict Content-Security-Policy lets
the page run only its own scripts and talk only to this server, so text from a
tool or a model that slipped into the page could still not run or phone home.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
MISSING = f"the web page's files are missing from {STATIC}: the package was installed without them (reinstall it)"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-cache",  # revalidated (ETag) so an upgraded package's page is used at once
}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


class _Secured:
    """Adds the page's security headers (and exact types for modules, whatever the system's mime table says)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        suffix = Path(scope.get("path", "")).suffix

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                if suffix in TYPES:
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
                    headers.append((b"content-type", TYPES[suffix].encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


async def _index(request: Request) -> Response:
    """The page itself (the thread to show is in the URL's fragment, so one document serves every view)."""
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)


async def _missing(request: Request) -> Response:
    return PlainTextResponse(MISSING, status_code=500)


def ui_routes() -> list[Route | Mount]:
    """``/`` and ``/ui/*`` (the service's token middleware leaves both public).

    A package installed without its page files still serves the API; ``/`` then says what is wrong.
    """
    if not (STATIC / "index.html").is_file():
        log.error(MISSING)
        return [Route("/", _missing, methods=["GET", "HEAD"])]
    files: Any = _Secured(StaticFiles(directory=STATIC))
    return [Route("/", _index, methods=["GET", "HEAD"]), Mount("/ui", app=files, name="ui")]


__all__ = ["CSP", "STATIC", "ui_routes"]
