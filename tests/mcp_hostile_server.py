"""A hostile MCP server speaking raw JSON-RPC over stdio, to publish what the SDK would refuse to.

python mcp_hostile_server.py [--mute] [--noise]

Its tools: ``echo`` (sound), schemas that break naive clients (a remote
``$ref``, an unknown type, catastrophic patterns, an exponential ``$ref``
lattice, a ``$ref`` cycle), two names that sanitise alike (``read.data``,
``read/data``), an output schema with a catastrophic pattern, and two tools
that kill the server mid-call (``count_and_die``, not idempotent;
``idempotent_flaky``, which dies once).  ``--mute`` reads stdin and never
answers, not even ``initialize``; ``--noise`` prints lines on stdout that
are not JSON-RPC.  It always writes an INFO line on stderr at start.
State for the dying tools lives in ``$HOSTILE_STATE_DIR``; ``$HOSTILE_TYPELESS``
adds a tool whose schema has no ``type``, which makes the SDK refuse the listing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

STATE = Path(os.environ.get("HOSTILE_STATE_DIR", "."))
LATTICE = {f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]} for i in range(30)}
LATTICE["d30"] = {"type": "string", "minLength": 5}
TOOLS = [
    ("echo", {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}, None),
    ("remote_ref", {"type": "object", "properties": {"x": {"$ref": "http://example.com/schema.json"}}}, None),
    ("banana", {"type": "object", "properties": {"x": {"type": "banana"}}}, None),
    ("evil_pattern", {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}}}, None),
    ("evil_alternation", {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a|a)+$"}}}, None),
    ("lattice", {"type": "object", "properties": {"x": {"$ref": "#/$defs/d0"}}, "$defs": LATTICE}, None),
    ("self_ref", {"type": "object", "$ref": "#"}, None),
    ("read.data", {"type": "object", "properties": {}}, None),
    ("read/data", {"type": "object", "properties": {}}, None),
    ("evil_output", {"type": "object", "properties": {}},
     {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a|a)+$"}}}),
    ("count_and_die", {"type": "object", "properties": {}}, None),
    ("idempotent_flaky", {"type": "object", "properties": {}}, None),
]  # fmt: skip
IDEMPOTENT = {"idempotent_flaky": {"idempotentHint": True}}
if os.environ.get("HOSTILE_TYPELESS"):  # no "type": the SDK refuses the whole listing
    TOOLS.append(("typeless", {"properties": {}}, None))


def send(message: dict) -> None:
    if "--noise" in sys.argv:
        sys.stdout.write("NOISE: this line is not JSON-RPC\n")
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def listing() -> dict:
    tools = []
    for name, schema, output in TOOLS:
        tool = {"name": name, "description": f"hostile tool {name}", "inputSchema": schema}
        if output is not None:
            tool["outputSchema"] = output
        if name in IDEMPOTENT:
            tool["annotations"] = IDEMPOTENT[name]
        tools.append(tool)
    return {"tools": tools}


def call(name: str, arguments: dict) -> dict:
    if name == "evil_output":
        return {"content": [{"type": "text", "text": "evil"}], "structuredContent": {"s": "a" * 40 + "!"}}
    if name == "count_and_die":
        with open(STATE / "count_and_die", "a") as counter:
            counter.write("called\n")
        os._exit(3)
    if name == "idempotent_flaky":
        marker = STATE / "flaky_died"
        if not marker.exists():
            marker.write_text("died once")
            os._exit(3)
        return {"content": [{"type": "text", "text": "flaky answered"}]}
    return {
        "content": [{"type": "text", "text": f"{name} got {json.dumps(arguments, sort_keys=True)} (pid {os.getpid()})"}]
    }


def answer(message: dict) -> dict:
    method, params = message.get("method"), message.get("params") or {}
    if method == "initialize":
        return {
            "protocolVersion": params.get("protocolVersion", "2025-11-25"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "hostile", "version": "1"},
        }
    if method == "tools/list":
        return listing()
    if method == "tools/call":
        return call(params["name"], params.get("arguments") or {})
    if method == "ping":
        return {}
    raise LookupError(method)


def main() -> None:
    print(f"INFO hostile server {os.getpid()} starting", file=sys.stderr, flush=True)
    if "--noise" in sys.argv:
        print("hello from a server that prints on stdout", flush=True)
    for line in sys.stdin:
        if "--mute" in sys.argv:
            continue
        message = json.loads(line)
        if "id" not in message or "method" not in message:
            continue
        try:
            send({"jsonrpc": "2.0", "id": message["id"], "result": answer(message)})
        except LookupError as missing:
            send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": f"no {missing}"}})


if __name__ == "__main__":
    main()
