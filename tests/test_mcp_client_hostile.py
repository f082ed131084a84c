"""Our MCP client against a hostile server over stdio: bad schemas, catastrophic patterns,
colliding names, a server that never answers, stdout noise, calls that kill the server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.mcp.client import MCPToolbox
from agent.mcp.config import ServerConfig
from graphs.validate import check_arguments

HOSTILE = str(Path(__file__).with_name("mcp_hostile_server.py"))
HANG_BOUND = 4.0  # seconds: a safety bound for a hang (unbounded before: 20 s for 30 characters, doubling each)
EVIL = "a" * 40 + "!"


def hostile(*flags: str, **config) -> ServerConfig:
    return ServerConfig(command=sys.executable, args=[HOSTILE, *flags], **config)


def by_name(tools):
    return {t.name: t for t in tools}


def invoke(tool, **args) -> ToolMessage:
    return tool.invoke({"name": tool.name, "args": args, "id": "call_1", "type": "tool_call"})


def timed(tool, **args) -> tuple[ToolMessage, float]:
    started = time.perf_counter()
    result = invoke(tool, **args)
    return result, time.perf_counter() - started


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    state = tmp_path_factory.mktemp("hostile")
    toolbox = MCPToolbox({"h": hostile(env={"HOSTILE_STATE_DIR": str(state)})}, log_dir=state / "logs")
    toolbox.start()
    yield toolbox
    toolbox.close()


@pytest.fixture(scope="module")
def tools(box):
    return by_name(box.langchain_tools())


def test_bad_schemas_drop_only_their_tool_with_one_line_each(box, tools):
    dropped = {"remote_ref": "remote $ref 'http://example.com/schema.json'", "banana": "'banana' is not valid",
               "self_ref": "$ref cycle"}  # fmt: skip
    assert not box.errors
    for tool, reason in dropped.items():
        assert f"h__{tool}" not in tools
        [line] = [w for w in box.warnings if f"tool '{tool}' dropped" in w]
        assert line.startswith("MCP server 'h': ") and reason in line and "\n" not in line
    assert {"h__echo", "h__evil_pattern", "h__lattice", "h__evil_output"} <= set(tools)
    assert "echo got" in invoke(tools["h__echo"], text="still works").content
    for tool in tools.values():  # what binding to a model does: LangChain once died here on a remote $ref
        assert "$ref" not in json.dumps(convert_to_openai_tool(tool))
    log = (Path(box.log_dir) / "mcp-h.log").read_text()
    assert "tool 'banana' dropped" in log  # the server's own log says why too


def test_catastrophic_pattern_is_checked_in_bounded_time(tools):
    for name in ("h__evil_pattern", "h__evil_alternation"):
        tool = tools[name]
        started = time.perf_counter()
        assert check_arguments(tool, {"s": EVIL}) is None  # the graph's check: no regex left to backtrack on
        assert time.perf_counter() - started < HANG_BOUND
        assert "^(a" in tool.args_schema["properties"]["s"]["description"]  # the model still reads the pattern
        result, seconds = timed(tool, s=EVIL)
        assert seconds < HANG_BOUND, f"{name} took {seconds:.1f} s"
        assert result.status == "error" and f"invalid arguments for {name}" in result.content
    refused = invoke(tools["h__evil_alternation"], s=EVIL).content
    assert "could not be checked in time (the pattern" in refused and "nothing was sent" in refused
    assert "does not match" in invoke(tools["h__evil_pattern"], s=EVIL).content
    assert "evil_pattern got" in invoke(tools["h__evil_pattern"], s="aaaa").content  # a match goes through


def test_exponential_ref_lattice_is_bounded(tools):
    lattice = tools["h__lattice"]
    assert check_arguments(lattice, {"x": "abc"}) is None  # the inlined, cut-off schema the graph checks
    result, seconds = timed(lattice, x="abc")  # no branch matches: 2^30 paths to try
    assert seconds < HANG_BOUND and result.status == "error" and "could not be checked" in result.content
    assert "lattice got" in invoke(lattice, x="abcdef").content


def test_output_schema_with_catastrophic_pattern_does_not_freeze_the_sessions(tools):
    result, seconds = timed(tools["h__evil_output"])
    assert seconds < HANG_BOUND and result.status == "success" and result.artifact == {"s": EVIL}
    assert "echo got" in invoke(tools["h__echo"], text="loop alive").content


def test_names_that_sanitise_alike_are_both_usable(box, tools):
    names = [n for n in tools if n.startswith("h__read_data")]
    assert len(names) == 2 and "h__read_data" in names
    [renamed] = [n for n in names if n != "h__read_data"]
    assert re.fullmatch(r"h__read_data_[0-9a-f]{4}", renamed)
    assert "read.data got" in invoke(tools["h__read_data"]).content
    assert "read/data got" in invoke(tools[renamed]).content
    [line] = [w for w in box.warnings if "is named" in w]
    assert line == f"MCP server 'h': tool 'read/data' is named '{renamed}': 'h__read_data' is taken by 'read.data'"


def pid_in_log(log: Path) -> int:
    return int(re.search(r"INFO hostile server (\d+) starting", log.read_text()).group(1))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_server_that_never_answers_costs_at_most_its_startup_timeout(tmp_path):
    servers = {"mute": hostile("--mute", startup_timeout=2), "h": hostile(env={"HOSTILE_STATE_DIR": str(tmp_path)})}
    box = MCPToolbox(servers, log_dir=tmp_path / "logs")  # default startup_timeout: 10 s
    started = time.perf_counter()
    box.start(wait=False)  # returns at once: the servers connect in the background
    assert time.perf_counter() - started < 1.0
    tools = by_name(box.langchain_tools())  # waits for both at once, each up to its own timeout
    waited = time.perf_counter() - started
    try:
        assert 1.9 < waited < 2 + 1.5, waited
        assert box.errors == {"mute": "did not start within 2 s (its startup_timeout)"}
        assert "MCP server 'mute' could not start: did not start within 2 s (its startup_timeout)" in box.warnings
        assert not any(n.startswith("mute__") for n in tools)
        assert "echo got" in invoke(tools["h__echo"], text="the others work").content
    finally:
        box.close()
    pid = pid_in_log(tmp_path / "logs" / "mcp-mute.log")
    deadline = time.time() + 5
    while alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    assert not alive(pid)


def test_stdout_noise_goes_to_the_server_log_not_the_terminal(tmp_path, capfd):
    with MCPToolbox({"noisy": hostile("--noise")}, log_dir=tmp_path / "logs") as box:
        tools = by_name(box.langchain_tools())
        for i in range(3):
            assert f'"text": "{i}"' in invoke(tools["noisy__echo"], text=str(i)).content
    out, err = capfd.readouterr()
    assert "NOISE" not in out + err and "hello from a server" not in out + err and "Traceback" not in err
    log = (tmp_path / "logs" / "mcp-noisy.log").read_text()
    assert "stdout, not JSON-RPC (ignored): 'hello from a server that prints on stdout'" in log
    assert log.count("'NOISE: this line is not JSON-RPC'") >= 5  # one per answer: initialize, list, 3 calls
    assert "INFO hostile server" in log  # and its stderr


def test_calls_that_may_have_run_are_never_sent_twice(tmp_path):
    with MCPToolbox({"h": hostile(env={"HOSTILE_STATE_DIR": str(tmp_path)})}, log_dir=tmp_path / "logs") as box:
        tools = by_name(box.langchain_tools())
        died = invoke(tools["h__count_and_die"])
        assert died.status == "error" and "lost the connection during count_and_die" in died.content
        assert "not repeated" in died.content
        assert (tmp_path / "count_and_die").read_text().splitlines() == ["called"]  # ran once, not re-sent
        flaky = invoke(tools["h__idempotent_flaky"])  # marked idempotent: re-sent once after the restart
        assert flaky.status == "success" and flaky.content == "flaky answered"
        assert (tmp_path / "flaky_died").exists()
        assert "echo got" in invoke(tools["h__echo"], text="after").content


def test_a_listing_the_sdk_refuses_names_server_and_place(tmp_path):
    servers = {
        "typeless": hostile(env={"HOSTILE_TYPELESS": "1"}),
        "h": hostile(env={"HOSTILE_STATE_DIR": str(tmp_path)}),
    }
    with MCPToolbox(servers, log_dir=tmp_path / "logs") as box:
        error = box.errors["typeless"]
        assert error.startswith("its tools/list answer breaks the MCP schema at tools[12].inputSchema.type")
        assert "h__echo" in by_name(box.langchain_tools())


def test_a_program_gets_no_server_output_on_its_stderr(tmp_path):
    """Issue 10: without log_dir, the servers' stderr goes to AGENT_HOME/logs, as in the CLI."""
    home = tmp_path / "home"
    code = (
        "import sys\n"
        "from agent.mcp.client import MCPToolbox\n"
        "from agent.mcp.config import ServerConfig\n"
        f"config = ServerConfig(command=sys.executable, args=[{HOSTILE!r}, '--noise'])\n"
        "with MCPToolbox({'h': config}) as box:\n"
        "    tools = {t.name: t for t in box.langchain_tools()}\n"
        "    print(tools['h__echo'].invoke({'text': 'hi'}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")} | {"AGENT_HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "echo got" in result.stdout
    assert "INFO hostile server" not in result.stderr and "NOISE" not in result.stderr
    log = (home / "logs" / "mcp-h.log").read_text()
    assert "INFO hostile server" in log and "NOISE" in log


def test_server_names_cannot_escape_the_log_directory(tmp_path):
    with MCPToolbox({"../../evil": hostile()}, log_dir=tmp_path / "logs") as box:
        assert not box.errors
    assert [p.name for p in (tmp_path / "logs").iterdir()] == ["mcp-_.._evil.log"]


def test_prestart_returns_at_once_and_startup_is_counted_from_it(tmp_path):
    from agent.mcp import close_all, configured_tools, prestart
    from agent.mcp.config import MCPConfigError
    from agent.settings import Settings

    home = tmp_path / "home"
    home.mkdir()
    servers = {
        "mute": {"command": sys.executable, "args": [HOSTILE, "--mute"], "startup_timeout": 2},
        "h": {"command": sys.executable, "args": [HOSTILE]},
    }
    (home / "mcp.json").write_text(json.dumps({"mcpServers": servers}))
    settings = Settings(home=home)
    try:
        started = time.perf_counter()
        prestart(settings)
        assert time.perf_counter() - started < 1.0
        time.sleep(1.5)  # the program loads everything else meanwhile
        waited = time.perf_counter()
        tools = {t.name for t in configured_tools(settings)}
        assert time.perf_counter() - waited < 1.5  # the 2 s began at prestart
        assert "h__echo" in tools and not any(n.startswith("mute__") for n in tools)
    finally:
        close_all()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    prestart(Settings(home=home, mcp_config=broken))  # left for configured_tools to report
    with pytest.raises(MCPConfigError, match="not valid JSON"):
        configured_tools(Settings(home=home, mcp_config=broken))


def test_an_unwritable_log_directory_is_named_and_the_server_still_works(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the log directory should be")
    with MCPToolbox({"h": hostile()}, log_dir=blocker / "logs") as box:
        assert not box.errors
        assert "echo got" in invoke(by_name(box.langchain_tools())["h__echo"], text="x").content
        [line] = [w for w in box.warnings if "cannot write its log" in w]
        assert line.startswith("MCP server 'h': cannot write its log") and "goes to stderr" in line


def test_closing_says_which_server_failed_or_hung(caplog, monkeypatch):
    """Nothing fails silently on close: a keeper that raised is logged with its traceback, one that hangs is
    named, cancelled and reported."""
    import asyncio
    import logging

    from agent.mcp import loop

    monkeypatch.setattr(loop, "STOP_GRACE", 0.2)

    async def broken() -> None:
        raise RuntimeError("pipe closed under us")

    async def hung() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.shield(asyncio.sleep(0.5))  # ignores its cancel for longer than the grace

    async def fine() -> None:
        return None

    async def main() -> None:
        tasks = {asyncio.create_task(f()): name for f, name in ((broken, "alpha"), (hung, "beta"), (fine, "gamma"))}
        await loop.stop_tasks(tasks)

    with caplog.at_level(logging.WARNING, logger="agent.mcp"):
        asyncio.run(main())
    lines = {(r.levelname, r.getMessage()) for r in caplog.records}
    assert ("ERROR", "MCP server alpha failed while closing") in lines
    failed = next(r for r in caplog.records if "alpha" in r.getMessage())
    assert "pipe closed under us" in str(failed.exc_info[1])
    assert ("WARNING", "MCP server beta did not close within 0.2 s: cancelled") in lines
    assert not any("gamma" in message for _, message in lines)
