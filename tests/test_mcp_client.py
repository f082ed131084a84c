"""Our MCP client against real servers: ours, a test server, and a third-party one from PyPI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from graph_helpers import agent
from langchain_core.messages import ToolMessage

from agent.mcp import close_all, configured_tools
from agent.mcp.client import MCPToolbox
from agent.mcp.config import MCPConfigError, ServerConfig, load_config
from agent.mcp.tools import tool_name
from agent.settings import Settings
from graphs.testing import ScriptedModel, answer, call

SERVER = str(Path(__file__).with_name("mcp_test_server.py"))
STDIO = ServerConfig(command=sys.executable, args=[SERVER])


def by_name(tools):
    return {t.name: t for t in tools}


def invoke(tool, **args):
    return tool.invoke({"name": tool.name, "args": args, "id": "call_1", "type": "tool_call"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, SERVER, "--http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def toolbox():
    box = MCPToolbox({"t": STDIO}, call_timeout=5)
    box.start()
    yield box
    box.close()


def test_stdio_tools_are_prefixed_and_structured_content_preferred(toolbox):
    tools = by_name(toolbox.langchain_tools())
    assert set(tools) == {"t__add", "t__echo", "t__sleep", "t__fail", "t__wipe", "t__die"}
    result = invoke(tools["t__add"], a=2, b=3)
    assert json.loads(result.content) == {"total": 5} and result.artifact == {"total": 5}
    assert tools["t__add"].args_schema["required"] == ["a", "b"]
    assert tools["t__add"].metadata["read_only"] is True and not tools["t__add"].metadata["destructive"]
    assert tools["t__wipe"].metadata["destructive"] is True


def test_is_error_results_become_tool_errors(toolbox):
    result = invoke(by_name(toolbox.langchain_tools())["t__fail"], reason="x")
    assert isinstance(result, ToolMessage) and result.status == "error"
    assert "Error executing tool fail" in result.content


def test_one_persistent_session_for_many_calls(toolbox):
    pids = {toolbox.call("t", "echo", {"text": str(i)}).content[0].text.split("pid ")[1] for i in range(20)}
    assert len(pids) == 1  # never a new server process per call


def test_streamable_http(http_server):
    with MCPToolbox({"web": ServerConfig(url=http_server)}) as box:
        tools = by_name(box.langchain_tools())
        assert json.loads(invoke(tools["web__add"], a=40, b=2).content) == {"total": 42}


def test_killed_server_is_reconnected(toolbox):
    tools = by_name(toolbox.langchain_tools())
    first = invoke(tools["t__echo"], text="before").content
    died = invoke(tools["t__die"])
    assert died.status == "error" and "MCP server 't' lost the connection during die" in died.content
    assert "not repeated" in died.content  # die is not marked idempotent: it may have run
    after = invoke(tools["t__echo"], text="after").content
    assert "after" in after and after.split("pid ")[1] != first.split("pid ")[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split()[2] != "Z"


def test_server_killed_between_calls_is_transparent(tmp_path):
    pids = tmp_path / "pids"
    config = ServerConfig(command=sys.executable, args=[SERVER], env={"TEST_SERVER_PID_FILE": str(pids)})
    with MCPToolbox({"t": config}, log_dir=tmp_path / "logs") as box:
        tools = by_name(box.langchain_tools())
        assert json.loads(invoke(tools["t__add"], a=1, b=1).content) == {"total": 2}
        for _ in range(3):  # kill it from outside, three times: each next call reconnects first
            os.kill(int(pids.read_text().split()[-1]), signal.SIGKILL)
            time.sleep(0.3)
            assert json.loads(invoke(tools["t__add"], a=2, b=2).content) == {"total": 4}
        assert len(pids.read_text().split()) == 4
        assert len(box._logs) == 1  # one log file per server, however often it restarts
    assert not any(alive(int(pid)) for pid in pids.read_text().split())


def test_close_while_a_server_is_still_starting_leaves_no_process(tmp_path):
    pids = tmp_path / "pids"
    slow = ServerConfig(
        command=sys.executable,
        args=[SERVER],
        env={"TEST_SERVER_SLOW_START": "30", "TEST_SERVER_PID_FILE": str(pids)},
        startup_timeout=2,
    )
    box = MCPToolbox({"slow": slow, "fast": STDIO})  # fast: the default startup_timeout
    errors = box.start()
    assert errors == {"slow": "did not start within 2 s (its startup_timeout)"}
    assert {t.name for t in box.langchain_tools()} >= {"fast__add"}
    box.close()
    time.sleep(0.5)
    assert not alive(int(pids.read_text().split()[0]))


def test_an_unclosed_toolbox_does_not_hang_asyncio_run():
    code = (
        "import asyncio, sys\n"
        "from agent.mcp.client import MCPToolbox\n"
        "from agent.mcp.config import ServerConfig\n"
        f"cfg = ServerConfig(command=sys.executable, args=[{SERVER!r}])\n"
        "async def main():\n"
        "    box = MCPToolbox({'t': cfg})\n"
        "    await box.astart()\n"
        "    return len(box.langchain_tools())\n"
        "print(asyncio.run(main()))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "6"


def test_hanging_call_times_out():
    with MCPToolbox({"t": ServerConfig(command=sys.executable, args=[SERVER], timeout=0.5)}, call_timeout=0.5) as box:
        started = time.perf_counter()
        result = invoke(by_name(box.langchain_tools())["t__sleep"], seconds=30)
        assert time.perf_counter() - started < 5
        assert result.status == "error" and "did not answer sleep within 0.5 s" in result.content
        assert "total" in invoke(by_name(box.langchain_tools())["t__add"], a=1, b=1).content  # still usable


def test_server_that_fails_to_start_is_named_and_the_others_go_on():
    servers = {
        "good": STDIO,
        "missing": ServerConfig(command="/nonexistent/mcp-server"),
        "broken": ServerConfig(command=sys.executable, args=[SERVER], env={"TEST_SERVER_FAIL_START": "1"}),
    }
    with MCPToolbox(servers, startup_timeout=20) as box:
        assert set(box.errors) == {"missing", "broken"}
        assert "No such file" in box.errors["missing"]
        assert {t.name for t in box.langchain_tools()} >= {"good__add"}


async def test_async_calls_concurrently_and_lifespan_in_other_tasks():
    box = MCPToolbox({"t": STDIO})
    await asyncio.create_task(box.astart())  # opened in one task...
    tools = by_name(box.langchain_tools())
    started = time.perf_counter()
    results = await asyncio.gather(*(tools["t__sleep"].ainvoke({"seconds": 0.5}) for _ in range(3)))
    assert time.perf_counter() - started < 1.4 and all("slept 0.5" in r for r in results)
    await asyncio.create_task(box.aclose())  # ...and closed in another, without cancel-scope errors


def test_third_party_server_from_pypi(legacy_mcp_python):
    server = ServerConfig(command=legacy_mcp_python, args=["-m", "mcp_server_time", "--local-timezone", "UTC"])
    with MCPToolbox({"time": server}) as box:
        assert not box.errors
        tools = by_name(box.langchain_tools())
        assert "time__get_current_time" in tools
        result = invoke(tools["time__get_current_time"], timezone="Europe/Paris")
        assert result.status == "success" and "Europe/Paris" in result.content
        bad = invoke(tools["time__get_current_time"], timezone="Mars/Olympus")
        assert bad.status == "error"


def test_config_file_env_expansion_and_default_location(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_TOKEN", "tok-123")
    home = tmp_path / "home"
    home.mkdir()
    (home / "mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "t": {"command": sys.executable, "args": [SERVER], "env": {"TOKEN": "${MY_TOKEN}"}},
                    "off": {"command": "nothing", "disabled": True},
                    "remote": {"url": "http://127.0.0.1:1/mcp", "headers": {"Authorization": "Bearer ${MY_TOKEN}"}},
                }
            }
        )
    )
    config = load_config(home / "mcp.json").enabled()
    assert set(config) == {"t", "remote"}
    assert config["t"].env == {"TOKEN": "tok-123"} and config["remote"].headers["Authorization"] == "Bearer tok-123"
    try:
        tools = configured_tools(Settings(home=home))
        assert {t.name for t in tools} >= {"t__add", "t__echo"}
    finally:
        close_all()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"mcpServers": {"x": {}}}', "either 'command'"),
        ('{"mcpServers": {"x": {"command": "a", "url": "http://b"}}}', "either 'command'"),
        ("{not json", "not valid JSON"),
        (
            '{"mcpServers": {"x": {"command": "a", "env": {"K": "${SURELY_UNSET_VAR_42}"}}}}',
            "MCP server 'x': environment variable SURELY_UNSET_VAR_42 is not set",
        ),
    ],
)
def test_bad_config_names_the_problem(tmp_path, content, message):
    path = tmp_path / "mcp.json"
    path.write_text(content)
    with pytest.raises(MCPConfigError, match=message):
        load_config(path).enabled()


def test_graph_validates_mcp_arguments_against_the_json_schema(toolbox):
    tools = toolbox.langchain_tools()
    model = ScriptedModel([call("t__add", a="two", b=2), call("t__add", a=2, b=2), answer("4")])
    out = agent(model, tools=tools).invoke({"messages": "add"})
    rejected, ran = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert rejected.status == "error" and "'two' is not of type 'integer'" in rejected.content
    assert json.loads(ran.content) == {"total": 4}


def test_destructive_mcp_tool_asks_for_approval(toolbox):
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    model = ScriptedModel([call("t__wipe", target="disk"), answer("done")])
    graph = agent(model, tools=toolbox.langchain_tools(), checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "w"}}
    assert graph.invoke({"messages": "wipe"}, config)["__interrupt__"]
    out = graph.invoke(Command(resume="approve"), config)
    assert any(isinstance(m, ToolMessage) and "wiped disk" in m.content for m in out["messages"])


def test_offline_agent_answers_through_an_mcp_tool(tmp_path):
    from graphs.builder import build_agent

    home = tmp_path / "home"
    home.mkdir()
    (home / "mcp.json").write_text(
        json.dumps({"mcpServers": {"primes": {"command": sys.executable, "args": ["-m", "mcp_servers.primes"]}}})
    )
    try:
        mcp_tools = configured_tools(Settings(home=home))
        graph = build_agent(tools=mcp_tools, checkpointer=False, settings=Settings(home=home))
        out = graph.invoke({"messages": "Is 3214567 prime?"})
    finally:
        close_all()
    assert [t["name"] for t in out["tool_log"]] == ["primes__prime_check"]
    assert "3214567 is prime." in out["answer"]


def test_tool_names_are_safe_for_function_calling():
    assert tool_name("my server", "get.time") == "my_server__get_time"
    assert len(tool_name("s" * 50, "t" * 50)) == 64


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_our_client_with_our_servers(transport, tmp_path):
    """The whole round trip: our MCPToolbox, our `mcp_servers.all`, the real tools behind it."""
    from mcp_helpers import HttpServer, server_env, stdio_env

    home = tmp_path / "home"
    token = "tok-" + "x" * 20
    if transport == "stdio":
        config = ServerConfig(command=sys.executable, args=["-m", "mcp_servers.all"], env=stdio_env(home))
        context = None
    else:
        context = HttpServer("all", tmp_path / "all.log", server_env(home, AGENT_MCP_TOKEN=token))
        context.__enter__()
        config = ServerConfig(url=context.url, headers={"Authorization": f"Bearer {token}"})
    try:
        with MCPToolbox({"ours": config}) as box:
            tools = by_name(box.langchain_tools())
            assert {"ours__calculator", "ours__prime_check", "ours__web_search", "ours__db_query"} <= set(tools)
            calc = invoke(tools["ours__calculator"], expression="2^10")
            assert calc.artifact["exact"] == "1024"
            prime = invoke(tools["ours__prime_check"], n="3214567")
            assert prime.artifact["is_prime"] is True
            refused = invoke(tools["ours__db_query"], sql="DROP TABLE customers")
            assert refused.status == "error" and "read-only" in refused.content.lower()
            assert tools["ours__db_query"].metadata["read_only"] is True
    finally:
        if context is not None:
            context.__exit__(None, None, None)
