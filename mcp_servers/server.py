"""Build an MCP server from a list of :class:`~tools.base.ToolSpec`.

We register tools on the SDK's low-level :class:`mcp.server.Server` rather
than :class:`~mcp.server.MCPServer`: MCPServer derives schemas from function
signatures, which would lose what the pydantic models say (``n`` as an integer
*or* a string of digits, bounds, descriptions).  Here ``inputSchema`` and
``outputSchema`` are the models' own JSON schemas, the arguments are validated
by the same model the agent uses, and every tool failure becomes a result
with ``isError: true`` whose text is the :class:`~tools.base.ToolError`
message, so the model calling the tool can correct itself.  Protocol errors
are left for protocol faults, such as naming a tool this server does not have.

``Server.run`` serves both protocol eras on one stream (the first request
decides: ``initialize`` opens a 2025-11-25 session, an enveloped request a
2026-07-28 connection); the streamable HTTP app routes on the
``MCP-Protocol-Version`` header the same way.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
from mcp import types
from mcp.server import Server, ServerRequestContext
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPError

from mcp_servers.running import ToolSlots, run_blocking
from tools.base import ToolError, ToolSpec

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5
"""Seconds between progress notifications while a tool runs (when the client asked for progress)."""


def package_version() -> str:
    try:
        return version("langgraph-mcp-agent")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


def tool_title(spec: ToolSpec) -> str:
    return spec.hints.title or spec.name.replace("_", " ").capitalize()


def input_schema(spec: ToolSpec) -> dict[str, Any]:
    """What the input model accepts (validation mode: e.g. ``n`` as integer or digit string)."""
    return spec.input_model.model_json_schema(mode="validation")


def output_schema(spec: ToolSpec) -> dict[str, Any]:
    """What ``model_dump(mode="json")`` of the output model produces (serialization mode)."""
    return spec.output_model.model_json_schema(mode="serialization")


def tool_definition(spec: ToolSpec) -> types.Tool:
    """The MCP tool: exact schemas, a title, and annotations stated from the spec's hints."""
    title = tool_title(spec)
    return types.Tool(
        name=spec.name,
        title=title,
        description=spec.description,
        input_schema=input_schema(spec),
        output_schema=output_schema(spec),
        annotations=types.ToolAnnotations(
            title=title,
            read_only_hint=spec.hints.read_only,
            destructive_hint=spec.hints.destructive,
            idempotent_hint=spec.hints.idempotent,
            open_world_hint=spec.hints.open_world,
        ),
    )


def success_result(data: dict[str, Any]) -> types.CallToolResult:
    """Structured content plus the same data as JSON text, for clients that only read text."""
    text = json.dumps(data, ensure_ascii=False)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=data)


def error_result(err: ToolError) -> types.CallToolResult:
    """A tool failure the model can act on; the error code rides in ``_meta`` for programs."""
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=err.message)],
        is_error=True,
        _meta={"errorCode": err.code},
    )


def _progress_token(params: Mapping[str, Any] | None) -> str | int | None:
    meta = (params or {}).get("_meta")
    token = meta.get("progressToken") if isinstance(meta, Mapping) else None
    return token if isinstance(token, str | int) and not isinstance(token, bool) else None


class _Progress:
    """Progress notifications for one call: elapsed seconds, strictly increasing, never fatal."""

    def __init__(self, session: ServerSession, name: str, wanted: bool) -> None:
        self.session, self.name, self.wanted = session, name, wanted
        self.started = time.monotonic()
        self.last = -1.0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    async def report(self, message: str, *, final: bool = False) -> None:
        if not self.wanted:
            return
        value = max(round(self.elapsed(), 3), self.last + 0.001)
        self.last = value
        try:
            await self.session.report_progress(value, value if final else None, f"{self.name}: {message}")
        except Exception as err:  # noqa: BLE001 - a client that stopped listening does not fail the call
            logger.debug("progress for %s not delivered (%s); no more progress for this call", self.name, err)
            self.wanted = False

    async def tick(self) -> None:
        await self.report(f"running for {self.elapsed():.1f} s")


class ToolHandlers:
    """The ``tools/list`` and ``tools/call`` handlers for a fixed set of specs."""

    def __init__(self, specs: Sequence[ToolSpec], slots: ToolSlots) -> None:
        self.slots = slots
        self.specs = {spec.name: spec for spec in specs}
        if len(self.specs) != len(specs):
            raise ValueError("tool names must be unique")
        self.tools = [tool_definition(spec) for spec in specs]
        self._schemas = {tool.name: tool.input_schema for tool in self.tools}

    def input_schema(self, name: str) -> dict[str, Any] | None:
        return self._schemas.get(name)

    async def list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools)

    async def call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        spec = self.specs.get(params.name)
        if spec is None:  # the MCP specification: an unknown tool is a protocol error, not a tool result
            raise MCPError(
                code=types.INVALID_PARAMS,
                message=f"Unknown tool {params.name!r}; this server has: {', '.join(self.specs)}",
            )
        progress = _Progress(ctx.session, spec.name, _progress_token(ctx.params) is not None)
        await progress.report("started")
        try:
            output = await run_blocking(
                spec.call,
                dict(params.arguments or {}),
                name=spec.name,
                slots=self.slots,
                timeout=spec.hints.timeout,
                on_tick=progress.tick if progress.wanted else None,
                interval=PROGRESS_INTERVAL,
            )
            result = success_result(output.model_dump(mode="json"))
        except ToolError as err:
            result = error_result(err)
        except TimeoutError:
            result = error_result(
                ToolError(f"{spec.name} took longer than {spec.hints.timeout:g} s and was abandoned", code="timeout")
            )
        except anyio.get_cancelled_exc_class():
            # The worker thread (and any sandbox process) finishes on its own, bounded by its own timeout.
            logger.info(
                "tools/call %s cancelled after %.2f s; its worker finishes on its own", spec.name, progress.elapsed()
            )
            raise
        outcome = f"failed ({(result.meta or {}).get('errorCode')})" if result.is_error else "done"
        await progress.report(outcome, final=True)
        logger.info("tools/call %s %s in %.2f s", spec.name, outcome, progress.elapsed())
        return result


def build_server(
    name: str, specs: Sequence[ToolSpec], *, title: str | None = None, slots: ToolSlots | None = None
) -> Server[Any]:
    """A low-level MCP server publishing ``specs`` as tools, running at most ``slots`` calls at once.

    Without ``slots``, the bounds come from :class:`~mcp_servers.limits.ServerLimits` defaults.
    """
    if slots is None:
        from mcp_servers.limits import ServerLimits

        limits = ServerLimits()
        slots = ToolSlots(limits.max_tool_calls, wait=limits.tool_queue_timeout, queued=limits.tool_queue)
    handlers = ToolHandlers(specs, slots)
    names = ", ".join(handlers.specs)
    return Server(
        name,
        version=package_version(),
        title=title,
        instructions=f"Tools: {names}. Results come as structuredContent (matching each tool's outputSchema) "
        "and as the same JSON in text; a failed call has isError and a message saying what to change.",
        get_tool_input_schema=handlers.input_schema,
        on_list_tools=handlers.list_tools,
        on_call_tool=handlers.call_tool,
    )


__all__ = ["PROGRESS_INTERVAL", "ToolHandlers", "build_server", "error_result", "success_result", "tool_definition"]
