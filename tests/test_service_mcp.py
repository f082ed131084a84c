"""MCP servers behind the service: a server's question during a run's tool call pauses the run (an interrupt),
and the resume answers the server; a server's sampling request is served by the run's model, counted in the
run.  A real service process (tests/service_graphs.py's ``make_mcp``, its model
calls the tool it is told to), a real MCP server over stdio (tests/mcp_asking_server.py, which writes down
every answer it hears), the official langgraph-sdk client.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from mcp_helpers import stdio_env
from service_proc import HERE, ServiceProcess, ask, mcp_service_env

pytestmark = pytest.mark.slow

SERVER = str(Path(HERE) / "mcp_asking_server.py")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("service-mcp")
    heard = tmp / "heard.jsonl"
    entry = {"command": sys.executable, "args": [SERVER], "env": stdio_env(tmp / "home", ASK_LOG=str(heard)),
             "sampling": True}  # fmt: skip
    proc = ServiceProcess(mcp_service_env(tmp, {"ask": entry}))
    yield proc, heard
    proc.stop()


@pytest.fixture
def client(service):
    return get_client(url=service[0].url)


def heard(service, tool: str) -> list[dict]:
    path = service[1]
    lines = path.read_text().splitlines() if path.exists() else []
    return [entry for entry in map(json.loads, lines) if entry["tool"] == tool]


async def test_a_servers_question_pauses_the_run_and_the_resume_answers_it(client, service):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    paused = await client.runs.wait(tid, "agent", input=ask('mcp ask__register {"table": "members"}'))
    (interrupt,) = paused["__interrupt__"]
    value = interrupt["value"]
    assert {k: value[k] for k in ("type", "server", "tool", "mode")} == {
        "type": "elicitation", "server": "ask", "tool": "register", "mode": "form"
    }  # fmt: skip
    assert value["message"] == "Who is registering in members?[31m (red)"  # the server's text, no escape codes
    assert value["requested_schema"]["required"] == ["name"] and value["id"].startswith("call_")
    assert (await client.threads.get(tid))["status"] == "interrupted"
    assert [e["action"] for e in heard(service, "register")] == ["cancel"]  # no guessed input went to the server

    with pytest.raises(httpx.HTTPStatusError) as refused:  # an answer that does not fit the form: one line, at once
        await client.runs.create(tid, "agent", command={"resume": {"action": "accept", "content": {"age": "x"}}})
    assert refused.value.response.status_code == 422
    assert refused.value.response.json()["detail"] == (
        "command.resume: the answer does not fit the server's form: the field 'name' is required"
    )
    assert (await client.threads.get(tid))["status"] == "interrupted"

    done = await client.runs.wait(tid, "agent", command={"resume": {"action": "accept", "content": {"name": "Ada"}}})
    assert "__interrupt__" not in done
    assert done["messages"][-1]["content"] == "ask__register: registered Ada, 30, in members"  # the default age too
    assert [(e["action"], e["content"]) for e in heard(service, "register")] == [
        ("cancel", None), ("accept", {"name": "Ada", "age": 30})
    ]  # fmt: skip
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_a_declined_question(client, service):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    paused = await client.runs.wait(tid, "agent", input=ask('mcp ask__register {"table": "guests"}'))
    assert paused["__interrupt__"][0]["value"]["type"] == "elicitation"
    done = await client.runs.wait(tid, "agent", command={"resume": {"action": "decline"}})
    assert done["messages"][-1]["content"] == "ask__register: nobody registered (decline)"


async def test_a_run_may_say_decline_instead(client, service):
    """A client that cannot answer questions asks its run to decline them: no pause."""
    before = len(heard(service, "register"))
    config = {"configurable": {"mcp_elicitation": "decline"}}
    done = await client.runs.wait(None, "agent", input=ask('mcp ask__register {"table": "bots"}'), config=config)
    assert "__interrupt__" not in done
    assert done["messages"][-1]["content"] == "ask__register: nobody registered (decline)"
    assert [e["action"] for e in heard(service, "register")][before:] == ["decline"]


async def test_the_service_serves_sampling_with_the_runs_model(client, service):
    """The model (tests/service_graphs.py's TaskModel, which echoes what it does not understand) answers the
    server, and the run's stats count that call: the call that used the tool, the sampling, the answer."""
    done = await client.runs.wait(None, "agent", input=ask('mcp ask__summarize {"text": "a long story"}'))
    assert done["messages"][-1]["content"] == "ask__summarize: summary: echo: Summarize: a long story"
    assert done["stats"]["model_calls"] == 3
    assert heard(service, "summarize")[-1]["text"] == "echo: Summarize: a long story"
