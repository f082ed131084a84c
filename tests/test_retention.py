"""Pruning a long thread to one checkpoint keeps its conversation and lets it go on; old threads expire."""

from __future__ import annotations

import datetime as dt

import pytest
from graph_helpers import agent
from langchain_core.messages import AIMessage, HumanMessage

from graphs.memory import open_checkpointer
from graphs.retention import compact_storage, expired_threads, prune_thread, storage_bytes
from graphs.testing import ScriptedModel, call


def _reply(messages):
    if isinstance(messages[-1], HumanMessage):
        return call("add", a=1, b=len(messages))
    return AIMessage("x" * 500)


def _long_thread(url: str, turns: int):
    saver = open_checkpointer(url)
    model = ScriptedModel([_reply], cycle=True)
    graph = agent(model, checkpointer=saver)
    config = {"configurable": {"thread_id": "long"}}
    for turn in range(turns):
        graph.invoke({"messages": f"question {turn}"}, config)
    return graph, saver, config, model


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_prune_keeps_the_conversation_and_frees_space(backend, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'cp.sqlite'}" if backend == "sqlite" else request.getfixturevalue("pg_database")
    graph, saver, config, model = _long_thread(url, 40)
    before_messages = graph.get_state(config).values["messages"]
    before = storage_bytes(saver)
    assert prune_thread(graph, "long")
    compact_storage(saver)
    after = storage_bytes(saver)
    state = graph.get_state(config)
    assert [(m.type, m.text) for m in state.values["messages"]] == [(m.type, m.text) for m in before_messages]
    assert len(list(saver.list(config))) == 1 and state.next == ()
    assert after < before / 2, (before, after)
    out = graph.invoke({"messages": "one more"}, config)  # the thread goes on, with all it had
    assert [m.text for m in out["messages"] if m.type == "human"][-2:] == ["question 39", "one more"]


def test_a_paused_thread_is_not_pruned(tmp_path):
    from graph_helpers import erase

    saver = open_checkpointer(f"sqlite:///{tmp_path / 'p.sqlite'}")
    graph = agent(ScriptedModel([call("erase", table="t"), "done"], leftover=True), tools=[erase], checkpointer=saver)
    config = {"configurable": {"thread_id": "paused"}}
    graph.invoke({"messages": "erase t"}, config)
    assert graph.get_state(config).interrupts
    assert prune_thread(graph, "paused") is False
    assert graph.get_state(config).interrupts  # still waiting for its approval


def test_threads_past_their_age_are_listed(tmp_path):
    graph, saver, config, _ = _long_thread(f"sqlite:///{tmp_path / 'e.sqlite'}", 1)
    assert expired_threads(saver, dt.timedelta(days=1)) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert expired_threads(saver, dt.timedelta(days=1), now=later) == ["long"]
