"""`agent config` says where each value comes from without showing a secret; `agent tools` shows
each argument readably (name, type, required or default, the whole description wrapped)."""

# ruff: noqa: F811 - the fixtures imported from cli_helpers are arguments of the tests

from __future__ import annotations

import json

from cli_helpers import agent, env  # noqa: F401 - pytest fixtures, used as arguments

ENV_KEY, DOTENV_KEY, DOTENV_ONLY = "sk-env-KEY-111111", "sk-dotenv-KEY-222222", "sk-dashscope-KEY-333333"


def project(tmp_path, env):
    """A working directory with a .env, a key both there and in the environment, an mcp.json in AGENT_HOME."""
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / ".env").write_text(
        f"OPENAI_API_KEY={DOTENV_KEY}\nDASHSCOPE_API_KEY={DOTENV_ONLY}\nAGENT_MAX_COST=0.5\nagent_recall_k=5\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    (home / "mcp.json").write_text(json.dumps({"mcpServers": {}}))
    return workdir, {**env, "OPENAI_API_KEY": ENV_KEY, "AGENT_MAX_TOKENS": "5000", "AGENT_MODEL": "gpt-test"}


def test_config_json_sources(env, tmp_path):
    workdir, e = project(tmp_path, env)
    result = agent(e, "config", "--json", "--planning", "off", "--model-config", "/nowhere.json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    sources = data["sources"]
    assert sources["planning"] == {"from": "flag", "name": "--planning"}
    assert sources["model_config_path"] == {"from": "flag", "name": "--model-config"}
    assert sources["max_tokens"] == {"from": "environment", "name": "AGENT_MAX_TOKENS"} and data["max_tokens"] == 5000
    assert sources["max_cost"] == {"from": ".env", "name": "AGENT_MAX_COST"} and data["max_cost"] == 0.5
    assert sources["recall_k"] == {"from": ".env", "name": "AGENT_RECALL_K"} and data["recall_k"] == 5
    assert sources["max_seconds"] == {"from": "default"}
    assert sources["home"] == {"from": "environment", "name": "AGENT_HOME"}
    assert sources["checkpointer"] == {"from": "default", "note": "checkpoints.sqlite in AGENT_HOME"}
    assert data["mcp_config"] == str(tmp_path / "home" / "mcp.json")
    assert sources["mcp_config"] == {"from": "default", "note": "mcp.json in AGENT_HOME"}
    assert data["environment"]["OPENAI_API_KEY"] == "set in environment"
    assert data["environment"]["DASHSCOPE_API_KEY"] == "set in .env"
    assert data["environment"]["DEEPSEEK_API_KEY"] == "not set"
    assert set(sources) == set(data) - {"model_in_use", "environment", "sources"}


def test_config_text_sources_and_no_secret(env, tmp_path):
    workdir, e = project(tmp_path, env)
    for args in (["config"], ["config", "--json"], ["config", "--model", "dashscope:qwen-plus"]):
        result = agent(e, *args, cwd=workdir)
        assert result.returncode == 0, result.stderr
        for secret in (ENV_KEY, DOTENV_KEY, DOTENV_ONLY):
            assert secret not in result.stdout + result.stderr
    shown = agent(e, "config", "--max-seconds", "9", cwd=workdir).stdout
    lines = {line.split()[0]: line for line in shown.splitlines()}
    assert lines["max_seconds"].endswith("9.0  (flag --max-seconds)")
    assert lines["max_tokens"].endswith("5000  (environment AGENT_MAX_TOKENS)")
    assert lines["max_cost"].endswith("0.5  (.env AGENT_MAX_COST)")
    assert lines["max_repeats"].endswith("2  (default)")
    assert lines["mcp_config"].endswith(f"{tmp_path / 'home' / 'mcp.json'}  (default: mcp.json in AGENT_HOME)")
    assert lines["OPENAI_API_KEY"].split(None, 1)[1] == "set in environment"
    assert lines["DASHSCOPE_API_KEY"].split(None, 1)[1] == "set in .env"
    assert lines["LANGSMITH_API_KEY"].split(None, 1)[1] == "not set"


def test_mcp_config_without_a_file(env, tmp_path):
    data = json.loads(agent(env, "config", "--json", cwd=tmp_path).stdout)
    assert data["mcp_config"] is None
    assert data["sources"]["mcp_config"] == {"from": "default", "note": "no mcp.json in AGENT_HOME"}
    given = json.loads(agent({**env, "AGENT_MCP_CONFIG": "/etc/x.json"}, "config", "--json", cwd=tmp_path).stdout)
    assert given["mcp_config"] == "/etc/x.json"
    assert given["sources"]["mcp_config"] == {"from": "environment", "name": "AGENT_MCP_CONFIG"}


def _words(text: str) -> str:
    return " ".join(text.split())


def test_tools_show_every_argument_readably(env):
    listed = {t["name"]: t for t in json.loads(agent(env, "tools", "--json", "--allow-write").stdout)}
    text = agent(env, "tools", "--allow-write").stdout
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80  # not a terminal: 80 columns
    assert "    n  integer or string, required" in lines
    assert "    precision  integer (1..1000), default 15" in lines
    assert "    safesearch  one of on|moderate|off, default moderate" in lines
    assert "    region  string, default null" in lines
    assert "db_execute  (function) [destructive: asks for approval]" in lines
    flat = _words(text)
    for name, tool in listed.items():
        assert f"{name}  (function)" in text
        for arg, schema in tool["input_schema"]["properties"].items():
            assert any(line.startswith(f"    {arg}  ") for line in lines), (name, arg)
            assert _words(schema["description"]) in flat, (name, arg)  # whole, in order, never cut mid-word


def test_config_shows_the_price_table_and_a_prices_file_overrides_it(env, tmp_path):
    home = tmp_path / "home"
    shown = agent(env, "config").stdout
    assert "prices per million tokens (built-in: USD list prices of" in shown
    assert "dashscope:qwen-max" in shown and "(built-in " in shown
    home.mkdir(exist_ok=True)
    (home / "prices.json").write_text(json.dumps({"openai:my-model": {"pay_in": 2.5, "pay_out": 10}}))
    mine = agent({**env, "AGENT_HOME": str(home)}, "config").stdout
    line = next(x for x in mine.splitlines() if "openai:my-model" in x)
    assert "in 2.5" in line and "out 10" in line and "prices.json" in line


def test_think_without_a_switch_is_said_once_and_the_run_goes_on(env):
    result = agent(env, "run", "is 7 prime", "--think", "-q")
    assert result.returncode == 0 and "7 is prime." in result.stdout
    assert result.stderr.splitlines() == [
        "agent: --think: the offline model has no thinking switch; the model's own behaviour applies"
    ]
