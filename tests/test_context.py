"""Context strategies: each keeps every prompt under budget and never splits a tool pair."""

from __future__ import annotations

import pytest
from graph_helpers import add, agent
from graph_helpers import settings as make_settings
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from graphs.builder import build_agent
from graphs.context import count_tokens, split_rounds
from graphs.memory import open_store
from graphs.recall import HashingEmbeddings, RecallMemory, cosine, index_config
from graphs.testing import ScriptedModel, answer, call

WINDOW, THRESHOLD = 3000, 0.7
BUDGET = int(WINDOW * THRESHOLD)


def chatty(messages):
    """Each task: one tool call, then a long answer (~300 tokens)."""
    if isinstance(messages[-1], HumanMessage):
        return call("add", a=len(messages), b=1)
    return AIMessage("word " * 300)


def assert_pairs_intact(prompt):
    calls = {c["id"] for m in prompt if isinstance(m, AIMessage) for c in m.tool_calls}
    results = {m.tool_call_id for m in prompt if isinstance(m, ToolMessage)}
    assert results <= calls, "a tool result lost its call"
    assert calls <= results, "a tool call lost its result"


def run_turns(graph, turns: int, thread: str = "t"):
    config = {"configurable": {"thread_id": thread}}
    out = None
    for i in range(turns):
        out = graph.invoke({"messages": f"task number {i}: " + "detail " * 50}, config)
    return out


def test_all_keeps_everything():
    model = ScriptedModel([chatty], cycle=True)
    run_turns(agent(model, checkpointer=InMemorySaver(), context_strategy="all"), 6)
    assert sum(isinstance(m, HumanMessage) for m in model.prompts[-1]) == 6


def test_last_rounds_keeps_the_last_n_rounds_under_budget():
    model = ScriptedModel([chatty], cycle=True)
    graph = agent(
        model,
        checkpointer=InMemorySaver(),
        context_strategy="last_rounds",
        context_rounds=3,
        context_window=WINDOW,
        summary_threshold=THRESHOLD,
    )
    run_turns(graph, 10)
    for prompt in model.prompts:
        assert count_tokens(prompt) <= BUDGET
        assert sum(isinstance(m, HumanMessage) for m in prompt) <= 3
        assert_pairs_intact(prompt)
    assert "task number 9" in model.prompts[-1][-3].text


def summarising_graph(summarizer, **overrides):
    """A chatty scripted model on the summary strategy, with ``summarizer`` writing the summaries."""
    model = ScriptedModel([chatty], cycle=True)
    settings = make_settings(
        context_strategy="summary", context_window=WINDOW, summary_threshold=THRESHOLD, **overrides
    )
    graph = build_agent(
        model=model, tools=[add], checkpointer=InMemorySaver(), summary_model=summarizer, settings=settings
    )
    return graph, model


def test_summary_folds_old_rounds_and_keeps_prompts_under_budget():
    summarizer = ScriptedModel([lambda m: AIMessage(f"SUMMARY of {len(m[-1].text)} chars")], cycle=True)
    graph, model = summarising_graph(summarizer)
    out = run_turns(graph, 12)
    assert summarizer.calls_made >= 2  # a rolling summary, renewed as the thread grows
    assert out["summary"].startswith("SUMMARY") and out["summary_upto"] > 0
    for prompt in model.prompts:
        assert count_tokens(prompt) <= BUDGET
        assert_pairs_intact(prompt)
    last_system = model.prompts[-1][0]
    assert isinstance(last_system, SystemMessage) and "SUMMARY of" in last_system.text
    # the summariser was given the earlier summary to extend
    assert any("Earlier summary: SUMMARY" in p[-1].text for p in summarizer.prompts)
    # the thread itself keeps every message
    assert sum(isinstance(m, HumanMessage) for m in out["messages"]) == 12


def _unreachable(_messages):
    raise ConnectionError("the summariser's endpoint refused the connection")


def test_summary_failure_falls_back_to_the_budget_cut():
    graph, model = summarising_graph(ScriptedModel([_unreachable], cycle=True))  # a summariser that always fails
    out = run_turns(graph, 8)
    assert out["stop_reason"] == "answered"
    assert out["stats"]["degraded"] >= 1  # counted, logged, announced: not silent
    assert all(count_tokens(p) <= BUDGET for p in model.prompts)


def _recall_graph(model, store):
    settings = make_settings(
        context_strategy="recall", context_rounds=2, recall_k=1, context_window=WINDOW, summary_threshold=THRESHOLD
    )
    return build_agent(model=model, tools=[add], checkpointer=InMemorySaver(), store=store, settings=settings)


def check_recall(store):
    topics = [
        "the capital of France is Paris",
        "my cat is called Miso",
        "the train leaves at nine",
        "the password hint is blue",
        "invoices are due on Friday",
    ]
    model = ScriptedModel([lambda m: AIMessage("noted: " + m[-1].text[:60])], cycle=True)
    graph = _recall_graph(model, store)
    config = {"configurable": {"thread_id": "r"}}
    for topic in topics:
        graph.invoke({"messages": f"Remember: {topic}"}, config)
    graph.invoke({"messages": "what is my cat called?"}, config)
    note = model.prompts[-1][-1].text  # recalled rounds come after the conversation: the cached head stays
    assert "Miso" in note  # recalled from five rounds back, outside the last two
    assert sum(isinstance(m, HumanMessage) for m in model.prompts[-1]) <= 2
    assert all(count_tokens(p) <= BUDGET for p in model.prompts)


def test_recall_with_an_indexed_store():
    embeddings = HashingEmbeddings()
    check_recall(open_store("memory:", index_config(embeddings, embeddings.dims)))


def test_recall_with_a_sqlite_store_without_vector_index(tmp_path):
    check_recall(open_store(f"sqlite:///{tmp_path / 'store.sqlite'}"))


def test_recall_with_a_postgres_store(pg_database):
    check_recall(open_store(pg_database))


def test_hashing_embeddings_are_deterministic_and_rank_by_overlap():
    e = HashingEmbeddings()
    assert e.embed_query("prime numbers") == HashingEmbeddings().embed_query("prime numbers")
    q = e.embed_query("素数 是 什么")
    assert cosine(q, e.embed_query("什么是素数")) > cosine(q, e.embed_query("今天天气很好"))
    memory = RecallMemory(open_store("memory:"))
    memory.remember("t", "1", "apples are red")
    memory.remember("t", "2", "the sky is blue")
    assert memory.recall("t", "what colour is the sky", 1) == ["the sky is blue"]


def test_rounds_never_split_tool_pairs():
    messages = [
        HumanMessage("a"),
        AIMessage("", tool_calls=[{"name": "add", "args": {}, "id": "1"}]),
        ToolMessage("2", tool_call_id="1"),
        AIMessage("done"),
        HumanMessage("b"),
        AIMessage("ok"),
    ]
    rounds = split_rounds(messages)
    assert [len(r) for r in rounds] == [4, 2]


def test_calls_left_open_by_an_interrupted_run_are_closed_in_the_prompt():
    """Ctrl-C or a killed process can leave a call unanswered; the next prompt stays valid."""
    from graphs.context import close_open_calls

    messages = [
        HumanMessage("a"),
        AIMessage("", tool_calls=[{"name": "add", "args": {}, "id": "1"}, {"name": "add", "args": {}, "id": "2"}]),
        ToolMessage("3", tool_call_id="1"),
        HumanMessage("b"),
    ]
    closed = close_open_calls(messages)
    assert [type(m).__name__ for m in closed] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "ToolMessage",
        "HumanMessage",
    ]
    assert closed[3].tool_call_id == "2" and "interrupted" in closed[3].text
    assert_pairs_intact(closed)


def test_a_thread_interrupted_mid_run_takes_a_new_task():
    model = ScriptedModel([call("add", a=1, b=2)])
    graph = agent(model, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "cut"}}
    # stop the first run right after the model asked for a tool, as Ctrl-C would
    for update in graph.stream({"messages": "first"}, config, stream_mode="updates"):
        if "model" in update:  # the model asked for a tool (validated in the same step); tools have not run
            break
    model.replies.append(answer("second answer"))
    out = graph.invoke({"messages": "second"}, config)
    assert out["answer"] == "second answer"
    assert_pairs_intact(model.prompts[-1][1:])


def test_summary_calls_count_against_the_bounds():
    summarizer = ScriptedModel([lambda m: AIMessage("SUMMARY")], cycle=True)
    graph, _ = summarising_graph(summarizer, price_in=1.0, price_out=1.0)
    config = {"configurable": {"thread_id": "s"}}
    for i in range(12):
        before = summarizer.calls_made
        out = graph.invoke({"messages": f"task number {i}: " + "detail " * 50}, config)
        summaries = summarizer.calls_made - before
        assert out["stats"]["model_calls"] == 2 + summaries  # the summary is a model call like the others
    assert summarizer.calls_made >= 2
    # and its tokens are in the cost
    stats = out["stats"]
    assert stats["cost"] == pytest.approx((stats["input_tokens"] + stats["output_tokens"]) / 1e6)


def test_summary_stops_at_the_model_call_bound():
    graph, _ = summarising_graph(ScriptedModel([lambda m: AIMessage("SUMMARY")], cycle=True), max_model_calls=2)
    config = {"configurable": {"thread_id": "b"}}
    reasons = [graph.invoke({"messages": f"task {i}: " + "detail " * 50}, config)["stop_reason"] for i in range(10)]
    assert "model_calls" in reasons  # a run that had to summarise ran out of its two model calls


def test_recall_leaves_out_rounds_already_in_the_prompt():
    model = ScriptedModel([lambda m: AIMessage("noted")], cycle=True)
    graph = _recall_graph(model, open_store("memory:"))
    config = {"configurable": {"thread_id": "x"}}
    for text in ("the capital of France is Paris", "my cat is called Miso", "the train leaves at nine"):
        graph.invoke({"messages": f"Remember: {text}"}, config)
    graph.invoke({"messages": "when does the train leave?"}, config)
    note = model.prompts[-1][-1].text  # the note after the conversation
    # the train round is one of the last two rounds, verbatim in the prompt; recall brings an older one
    assert "Earlier exchanges" in note and "train leaves at nine" not in note
