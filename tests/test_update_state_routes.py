"""A state update written as the model or tools node goes where a conditional edge would have sent it.

Those nodes route themselves at run time (a ``Command``); editing or forking a thread
with ``update_state(..., as_node=...)`` must still schedule what follows.
"""

from __future__ import annotations

import asyncio

import pytest
from graph_helpers import add
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.testing import ScriptedModel, answer, call


def _graph():
    return build_agent(
        model=ScriptedModel([call("add", a=1, b=2), answer("3")], cycle=True),
        tools=[add],
        checkpointer=InMemorySaver(),
        settings=Settings(planning="off", context_strategy="all"),
    )


def test_an_edited_tool_call_runs_when_the_thread_goes_on():
    graph, config = _graph(), {"configurable": {"thread_id": "edit"}}
    graph.invoke({"messages": "1+2"}, config, interrupt_after=["model"])
    last = graph.get_state(config).values["messages"][-1]
    edited = AIMessage(
        "", id=last.id, tool_calls=[{"name": "add", "args": {"a": 5, "b": 5}, "id": last.tool_calls[0]["id"]}]
    )
    graph.update_state(config, {"messages": [edited]}, as_node="model")
    assert graph.get_state(config).next == ("tools",)
    out = graph.invoke(None, config)
    assert [m.content for m in out["messages"] if m.type == "tool"] == ["10"] and out["answer"] == "3"


@pytest.mark.parametrize(
    ("as_node", "values", "expected"),
    [
        ("model", {"messages": [AIMessage("I decide: 3")]}, ("finish",)),
        ("tools", {"messages": [HumanMessage("again?")]}, ("model",)),
        (None, {"summary": "edited"}, ("model",)),  # inferred: the tools node wrote last
    ],
)
def test_updates_as_a_node_are_routed_like_its_edges(as_node, values, expected):
    graph, config = _graph(), {"configurable": {"thread_id": "route"}}
    graph.invoke({"messages": "1+2"}, config, interrupt_after=["tools"])
    graph.update_state(config, values, as_node=as_node)
    assert graph.get_state(config).next == expected


def test_the_async_update_is_routed_too():
    graph, config = _graph(), {"configurable": {"thread_id": "async"}}

    async def main() -> tuple[str, ...]:
        await graph.ainvoke({"messages": "1+2"}, config, interrupt_after=["tools"])
        await graph.aupdate_state(config, {"messages": [AIMessage("done: 3")]}, as_node="model")
        return (await graph.aget_state(config)).next

    assert asyncio.run(main()) == ("finish",)
