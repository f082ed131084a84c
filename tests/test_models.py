"""Models over a real local HTTP server speaking the OpenAI protocol, through langchain-openai."""

from __future__ import annotations

import json
import time

import pytest
from fake_openai import FakeOpenAI, Reply, fail
from graph_helpers import add, agent
from langchain_core.messages import AIMessage, HumanMessage
from pydantic import SecretStr

from agent.settings import Settings
from graphs.llm import (
    ModelChoice,
    ModelConfigError,
    build_chat_model,
    choose_model,
    effective_settings,
    load_model_file,
)


@pytest.fixture
def server():
    with FakeOpenAI() as srv:
        yield srv


def model_for(server, **kw):
    return build_chat_model(
        ModelChoice(provider="vllm", model="qwen3", base_url=server.url, api_key=SecretStr("sk-test-KEEPOUT"), **kw),
        max_retries=kw.pop("r", 3),
    )


def test_non_streaming_answer_reasoning_and_usage(server):
    server.queue(Reply(content="forty-two", reasoning="I think hard", usage=(30, 5)))
    message = model_for(server).invoke([HumanMessage("hi")])
    assert message.text == "forty-two"
    assert message.additional_kwargs["reasoning_content"] == "I think hard"
    assert message.usage_metadata["input_tokens"] == 30 and message.usage_metadata["output_tokens"] == 5
    assert server.headers[0]["authorization"] == "Bearer sk-test-KEEPOUT"


def test_streaming_tool_call_deltas_reasoning_and_usage_chunk(server):
    server.queue(
        Reply(
            content="let me compute",
            reasoning="need a tool",
            tool_calls=[("add", '{"a": 20, "b": 22}'), ("add", '{"a": 1, "b": 2}')],
            usage=(40, 9),
        )
    )
    chunks = list(model_for(server).stream([HumanMessage("hi")]))
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    assert [c["args"] for c in full.tool_calls] == [{"a": 20, "b": 22}, {"a": 1, "b": 2}]
    assert full.additional_kwargs["reasoning_content"] == "need a tool"
    assert full.usage_metadata["total_tokens"] == 49
    assert server.requests[0]["stream_options"] == {"include_usage": True}
    assert sum(1 for c in chunks if c.additional_kwargs.get("reasoning_content")) >= 2  # arrives piecewise


def test_429_with_retry_after_is_retried(server):
    server.queue(fail(429, retry_after="1"), Reply(content="finally"))
    time.monotonic()
    assert model_for(server).invoke([HumanMessage("hi")]).text == "finally"
    assert len(server.requests) == 2
    assert server.times[1] - server.times[0] >= 0.9  # the server's Retry-After was honoured


def test_500_is_retried_then_reported(server):
    server.queue(fail(500), Reply(content="recovered"))
    assert model_for(server).invoke([HumanMessage("hi")]).text == "recovered"
    server.queue(fail(500), fail(500))
    with pytest.raises(Exception) as err:
        build_chat_model(ModelChoice(provider="vllm", model="m", base_url=server.url), max_retries=1).invoke("x")
    assert "500" in str(err.value)


def test_reasoning_is_never_sent_back(server):
    server.queue(Reply(content="second"))
    history = [
        HumanMessage("q"),
        AIMessage("first", additional_kwargs={"reasoning_content": "PRIVATE THOUGHTS"}),
        HumanMessage("again"),
    ]
    model_for(server).invoke(history)
    assert "PRIVATE THOUGHTS" not in json.dumps(server.requests[0])


def test_graph_over_http_streams_tools_and_records_usage_and_cost(server):
    server.queue(
        Reply(reasoning="plan it", tool_calls=[("add", '{"a": 2, "b": 3}')], usage=(100, 10)),
        Reply(content="The sum is 5.", usage=(150, 20)),
    )
    graph = agent(model_for(server), price_in=2.0, price_out=8.0)
    tokens, state = [], {}
    for mode, chunk in graph.stream({"messages": "add 2 and 3"}, stream_mode=["messages", "values"]):
        if mode == "messages" and chunk[1]["langgraph_node"] == "model":
            tokens.append(chunk[0].text)
        if mode == "values":
            state = chunk
    assert state["answer"] == "The sum is 5." and "".join(tokens).strip() == "The sum is 5."
    stats = state["stats"]
    assert (stats["input_tokens"], stats["output_tokens"]) == (250, 30)
    assert stats["cost"] == pytest.approx((250 * 2.0 + 30 * 8.0) / 1e6)
    # the tool result went back to the server in the second request, the reasoning did not
    second = server.requests[1]["messages"]
    assert second[-1]["role"] == "tool" and second[-1]["content"] == "5"
    assert "plan it" not in json.dumps(second)


def test_malformed_tool_arguments_from_the_server_are_repaired(server):
    server.queue(Reply(tool_calls=[("add", "{'a': 2, 'b': 3,}")]), Reply(content="5"))
    out = agent(model_for(server)).invoke({"messages": "add"})
    assert [m.text for m in out["messages"] if m.type == "tool"] == ["5"]
    # what went back to the server is well-formed JSON
    call = server.requests[1]["messages"][2]["tool_calls"][0]["function"]
    assert json.loads(call["arguments"]) == {"a": 2, "b": 3}


def test_unrepairable_arguments_get_a_corrective_retry(server):
    server.queue(
        Reply(tool_calls=[("add", '{"a": 2, "b": ')]),
        Reply(tool_calls=[("add", '{"a": 2, "b": 3}')]),
        Reply(content="5"),
    )
    out = agent(model_for(server), tools=[add]).invoke({"messages": "add"})
    tools = [m for m in out["messages"] if m.type == "tool"]
    assert tools[0].status == "error" and "could not be read" in tools[0].text and tools[1].text == "5"


def test_model_failure_is_one_line_naming_the_endpoint_and_thread_survives(server):
    from langgraph.checkpoint.memory import InMemorySaver

    server.queue(fail(500), fail(500))
    model = build_chat_model(
        ModelChoice(provider="vllm", model="m", base_url=server.url, api_key=SecretStr("sk-test-KEEPOUT")),
        max_retries=1,
    )
    graph = agent(model, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    out = graph.invoke({"messages": "hello"}, config)
    assert out["stop_reason"] == "model_error"
    assert server.url in out["answer"] and "KEEPOUT" not in out["answer"]
    server.queue("back again")
    out = graph.invoke({"messages": "retry"}, config)
    assert out["answer"] == "back again"


def test_fallback_model_answers_when_the_first_fails(server):
    from graphs.builder import build_agent
    from graphs.testing import ScriptedModel

    server.queue(fail(500), fail(500))
    primary = build_chat_model(ModelChoice(provider="vllm", model="m", base_url=server.url), max_retries=1)
    graph = build_agent(
        model=primary,
        fallback=ScriptedModel(["from the fallback"]),
        tools=[add],
        checkpointer=False,
        settings=Settings(planning="off"),
    )
    assert graph.invoke({"messages": "x"})["answer"] == "from the fallback"


def test_no_think_and_limits_reach_the_request(server, tmp_path):
    path = tmp_path / "model.json"
    path.write_text(
        json.dumps(
            {
                "model_type": "qwen",
                "server_type": "vllm",
                "model": "qwen3-8b",
                "url": server.url,
                "api_key": "${MY_TEST_KEY}",
                "pay_in": 1.5,
                "pay_out": 6,
                "input_tokens": 4096,
                "out_tokens": 256,
                "temperature": 0.1,
                "timeout": 5,
                "no_think": True,
            }
        )
    )
    import os

    os.environ["MY_TEST_KEY"] = "sk-from-env"
    try:
        settings = Settings(model_config_path=path)
        choice = choose_model(settings)
        assert choice.api_key.get_secret_value() == "sk-from-env"
        eff = effective_settings(settings)
        assert (eff.price_in, eff.price_out, eff.context_window) == (1.5, 6.0, 4096)
        server.queue("ok")
        build_chat_model(choice).invoke("hi")
    finally:
        del os.environ["MY_TEST_KEY"]
    body = server.requests[0]
    assert body["model"] == "qwen3-8b" and body["max_tokens"] == 256 and body["temperature"] == 0.1
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert server.headers[0]["authorization"] == "Bearer sk-from-env"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"model": "m", "pay_in": "cheap"}, "pay_in"),
        ({"model": "m", "input_tokens": 10}, "input_tokens"),
        ({"model": "m", "server_type": "mystery"}, "server_type"),
        ({"model": "m", "pay_inn": 1}, "pay_inn"),
        ({"url": "http://x"}, "model"),
    ],
)
def test_bad_model_file_names_the_field(tmp_path, content, field):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ModelConfigError, match=f"field '{field}'"):
        load_model_file(path)


def test_provider_resolution(monkeypatch):
    assert choose_model(Settings()) is None  # no key, no model: offline
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-dash")
    choice = choose_model(Settings())
    assert (choice.provider, choice.model) == ("dashscope", "qwen-plus") and "dashscope" in choice.endpoint
    assert choose_model(Settings(model="offline")) is None
    choice = choose_model(Settings(model="ollama:llama3.1"))
    assert (choice.provider, choice.base_url) == ("ollama", "http://127.0.0.1:11434/v1")
    with pytest.raises(ModelConfigError, match="DEEPSEEK_API_KEY"):
        choose_model(Settings(model="deepseek:deepseek-chat"))
    with pytest.raises(ModelConfigError, match="unknown provider"):
        choose_model(Settings(provider="nowhere", model="x"))
    choice = choose_model(Settings(provider="http://127.0.0.1:9/v1", model="local"))
    assert choice.base_url == "http://127.0.0.1:9/v1"
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deep")
    choice = choose_model(Settings(model="deepseek:deepseek-reasoner"))
    assert (choice.provider, choice.model, choice.api_key.get_secret_value()) == (
        "deepseek",
        "deepseek-reasoner",
        "sk-deep",
    )
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    monkeypatch.delenv("DEEPSEEK_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # a local server needs no key
    choice = choose_model(Settings(model="my-local-model"))
    assert (choice.provider, choice.base_url, choice.api_key) == ("openai", "http://127.0.0.1:9/v1", None)


def test_recall_with_openai_compatible_embeddings(server, monkeypatch):
    from langgraph.checkpoint.memory import InMemorySaver

    from graphs.builder import build_agent
    from graphs.memory import open_store
    from graphs.testing import ScriptedModel

    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-embed-test")
    settings = Settings(
        planning="off", context_strategy="recall", context_rounds=1, recall_k=1, embedding_model="text-embedding-test"
    )
    model = ScriptedModel([lambda m: AIMessage("noted")], cycle=True)
    graph = build_agent(
        model=model, tools=[add], checkpointer=InMemorySaver(), store=open_store("memory:"), settings=settings
    )
    config = {"configurable": {"thread_id": "e"}}
    for text in ("my cat is called Miso", "the train leaves at nine", "invoices are due on Friday"):
        graph.invoke({"messages": f"Remember: {text}"}, config)
    graph.invoke({"messages": "what is my cat called?"}, config)
    assert "Miso" in model.prompts[-1][-1].text  # recalled rounds come after the conversation (stable head)
    assert "Miso" not in model.prompts[-1][0].text
    assert server.embedding_requests and server.embedding_requests[0]["model"] == "text-embedding-test"
    assert server.requests == []  # the chat model is scripted: the server only embedded


def test_the_suite_cannot_reach_a_real_provider():
    from graphs.llm import ModelChoice, ModelConfigError, build_chat_model

    with pytest.raises(ModelConfigError, match="remote model endpoints are blocked here"):
        build_chat_model(ModelChoice(provider="openai", model="gpt-4.1-mini"))
    local = build_chat_model(ModelChoice(provider="openai-compatible", model="m", base_url="http://127.0.0.1:9/v1"))
    assert local is not None
