"""A test MCP server whose tools ask the client mid-call, and write down every answer they get.

    python tests/mcp_asking_server.py [--http --port 0]

* ``register(table)``: asks for a name (required) and an age (integer, default 30); answers what it got.
* ``drop_table(table)``: destructive (approval first), then asks "really?" (a boolean); drops on yes.
* ``summarize(text)``: asks the client's model (sampling) for a summary; answers it.
* ``hold(seconds)``: asks nothing, takes its time (another call in flight on the session).

Each answer is appended to ``ASK_LOG`` (one JSON line: tool, kind, action or text), so a test sees what the
server heard, including the "cancel" of a call the client's run abandoned to ask a person.  Built on our server
machinery (both protocol revisions, like the conformance fixtures).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anyio  # noqa: E402
from mcp import types  # noqa: E402

from mcp_servers.conformance_fixtures import ask, text  # noqa: E402
from mcp_servers.tool_calls import RawTool, ToolCall  # noqa: E402

NAME_FORM = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Your name"},
        "age": {"type": "integer", "description": "Your age", "default": 30},
    },
    "required": ["name"],
}
SURE_FORM = {"type": "object", "properties": {"sure": {"type": "boolean"}}, "required": ["sure"]}


def _heard(entry: dict[str, Any]) -> None:
    path = os.environ.get("ASK_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")


async def _elicit(call: ToolCall, message: str, schema: dict[str, Any]) -> Any:
    request = types.ElicitRequest(params=types.ElicitRequestFormParams(message=message, requested_schema=schema))
    answer = await ask(call, "elicitation", request)
    if not isinstance(answer, types.InputRequiredResult):
        _heard({"tool": call.name, "kind": "elicitation", "action": answer.action, "content": answer.content})
    return answer


async def _register(call: ToolCall) -> Any:
    table = call.arguments["table"]
    answer = await _elicit(call, f"Who is registering in {table}?\x1b[31m (red)", NAME_FORM)
    if isinstance(answer, types.InputRequiredResult):
        return answer
    if answer.action != "accept":
        return types.CallToolResult(content=[text(f"nobody registered ({answer.action})")])
    content = answer.content or {}
    return types.CallToolResult(content=[text(f"registered {content['name']}, {content['age']}, in {table}")])


async def _drop_table(call: ToolCall) -> Any:
    table = call.arguments["table"]
    answer = await _elicit(call, f"Really drop {table}?", SURE_FORM)
    if isinstance(answer, types.InputRequiredResult):
        return answer
    if answer.action == "accept" and (answer.content or {}).get("sure"):
        _heard({"tool": call.name, "kind": "dropped", "table": table})
        return types.CallToolResult(content=[text(f"dropped {table}")])
    return types.CallToolResult(content=[text(f"kept {table} ({answer.action})")])


async def _summarize(call: ToolCall) -> Any:
    prompt = types.SamplingMessage(role="user", content=text(f"Summarize: {call.arguments['text']}"))
    request = types.CreateMessageRequest(params=types.CreateMessageRequestParams(messages=[prompt], max_tokens=50))
    try:
        answer = await ask(call, "sampling", request)
    except Exception as err:  # noqa: BLE001 - the refusal is the tool's answer
        _heard({"tool": call.name, "kind": "sampling", "refused": str(err)})
        return types.CallToolResult(content=[text(f"no summary: {err}")], is_error=True)
    if isinstance(answer, types.InputRequiredResult):
        return answer
    reply = answer.content.text if isinstance(answer.content, types.TextContent) else "?"
    _heard({"tool": call.name, "kind": "sampling", "text": reply})
    return types.CallToolResult(content=[text(f"summary: {reply}")])


async def _hold(call: ToolCall) -> Any:
    await anyio.sleep(float(call.arguments["seconds"]))
    return types.CallToolResult(content=[text("held")])


def _tool(name: str, description: str, argument: str = "table", destructive: bool = False) -> types.Tool:
    kind = "number" if argument == "seconds" else "string"
    schema = {"type": "object", "properties": {argument: {"type": kind}}, "required": [argument]}
    notes = types.ToolAnnotations(destructive_hint=True) if destructive else None
    return types.Tool(name=name, description=description, input_schema=schema, annotations=notes)


def build() -> Any:
    from mcp_servers.features import Features
    from mcp_servers.server import build_server

    tools = [
        RawTool(_tool("register", "Register someone in a table (asks who)."), _register),
        RawTool(_tool("drop_table", "Drop a table (asks to confirm).", destructive=True), _drop_table),
        RawTool(_tool("summarize", "Summarize a text with the client's model.", "text"), _summarize),
        RawTool(_tool("hold", "Take some seconds.", "seconds"), _hold),
    ]
    return build_server("asking-test-server", [], title="asking test server", features=Features(raw_tools=tools))


def main() -> int:
    from mcp_servers.cli import build_parser, prepare, serve

    parser = build_parser("asking", ())
    args = parser.parse_args()
    prepared = prepare(parser, args)
    if isinstance(prepared, int):
        return prepared
    _, limits, token = prepared
    return serve(build(), args, limits, token)


if __name__ == "__main__":
    sys.exit(main())
