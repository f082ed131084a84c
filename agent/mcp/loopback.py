"""The browser step of an OAuth login: show the authorization URL, receive the redirect on a loopback port.

:class:`LoopbackCallback` listens on ``127.0.0.1`` (RFC 8252's native-app
redirect) for exactly one ``GET`` of its path, answers with a short page
("you can close this window") and hands the ``code``, ``state`` and ``iss``
to the SDK, which checks the state and the issuer.  It reads at most
:data:`MAX_REQUEST_BYTES` of request head within :data:`READ_SECONDS` per
connection; anything else gets 404 or 400 and is ignored, and the whole wait
is bounded by the login's timeout.  An ``error`` in the redirect (the user
said no) ends the wait with that error.

:func:`open_browser` opens the URL in the user's browser when there is one
and always prints it, so it works over SSH too.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import sys
import webbrowser
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_REQUEST_BYTES = 16 * 1024
READ_SECONDS = 10.0
LOGIN_SECONDS = 300.0
PAGE = (
    "<!doctype html><meta charset=utf-8><title>{title}</title>"
    "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p></body>"
)


class LoginError(RuntimeError):
    """The login did not complete: refused, timed out, or a malformed redirect; the message says which."""


def _response(status: str, title: str, text: str) -> bytes:
    body = PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {len(body)}\r\n"
        "cache-control: no-store\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class LoopbackCallback:
    """One redirect, received on ``http://127.0.0.1:PORT/PATH``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, path: str = "/callback") -> None:
        self.host, self.port, self.path = host, port, path
        self._server: asyncio.base_events.Server | None = None
        self._result: asyncio.Future[dict[str, str]] | None = None
        self.expected_state: str | None = None  # from the authorization URL: other redirects are ignored

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    @contextlib.asynccontextmanager
    async def listening(self) -> AsyncIterator[LoopbackCallback]:
        """Listen (on ``port``, or a free one when 0) until the block ends; ``port`` is then the real one."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_REQUEST_BYTES)
        self.port = self._server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def expect(self, authorization_url: str) -> None:
        """A new login: wait for the redirect carrying the ``state`` of this authorization URL."""
        state = parse_qs(urlsplit(authorization_url).query, max_num_fields=50).get("state")
        self.expected_state = state[0] if state else None
        self._result = asyncio.get_running_loop().create_future()

    async def wait(self, timeout: float = LOGIN_SECONDS) -> Any:
        """The redirect's parameters as the SDK wants them (``AuthorizationCodeResult``)."""
        from mcp.shared.auth import AuthorizationCodeResult

        if self._result is None:
            raise LoginError("no login is under way")
        try:
            found = await asyncio.wait_for(asyncio.shield(self._result), timeout)
        except TimeoutError:
            raise LoginError(f"no answer from the browser within {timeout:g} s; run the login again") from None
        if "error" in found:
            detail = found.get("error_description", "")
            refusal = f"{found['error'][:100]} {detail[:200]}".strip()
            raise LoginError(f"the authorization server refused the login: {refusal}")
        if not found.get("code"):
            raise LoginError("the redirect carried no authorization code")
        return AuthorizationCodeResult(code=found["code"], state=found.get("state"), iss=found.get("iss"))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_SECONDS)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                writer.write(_response("400 Bad Request", "Bad request", "This address only takes the login redirect."))
                return
            method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
            target = rest.rpartition(" ")[0]
            parts = urlsplit(target)
            if method != "GET" or parts.path != self.path:
                writer.write(_response("404 Not Found", "Not found", "This address only takes the login redirect."))
                return
            params = {k: v[0] for k, v in parse_qs(parts.query, max_num_fields=20).items()}
            if self.expected_state is not None and params.get("state") != self.expected_state:
                writer.write(_response("400 Bad Request", "Not this login", "This is not the login under way."))
                return
            if self._result is not None and not self._result.done():
                self._result.set_result(params)
                failed = "error" in params
                title = "Login refused" if failed else "Logged in"
                text = "The login did not complete; see the terminal." if failed else "You can close this window."
                writer.write(_response("200 OK", title, text))
            else:
                writer.write(_response("409 Conflict", "Already done", "This login has already completed."))
        except ValueError:  # e.g. too many query fields
            writer.write(_response("400 Bad Request", "Bad request", "The redirect could not be read."))
        finally:
            with contextlib.suppress(Exception):
                await writer.drain()
                writer.close()


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def open_browser(url: str) -> None:
    """Open ``url`` in the user's browser when there is a display; print it in any case."""
    print(f"Open this address to log in (the login waits up to {LOGIN_SECONDS:g} s):\n  {url}", file=sys.stderr)
    if _has_display():
        with contextlib.suppress(Exception):  # no usable browser: the printed address is enough
            await asyncio.to_thread(webbrowser.open, url)


__all__ = ["LOGIN_SECONDS", "LoginError", "LoopbackCallback", "open_browser"]
