"""Runs from the command line: denied writes in --json, the model's name, fallback and degraded
steps shown once, empty tasks and unknown threads as one line with their own exit codes."""

# ruff: noqa: F811 - the fixtures imported from cli_helpers are arguments of the tests

from __future__ import annotations

import json
import sqlite3

from cli_helpers import SECRET, agent, env, server, with_server  # noqa: F401 - pytest fixtures, used as arguments
from fake_openai import Reply, fail

UNREACHABLE = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": SECRET, "AGENT_MODEL": "m"}


def shop(tmp_path):
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE items (name TEXT NOT NULL)")
    return path


def test_a_denied_write_is_in_the_json_and_not_in_the_database(env, server, tmp_path):
    db = shop(tmp_path)
    sql = "INSERT INTO items (name) VALUES ('gadget')"
    server.queue(Reply(tool_calls=[("db_execute", json.dumps({"sql": sql}))]), Reply(content="Not added."))
    args = ["run", "add a gadget", "--allow-write", "--database-url", str(db), "--planning", "off", "--json"]
    result = agent(with_server(env, server), *args)  # stdin is a pipe, not a terminal, and no --yes
    assert result.returncode == 0, result.stderr  # the run answered after the user's decision
    data = json.loads(result.stdout)
    assert data["stop_reason"] == "denied" and data["answer"] == "Not added."
    assert data["tool_calls"] == [{"name": "db_execute", "args": {"sql": sql}, "ok": False, "approved": False}]
    assert data["usage"]["tool_calls"] == 0  # it did not run
    assert data["model"] == "openai:test-model" and "fallback_model" not in data
    denied_message = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert len(denied_message) == 1  # the model was told
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0


def test_a_denied_write_in_plain_text(env, server, tmp_path):
    db = shop(tmp_path)
    call = json.dumps({"sql": "DELETE FROM items"})
    server.queue(Reply(tool_calls=[("db_execute", call)]), Reply(content="Nothing deleted."))
    result = agent(with_server(env, server), "run", "empty it", "--allow-write", "--database-url", str(db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "✗ db_execute denied: not run" in lines
    assert lines[-1].endswith("· a destructive call was denied and not run")
    assert "model openai:test-model · " in lines[-1] and SECRET not in result.stdout


def test_the_closing_line_and_json_name_the_offline_model(env):
    plain = agent(env, "run", "what is 6*7")
    assert " · model offline · model calls 2 · " in plain.stdout.splitlines()[-1]
    data = json.loads(agent(env, "run", "what is 6*7", "--json").stdout)
    assert data["model"] == "offline"
    assert set(data["usage"]) == {"input_tokens", "output_tokens", "total_tokens", "cost", "model_calls", "tool_calls"}


def test_the_fallback_is_shown_once_and_counted(env):
    e = {**env, **UNREACHABLE, "AGENT_FALLBACK_MODEL": "offline"}
    plain = agent(e, "run", "Is 97 prime?", "--planning", "off")
    assert plain.returncode == 0, plain.stderr
    notice = "; the fallback model at offline answers"
    assert plain.stdout.count(notice) == 1 and "the model at http://127.0.0.1:9/v1 failed (" in plain.stdout
    assert notice not in plain.stderr  # shown once: on stdout, not again as a warning
    closing = plain.stdout.splitlines()[-1]
    assert "model openai:m · " in closing and "fallback offline answered 2" in closing
    data = json.loads(agent(e, "run", "Is 97 prime?", "--planning", "off", "--json").stdout)
    assert data["usage"]["fallback_calls"] == 2 and data["usage"]["model_calls"] == 2
    assert data["model"] == "openai:m" and data["fallback_model"] == "offline"
    assert SECRET not in plain.stdout + plain.stderr


def test_a_plan_without_the_model_is_a_dim_notice_and_counted(env, server):
    e = with_server(env, server)
    server.queue(fail(400), Reply(content="Hello."))  # the plan call is refused, the answer works
    plain = agent(e, "run", "say hello", "--planning", "always")
    assert plain.returncode == 0, plain.stderr
    assert "(the plan step went without the model: " in plain.stdout
    assert "went without the model" not in plain.stderr
    assert plain.stdout.splitlines()[-1].endswith("steps without the model 1")
    server.queue(fail(400), Reply(content="Hello."))
    data = json.loads(agent(e, "run", "say hello", "--planning", "always", "--json").stdout)
    assert data["usage"]["degraded"] == 1 and "fallback_calls" not in data["usage"]


def test_an_empty_task_is_a_usage_error(env, tmp_path):
    for task in ("", "  \n\t "):
        result = agent(env, "run", task)
        assert result.returncode == 2 and result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line == 'agent: usage error: the task is empty: give one, e.g. agent run "Is 97 prime?"'
    assert not (tmp_path / "home").exists()  # no checkpoint, no thread


def test_unknown_threads_are_not_found(env):
    agent(env, "run", "is 7 prime", "--thread", "alpha", "-q")
    for action in ("show", "delete"):
        result = agent(env, "threads", action, "nope")
        assert result.returncode == 6 and result.stdout == ""
        assert result.stderr == "agent: no thread nope (agent threads list shows them)\n"
    missing = agent(env, "threads", "show")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "name the thread id" in missing.stderr
    assert agent(env, "threads", "delete", "alpha").stdout == "deleted thread alpha\n"
    assert agent(env, "threads", "show", "alpha").returncode == 6  # deleted means gone
