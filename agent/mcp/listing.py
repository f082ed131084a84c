"""A server's tool listing, vetted: bad tools dropped by name, the others made safe to use.

Runs once per connection.  A tool whose input or output schema fails
:func:`agent.mcp.schema.vet` is dropped with one line naming server, tool and
problem; the rest of the server stays usable.  Each kept tool gets the
looser schema the graph validates with and a bounded checker for the full
one.  The SDK validates structured results against output schemas with
plain ``jsonschema``, on the sessions' event loop where a catastrophic
pattern would freeze every server; an output schema that needs it gets the
looser version in the SDK's place (or the tool is dropped if that is not
possible).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from agent.mcp.arguments import ArgumentChecker
from agent.mcp.loosen import loosen
from agent.mcp.schema import SchemaProblem, vet

log = logging.getLogger("agent.mcp")

MAX_TOOLS = 512  # per server
MAX_PAGES = 64
MAX_LISTING_CHARS = 512_000  # all schemas of one server together (vetting costs about 7 us a character)


@dataclass
class ListedTool:
    """One usable MCP tool: the server's description plus what the client checks it with."""

    tool: Any  # mcp_types.Tool
    args_schema: dict[str, Any]  # looser, cheap to validate: for the graph and the model
    checker: ArgumentChecker  # the full input schema, in bounded time


@dataclass
class Listing:
    tools: list[ListedTool] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    output_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)  # tool -> looser output schema


def vet_listing(server: str, tools: list[Any], truncated: bool = False) -> Listing:
    """Vet every tool of one server (CPU only: run it off the event loop)."""
    listing = Listing()
    if truncated or len(tools) > MAX_TOOLS:
        listing.warnings.append(f"MCP server '{server}': lists more than {MAX_TOOLS} tools; only the first are used")
    seen: set[str] = set()
    budget = MAX_LISTING_CHARS
    for index, tool in enumerate(tools[:MAX_TOOLS]):
        name = tool.name
        if name in seen:
            listing.warnings.append(f"MCP server '{server}': tool {_shown(name)} is listed twice; the first is used")
            continue
        seen.add(name)
        budget -= _chars(tool)
        if budget < 0:
            listing.warnings.append(f"MCP server '{server}': its tool schemas pass {MAX_LISTING_CHARS} characters "
                                    f"in all; its last {len(tools[:MAX_TOOLS]) - index} tools are dropped")  # fmt: skip
            break
        try:
            listing.tools.append(_vet_tool(tool, listing))
        except SchemaProblem as problem:
            listing.warnings.append(f"MCP server '{server}': tool {_shown(name)} dropped: {problem}")
        except Exception as err:  # a vetting bug must cost one tool, not the server
            log.warning("MCP server %r: vetting tool %r failed", server, name, exc_info=True)
            listing.warnings.append(f"MCP server '{server}': tool {_shown(name)} dropped: {type(err).__name__}: {err}")
    return listing


def _vet_tool(tool: Any, listing: Listing) -> ListedTool:
    vetted = vet(tool.input_schema)
    args_schema, _ = loosen(vetted)
    if tool.output_schema is not None:
        output, changed = loosen(vet(tool.output_schema, what="output schema"))
        if changed:
            listing.output_schemas[tool.name] = output
    return ListedTool(tool, args_schema, ArgumentChecker(vetted))


def _chars(tool: Any) -> int:
    try:
        return len(json.dumps([tool.input_schema, tool.output_schema], default=str))
    except (RecursionError, TypeError, ValueError):  # too deep to count: vet() refuses it by depth first
        return 0


def _shown(name: str) -> str:
    return repr(name if len(name) <= 80 else name[:77] + "...")


def replace_output_schemas(client: Any, server: str, listing: Listing) -> None:
    """Give the SDK the looser output schemas to validate results with.

    The SDK keeps them in private fields; if those ever move, the affected
    tools are dropped (with a warning) rather than risking a frozen loop.
    """
    if not listing.output_schemas:
        return
    from agent.mcp.compat import output_schema_cache

    if (cache := output_schema_cache(client)) is not None:
        schemas, validators = cache
        for name, schema in listing.output_schemas.items():
            schemas[name] = schema
            validators.pop(name, None)
        return
    for name in listing.output_schemas:
        listing.warnings.append(
            f"MCP server '{server}': tool {_shown(name)} dropped: its output schema needs checks this client "
            "cannot bound with this version of the mcp SDK"
        )
    listing.tools = [t for t in listing.tools if t.tool.name not in listing.output_schemas]


async def list_all(client: Any) -> tuple[list[Any], bool]:
    """Every page of ``tools/list`` (bounded); True when the bound cut it short."""
    tools, cursor = [], None
    for _ in range(MAX_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return tools, False
        if len(tools) > MAX_TOOLS:
            break
    return tools, True


__all__ = ["ListedTool", "Listing", "list_all", "replace_output_schemas", "vet_listing"]
