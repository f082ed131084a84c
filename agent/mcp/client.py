"""Persistent MCP sessions for the life of the agent.

One session per server, never a new server process per call (that costs
~935 ms a call here against ~6 ms).  All sessions live on one event loop —
the caller's when started with ``astart`` (a service's lifespan), else a
background thread's — and each is opened and closed by its own keeper task,
so anyio's cancel scopes are entered and left in the same task whatever the
caller does (the failure 'Attempted to exit cancel scope in a different
task' comes from opening a session in one task and closing it in another).
Callers on another thread or loop reach them through
``run_coroutine_threadsafe``.

Servers start concurrently; one that cannot start is reported by name and
the others go on.  A call whose session has died reconnects once and is
sent again; a call that passes its timeout is cancelled.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sys
import threading
from collections.abc import AsyncIterator, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

import anyio

from agent.mcp.config import ServerConfig

T = TypeVar("T")
CONNECTION_CLOSED = -32000
STOP_GRACE = 5.0  # seconds a session gets to close before its task is cancelled


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
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _broken(err: BaseException) -> bool:
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


@dataclass
class _Link:
    """One server's session, as its keeper task maintains it."""

    name: str
    config: ServerConfig
    client: Any = None
    tools: list[Any] = field(default_factory=list)
    error: str | None = None
    attempt: asyncio.Future[bool] | None = None  # resolved when the current connection attempt ends
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False
    task: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    log: TextIO | None = None


class MCPToolbox:
    """Sessions to a set of MCP servers, and their tools as LangChain tools."""

    def __init__(
        self,
        servers: Mapping[str, ServerConfig],
        *,
        call_timeout: float = 30.0,
        connect_timeout: float = 30.0,
        log_dir: Path | None = None,
    ) -> None:
        self.servers = dict(servers)
        self.call_timeout = call_timeout
        self.connect_timeout = connect_timeout
        self.log_dir = log_dir
        self._links: dict[str, _Link] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._logs: list[TextIO] = []

    # --- the loop the sessions live on ---------------------------------------------
    # ``astart`` keeps the sessions on the caller's event loop (a service's), so
    # async calls from it go straight through; ``start`` gives them a loop of
    # their own in a background thread, for synchronous callers.
    def _run(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="mcp-sessions", daemon=True)
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _here(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def _wait(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if self._here():
            coro.close()
            raise RuntimeError(
                "a synchronous MCP call on the sessions' own event loop would block it: "
                "use the async API (ainvoke / acall) there"
            )
        return self._run(coro).result(timeout)

    async def _await(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._here():
            return await coro
        return await asyncio.wrap_future(self._run(coro))

    # --- lifecycle --------------------------------------------------------------
    def start(self) -> dict[str, str]:
        """Open every session (concurrently) on a background loop; the start errors by server."""
        return self._wait(self._start_all())

    async def astart(self) -> dict[str, str]:
        """Open every session on the running loop (a service's lifespan, say)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return await self._await(self._start_all())

    def close(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            self._wait(self._stop_all(), timeout=self.connect_timeout)
        self._forget_loop()

    async def aclose(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            await self._await(self._stop_all())
        self._forget_loop()

    def _forget_loop(self) -> None:
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._thread = None
        self._loop = None
        self._links.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    async def __aenter__(self) -> MCPToolbox:
        await self.astart()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> MCPToolbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def errors(self) -> dict[str, str]:
        return {name: link.error for name, link in self._links.items() if link.error}

    # --- on the loop ------------------------------------------------------------
    async def _start_all(self) -> dict[str, str]:
        for name, config in self.servers.items():
            if name not in self._links:
                link = _Link(name, config)
                link.attempt = asyncio.get_running_loop().create_future()
                link.task = asyncio.create_task(self._keep(link), name=f"mcp-{name}")
                self._links[name] = link
        started = await asyncio.gather(*(self._until_ready(link) for link in self._links.values()))
        for link, ok in zip(list(self._links.values()), started, strict=True):
            if not ok and link.attempt is not None and not link.attempt.done():
                await _cancel(link.task)  # too slow: give up on it now rather than half-start it later
        return self.errors

    async def _until_ready(self, link: _Link) -> bool:
        assert link.attempt is not None
        try:
            return await asyncio.wait_for(asyncio.shield(link.attempt), self.connect_timeout)
        except TimeoutError:
            link.error = f"did not start within {self.connect_timeout:g} s"
            return False

    async def _stop_all(self) -> None:
        for link in self._links.values():
            link.stopping = True
            link.wake.set()
        tasks = [link.task for link in self._links.values() if link.task]
        _, connecting = await asyncio.wait(tasks, timeout=STOP_GRACE) if tasks else (set(), set())
        for task in connecting:  # still starting up: cancel, which closes the transport and its process
            await _cancel(task)

    @contextlib.asynccontextmanager
    async def _session(self, link: _Link) -> AsyncIterator[Any]:
        """One connection to the server: a stdio process, or an HTTP client closed with it."""
        from mcp import Client, StdioServerParameters

        config = link.config
        if config.command:
            from mcp.client.stdio import stdio_client

            params = StdioServerParameters(
                command=config.command, args=config.args, env=config.env or None, cwd=config.cwd
            )
            async with Client(stdio_client(params, errlog=self._errlog(link))) as client:
                yield client
            return
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        async with (
            create_mcp_http_client(headers=config.headers or None) as http,
            Client(streamable_http_client(config.url or "", http_client=http)) as client,
        ):
            yield client

    def _errlog(self, link: _Link) -> TextIO:
        """Where a stdio server's stderr goes: one log file per server (kept across reconnects)."""
        if self.log_dir is None:
            return sys.stderr
        if link.log is None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            link.log = open(self.log_dir / f"mcp-{link.name}.log", "a", encoding="utf-8")  # noqa: SIM115
            self._logs.append(link.log)
        return link.log

    async def _keep(self, link: _Link) -> None:
        """Open the session, hold it until told to reconnect or stop, close it: all in this task."""
        while not link.stopping:
            request = link.attempt
            link.wake.clear()
            try:
                async with self._session(link) as client:
                    link.tools = await _list_tools(client)
                    link.client, link.error = client, None
                    _resolve(request, True)
                    if not link.stopping:
                        await link.wake.wait()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # a dying or failing server must not kill the keeper
                link.error = describe(err)
            except BaseExceptionGroup as group:  # anyio's task groups wrap what happened inside
                if group.subgroup(asyncio.CancelledError) is not None:
                    raise
                link.error = describe(group)
            finally:
                link.client = None
                _resolve(request, False)
            if link.stopping:
                return
            await link.wake.wait()  # reconnect only when a call asks for it

    async def _reconnect(self, link: _Link, dead: Any) -> Any:
        async with link.lock:
            if link.client is not None and link.client is not dead:
                return link.client  # another call already reconnected
            if link.attempt is None or link.attempt.done():  # else a connection is under way: wait for it
                link.attempt = asyncio.get_running_loop().create_future()
                link.wake.set()
            if not await self._until_ready(link) or link.client is None:
                raise MCPServerError(f"MCP server '{link.name}' is unavailable: {link.error}")
            return link.client

    def _repeatable(self, link: _Link, tool: str) -> bool:
        """May a call be sent again after the connection broke? Only if the server says it is safe."""
        notes = next((t.annotations for t in link.tools if t.name == tool), None)
        return bool(notes and (notes.read_only_hint or notes.idempotent_hint))

    async def _call(self, server: str, tool: str, arguments: dict[str, Any], timeout: float) -> Any:
        link = self._links.get(server)
        if link is None:
            raise MCPServerError(f"no MCP server named '{server}'")
        client = link.client
        if client is None or _closed(client):  # known dead before sending: reconnect first
            client = await self._reconnect(link, client)
        for attempt in (1, 2):
            try:
                with anyio.fail_after(timeout):
                    return await client.call_tool(tool, arguments)
            except TimeoutError:
                raise TimeoutError(f"MCP server '{server}' did not answer {tool} within {timeout:g} s") from None
            except Exception as err:
                if not _broken(err):
                    raise MCPServerError(f"MCP server '{server}' failed on {tool}: {describe(err)}") from None
                client = await self._reconnect(link, client)
                if attempt == 2 or not self._repeatable(link, tool):
                    raise MCPServerError(
                        f"MCP server '{server}' lost the connection during {tool}; it has been restarted, and the "
                        "call was not repeated because it may already have run"
                    ) from None
        raise AssertionError("unreachable")

    # --- public calls -----------------------------------------------------------
    def call(self, server: str, tool: str, arguments: dict[str, Any], timeout: float | None = None) -> Any:
        """Call a tool; returns the MCP ``CallToolResult``."""
        limit = timeout or self.call_timeout
        if self._here():
            raise RuntimeError(
                "a synchronous MCP call on the sessions' own event loop would block it: "
                "use the async API (ainvoke / acall) there"
            )
        future = self._run(self._call(server, tool, arguments, limit))
        try:
            return future.result(timeout=limit + self.connect_timeout + 5)
        except concurrent.futures.TimeoutError:
            future.cancel()  # stop the call on the sessions' loop too
            raise TimeoutError(f"MCP server '{server}' did not answer {tool} within {limit:g} s") from None

    async def acall(self, server: str, tool: str, arguments: dict[str, Any], timeout: float | None = None) -> Any:
        return await self._await(self._call(server, tool, arguments, timeout or self.call_timeout))

    def listed_tools(self) -> dict[str, list[Any]]:
        """The MCP tools of each server that started, as listed when it connected."""
        return {name: list(link.tools) for name, link in self._links.items() if link.tools}

    def langchain_tools(self) -> list[Any]:
        from agent.mcp.tools import to_langchain

        return [to_langchain(self, server, tool) for server, tools in self.listed_tools().items() for tool in tools]


def _closed(client: Any) -> bool:
    """Has the session's connection already closed? (The SDK keeps this private; unknown means open.)"""
    dispatcher = getattr(getattr(client, "_session", None), "_dispatcher", None)
    return bool(getattr(dispatcher, "_closed", False))


async def _cancel(task: asyncio.Task[Any] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(task, STOP_GRACE)


def _resolve(future: asyncio.Future[bool] | None, value: bool) -> None:
    if future is not None and not future.done():
        future.set_result(value)


async def _list_tools(client: Any) -> list[Any]:
    tools, cursor = [], None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return tools


__all__ = ["MCPServerError", "MCPToolbox", "describe"]
