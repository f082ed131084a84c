"""What an MCP server sends back during a tool call of a run reaches that run: progress notifications become
``tool_progress`` events on the run's custom stream; questions (elicitation) become the run's interrupts when the
run asks for that (``configurable.mcp_elicitation = "interrupt"``, as the service's runs do), and the resume
answers the server; a question that cannot be attributed to one call is declined; sampling requests are served
by the run's own model, counted in the run's stats and refused when the run's bounds forbid another call.

Real servers over stdio (our calculator, the conformance fixture server, tests/mcp_asking_server.py, which
writes down every answer it hears), a real graph, a scripted model.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import sys
import threading
import time
from pathlib import Path

import pytest
from graph_helpers import agent
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from mcp_helpers import stdio_env

from agent.mcp.client import MCPToolbox
from agent.mcp.config import ServerConfig
from graphs.bounds import Bounds
from graphs.pricing import Pricing
from graphs.run_model import LentModel, ModelRefused
from graphs.testing import ScriptedModel, answer, call
from graphs.tool_context import MAX_MESSAGE, PROGRESS_INTERVAL, ProgressReporter, ToolCallContext


@pytest.fixture(scope="module")
def toolbox(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    servers = {
        "calc": ServerConfig(command=sys.executable, args=["-m", "mcp_servers.calculator"], env=stdio_env(home)),
        "fx": ServerConfig(command=sys.executable, args=["-m", "mcp_servers.conformance"], env=stdio_env(home)),
    }
    with MCPToolbox(servers, call_timeout=10, home=home, log_dir=home / "logs") as box:
        yield box


def _progress(events: list[dict], call_id: str) -> list[dict]:
    return [e for e in events if e.get("type") == "tool_progress" and e["id"] == call_id]


def test_progress_of_a_call_streams_as_tool_progress_of_that_call(toolbox):
    """Sync graph (tools on threads): our calculator's progress ("started", ticks, "done"), the fixture's 0/50/100 of
    100 (sent 50 ms apart: the middle one is throttled away), each with its own call's id and name."""
    model = ScriptedModel(
        [
            call("calc__calculator", id="c-calc", expression="2+3"),
            call("fx__test_tool_with_progress", id="c-fx"),
            answer("5"),
        ]  # fmt: skip
    )
    events = list(agent(model, tools=toolbox.langchain_tools()).stream({"messages": "go"}, stream_mode="custom"))
    calc = _progress(events, "c-calc")
    messages = [e["message"] for e in calc]  # a slow first call (sympy loading) also ticks every 0.5 s
    assert messages[0] == "calculator: started" and messages[-1] == "calculator: done"
    assert all(m.startswith("calculator: running for ") for m in messages[1:-1])
    assert {e["name"] for e in calc} == {"calc__calculator"} and calc[0]["total"] is None
    assert calc[-1]["total"] == calc[-1]["progress"]
    fx = _progress(events, "c-fx")
    assert [(e["progress"], e["total"]) for e in fx] == [(0.0, 100.0), (100.0, 100.0)]
    assert fx[-1]["message"] == "Completed step 100 of 100"
    order = [(e["type"], e.get("id")) for e in events if e["type"].startswith("tool_")]
    assert order.index(("tool_progress", "c-fx")) < order.index(("tool_end", "c-fx"))  # during the call


def test_progress_streams_from_the_async_graph_too(toolbox):
    model = ScriptedModel([call("fx__test_tool_with_progress", id="c-async"), answer("done")])
    graph = agent(model, tools=toolbox.langchain_tools())

    async def run() -> list[dict]:
        return [e async for e in graph.astream({"messages": "go"}, stream_mode="custom")]

    fx = _progress(asyncio.run(run()), "c-async")
    assert [e["progress"] for e in fx] == [0.0, 100.0] and fx[0]["name"] == "fx__test_tool_with_progress"


def test_no_progress_is_asked_for_outside_a_run(toolbox):
    """A tool invoked directly (no tools step, no stream) sends no progress token: the fixture echoes it."""
    tool = {t.name: t for t in toolbox.langchain_tools()}["fx__test_tool_with_progress"]
    assert tool.invoke({}) == "0"


def test_a_chatty_server_is_throttled_and_its_text_cleaned():
    """A thousand notifications in a burst: one event, then the final one; hostile text is cut and cleaned."""
    import contextvars

    seen: list[dict] = []
    reporter = ProgressReporter(ToolCallContext("c1", "t", seen.append, contextvars.copy_context()))
    for step in range(1000):
        reporter(step, 1000, f"step {step}\x1b[2J\u202e" + "x" * 1000)
    reporter(1000, 1000, "done")
    assert [e["progress"] for e in seen] == [0.0, 1000.0] and reporter.dropped == 999
    assert "\x1b" not in seen[0]["message"] and "\u202e" not in seen[0]["message"]
    assert len(seen[0]["message"]) == MAX_MESSAGE and seen[0]["message"].startswith("step 0[2J")
    time.sleep(PROGRESS_INTERVAL)
    reporter(float("nan"), None, None)  # not a number: nothing to show
    reporter(5, None, None)
    assert seen[-1] == {"type": "tool_progress", "id": "c1", "name": "t", "progress": 5.0, "total": None,
                        "message": None}  # fmt: skip


# --- questions as interrupts ---------------------------------------------------------------------------------

ASKING = str(Path(__file__).with_name("mcp_asking_server.py"))
INTERRUPT = {"mcp_elicitation": "interrupt"}


class Asking:
    """A toolbox with the asking server, and what that server heard."""

    def __init__(self, home: Path, protocol: str) -> None:
        self.heard_path = home / f"heard-{protocol}.jsonl"
        entry = ServerConfig(command=sys.executable, args=[ASKING], protocol=protocol, sampling=True,
                             env=stdio_env(home, ASK_LOG=str(self.heard_path)))  # fmt: skip
        self.box = MCPToolbox({"ask": entry}, call_timeout=10, home=home, log_dir=home / "logs")
        self.log = home / "logs" / "mcp-ask.log"

    def heard(self, tool: str) -> list[dict]:
        lines = self.heard_path.read_text().splitlines() if self.heard_path.exists() else []
        return [e for e in map(json.loads, lines) if e["tool"] == tool]

    def graph(self, *replies, **settings):
        model = ScriptedModel(list(replies))
        return agent(model, tools=self.box.langchain_tools(), checkpointer=InMemorySaver(), **settings)


@pytest.fixture(scope="module", params=["2025-11-25", "2026-07-28"])
def asking(request, tmp_path_factory):
    server = Asking(tmp_path_factory.mktemp("asking"), request.param)
    with server.box:
        yield server


def _config(thread: str) -> dict:
    return {"configurable": {"thread_id": thread, **INTERRUPT}}


def test_a_question_pauses_the_run_and_the_resume_answers_it(asking):
    """The synchronous graph (the service's async path is tests/test_service_mcp.py), both protocol revisions:
    the first pass answers "cancel"; an answer that does not fit pauses again with the reason; a fitting one is
    sent, with the form's defaults."""
    graph = asking.graph(call("ask__register", id="r1", table="members"), answer("ok"))
    config = _config("q1")
    (paused,) = graph.invoke({"messages": "go"}, config)["__interrupt__"]
    assert paused.value["type"] == "elicitation" and paused.value["id"] == "r1" and "error" not in paused.value
    (again,) = graph.invoke(Command(resume={"action": "accept", "content": {"name": 7}}), config)["__interrupt__"]
    assert again.value["error"] == "the answer does not fit the server's form: the field 'name' must be of type string"
    out = graph.invoke(Command(resume={"action": "accept", "content": {"name": "Ada"}}), config)
    assert "__interrupt__" not in out and out["messages"][-2].content == "registered Ada, 30, in members"
    assert [e["action"] for e in asking.heard("register")][-3:] == ["cancel", "cancel", "accept"]


def test_a_destructive_call_that_asks_is_approved_once(asking):
    """Approval, then the server's own question: the call paused by the question is not mistaken, on resume,
    for a call whose outcome is unknown (the ledger forgets it), so it is made again without a second approval."""
    graph = asking.graph(call("ask__drop_table", id="d1", table="orders"), answer("ok"))
    config = _config("q2")
    assert graph.invoke({"messages": "go"}, config)["__interrupt__"][0].value["type"] == "approval"
    (question,) = graph.invoke(Command(resume="approve"), config)["__interrupt__"]
    assert question.value["message"] == "Really drop orders?"
    out = graph.invoke(Command(resume={"action": "accept", "content": {"sure": True}}), config)
    assert out["messages"][-2].content == "dropped orders"
    assert [e.get("action", e["kind"]) for e in asking.heard("drop_table")][-3:] == ["cancel", "accept", "dropped"]


def test_concurrent_runs_each_answer_their_own_question(asking):
    """Two runs share the server's session; each pauses on its own call's question and each answer goes to the
    call it was given for (2026-07-28: the question comes back within its call; 2025-11-25: each call is alone
    in flight when it asks, or the question is declined, see below)."""
    graphs = {name: asking.graph(call("ask__register", id=f"c-{name}", table=name), answer("ok"))
              for name in ("left", "right")}  # fmt: skip

    def first(name: str):
        return graphs[name].invoke({"messages": "go"}, _config(name))

    def resume(name: str):
        value = {"action": "accept", "content": {"name": name.title()}, "id": f"c-{name}"}
        return graphs[name].invoke(Command(resume=value), _config(name))

    exact = asking.box.servers["ask"].protocol == "2026-07-28"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        paused = dict(zip(graphs, pool.map(first, graphs), strict=True))
        # 2025-11-25: a re-made call that asks while the other run's call is in flight is declined as well, so
        # those answers go one run at a time (the concurrent case is the first pass above)
        done = dict(zip(graphs, (pool.map if exact else map)(resume, graphs), strict=True))
    for name in graphs:
        outcome = paused[name].get("__interrupt__")
        if outcome:  # (2025-11-25: a question asked while the other run's call was in flight is declined)
            assert outcome[0].value["id"] == f"c-{name}"
            assert done[name]["messages"][-2].content == f"registered {name.title()}, 30, in {name}"
    if exact:
        assert all(paused[name].get("__interrupt__") for name in graphs)


def test_an_answer_for_another_call_is_not_given_to_this_one(asking):
    graph = asking.graph(call("ask__register", id="mine", table="t"), answer("ok"))
    config = _config("q4")
    graph.invoke({"messages": "go"}, config)
    (again,) = graph.invoke(Command(resume={"action": "accept", "content": {"name": "X"}, "id": "other"}), config)[
        "__interrupt__"
    ]
    assert again.value["error"] == "that answer was for call other, not this one"
    out = graph.invoke(Command(resume={"action": "accept", "content": {"name": "Me"}, "id": "mine"}), config)
    assert out["messages"][-2].content == "registered Me, 30, in t"


def test_an_ambiguous_question_is_declined_not_answered_for_another_run(asking):
    """2025-11-25: a question arriving while two calls are in flight on the session says nothing of which call
    asks (the installed SDK does not tell); the run's call gets "decline", and the server's log says why."""
    if asking.box.servers["ask"].protocol != "2025-11-25":
        pytest.skip("2026-07-28: a question comes back within its own call, never ambiguous")
    link = asking.box._links["ask"]
    holding = threading.Thread(target=asking.box.call, args=("ask", "hold", {"seconds": 1.5}))
    holding.start()
    deadline = time.monotonic() + 5
    while not link.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    graph = asking.graph(call("ask__register", id="amb", table="t"), answer("ok"))
    out = graph.invoke({"messages": "go"}, _config("q5"))
    holding.join()
    assert "__interrupt__" not in out and out["messages"][-2].content == "nobody registered (decline)"
    assert asking.heard("register")[-1]["action"] == "decline"
    assert "declined a question (several calls are in flight on this session" in asking.log.read_text()


# --- sampling within the run's bounds -------------------------------------------------------------------------


def test_sampling_is_served_by_the_runs_model_and_counted_in_the_run(asking):
    """The server's sampling request is the run's third model call (after the call that used the tool, before
    the answer): the scripted model's next reply answers the server, and the run's stats count it."""
    graph = asking.graph(call("ask__summarize", id="s1", text="a long story"), answer("a short story"), answer("done"))
    out = graph.invoke({"messages": "go"}, _config("s1"))
    assert out["messages"][-2].content == "summary: a short story" and out["answer"] == "done"
    assert out["stats"]["model_calls"] == 3
    assert asking.heard("summarize")[-1] == {"tool": "summarize", "kind": "sampling", "text": "a short story"}
    alone = asking.graph(call("ask__summarize", id="s2", text="x"), answer("y"), answer("done"))
    tokens = alone.invoke({"messages": "go"}, _config("s2"))["stats"]
    assert tokens["input_tokens"] > 0 and tokens["output_tokens"] > 0


def test_a_bound_of_one_model_call_refuses_the_servers_sampling(asking):
    graph = asking.graph(call("ask__summarize", id="s3", text="a long story"), max_model_calls=1)
    out = graph.invoke({"messages": "go"}, _config("s3"))
    refused = "the agent's run cannot serve it: the run reached its limit of model calls (1)"
    assert refused in out["messages"][-2].content and out["messages"][-2].status == "error"
    assert out["stop_reason"] == "model_calls" and out["stats"]["model_calls"] == 1


def test_the_lent_model_refuses_past_the_time_tokens_and_cost_bounds():
    model = ScriptedModel([answer("fine")])
    late = LentModel(model, Bounds(max_seconds=1), Pricing(), {"started_at": time.time() - 5, "model_calls": 1})
    with pytest.raises(ModelRefused, match=r"the run reached its time limit \(1 s\)"):
        asyncio.run(late.ainvoke(["hi"], 100))
    tokens = LentModel(model, Bounds(max_tokens=1000), Pricing(), {"input_tokens": 900})
    with pytest.raises(ModelRefused, match="could take the run past its token budget"):
        asyncio.run(tokens.ainvoke(["hi"], 500))
    dear = LentModel(model, Bounds(max_cost=0.01), Pricing(input=1.0, output=100.0), {"cost": 0.009})
    with pytest.raises(ModelRefused, match=r"could take the run past its cost budget \(0.0090 of 0.01 used\)"):
        asyncio.run(dear.ainvoke(["hi"], 100))
    fine = LentModel(model, Bounds(), Pricing(), {"started_at": time.time(), "model_calls": 1})
    assert asyncio.run(fine.ainvoke(["hi"], 100)).content == "fine"
    assert fine.stats["model_calls"] == 2 and fine.stats["output_tokens"] > 0 and fine.calls == 1
    assert late.calls == tokens.calls == dear.calls == 0


def test_a_fallback_samplers_allowance_is_per_run():
    """Outside the agent's tools step (no lent model) the toolbox's sampler counts each run apart."""
    from mcp import types

    from agent.mcp.sampling import Sampler, SamplingRefused

    sampler = Sampler(lambda request: "ok", max_calls=1)
    params = types.CreateMessageRequestParams(
        messages=[types.SamplingMessage(role="user", content=types.TextContent(type="text", text="hi"))], max_tokens=9
    )
    assert asyncio.run(sampler.serve("s", params, "run-a")).content.text == "ok"
    with pytest.raises(SamplingRefused, match="used up"):
        asyncio.run(sampler.serve("s", params, "run-a"))
    assert asyncio.run(sampler.serve("s", params, "run-b")).content.text == "ok"
