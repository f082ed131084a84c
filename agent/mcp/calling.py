"""Tool calls through a toolbox's persistent sessions: sent, timed, retried once when safe, waited for.

A call whose session has died reconnects once; it is sent again only if the
server marks the tool read-only or idempotent (it may already have run); a
call the server never saw (HTTP 404: it forgot the session) is sent again on
a new session.  A call that passes its timeout is cancelled, except that the
time a person spends answering the server's question does not count.

A call may carry its run's :class:`~agent.mcp.scope.CallScope`: its progress
callback goes to the SDK, the call is registered as in flight on its server's
session (so a server's request can be attributed to it, :func:`~agent.mcp.scope.asking`),
and when the run turns questions into interrupts the caller waits on the call
and its questions together (:mod:`agent.mcp.questions`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from agent.mcp.compat import session_closed
from agent.mcp.errors import MCPServerError, broken, describe, session_gone
from agent.mcp.scope import CURRENT, CallScope
from agent.mcp.transport import session_lost

if TYPE_CHECKING:
    from agent.mcp.client import _Link
    from agent.mcp.questions import Questions

T = TypeVar("T")


class CallsMixin:
    """``call`` / ``acall`` for :class:`~agent.mcp.client.MCPToolbox`."""

    _links: dict[str, _Link]
    call_timeout: float
    startup_timeout: float

    if TYPE_CHECKING:

        def _run(self, coro: Any) -> concurrent.futures.Future[Any]: ...
        def _here(self) -> bool: ...
        async def _await(self, coro: Any) -> Any: ...
        async def _reconnect(self, link: _Link, dead: Any) -> Any: ...

    def _repeatable(self, link: _Link, tool: str) -> bool:
        """May a call be sent again after the connection broke? Only if the server says it is safe."""
        notes = next((t.tool.annotations for t in link.listed if t.tool.name == tool), None)
        return bool(notes and (notes.read_only_hint or notes.idempotent_hint))

    async def _call(
        self, server: str, tool: str, arguments: dict[str, Any], timeout: float, scope: CallScope | None = None
    ) -> Any:
        link = self._links.get(server)
        if link is None:
            raise MCPServerError(f"no MCP server named '{server}'")
        client = link.client
        if client is None or session_closed(client):  # known dead before sending: reconnect first
            client = await self._reconnect(link, client)
        progress = scope.progress_callback() if scope is not None else None
        key, mine = object(), CURRENT.set(scope)
        link.calls[key] = scope
        try:
            return await self._send(link, client, tool, arguments, timeout, progress)
        finally:
            link.calls.pop(key, None)
            CURRENT.reset(mine)

    async def _send(self, link: _Link, client: Any, tool: str, arguments: dict[str, Any], timeout: float,
                    progress: Any) -> Any:  # fmt: skip
        server = link.name
        for attempt in (1, 2):
            try:
                with anyio.fail_after(timeout) as deadline:
                    link.deadlines.add(deadline)
                    try:
                        return await client.call_tool(tool, arguments, progress_callback=progress)
                    finally:
                        link.deadlines.discard(deadline)
            except TimeoutError:
                raise TimeoutError(f"MCP server '{server}' did not answer {tool} within {timeout:g} s") from None
            except Exception as err:
                gone = session_gone(err) or session_lost(client)  # the server forgot the session: it never ran it
                if not gone and not broken(err):
                    raise MCPServerError(f"MCP server '{server}' failed on {tool}: {describe(err)}") from None
                client = await self._reconnect(link, client)
                if attempt == 2 or not (gone or self._repeatable(link, tool)):
                    raise MCPServerError(
                        f"MCP server '{server}' lost the connection during {tool}; it has been restarted, and the "
                        "call was not repeated because it may already have run"
                    ) from None
        raise AssertionError("unreachable")

    def call(
        self, server: str, tool: str, arguments: dict[str, Any], timeout: float | None = None,
        scope: CallScope | None = None,
    ) -> Any:  # fmt: skip
        """Call a tool; returns the MCP ``CallToolResult``.  ``scope``: the run's side of the call."""
        limit = timeout or self.call_timeout
        if self._here():
            raise RuntimeError(
                "a synchronous MCP call on the sessions' own event loop would block it: "
                "use the async API (ainvoke / acall) there"
            )
        link = self._links.get(server)
        startup = link.startup_timeout if link else self.startup_timeout
        future = self._run(self._call(server, tool, arguments, limit, scope))
        what = f"MCP server '{server}' did not answer {tool} within {limit:g} s"
        questions = scope.questions if scope is not None else None
        try:
            return self._result(future, link, limit + startup + 5, what, questions)
        finally:
            if questions is not None:
                questions.close()

    def _result(self, future: concurrent.futures.Future[T], link: _Link | None, backstop: float, what: str,
                questions: Questions | None) -> T:  # fmt: skip
        """Wait for ``future`` at most ``backstop`` seconds, not counting time a person spends answering the server;
        with ``questions``, take the call's questions as they come."""
        started = time.monotonic()
        paused_before = link.paused_seconds if link else 0.0
        pending = questions.first if questions is not None else None
        while True:
            waits: list[concurrent.futures.Future[Any]] = [future] if pending is None else [future, pending]
            done, _ = concurrent.futures.wait(waits, timeout=1.0, return_when=concurrent.futures.FIRST_COMPLETED)
            if future in done:  # (not future.result(timeout): its TimeoutError would be the call's own, too)
                return future.result()
            if questions is not None and pending is not None and pending in done:
                pending = questions.next_or_raise(pending.result(), future)
                continue
            paused = (link.paused_seconds - paused_before) if link else 0.0
            if link is not None and link.waiting:
                continue
            if time.monotonic() - started - paused > backstop:
                future.cancel()  # stop the call on the sessions' loop too
                raise TimeoutError(what)

    async def acall(
        self, server: str, tool: str, arguments: dict[str, Any], timeout: float | None = None,
        scope: CallScope | None = None,
    ) -> Any:  # fmt: skip
        call = self._call(server, tool, arguments, timeout or self.call_timeout, scope)
        if scope is None or scope.questions is None:
            return await self._await(call)
        running = asyncio.ensure_future(call) if self._here() else asyncio.wrap_future(self._run(call))
        return await scope.questions.around(running)


__all__ = ["CallsMixin"]
