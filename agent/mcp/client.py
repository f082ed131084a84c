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

Servers start in the background (``start(wait=False)``) and are waited for,
all at once, the first time their tools are needed: each gets its own
``startup_timeout``, counted from its start, so the wait is the slowest
server's timeout at most, never the sum.  One that does not start in time is
reported by name and stopped; the others go on.  A call whose session has
died reconnects once; it is sent again only if the server marks the tool
read-only or idempotent (it may already have run).  A call that passes its
timeout is cancelled.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sys
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

import anyio

from agent.mcp.compat import session_closed
from agent.mcp.config import ServerConfig
from agent.mcp.errors import MCPServerError, broken, describe
from agent.mcp.listing import ListedTool, list_all, replace_output_schemas, vet_listing
from agent.mcp.transport import default_log_dir, log_path, note, open_session, watch_stdout_noise

T = TypeVar("T")
STARTUP_TIMEOUT = 10.0
STOP_GRACE = 5.0  # seconds a session gets to close before its task is cancelled
log = logging.getLogger("agent.mcp")


@dataclass
class _Link:
    """One server's session, as its keeper task maintains it."""

    name: str
    config: ServerConfig
    startup_timeout: float
    client: Any = None
    listed: list[ListedTool] = field(default_factory=list)
    error: str | None = None
    attempt: asyncio.Future[bool] | None = None  # resolved when the current connection attempt ends
    deadline: float = 0.0  # loop time by which the current attempt must have succeeded
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False
    task: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    log: TextIO | None = None


class MCPToolbox:
    """Sessions to a set of MCP servers, and their tools as LangChain tools.

    Servers' stderr (and stray stdout) go to ``log_dir/mcp-<name>.log``
    (default ``AGENT_HOME/logs``), or to ``errlog`` when one is given.
    """

    def __init__(
        self,
        servers: Mapping[str, ServerConfig],
        *,
        call_timeout: float = 30.0,
        startup_timeout: float = STARTUP_TIMEOUT,
        connect_timeout: float | None = None,  # the former name of startup_timeout
        log_dir: Path | None = None,
        errlog: TextIO | None = None,
    ) -> None:
        self.servers = dict(servers)
        self.call_timeout = call_timeout
        self.startup_timeout = connect_timeout or startup_timeout
        self.log_dir = log_dir
        self.errlog = errlog
        self._links: dict[str, _Link] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._logs: list[TextIO] = []
        self._warnings: list[str] = []
        self._ready = False

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
                "use the async API (astart / aready / ainvoke / acall) there"
            )
        return self._run(coro).result(timeout)

    async def _await(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._here():
            return await coro
        return await asyncio.wrap_future(self._run(coro))

    # --- lifecycle --------------------------------------------------------------
    def start(self, wait: bool = True) -> dict[str, str]:
        """Start every server on a background loop; with ``wait``, wait for them (see :meth:`ready`)."""
        self._wait(self._spawn_all())
        return self.ready() if wait else {}

    async def astart(self, wait: bool = True) -> dict[str, str]:
        """Start every server on the running loop (a service's lifespan, say)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        await self._await(self._spawn_all())
        return await self.aready() if wait else {}

    def ready(self) -> dict[str, str]:
        """Wait until every server has started or passed its startup_timeout; the start errors by server."""
        if not self._ready:
            self._wait(self._ready_all())
        return self.errors

    async def aready(self) -> dict[str, str]:
        if not self._ready:
            await self._await(self._ready_all())
        return self.errors

    def close(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            self._wait(self._stop_all(), timeout=3 * STOP_GRACE)
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
        self._ready = False
        for file in self._logs:
            file.close()
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

    @property
    def warnings(self) -> list[str]:
        """One line per server that could not start and per dropped or renamed tool (each also logged once,
        and written to the server's log file)."""
        return list(self._warnings)

    def _warn(self, line: str, link: _Link | None = None) -> None:
        if line in self._warnings:
            return
        self._warnings.append(line)
        log.warning("%s", line)
        if link is not None:
            note(self._log(link), line)

    def _log(self, link: _Link) -> TextIO:
        """Where a server's stderr and stray stdout go: one log file per server (kept across reconnects)."""
        if self.errlog is not None:
            return self.errlog
        if link.log is None:
            path = log_path(self.log_dir or default_log_dir(), link.name)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                link.log = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed with the toolbox
            except OSError as err:
                self._warn(f"MCP server '{link.name}': cannot write its log {path} ({err}); its output goes to stderr")
                return sys.stderr
            self._logs.append(link.log)
        return link.log

    # --- on the loop ------------------------------------------------------------
    async def _spawn_all(self) -> None:
        for name, config in self.servers.items():
            if name not in self._links:
                link = _Link(name, config, config.startup_timeout or self.startup_timeout)
                self._links[name] = link
                self._new_attempt(link)

    def _new_attempt(self, link: _Link) -> None:
        """A fresh connection attempt, with its own startup deadline; a keeper task that ended is replaced."""
        loop = asyncio.get_running_loop()
        link.attempt = loop.create_future()
        link.deadline = loop.time() + link.startup_timeout
        if link.task is None or link.task.done():
            link.task = asyncio.create_task(self._keep(link), name=f"mcp-{link.name}")
        else:
            link.wake.set()

    async def _ready_all(self) -> dict[str, str]:
        await self._spawn_all()
        links = list(self._links.values())
        started = await asyncio.gather(*(self._until_ready(link) for link in links))
        for link, ok in zip(links, started, strict=True):
            if ok:
                continue
            self._warn(f"MCP server '{link.name}' could not start: {link.error}", link)
            # Too slow: stop it now rather than half-start it later.  Not awaited: a process that ignores
            # its stdin closing takes the SDK seconds to kill, and that must not add to the wait.
            _cancel_once(link.task)
        self._ready = True
        return self.errors

    async def _until_ready(self, link: _Link) -> bool:
        assert link.attempt is not None
        remaining = max(0.0, link.deadline - asyncio.get_running_loop().time())
        try:
            return await asyncio.wait_for(asyncio.shield(link.attempt), remaining)
        except TimeoutError:
            link.error = f"did not start within {link.startup_timeout:g} s (its startup_timeout)"
            return False

    async def _stop_all(self) -> None:
        for link in self._links.values():
            link.stopping = True
            link.wake.set()
            if link.attempt is not None and not link.attempt.done():
                _cancel_once(link.task)  # still starting: nothing to close gently; the SDK still stops the process
        tasks = [link.task for link in self._links.values() if link.task]
        _, stuck = await asyncio.wait(tasks, timeout=STOP_GRACE) if tasks else (set(), set())
        for task in stuck:
            await _cancel(task)

    async def _keep(self, link: _Link) -> None:
        """Open the session, hold it until told to reconnect or stop, close it: all in this task."""
        if link.config.command:
            watch_stdout_noise(self._log(link))  # this task's connections: the SDK's stdout noise to the log
        while not link.stopping:
            request = link.attempt
            link.wake.clear()
            try:
                async with open_session(link.config, self._log(link) if link.config.command else None) as client:
                    link.listed = await self._list(link, client)
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

    async def _list(self, link: _Link, client: Any) -> list[ListedTool]:
        """The server's tools, vetted off the loop (a big listing is CPU work); bad ones dropped by name."""
        from pydantic import ValidationError

        try:
            tools, truncated = await list_all(client)
        except ValidationError as err:
            problem = err.errors(include_url=False)[0]
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem["loc"]).lstrip(".")
            raise MCPServerError(
                f"its tools/list answer breaks the MCP schema at {where} ({problem['msg']}), "
                "so the MCP SDK refuses every tool of it"
            ) from None
        listing = await asyncio.to_thread(vet_listing, link.name, tools, truncated)
        replace_output_schemas(client, link.name, listing)
        for line in listing.warnings:
            self._warn(line, link)
        return listing.tools

    async def _reconnect(self, link: _Link, dead: Any) -> Any:
        async with link.lock:
            if link.client is not None and link.client is not dead:
                return link.client  # another call already reconnected
            if link.attempt is None or link.attempt.done():  # else a connection is under way: wait for it
                self._new_attempt(link)
            if not await self._until_ready(link) or link.client is None:
                raise MCPServerError(f"MCP server '{link.name}' is unavailable: {link.error}")
            return link.client

    def _repeatable(self, link: _Link, tool: str) -> bool:
        """May a call be sent again after the connection broke? Only if the server says it is safe."""
        notes = next((t.tool.annotations for t in link.listed if t.tool.name == tool), None)
        return bool(notes and (notes.read_only_hint or notes.idempotent_hint))

    async def _call(self, server: str, tool: str, arguments: dict[str, Any], timeout: float) -> Any:
        link = self._links.get(server)
        if link is None:
            raise MCPServerError(f"no MCP server named '{server}'")
        client = link.client
        if client is None or session_closed(client):  # known dead before sending: reconnect first
            client = await self._reconnect(link, client)
        for attempt in (1, 2):
            try:
                with anyio.fail_after(timeout):
                    return await client.call_tool(tool, arguments)
            except TimeoutError:
                raise TimeoutError(f"MCP server '{server}' did not answer {tool} within {timeout:g} s") from None
            except Exception as err:
                if not broken(err):
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
        link = self._links.get(server)
        startup = link.startup_timeout if link else self.startup_timeout
        future = self._run(self._call(server, tool, arguments, limit))
        try:
            return future.result(timeout=limit + startup + 5)
        except concurrent.futures.TimeoutError:
            future.cancel()  # stop the call on the sessions' loop too
            raise TimeoutError(f"MCP server '{server}' did not answer {tool} within {limit:g} s") from None

    async def acall(self, server: str, tool: str, arguments: dict[str, Any], timeout: float | None = None) -> Any:
        return await self._await(self._call(server, tool, arguments, timeout or self.call_timeout))

    def listed_tools(self) -> dict[str, list[Any]]:
        """The usable MCP tools of each server that started (waiting for the servers first)."""
        self.ready()
        return {name: [t.tool for t in link.listed] for name, link in self._links.items() if link.listed}

    def langchain_tools(self) -> list[Any]:
        """Every usable tool as a LangChain tool, names unique (waiting for the servers first)."""
        self.ready()
        return self._langchain_tools()

    async def alangchain_tools(self) -> list[Any]:
        await self.aready()
        return self._langchain_tools()

    def _langchain_tools(self) -> list[Any]:
        from agent.mcp.tools import to_langchain, unique_names

        entries = [(server, listed) for server, link in self._links.items() for listed in link.listed]
        names, warnings = unique_names([(server, listed.tool.name) for server, listed in entries])
        for line in warnings:
            self._warn(line)
        return [to_langchain(self, server, listed, name) for (server, listed), name in zip(entries, names, strict=True)]


def _cancel_once(task: asyncio.Task[Any] | None) -> None:
    """Cancel a keeper task, never twice: a second native cancel could break into the SDK's shielded
    shutdown of the server process and leave the process running."""
    if task is not None and not task.done() and not task.cancelling():
        task.cancel()


async def _cancel(task: asyncio.Task[Any] | None) -> None:
    """Cancel (once) and wait, without ``wait_for``, which would cancel it again on timeout."""
    if task is None or task.done():
        return
    _cancel_once(task)
    await asyncio.wait({task}, timeout=STOP_GRACE)


def _resolve(future: asyncio.Future[bool] | None, value: bool) -> None:
    if future is not None and not future.done():
        future.set_result(value)


__all__ = ["STARTUP_TIMEOUT", "MCPServerError", "MCPToolbox", "describe"]
