"""``agent mcp status | prompts | resources | logout`` as a user runs them (``python -m agent.mcp_cli mcp ...``
until agent/cli.py registers the subcommand), against real server processes.  Login: tests/test_mcp_oauth.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "agent.mcp_cli", "mcp"]


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    env = {"AGENT_HOME": str(home)}
    servers = {
        "primes": {"command": sys.executable, "args": ["-m", "mcp_servers.primes"], "env": env},
        "db": {"command": sys.executable, "args": ["-m", "mcp_servers.database"], "env": env},
        "broken": {"command": sys.executable, "args": ["-c", "import sys; sys.exit(3)"], "startup_timeout": 5},
        "remote": {"url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": "Bearer ${NOT_PRINTED}"}},
        "off": {"command": "nothing", "disabled": True},
    }
    (home / "mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return home


def agent_mcp(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env.update(AGENT_HOME=str(home), NOT_PRINTED="tok-" + "9" * 20)
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def test_status_lists_servers_transport_auth_and_tool_counts(home):
    done = agent_mcp(home, "status", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["primes"]["transport"] == "stdio" and rows["primes"]["tools"] == 1
    assert rows["db"]["tools"] == 3 and rows["off"]["auth"] == "disabled"
    assert rows["remote"]["transport"] == "http" and rows["remote"]["auth"] == "Authorization header"
    assert rows["broken"]["error"] and rows["broken"]["tools"] is None
    assert "9" * 20 not in done.stdout + done.stderr
    text = agent_mcp(home, "status", "--no-connect")
    assert text.returncode == 0 and "primes" in text.stdout and "tools" not in text.stdout


def test_prompts_are_listed_and_rendered(home):
    listed = agent_mcp(home, "prompts", "db")
    assert listed.returncode == 0, listed.stderr
    assert "explore_table(table, column?)" in listed.stdout and "explore_database(question?)" in listed.stdout
    rendered = agent_mcp(home, "prompts", "primes", "--get", "check_primality", "--arg", "numbers=97, 91")
    assert rendered.returncode == 0 and "- 97\n- 91" in rendered.stdout
    refused = agent_mcp(home, "prompts", "primes", "--get", "check_primality", "--arg", "numbers=x")
    assert refused.returncode == 1 and "'x' is not a non-negative integer" in refused.stderr
    assert agent_mcp(home, "prompts", "--get", "x").returncode == 2
    assert agent_mcp(home, "prompts", "primes", "--get", "check_primality", "--arg", "novalue").returncode == 2


def test_resources_are_listed_and_read(home):
    listed = agent_mcp(home, "resources", "db", "--json")
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)["db"]
    assert "db://demo/tables/customers/schema" in [r["uri"] for r in found["resources"]]
    read = agent_mcp(home, "resources", "db", "--read", "db://demo/tables/customers/schema")
    assert read.returncode == 0 and json.loads(read.stdout)["name"] == "customers"
    guide = agent_mcp(home, "resources", "primes", "--read", "guide://primes/prime_check")
    assert guide.returncode == 0 and guide.stdout.startswith("# Prime check")


def test_unknown_and_non_oauth_servers_are_named(home):
    unknown = agent_mcp(home, "logout", "nope")
    assert unknown.returncode == 6 and "no MCP server named 'nope'" in unknown.stderr and "primes" in unknown.stderr
    assert "does not use OAuth" in agent_mcp(home, "logout", "primes").stdout
    login = agent_mcp(home, "login", "remote")
    assert login.returncode == 1 and "does not use OAuth" in login.stderr
