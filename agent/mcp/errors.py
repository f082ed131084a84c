"""What can go wrong with an MCP server, said in one line."""

from __future__ import annotations

import anyio

CONNECTION_CLOSED = -32000


class MCPServerError(RuntimeError):
    """A server could not be reached or started; the message names it."""


def innermost(err: BaseException) -> BaseException:
    """The first leaf of an exception group (anyio's task groups wrap what happened inside)."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    return err


def describe(err: BaseException) -> str:
    """The innermost error of an exception group, as one line."""
    err = innermost(err)
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    if isinstance(err, MCPServerError):
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


__all__ = ["MCPServerError", "broken", "describe", "innermost"]
