"""What an MCP server sends back during a tool call of a run reaches that run: progress notifications become
``tool_progress`` events on the run's custom stream.

Real servers over stdio (our calculator, the conformance fixture server), a real graph, a scripted model.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
from graph_helpers import agent
from mcp_helpers import stdio_env

from agent.mcp.client import MCPToolbox
from agent.mcp.config import ServerConfig
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
    """Sync graph (tools on threads): our calculator's progress ("started", "done"), the fixture's 0/50/100 of
    100 (sent 50 ms apart: the middle one is throttled away), each with its own call's id and name."""
    model = ScriptedModel(
        [call("calc__calculator", id="c-calc", expression="2+3"), call("fx__test_tool_with_progress", id="c-fx"),
         answer("5")]  # fmt: skip
    )
    events = list(agent(model, tools=toolbox.langchain_tools()).stream({"messages": "go"}, stream_mode="custom"))
    calc = _progress(events, "c-calc")
    assert [e["message"] for e in calc] == ["calculator: started", "calculator: done"]
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
