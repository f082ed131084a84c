"""The command line in real subprocesses: offline, and against a real OpenAI-protocol server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from fake_openai import FakeOpenAI, Reply

SECRET = "sk-test-VERYSECRET-0123"


@pytest.fixture
def env(tmp_path):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AGENT_", "OPENAI_", "DASHSCOPE_", "DEEPSEEK_", "LANGSMITH_", "LANGCHAIN_"))
    }
    clean.update(
        {
            "AGENT_HOME": str(tmp_path / "home"),
            "AGENT_SEARCH_TIMEOUT": "2",
            "AGENT_SEARCH_RETRIES": "0",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    return clean


@pytest.fixture
def server():
    with FakeOpenAI() as srv:
        yield srv


def with_server(env, server):
    return {**env, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": SECRET, "AGENT_MODEL": "test-model"}


def agent(env, *args, stdin: str | None = None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        input=stdin,
        cwd=cwd,
    )


def test_readme_first_command_offline(env):
    result = agent(env, "run", "Is 3214567 prime?")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('→ prime_check({"n": "3214567"')
    assert lines[1].startswith("← prime_check ok")
    assert "Offline model" in result.stdout and "3214567 is prime." in result.stdout
    assert "model calls 2 · tool calls 1" in lines[-1]


def test_json_output_for_scripts(env):
    result = agent(env, "run", "判断 3214567 是否是素数。", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["stop_reason"] == "answered" and "3214567 是素数" in data["answer"]
    assert set(data["usage"]) >= {"input_tokens", "output_tokens", "total_tokens", "cost", "model_calls", "tool_calls"}
    assert data["usage"]["model_calls"] == 2 and data["usage"]["tool_calls"] == 1
    assert data["tool_calls"] == [{"name": "prime_check", "args": {"n": "3214567", "factorize": True}, "ok": True}]
    assert data["thread_id"]


def test_quiet_prints_only_the_answer(env):
    result = agent(env, "run", "what is 6*7", "-q")
    assert result.stdout.strip().splitlines()[-1] == "6*7 = 42"
    assert "→" not in result.stdout and "model calls" not in result.stdout


def test_thread_continues_across_two_processes(env, server):
    e = with_server(env, server)
    server.queue(Reply(content="Nice to meet you, Ada."))
    first = agent(e, "run", "My name is Ada.", "--thread", "t1", "--json")
    assert first.returncode == 0, first.stderr
    server.queue(Reply(content="Your name is Ada."))
    second = agent(e, "run", "What is my name?", "--thread", "t1", "--json")
    assert json.loads(second.stdout)["answer"] == "Your name is Ada."
    sent = [m["content"] for m in server.requests[1]["messages"] if m["role"] in ("user", "assistant")]
    assert sent == ["My name is Ada.", "Nice to meet you, Ada.", "What is my name?"]


def test_streaming_reasoning_apart_usage_and_cost(env, server, tmp_path):
    model_file = tmp_path / "model.json"
    model_file.write_text(
        json.dumps(
            {
                "server_type": "vllm",
                "model": "qwen3",
                "url": server.url,
                "api_key": "${OPENAI_API_KEY}",
                "pay_in": 1000,
                "pay_out": 2000,
            }
        )
    )
    e = {**env, "OPENAI_API_KEY": SECRET}
    server.queue(
        Reply(reasoning="thinking about primes", tool_calls=[("prime_check", '{"n": "97"}')], usage=(100, 10)),
        Reply(content="97 is prime.", reasoning="the tool said so", usage=(200, 20)),
    )
    result = agent(e, "run", "is 97 prime?", "--model-config", str(model_file), "--verbose", "--planning", "off")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[reasoning] thinking about primes" in out and "[reasoning] the tool said so" in out
    assert "\n97 is prime.\n" in out  # the answer stands apart from the reasoning
    assert "tokens 330 (in 300 / out 30)" in out
    assert f"cost {(300 * 1000 + 30 * 2000) / 1e6:.6f}" in out
    assert "first token" in out
    assert SECRET not in out and SECRET not in result.stderr
    server.queue(Reply(content="plain answer", reasoning="hidden thoughts"))
    data_run = agent(e, "run", "again", "--model-config", str(model_file), "--json", "--planning", "off")
    assert data_run.returncode == 0, data_run.stderr
    assert json.loads(data_run.stdout)["answer"] == "plain answer" and "hidden thoughts" not in data_run.stdout


def test_bound_stop_exit_code_and_best_effort_answer(env, server):
    e = with_server(env, server)
    for i in range(5):
        server.queue(Reply(tool_calls=[("calculator", json.dumps({"expression": f"{i}+1"}))]))
    result = agent(e, "run", "loop forever", "--max-model-calls", "2", "--json")
    assert result.returncode == 3, result.stderr
    data = json.loads(result.stdout)
    assert data["stop_reason"] == "model_calls" and "limit of model calls" in data["answer"]
    assert len(data["tool_calls"]) == 2


def test_model_unreachable_exit_code_names_endpoint_not_key(env):
    e = {**env, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": SECRET, "AGENT_MODEL": "m"}
    result = agent(e, "run", "hello", "--json")
    assert result.returncode == 4
    data = json.loads(result.stdout)
    assert "http://127.0.0.1:9/v1" in data["answer"] and SECRET not in result.stdout + result.stderr
    (line,) = result.stderr.splitlines()  # one clear line naming the endpoint
    assert line.startswith("agent: The model at http://127.0.0.1:9/v1 failed: ") and "Connection" in line
    assert data["error"] == line.removeprefix("agent: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "deepseek:deepseek-chat"], "needs an API key: set DEEPSEEK_API_KEY"),
        (["--model-config", "/nonexistent/model.json"], "no such file"),
        (["--max-model-calls", "0"], "max_model_calls"),
        (
            ["--checkpointer", "postgresql://u:hunter2pass@127.0.0.1:9/db"],
            "cannot connect to PostgreSQL at 127.0.0.1:9/db",
        ),
    ],
)
def test_configuration_errors_exit_2_with_one_line(env, args, message):
    result = agent(env, "run", "hi", *args)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert "hunter2pass" not in result.stderr


def test_threads_list_show_delete(env):
    agent(env, "run", "is 7 prime", "--thread", "alpha", "-q")
    agent(env, "run", "what is 1+1", "--thread", "beta", "-q")
    listed = json.loads(agent(env, "threads", "list", "--json").stdout)
    assert {row["thread_id"] for row in listed} == {"alpha", "beta"}
    shown = agent(env, "threads", "show", "alpha")
    assert "you: is 7 prime" in shown.stdout and "tool prime_check [success]" in shown.stdout
    assert agent(env, "threads", "delete", "alpha").returncode == 0
    assert [r["thread_id"] for r in json.loads(agent(env, "threads", "--json").stdout)] == ["beta"]


def test_threads_prune_keeps_conversations_and_deletes_old_threads(env):
    for turn in range(3):
        agent(env, "run", f"what is {turn}+1", "--thread", "alpha", "-q")
    agent(env, "run", "is 7 prime", "--thread", "beta", "-q")
    shown = agent(env, "threads", "show", "alpha").stdout
    report = json.loads(agent(env, "threads", "prune", "--ttl", "1w", "--json").stdout)
    assert report["deleted"] == [] and report["pruned"] == ["alpha", "beta"]
    assert report["bytes_after"] < report["bytes_before"]
    assert agent(env, "threads", "show", "alpha").stdout == shown  # the conversation stays whole
    assert "3+1 = 4" in agent(env, "run", "what is 3+1", "--thread", "alpha", "-q").stdout
    assert agent(env, "threads", "show", "alpha").stdout.count("you: what is") == 4  # and it goes on
    bad = agent(env, "threads", "prune", "--ttl", "forever")
    assert bad.returncode == 2 and "30d, 12h" in bad.stderr and bad.stderr.count("\n") == 1
    assert agent(env, "threads", "prune", "gamma").returncode == 6
    time.sleep(1.2)
    aged = agent({**env, "AGENT_THREAD_TTL": "1s"}, "threads", "prune")
    assert "deleted 2 thread(s) older than 1s" in aged.stdout
    assert agent(env, "threads", "list").stdout.strip() == "no threads yet"


def test_tools_lists_schemas(env):
    result = agent(env, "tools", "--json")
    tools = {t["name"]: t for t in json.loads(result.stdout)}
    assert {"calculator", "prime_check", "web_search", "db_list_tables", "db_describe_table", "db_query"} <= set(tools)
    assert "db_execute" not in tools
    assert tools["calculator"]["input_schema"]["required"] == ["expression"]
    writable = json.loads(agent(env, "tools", "--json", "--allow-write").stdout)
    assert any(t["name"] == "db_execute" and t["destructive"] for t in writable)


def test_config_masks_secrets(env, tmp_path):
    e = {
        **env,
        "OPENAI_API_KEY": SECRET,
        "AGENT_MCP_TOKEN": "tok-SECRET-987",
        "AGENT_DATABASE_URL": "postgresql://me:pa55word@127.0.0.1/db",
    }
    for args in (["config"], ["config", "--json"]):
        result = agent(e, *args)
        assert result.returncode == 0, result.stderr
        for secret in (SECRET, "tok-SECRET-987", "pa55word"):
            assert secret not in result.stdout
    data = json.loads(agent(e, "config", "--json").stdout)
    assert data["model_in_use"]["api_key"] == "set (hidden)" and data["model_in_use"]["provider"] == "openai"
    assert data["database_url"] == "postgresql://me:***@127.0.0.1/db"


def test_destructive_calls_need_approval(env, server):
    e = {**with_server(env, server), "AGENT_DATABASE_WRITE": "true"}
    insert = json.dumps({"sql": "INSERT INTO products (name, category, price_cents) VALUES ('Gadget', 'toys', 500)"})
    server.queue(Reply(tool_calls=[("db_execute", insert)]), Reply(content="not allowed, ok"))
    denied = agent(e, "run", "add a gadget", "--planning", "off")  # not a terminal: denied
    assert "denied: db_execute" in denied.stdout
    db = os.path.join(env["AGENT_HOME"], "demo.sqlite")
    count = "SELECT COUNT(*) FROM products WHERE name = 'Gadget'"
    with sqlite3.connect(db) as conn:
        assert conn.execute(count).fetchone()[0] == 0
    server.queue(Reply(tool_calls=[("db_execute", insert)]), Reply(content="added"))
    approved = agent(e, "run", "add a gadget", "--planning", "off", "--yes")
    assert "approved: db_execute" in approved.stdout and "← db_execute ok" in approved.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute(count).fetchone()[0] == 1


def test_help_does_not_import_heavy_libraries(env):
    code = (
        "import sys, contextlib, io\nfrom agent.cli import build_parser\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    build_parser().parse_args(['--help'])\n"
        "print(sorted(m for m in ('langgraph', 'langchain_core', 'sympy', 'openai', 'mcp') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30)
    assert result.stdout.strip() == "[]"
    assert "exit codes" in agent(env, "--help").stdout + agent(env, "run", "--help").stdout


def test_chat_keeps_history_and_commands(env, server):
    e = with_server(env, server)
    server.queue("Hello Ada.", "You are Ada.", "I do not know you yet.")
    result = agent(e, "chat", "--thread", "c1", stdin="I am Ada\nwho am I?\n/new\nwho am I?\n/exit\n")
    assert result.returncode == 0, result.stderr
    assert "Hello Ada." in result.stdout and "You are Ada." in result.stdout
    third = [m["content"] for m in server.requests[2]["messages"] if m["role"] == "user"]
    assert third == ["who am I?"]  # /new started a fresh thread


def test_pseudo_terminal_renders_streamed_output(env):
    import pty
    import select

    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "Is 3214567 prime?"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "120"},
        close_fds=True,
    )
    os.close(secondary)
    output = b""
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    proc.wait(timeout=30)
    os.close(main)
    text = output.decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "\x1b[" in text  # colours and cursor control: rich rendering on a terminal
    assert "3214567 is prime." in text and "prime_check" in text


def _controlling_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty, so Ctrl-C sends SIGINT."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_chat_ctrl_c_stops_the_answer_and_keeps_the_thread(env, server):
    import pty
    import select
    import time

    e = with_server(env, server)
    server.queue(Reply(content="too slow to wait for", delay=4), Reply(content="second answer"))
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "chat", "--thread", "k1"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**e, "TERM": "dumb"},
        close_fds=True,
        preexec_fn=_controlling_terminal,
    )
    os.close(secondary)
    seen = b""

    def read_until(marker: bytes, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.time() + timeout
        while marker not in seen and time.time() < deadline:
            if select.select([main], [], [], 0.2)[0]:
                seen += os.read(main, 4096)
        assert marker in seen, seen.decode(errors="replace")[-2000:]

    read_until(b"you> ")
    os.write(main, b"first question\n")
    deadline = time.time() + 30
    while not server.requests and time.time() < deadline:
        time.sleep(0.05)
    os.write(main, b"\x03")  # Ctrl-C while the model is answering
    read_until(b"(stopped; the thread is kept")
    os.write(main, b"second question\n")
    read_until(b"second answer")
    os.write(main, b"/exit\n")
    proc.wait(timeout=30)
    os.close(main)
    assert proc.returncode == 0
    users = [m["content"] for m in server.requests[-1]["messages"] if m["role"] == "user"]
    assert users == ["first question", "second question"]


def test_tools_and_run_with_an_mcp_config(env, tmp_path):
    config = tmp_path / "servers.json"
    config.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "primes": {"command": sys.executable, "args": ["-m", "mcp_servers.primes"]},
                    "broken": {"command": "/nonexistent/server"},
                }
            }
        )
    )
    listed = agent(env, "tools", "--json", "--mcp-config", str(config))
    tools = {t["name"]: t for t in json.loads(listed.stdout)}
    assert tools["primes__prime_check"]["source"] == "primes"
    assert "MCP server 'broken' could not start" in listed.stderr  # named, and the rest goes on
    result = agent({**env, "AGENT_MCP_CONFIG": str(config)}, "run", "Is 3214567 prime?", "--json")
    data = json.loads(result.stdout)
    assert {c["name"] for c in data["tool_calls"]} == {"prime_check"}  # the function tool wins the name


def test_credentials_in_the_model_url_never_leave_the_process(env, tmp_path):
    e = {
        **env,
        "OPENAI_BASE_URL": "http://user:hunter2secret@127.0.0.1:9/v1",
        "OPENAI_API_KEY": SECRET,
        "AGENT_MODEL": "m",
    }
    result = agent(e, "run", "hello", "--json")
    assert result.returncode == 4
    assert "hunter2secret" not in result.stdout + result.stderr
    assert "http://127.0.0.1:9/v1" in json.loads(result.stdout)["error"]
    checkpoints = (tmp_path / "home" / "checkpoints.sqlite").read_bytes()
    assert b"hunter2secret" not in checkpoints and SECRET.encode() not in checkpoints


def test_provider_key_from_dot_env(env, tmp_path, server):
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / ".env").write_text(f"OPENAI_API_KEY={SECRET}\nOPENAI_BASE_URL={server.url}\nAGENT_MODEL=from-dotenv\n")
    server.queue("configured by .env")
    result = agent(env, "run", "hi", "--json", cwd=workdir)
    assert json.loads(result.stdout)["answer"] == "configured by .env"
    assert server.requests[0]["model"] == "from-dotenv" and server.headers[0]["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["tools", "--mcp-config", "{dir}/mcp.json"], "MCP config {dir}/mcp.json: not valid JSON"),
        (["run", "hi", "--checkpointer", "{dir}/corrupt.sqlite"], "file is not a database"),
        (["threads", "--checkpointer", "{dir}/corrupt.sqlite"], "file is not a database"),
    ],
)
def test_broken_files_the_settings_point_at_are_configuration_errors(env, tmp_path, command, message):
    (tmp_path / "mcp.json").write_text("{not json")
    (tmp_path / "corrupt.sqlite").write_text("this is not a database, but it is long enough to be read")
    result = agent(env, *[part.format(dir=tmp_path) for part in command])
    assert result.returncode == 2
    assert message.format(dir=tmp_path) in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url,says",
    [
        ("bogus://x", "unknown scheme 'bogus'"),
        ("/proc/nope/x.sqlite", "cannot open the SQLite file /proc/nope/x.sqlite"),
        ("postgresql://nobody@127.0.0.1:1/x", "cannot connect to PostgreSQL at 127.0.0.1:1/x"),
    ],
)
def test_a_bad_checkpointer_url_is_one_line_naming_the_setting(env, tmp_path, url, says):
    result = agent({**env, "AGENT_CHECKPOINTER": url}, "run", "is 7 prime", "-q", cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("agent: configuration error: AGENT_CHECKPOINTER / --checkpointer") and says in line
    assert not any(p.name.startswith("bogus") for p in tmp_path.iterdir())  # no ./bogus:/x file made


def test_an_unknown_provider_prefix_is_named(env):
    result = agent(env, "run", "hi", "--model", "nosuch:foo")
    assert result.returncode == 2
    assert "unknown provider 'nosuch'" in result.stderr and "dashscope" in result.stderr


def test_the_offline_model_as_fallback_answers_and_says_so(env):
    e = {**env, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": SECRET, "AGENT_MODEL": "m"}
    result = agent({**e, "AGENT_FALLBACK_MODEL": "offline"}, "run", "Is 97 prime?", "--json", "--planning", "off")
    assert result.returncode == 0, result.stderr
    assert "97 is prime." in json.loads(result.stdout)["answer"]
    assert "the fallback model at offline answers" in result.stderr and SECRET not in result.stderr


BLOCK_POSTGRES = """
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("psycopg", "psycopg_pool") or name.startswith("langgraph.checkpoint.postgres"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _Block())
"""


def test_a_postgres_url_without_the_extra_says_which_extra(env, tmp_path):
    """As installed by ``pip install -e .`` alone: the PostgreSQL libraries are not there."""
    (tmp_path / "sitecustomize.py").write_text(BLOCK_POSTGRES)
    e = {**env, "PYTHONPATH": str(tmp_path), "AGENT_CHECKPOINTER": "postgresql://postgres@127.0.0.1:5432/test"}
    result = agent(e, "run", "is 7 prime", "-q")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert "AGENT_CHECKPOINTER" in line and "needs the 'postgres' extra: pip install -e '.[postgres]'" in line
    assert "7 is prime" in agent({**e, "AGENT_CHECKPOINTER": "memory:"}, "run", "is 7 prime", "-q").stdout
