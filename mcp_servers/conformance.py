"""A test-only server with the MCP conformance suite's fixtures: ``python -m mcp_servers.conformance [--http]``.

The suite's server scenarios call tools, resources and prompts by fixed
names (``test_simple_text``, ``test://static-text``, ``test_simple_prompt``,
...; see :mod:`mcp_servers.conformance_fixtures`).  Our real servers publish
only our tools; this one publishes the fixtures through the same machinery
(handlers, logging, completion, the HTTP guards, session bounds and
resumable streams), so the whole server suite runs against our code.  It is
never part of the all-tools server and has no console script.

Same flags as the other servers (``--http``, ``--port 0``, ``--log-level``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from mcp_servers.cli import build_parser, prepare, serve
from mcp_servers.running import ToolSlots


def build_conformance_server(slots: ToolSlots | None = None):  # noqa: ANN201 - the SDK's Server
    from mcp_servers.conformance_fixtures import FixtureResources, fixture_prompts, fixture_tools
    from mcp_servers.features import Features
    from mcp_servers.server import build_server

    resources = FixtureResources()
    features = Features(
        resources=[resources],
        prompts=fixture_prompts(),
        raw_tools=fixture_tools(),
        subscribe=(resources.subscribe, resources.unsubscribe),
        instructions=["Test fixtures of the MCP conformance suite; not a real server."],
    )
    return build_server(
        "mcp-conformance-test-server",
        [],
        title="langgraph-mcp-agent: conformance fixtures",
        slots=slots,
        features=features,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser("conformance", ())
    parser.description = "The MCP conformance suite's fixture server (tests only; stdio, or HTTP with --http)."
    args = parser.parse_args(argv)
    prepared = prepare(parser, args)
    if isinstance(prepared, int):
        return prepared
    _, limits, token = prepared
    slots = ToolSlots(limits.max_tool_calls, wait=limits.tool_queue_timeout, queued=limits.tool_queue)
    return serve(build_conformance_server(slots), args, limits, token)


if __name__ == "__main__":
    sys.exit(main())
