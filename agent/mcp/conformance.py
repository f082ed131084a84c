"""Our MCP client as the conformance suite's client under test: ``python -m agent.mcp.conformance URL``.

The suite (``@modelcontextprotocol/conformance``) starts a server for a
scenario and runs this with the server's URL; ``MCP_CONFORMANCE_SCENARIO``
names the scenario and ``MCP_CONFORMANCE_CONTEXT`` (JSON) carries what it
hands a client, such as pre-registered credentials.  We connect with an
:class:`~agent.mcp.client.MCPToolbox` (its OAuth, elicitation and transport
code), list the tools, call the scenario's tool, and exit 0 on success.

The OAuth browser step is done by :func:`follow_redirects`, a "browser"
that fetches the authorization URL and follows its redirects to our own
loopback listener; the suite's authorization servers approve at once.
Elicitations are accepted with the defaults the server offered.  Tokens go
to a temporary ``AGENT_HOME`` removed at exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

CIMD_URL = "https://conformance-test.local/client-metadata.json"
SCENARIO_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "tools_call": ("add_numbers", {"a": 5, "b": 3}),
    "elicitation-sep1034-client-defaults": ("test_client_elicitation_defaults", {}),
    "sse-retry": ("test_reconnection", {}),
}
MAX_HOPS = 5


async def follow_redirects(url: str) -> None:
    """A browser that approves at once: GET the authorization URL and follow redirects (to our loopback)."""
    import httpx2

    async with httpx2.AsyncClient(timeout=10.0, follow_redirects=False) as http:
        for _ in range(MAX_HOPS):
            response = await http.get(url)
            location = response.headers.get("location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                return
            url = str(response.url.join(location))
        raise RuntimeError(f"more than {MAX_HOPS} redirects from the authorization URL")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_config(url: str, scenario: str, context: dict[str, Any]) -> Any:
    from agent.mcp.config import ServerConfig

    fields: dict[str, Any] = {"url": url}
    if context.get("client_id"):
        fields["client_id"] = context["client_id"]
        if context.get("client_secret"):
            fields["client_secret"] = context["client_secret"]
        # the suite's servers accept any redirect: a free port, not the fixed default another run may hold
        fields["redirect_uri"] = f"http://127.0.0.1:{free_port()}/callback"
    if scenario.startswith("auth/client-credentials"):
        fields["grant"] = "client_credentials"
    elif scenario.startswith("auth/"):
        fields["client_metadata_url"] = CIMD_URL  # used where the server supports client ID metadata documents
    return ServerConfig(**fields)


async def run(url: str, scenario: str, context: dict[str, Any], home: Path) -> int:
    from agent.mcp.client import MCPToolbox
    from agent.mcp.elicitation import accept_defaults

    toolbox = MCPToolbox(
        {"server": server_config(url, scenario, context)},
        home=home,
        log_dir=home / "logs",
        errlog=sys.stderr,
        browser=follow_redirects,
        elicitation_handler=accept_defaults,
        startup_timeout=25,
        call_timeout=20,
    )
    try:
        errors = await toolbox.astart()
        if errors:
            print(f"conformance client: {errors['server']}", file=sys.stderr)
            return 1
        tools = {tool.name for tool in (await toolbox.alisted_tools()).get("server", [])}
        name, arguments = SCENARIO_CALLS.get(scenario, ("test-tool", {}))
        if name in tools:
            result = await toolbox.acall("server", name, arguments)
            print(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True))[:2000])
        elif scenario in SCENARIO_CALLS:
            print(f"conformance client: the server lists no tool {name!r}", file=sys.stderr)
            return 1
        return 0
    finally:
        await toolbox.aclose()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    if len(args) != 1 or not scenario:
        print("usage: MCP_CONFORMANCE_SCENARIO=NAME python -m agent.mcp.conformance SERVER_URL", file=sys.stderr)
        return 2
    try:
        context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    except ValueError:
        print("conformance client: MCP_CONFORMANCE_CONTEXT is not JSON", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mcp-conformance-") as home:
        try:
            return asyncio.run(run(args[0], scenario, context if isinstance(context, dict) else {}, Path(home)))
        except Exception as err:  # noqa: BLE001 - one line for the suite's log
            from agent.mcp.errors import describe

            print(f"conformance client: {describe(err)}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
