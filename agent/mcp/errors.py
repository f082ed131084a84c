"""What can go wrong with an MCP server, said in one line."""

from __future__ import annotations

import anyio

CONNECTION_CLOSED = -32000
INVALID_REQUEST = -32600


class MCPServerError(RuntimeError):
    """A server could not be reached or started; the message names it."""


def innermost(err: BaseException) -> BaseException:
    """The first leaf of an exception group (anyio's task groups wrap what happened inside)."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    return err


def describe(err: BaseException) -> str:
    """The innermost error of an exception group, as one line."""
    from agent.mcp.loopback import LoginError
    from agent.mcp.oauth import LoginRequired

    err = innermost(err)
    link: BaseException | None = err
    for _ in range(5):  # a login problem wrapped by the transport: say the login problem
        if link is None:
            break
        if isinstance(link, LoginRequired | LoginError):
            err = link
            break
        link = link.__cause__ or link.__context__
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    if isinstance(err, MCPServerError | LoginRequired | LoginError):
        return text
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def broken(err: BaseException) -> bool:
    """Did the session die (as opposed to the server answering with an error)?"""
    from mcp.shared.exceptions import MCPError

    err = innermost(err)
    if isinstance(err, MCPError):
        return err.code == CONNECTION_CLOSED
    return isinstance(
        err,
        anyio.ClosedResourceError
        | anyio.BrokenResourceError
        | anyio.EndOfStream
        | OSError
        | ConnectionError
        | EOFError,
    ) or type(err).__module__.startswith(("httpx", "httpcore"))


def session_gone(err: BaseException) -> bool:
    """Did the server answer HTTP 404 for our session (it ended or forgot it)? Then it never saw the request.

    The SDK's streamable HTTP transport turns that 404 into this error; the
    client opens a new session and sends the request again.
    """
    from mcp.shared.exceptions import MCPError

    err = innermost(err)
    return isinstance(err, MCPError) and err.code == INVALID_REQUEST and str(err.error.message) == "Session terminated"


__all__ = ["MCPServerError", "broken", "describe", "innermost", "session_gone"]
