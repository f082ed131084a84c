"""Read a request's whole body, at most ``max_bytes`` of it, before the SDK sees the request.

Why: a body over the bound gets one clear JSON-RPC error with 413 (at once
when ``Content-Length`` declares it, after ``max_bytes`` when it is chunked),
and a client that hangs up or stalls mid-body never reaches the SDK, whose
handler would log each such request as an error with a traceback.  How long
a body may take is bounded below us, by the connection's body deadline
(:mod:`mcp_servers.http_protocol`), which closes the connection and so ends
the read here.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


def too_large(detail: str, max_bytes: int) -> JSONResponse:
    message = f"request body too large: {detail}; the server accepts at most {max_bytes} bytes"
    return JSONResponse(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}},
        status_code=413,
        headers={"Connection": "close"},  # rather than read and discard the rest
    )


class RequestBodyMiddleware:
    """Buffers each request body up to ``max_bytes`` (413 beyond), then hands the app the request."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            logger.warning("refused a request declaring a %s-byte body", declared)
            await too_large(f"{declared} bytes", self.max_bytes)(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                logger.info("client left before sending its whole request body (%d bytes received)", len(body))
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                logger.warning("refused a request body of more than %d bytes", self.max_bytes)
                await too_large(f"more than {self.max_bytes} bytes", self.max_bytes)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # http.disconnect, when the client leaves
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


__all__ = ["RequestBodyMiddleware"]
