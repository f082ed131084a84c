"""Tools over MCP: definitions from :class:`~tools.base.ToolSpec`, and the ``tools/list``/``tools/call`` handlers.

We register tools on the SDK's low-level :class:`mcp.server.Server` rather
than :class:`~mcp.server.MCPServer`: MCPServer derives schemas from function
signatures, which would lose what the pydantic models say (``n`` as an integer
*or* a string of digits, bounds, descriptions).  Here ``inputSchema`` and
``outputSchema`` are the models' own JSON schemas, the arguments are validated
by the same model the agent uses, and every tool failure becomes a result
with ``isError: true`` whose text is the :class:`~tools.base.ToolError`
message, so the model calling the tool can correct itself.  Protocol errors
are left for protocol faults, such as naming a tool this server does not have.

A call reports its work to the client: progress notifications when the
client sent a progress token, and log notifications (``notifications/message``:
started, done or failed) at the level the client chose (see
:mod:`mcp_servers.client_logging`).  Besides spec tools a server may carry
:class:`RawTool` handlers that build their own results (the conformance
fixtures: images, audio, elicitation, sampling).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
from mcp import types
from mcp.server import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPError

from mcp_servers.client_logging import LogLevels, send_log
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


@dataclass
class ToolCall:
    """One ``tools/call`` as a :class:`RawTool` handler sees it: the request context, arguments, a log."""

    ctx: ServerRequestContext[Any]
    name: str
    arguments: dict[str, Any]
    levels: LogLevels | None

    async def log(self, level: types.LoggingLevel, data: Any) -> None:
        await send_log(self.levels, self.ctx, level, data, self.name)


@dataclass(frozen=True)
class RawTool:
    """A tool whose async handler builds its own MCP result (any content, elicitation, sampling)."""

    definition: types.Tool
    handler: Callable[[ToolCall], Awaitable[types.CallToolResult | types.InputRequiredResult]]


class ToolHandlers:
    """The ``tools/list`` and ``tools/call`` handlers for a fixed set of specs (and raw tools).

    ``after_call`` runs after every spec tool call (a watcher looks whether the
    call changed what it watches, e.g. a database schema).
    """

    def __init__(
        self,
        specs: Sequence[ToolSpec],
        slots: ToolSlots,
        *,
        raw: Sequence[RawTool] = (),
        levels: LogLevels | None = None,
        after_call: Callable[[], None] | None = None,
    ) -> None:
        self.slots, self.levels, self.after_call = slots, levels, after_call
        self.specs = {spec.name: spec for spec in specs}
        self.raw = {tool.definition.name: tool for tool in raw}
        if len(self.specs) != len(specs) or len(self.raw) != len(raw) or set(self.specs) & set(self.raw):
            raise ValueError("tool names must be unique")
        self.tools = [tool_definition(spec) for spec in specs] + [tool.definition for tool in raw]
        self._schemas = {tool.name: tool.input_schema for tool in self.tools}

    def input_schema(self, name: str) -> dict[str, Any] | None:
        return self._schemas.get(name)

    async def list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools)

    async def call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        spec = self.specs.get(params.name)
        if spec is not None:
            try:
                return await self._call_spec(ctx, spec, dict(params.arguments or {}))
            finally:
                if self.after_call is not None:
                    self.after_call()
        raw = self.raw.get(params.name)
        if raw is not None:
            return await self._call_raw(ctx, raw, dict(params.arguments or {}))
        # the MCP specification: an unknown tool is a protocol error, not a tool result
        raise MCPError(
            code=types.INVALID_PARAMS,
            message=f"Unknown tool {params.name!r}; this server has: {', '.join([*self.specs, *self.raw])}",
        )

    async def _call_raw(
        self, ctx: ServerRequestContext[Any], raw: RawTool, arguments: dict[str, Any]
    ) -> types.CallToolResult | types.InputRequiredResult:
        name = raw.definition.name
        try:
            return await raw.handler(ToolCall(ctx, name, arguments, self.levels))
        except ToolError as err:
            return error_result(err)
        except MCPError:
            raise
        except Exception:
            logger.exception("tools/call %s failed", name)
            failure = ToolError(f"{name} failed unexpectedly; the server log has the details", code="internal")
            return error_result(failure)

    async def _call_spec(
        self, ctx: ServerRequestContext[Any], spec: ToolSpec, arguments: dict[str, Any]
    ) -> types.CallToolResult:
        call = ToolCall(ctx, spec.name, arguments, self.levels)
        progress = _Progress(ctx.session, spec.name, _progress_token(ctx.params) is not None)
        await progress.report("started")
        await call.log("info", f"{spec.name}: started")
        try:
            output = await run_blocking(
                spec.call,
                arguments,
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
        code = (result.meta or {}).get("errorCode")
        outcome = f"failed ({code})" if result.is_error else "done"
        await progress.report(outcome, final=True)
        elapsed = progress.elapsed()
        if result.is_error:
            level: types.LoggingLevel = "error" if code in ("internal", "timeout", "unavailable") else "warning"
            await call.log(level, f"{spec.name}: {outcome} after {elapsed:.2f} s: {result.content[0].text[:500]}")
        else:
            await call.log("info", f"{spec.name}: done in {elapsed:.2f} s")
        logger.info("tools/call %s %s in %.2f s", spec.name, outcome, elapsed)
        return result


__all__ = [
    "PROGRESS_INTERVAL",
    "RawTool",
    "ToolCall",
    "ToolHandlers",
    "error_result",
    "package_version",
    "success_result",
    "tool_definition",
]
