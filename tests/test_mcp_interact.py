"""A server that asks mid-call: elicitation (accept, decline, the terminal form) and sampling (refused unless
allowed, then served by the given model within its allowance); a server that forgot the session; the
resources tool.  Real server processes: the conformance fixture server and ours, over stdio and HTTP.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest
from mcp import types
from mcp_helpers import HttpServer, server_env, stdio_env

from agent.mcp.client import MCPToolbox
from agent.mcp.config import ServerConfig
from agent.mcp.elicitation import Elicitation, accept_defaults, complete, problem, terminal
from agent.mcp.errors import MCPServerError
from agent.mcp.sampling import Sampler

PROTOCOLS = ("2025-11-25", "2026-07-28")


def fixtures(home: Path, **entry: object) -> ServerConfig:
    return ServerConfig(command=sys.executable, args=["-m", "mcp_servers.conformance"], env=stdio_env(home), **entry)


def box(home: Path, **kwargs: object) -> MCPToolbox:
    servers = kwargs.pop("servers")
    return MCPToolbox(servers, home=home, log_dir=home / "logs", **kwargs)  # type: ignore[arg-type]


def text(result: types.CallToolResult) -> str:
    return result.content[0].text


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_elicitation_accepted_by_the_handler_and_declined_without_one(protocol, tmp_path):
    asked: list[Elicitation] = []

    def answer(request: Elicitation) -> types.ElicitResult:
        asked.append(request)
        return types.ElicitResult(action="accept", content={"response": "forty-two"})

    servers = {"fx": fixtures(tmp_path, protocol=protocol)}
    with box(tmp_path, servers=servers, elicitation_handler=answer) as toolbox:
        result = toolbox.call("fx", "test_elicitation", {"message": "What is the answer?"})
        assert text(result) == 'User response: action=accept, content={"response":"forty-two"}'
        defaults = text(toolbox.call("fx", "test_elicitation_sep1034_defaults", {}))
        assert defaults == "Elicitation completed: action=decline, content={}"  # the handler's answer misses fields
    assert asked[0].server == "fx" and asked[0].message == "What is the answer?" and asked[0].mode == "form"
    assert asked[0].schema["required"] == ["response"]

    with box(tmp_path, servers=servers) as toolbox:  # no handler: a run that cannot ask declines
        assert text(toolbox.call("fx", "test_elicitation", {"message": "?"})) == (
            "User response: action=decline, content={}"
        )
    with box(tmp_path, servers=servers, elicitation_handler=accept_defaults) as toolbox:
        defaults = json.loads(text(toolbox.call("fx", "test_elicitation_sep1034_defaults", {})).split("content=")[1])
        assert defaults == {"name": "John Doe", "age": 30, "score": 95.5, "status": "active", "verified": True}


def test_a_person_answering_does_not_count_against_the_call_timeout(tmp_path):
    def slow(request: Elicitation) -> types.ElicitResult:
        time.sleep(2.0)
        return types.ElicitResult(action="accept", content={"response": "late but fine"})

    servers = {"fx": fixtures(tmp_path, protocol="2025-11-25", timeout=1.0)}
    with box(tmp_path, servers=servers, elicitation_handler=slow, call_timeout=1.0) as toolbox:
        assert "late but fine" in text(toolbox.call("fx", "test_elicitation", {"message": "take your time"}))


def test_the_terminal_form_shows_defaults_converts_and_strips_control_characters(monkeypatch, capsys):
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Your name", "default": "John Doe"},
            "age": {"type": "integer", "default": 30},
            "status": {"type": "string", "enum": ["active", "inactive"]},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}},
            "verified": {"type": "boolean"},
        },
        "required": ["status"],
    }
    request = Elicitation("evil", "Please fill in \x1b[2J\x1b]0;pwned\x07the form\u202e", schema=schema)
    typed = "\nforty\n41\n\npaused\ninactive\na, c\nmaybe\nyes\n\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    result = terminal(request)
    assert result.action == "accept"
    assert result.content == {"name": "John Doe", "age": 41, "status": "inactive", "tags": ["a", "c"], "verified": True}
    shown = capsys.readouterr().err
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "Please fill in [2J]0;pwnedthe form" in shown
    assert "[John Doe]" in shown and "this field is required" in shown and "choose one of: active, inactive" in shown

    monkeypatch.setattr(sys, "stdin", io.StringIO("\n\ninactive\n\n\nn\n"))
    assert terminal(request).action == "decline"
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # end of input: cancel
    assert terminal(request).action == "cancel"


def test_accepted_forms_get_defaults_and_are_checked():
    schema = {"properties": {"n": {"type": "integer", "default": 3}, "s": {"type": "string", "enum": ["x"]}}}
    assert complete(schema, {"s": "x"}) == {"n": 3, "s": "x"}
    assert problem(schema, {"n": True}) == "the field 'n' must be of type integer"
    assert problem(schema, {"s": "y"}) == "the field 's' must be one of: x"
    assert problem(schema, {"other": 1}) == "the server did not ask for 'other'"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_sampling_is_refused_unless_allowed_then_served_within_the_allowance(protocol, tmp_path):
    prompts: list[list[tuple[str, str]]] = []

    def model(request) -> str:
        prompts.append(request.messages)
        return f"echo: {request.messages[-1][1]}"

    def sample(toolbox: MCPToolbox) -> str:
        try:
            return text(toolbox.call("fx", "test_sampling", {"prompt": "Say hi"}))
        except MCPServerError as err:  # 2026-07-28: the refusal ends the call itself
            return str(err)

    refused = {"fx": fixtures(tmp_path, protocol=protocol)}
    with box(tmp_path, servers=refused, sampler=Sampler(model, max_calls=5)) as toolbox:
        assert "sampling is off for MCP server 'fx'; the user can allow it with \"sampling\": true" in sample(
            toolbox
        ).replace(" in this client", "")
    assert prompts == []
    allowed = {"fx": fixtures(tmp_path, protocol=protocol, sampling=True)}
    with box(tmp_path, servers=allowed, sampler=Sampler(model, max_calls=1)) as toolbox:
        assert sample(toolbox) == "LLM response: echo: Say hi"
        assert "allowance for sampling is used up (1 requests in this run)" in sample(toolbox)
    assert prompts == [[("user", "Say hi")]]


def test_a_session_the_server_forgot_is_opened_again_and_the_call_sent(tmp_path):
    """test_simple_text is not marked read-only or idempotent: only a 404 (never run) allows sending it again."""
    home = tmp_path / "home"
    first = HttpServer("conformance", tmp_path / "one.log", server_env(home)).__enter__()
    port = first.url.rsplit(":", 1)[1].split("/")[0]
    toolbox = box(home, servers={"fx": ServerConfig(url=first.url, protocol="2025-11-25")})
    try:
        toolbox.start()
        assert "simple text" in text(toolbox.call("fx", "test_simple_text", {}))
        first.__exit__()  # the server restarts on the same port, its sessions forgotten
        with HttpServer("conformance", tmp_path / "two.log", server_env(home), "--port", port) as second:
            assert second.url == first.url
            assert "simple text" in text(toolbox.call("fx", "test_simple_text", {}))
    finally:
        toolbox.close()
        if first.process is not None and first.process.poll() is None:
            first.__exit__()


def test_the_resources_tool_lists_and_reads_read_only(tmp_path):
    servers = {"db": ServerConfig(command=sys.executable, args=["-m", "mcp_servers.database"], env=stdio_env(tmp_path))}
    with box(tmp_path, servers=servers) as toolbox:
        tool = {t.name: t for t in toolbox.langchain_tools()}["db__resources"]
        assert tool.metadata["read_only"] and not tool.metadata["destructive"]
        listing = json.loads(tool.invoke({}))
        assert "db://demo/tables/orders/schema" in [r["uri"] for r in listing["resources"]]
        assert listing["templates"][0]["uriTemplate"] == "db://demo/tables/{table}/schema"
        schema = json.loads(json.loads(tool.invoke({"uri": "db://demo/tables/orders/schema"}))["contents"][0]["text"])
        assert schema["name"] == "orders"
        assert "Resource not found" in tool.invoke({"uri": "db://demo/tables/nope/schema"})


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_server_log_notifications_go_to_the_servers_log_file(protocol, tmp_path):
    """At the server entry's ``log_level``; the default, warning, spares a message per call to every server."""
    servers = {
        "fx": fixtures(tmp_path, protocol=protocol, log_level="info"),
        "quiet": fixtures(tmp_path, protocol=protocol),
    }
    with box(tmp_path, servers=servers) as toolbox:
        assert "successfully" in text(toolbox.call("fx", "test_tool_with_logging", {}))
        assert "successfully" in text(toolbox.call("quiet", "test_tool_with_logging", {}))
    log = (tmp_path / "logs" / "mcp-fx.log").read_text()
    for line in ("Tool execution started", "Tool processing data", "Tool execution completed"):
        assert f"server info: test_tool_with_logging: {line}" in log
    assert "server info" not in (tmp_path / "logs" / "mcp-quiet.log").read_text()


def test_the_cli_serves_sampling_with_the_agents_model_when_a_server_may(tmp_path):
    """``serve_sampling`` (what ``python -m agent`` calls) hands the agent's model to a server that may sample."""
    import json

    import agent.mcp as mcp
    from agent.settings import Settings

    home = tmp_path / "home"
    entry = {"command": sys.executable, "args": ["-m", "mcp_servers.conformance"], "env": stdio_env(home)}
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"fx": {**entry, "sampling": True}}}))
    settings = Settings(home=home, mcp_config=path, max_model_calls=4)
    mcp.serve_sampling(settings)
    sampler = mcp._handlers.get("sampler")
    try:
        assert isinstance(sampler, Sampler) and sampler.max_calls == 4  # the offline model here: no model configured
        with box(home, servers={"fx": fixtures(home, sampling=True)}, sampler=sampler) as toolbox:
            reply = text(toolbox.call("fx", "test_sampling", {"prompt": "Is 7 prime?"}))
        assert reply.startswith("LLM response: (Offline model")  # the agent's model answered the server
    finally:
        mcp.set_sampler(None)
