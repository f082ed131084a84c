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
read-only or idempotent (it may already have run); a call the server never
saw (HTTP 404: it forgot the session) is sent again on a new session
(:mod:`agent.mcp.calling`).

Servers that want OAuth get it from :mod:`agent.mcp.oauth`: stored tokens are
used and refreshed; the browser step happens only when the toolbox was given
a ``browser`` (``python -m agent mcp login``), else the server is reported as
needing a login.  Elicitation, sampling and log notifications:
:mod:`agent.mcp.hooks`; resources and prompts: :mod:`agent.mcp.catalog`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from agent.mcp.calling import CallsMixin
from agent.mcp.catalog import CatalogMixin
from agent.mcp.config import ServerConfig
from agent.mcp.errors import MCPServerError, describe
from agent.mcp.hooks import LinkHooks
from agent.mcp.listing import ListedTool, list_all, replace_output_schemas, vet_listing
from agent.mcp.login import login_listener
from agent.mcp.loop import SessionLoop, cancel_once, stop_tasks
from agent.mcp.scope import CURRENT, CallScope
from agent.mcp.transport import default_log_dir, log_path, note, open_session, watch_stdout_noise

STARTUP_TIMEOUT = 10.0
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
    hooks: LinkHooks | None = None
    capabilities: Any = None  # the server's, from the current session
    deadlines: set[Any] = field(default_factory=set)  # cancel scopes of calls in flight
    calls: dict[object, CallScope | None] = field(default_factory=dict)  # calls in flight, with their runs' scopes
    waiting: int = 0  # questions to a person under way
    paused_seconds: float = 0.0  # time spent on them, in all
    relisting: asyncio.Task[None] | None = None
    has_resources: bool = False  # lists at least one resource or template: the model gets a tool to read them


class MCPToolbox(SessionLoop, CallsMixin, CatalogMixin):
    """Sessions to a set of MCP servers, and their tools as LangChain tools.

    Servers' stderr (and stray stdout) go to ``log_dir/mcp-<name>.log``
    (default ``AGENT_HOME/logs``), or to ``errlog`` when one is given.
    ``home`` holds the OAuth tokens (default ``AGENT_HOME``); ``browser`` lets
    the toolbox do the OAuth browser step itself (else a server that needs it
    is reported as needing ``mcp login``).  ``elicitation_handler`` answers the
    servers' questions (default: decline; :mod:`agent.mcp.elicitation`);
    ``sampler`` serves the sampling requests of servers allowed to make them
    (:mod:`agent.mcp.sampling`).  Both may be set later, as attributes.
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
        home: Path | None = None,
        browser: Any = None,
        elicitation_handler: Any = None,
        sampler: Any = None,
    ) -> None:
        self.servers = dict(servers)
        self.call_timeout = call_timeout
        self.startup_timeout = connect_timeout or startup_timeout
        self.log_dir = log_dir
        self.errlog = errlog
        self.home = home
        self.browser = browser
        self.elicitation_handler = elicitation_handler
        self.sampler = sampler
        self._links: dict[str, _Link] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._logs: list[TextIO] = []
        self._warnings: list[str] = []
        self._ready = False

    def _forgotten(self) -> None:
        self._links.clear()
        for file in self._logs:
            file.close()
        self._logs.clear()

    async def __aenter__(self) -> MCPToolbox:
        await self.astart()
        return self

    def __enter__(self) -> MCPToolbox:
        self.start()
        return self

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
            # Started from a call that reconnects, the keeper (and the session's tasks, whose requests are
            # attributed to calls by scope.asking) must not inherit that call's scope.
            context = contextvars.copy_context()
            context.run(CURRENT.set, None)
            link.task = asyncio.create_task(self._keep(link), name=f"mcp-{link.name}", context=context)
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
            cancel_once(link.task)
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
                cancel_once(link.task)  # still starting: nothing to close gently; the SDK still stops the process
        await stop_tasks({link.task: name for name, link in self._links.items() if link.task})

    def _home(self) -> Path:
        return self.home or (self.log_dir.parent if self.log_dir else default_log_dir().parent)

    async def _keep(self, link: _Link) -> None:
        """Open the session, hold it until told to reconnect or stop, close it: all in this task."""
        if link.config.command:
            watch_stdout_noise(self._log(link))  # this task's connections: the SDK's stdout noise to the log
        link.hooks = link.hooks or LinkHooks(self, link)
        try:
            async with login_listener(link.name, link.config, self._home(), self.browser) as auth:
                await self._hold(link, auth)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # e.g. the login's loopback port cannot be had
            link.error = describe(err)
            _resolve(link.attempt, False)

    async def _hold(self, link: _Link, auth: Any) -> None:
        assert link.hooks is not None
        while not link.stopping:
            request = link.attempt
            link.wake.clear()
            try:
                errlog = self._log(link) if link.config.command else None
                async with open_session(link.config, errlog, link.hooks.options(auth)) as client:
                    link.capabilities = client.server_capabilities
                    link.listed = await self._list(link, client)
                    link.has_resources = await _publishes_resources(client)
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

    def _relist_soon(self, link: _Link) -> None:
        """The server says its tools changed: list them again (once at a time), for the tools built next."""

        async def relist() -> None:
            await asyncio.sleep(0.2)  # a burst of notifications, one listing
            if link.client is not None:
                try:
                    link.listed = await self._list(link, link.client)
                except Exception as err:  # keep the old list; the next connection lists again
                    self._warn(f"MCP server '{link.name}': listing its changed tools failed: {describe(err)}", link)

        if link.relisting is None or link.relisting.done():
            link.relisting = asyncio.create_task(relist(), name=f"mcp-{link.name}-relist")

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
        from agent.mcp.resource_tools import RESOURCE_TOOL, resource_tool
        from agent.mcp.tools import to_langchain, unique_names

        entries = [(server, listed) for server, link in self._links.items() for listed in link.listed]
        readers = [server for server, link in self._links.items() if link.listed and _has_resources(link)]
        wanted = [(server, listed.tool.name) for server, listed in entries] + [(s, RESOURCE_TOOL) for s in readers]
        names, warnings = unique_names(wanted)
        for line in warnings:
            self._warn(line)
        tools = [to_langchain(self, s, listed, name) for (s, listed), name in zip(entries, names, strict=False)]
        return tools + [resource_tool(self, s, name) for s, name in zip(readers, names[len(entries) :], strict=True)]


def _has_resources(link: _Link) -> bool:
    return link.has_resources


async def _publishes_resources(client: Any) -> bool:
    """Does the server list any resource or template? (The capability alone is often declared by default.)"""
    if getattr(client.server_capabilities, "resources", None) is None:
        return False
    try:
        if (await client.list_resources()).resources:
            return True
        return bool((await client.list_resource_templates()).resource_templates)
    except Exception as err:  # a server that declares resources but fails to list them: no resource tool
        log.debug("resources/list failed: %s", describe(err))
        return False


def _resolve(future: asyncio.Future[bool] | None, value: bool) -> None:
    if future is not None and not future.done():
        future.set_result(value)


__all__ = ["STARTUP_TIMEOUT", "MCPServerError", "MCPToolbox", "describe"]
