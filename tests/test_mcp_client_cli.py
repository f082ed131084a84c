"""The CLI with a hostile MCP config, in real subprocesses: it runs, and says what it dropped in one line each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HOSTILE = str(Path(__file__).with_name("mcp_hostile_server.py"))


@pytest.fixture
def env(tmp_path):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AGENT_", "OPENAI_", "DASHSCOPE_", "DEEPSEEK_", "LANGSMITH_", "LANGCHAIN_"))
    }
    return clean | {"AGENT_HOME": str(tmp_path / "home"), "AGENT_SEARCH_TIMEOUT": "2", "PYTHONIOENCODING": "utf-8"}


def agent(env, *args):
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, env=env, timeout=90)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "mcp.json"
    path.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "h": {"command": sys.executable, "args": [HOSTILE, "--noise"]},
                    "mute": {"command": sys.executable, "args": [HOSTILE, "--mute"], "startup_timeout": 2},
                }
            }
        )
    )
    return str(path)


def test_tools_lists_the_good_tools_and_names_each_dropped_one_in_one_line(env, config):
    result = agent(env, "tools", "--json", "--mcp-config", config)
    assert result.returncode == 0, result.stderr
    names = {t["name"] for t in json.loads(result.stdout)}
    assert {"h__echo", "h__evil_pattern", "h__lattice", "h__read_data"} <= names
    assert len([n for n in names if n.startswith("h__read_data")]) == 2
    lines = result.stderr.splitlines()
    for tool in ("remote_ref", "banana", "self_ref"):
        assert f"h__{tool}" not in names
        [line] = [x for x in lines if f"tool '{tool}' dropped" in x]
        assert line.startswith("agent: warning: MCP server 'h': tool")
    assert any("MCP server 'mute' could not start: did not start within 2 s" in x for x in lines)
    assert "NOISE" not in result.stderr and "Traceback" not in result.stderr and "INFO hostile" not in result.stderr
    schema = next(t for t in json.loads(result.stdout) if t["name"] == "h__evil_pattern")["input_schema"]
    assert "pattern" not in schema["properties"]["s"] and "^(a+)+$" in schema["properties"]["s"]["description"]


def test_run_with_a_hostile_config_answers(env, config):
    started = time.perf_counter()
    result = agent(env, "run", "Is 97 prime?", "--json", "--mcp-config", config)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answer"].endswith("97 is prime.")
    assert time.perf_counter() - started < 20  # the mute server costs its startup_timeout (2 s), not 30 s
    assert "tool 'remote_ref' dropped" in result.stderr
    log = Path(env["AGENT_HOME"]) / "logs" / "mcp-h.log"
    assert "stdout, not JSON-RPC (ignored)" in log.read_text()


def test_a_config_without_mcp_servers_is_named(env, tmp_path):
    path = tmp_path / "vscode.json"
    path.write_text('{"servers": {}}')
    result = agent(env, "tools", "--mcp-config", str(path))
    assert result.returncode == 0, result.stderr
    [line] = [x for x in result.stderr.splitlines() if "mcpServers" in x]
    assert f"MCP config {path}: no \"mcpServers\" key (it has 'servers')" in line


def test_a_bad_startup_timeout_is_a_configuration_error(env, tmp_path):
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"x": {"command": "x", "startup_timeout": 0}}}))
    result = agent(env, "tools", "--mcp-config", str(path))
    assert result.returncode == 2 and "mcpServers.x.startup_timeout" in result.stderr
