"""What a model call costs: each provider's usage shape counted right, priced right, timed right.

Everything goes over the local OpenAI-protocol server (tests/fake_openai.py), through the
clients the agent builds (``graphs.providers``), streamed and not.
"""

# ruff: noqa: F811 - the fixtures imported from cli_helpers are arguments of the tests

from __future__ import annotations

import json

import pytest
from cli_helpers import SECRET, agent, env, server  # noqa: F401 - pytest fixtures, used as arguments
from fake_openai import Reply, usage_shape
from graph_helpers import add
from graph_helpers import agent as graph_of
from langchain_core.messages import AIMessage, HumanMessage
from pydantic import SecretStr

from agent.render_text import usage_line
from agent.runner import usage_of
from graphs.llm import ModelChoice, build_chat_model
from graphs.pricing import BUILTIN_PRICES, Pricing, table_pricing
from graphs.providers import client_classes
from graphs.usage import add_usage, call_usage, roll_up


def model(server, provider: str, **choice):
    return build_chat_model(
        ModelChoice(provider=provider, model="m", base_url=server.url, api_key=SecretStr("sk-x"), **choice)
    )


def openai_client(server):
    """The client the agent uses for OpenAI itself (``ChatOpenAI``), pointed at the local server."""
    openai_class, _ = client_classes()
    return openai_class(model="m", base_url=server.url, api_key=SecretStr("sk-x"), stream_usage=True)


def whole(chunks):
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    return full


SHAPES = [
    # provider, prompt, cached, written, output, reasoning
    ("openai", 1000, 600, 0, 50, 20),
    ("dashscope", 2000, 1200, 500, 80, 30),
    ("deepseek", 1500, 1024, 0, 40, 0),
]


@pytest.mark.parametrize(("provider", "prompt", "cached", "written", "out", "reasoning"), SHAPES)
@pytest.mark.parametrize("streamed", [False, True])
def test_each_providers_usage_shape_is_counted_and_priced(
    server, provider, prompt, cached, written, out, reasoning, streamed
):
    extra = usage_shape(provider, prompt, cached=cached, cache_write=written, reasoning=reasoning)
    server.queue(Reply(content="the answer", usage=(prompt, out), usage_extra=extra))
    client = model(server, provider)
    message = whole(list(client.stream([HumanMessage("q")]))) if streamed else client.invoke([HumanMessage("q")])
    usage = call_usage(message)
    assert (usage.input_tokens, usage.cached_tokens, usage.cache_write_tokens) == (prompt, cached, written)
    assert (usage.output_tokens, usage.reasoning_tokens) == (out, reasoning)
    assert server.requests[0]["stream"] is streamed
    prices = Pricing(input=2.0, cached=0.5, cache_write=2.5, output=8.0)
    stats = add_usage({}, message, prices)
    expected = ((prompt - cached - written) * 2.0 + cached * 0.5 + written * 2.5 + out * 8.0) / 1e6
    assert stats["cost"] == pytest.approx(expected)
    assert (stats["cached_tokens"], stats["cache_write_tokens"], stats["reasoning_tokens"]) == (
        cached,
        written,
        reasoning,
    )


@pytest.mark.parametrize("streamed", [False, True])
def test_the_openai_client_keeps_deepseeks_hit_count_that_chatopenai_drops(server, streamed):
    """``ChatOpenAI`` maps only the nested ``cached_tokens``; DeepSeek's top-level count is read from the raw usage."""
    server.queue(Reply(content="x", usage=(900, 10), usage_extra=usage_shape("deepseek", 900, cached=640)))
    client = openai_client(server)
    message = whole(list(client.stream("q"))) if streamed else client.invoke("q")
    assert message.usage_metadata["input_token_details"]["cache_read"] == 640
    from langchain_openai import ChatOpenAI

    server.queue(Reply(content="x", usage=(900, 10), usage_extra=usage_shape("deepseek", 900, cached=640)))
    plain = ChatOpenAI(model="m", base_url=server.url, api_key=SecretStr("sk-x")).invoke("q")
    assert "cache_read" not in (plain.usage_metadata.get("input_token_details") or {})  # what we make up for


def test_a_cache_price_unset_is_the_input_price_and_nothing_is_billed_twice():
    plain = Pricing(input=1.0, output=2.0)
    assert plain.cost(1_000_000, 0, cached_tokens=400_000, cache_write_tokens=100_000) == pytest.approx(1.0)
    cheap = Pricing(input=1.0, output=2.0, cached=0.1)
    assert cheap.cost(1_000_000, 500_000, cached_tokens=400_000) == pytest.approx(0.6 + 0.04 + 1.0)
    # a hostile usage claiming more cached than input tokens cannot make the bill negative
    stats = add_usage({}, _message(100, 10, cache_read=500), cheap)
    assert stats["cached_tokens"] == 100 and stats["cost"] >= 0


def _message(tokens_in: int, tokens_out: int, **details) -> AIMessage:
    return AIMessage(
        "a",
        usage_metadata={
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
            "input_token_details": details,
        },
    )


def test_a_stream_whose_first_token_is_late_gives_that_ttft(server):
    delay = 0.6
    server.queue(Reply(content="late but here", reasoning="thinking", first_token_delay=delay, usage=(20, 6)))
    message = whole(list(model(server, "vllm").stream([HumanMessage("q")])))
    usage = call_usage(message)
    assert delay * 1000 <= usage.ttft_ms < (delay + 2.0) * 1000
    assert usage.duration_ms >= usage.ttft_ms
    # not streamed: the first token comes with the whole answer
    server.queue(Reply(content="whole", first_token_delay=delay))
    usage = call_usage(model(server, "vllm").invoke([HumanMessage("q")]))
    assert usage.ttft_ms == usage.duration_ms and usage.ttft_ms >= delay * 1000


def test_the_graph_counts_every_detail_and_announces_each_call(server):
    server.queue(
        Reply(tool_calls=[("add", '{"a": 2, "b": 3}')], usage=(1000, 30), usage_extra=usage_shape("deepseek", 1000, 0)),
        Reply(content="5.", usage=(1100, 40), usage_extra=usage_shape("deepseek", 1100, cached=1000, reasoning=12)),
    )
    client = model(server, "deepseek", pricing=Pricing(input=0.28, cached=0.028, output=0.42))
    events, state = [], {}
    for mode, chunk in graph_of(client, tools=[add]).stream(
        {"messages": "add 2 and 3"}, stream_mode=["custom", "values"]
    ):
        if mode == "custom" and chunk["type"] == "model_call":
            events.append(chunk)
        elif mode == "values":
            state = chunk
    stats = state["stats"]
    assert (stats["input_tokens"], stats["cached_tokens"], stats["output_tokens"], stats["reasoning_tokens"]) == (
        2100,
        1000,
        70,
        12,
    )
    assert stats["cost"] == pytest.approx((1100 * 0.28 + 1000 * 0.028 + 70 * 0.42) / 1e6)  # the model's own prices
    assert [e["step"] for e in events] == ["model", "model"] and events[1]["cached_tokens"] == 1000
    assert len(stats["ttft_ms"]) == 2 and all(isinstance(t, int) for t in stats["ttft_ms"])
    usage = usage_of(stats, state["tool_log"])
    assert usage["cached_tokens"] == 1000 and usage["reasoning_tokens"] == 12 and "cache_write_tokens" not in usage
    assert usage["ttft_ms"] == stats["ttft_ms"] and usage["tokens_per_second"] > 0


def test_the_cost_bound_counts_cached_tokens_at_their_price(server):
    """A run that would pass its budget at the input price stays under it at the cache price."""
    hits = usage_shape("dashscope", 1_000_000, cached=1_000_000)
    for i in range(3):
        server.queue(Reply(tool_calls=[("add", json.dumps({"a": i, "b": 1}))], usage=(1_000_000, 0), usage_extra=hits))
    server.queue(Reply(content="done", usage=(1000, 5)))
    cached = model(server, "dashscope", pricing=Pricing(input=0.4, cached=0.08, output=1.2))
    out = graph_of(cached, tools=[add], max_cost=0.5, max_tokens=10_000_000).invoke({"messages": "go"})
    assert out["stop_reason"] == "answered" and out["answer"] == "done"
    assert out["stats"]["cost"] == pytest.approx(3 * 0.08 + 1000 * 0.4 / 1e6 + 5 * 1.2 / 1e6)
    for i in range(3):
        server.queue(Reply(tool_calls=[("add", json.dumps({"a": i, "b": 2}))], usage=(1_000_000, 0)))
    out = graph_of(cached, tools=[add], max_cost=0.5, max_tokens=10_000_000).invoke({"messages": "go"})
    assert out["stop_reason"] == "cost"  # 0.4 + 0.4 passes 0.5: the third call is never made
    assert len(server.requests) == 4 + 2


def test_the_price_table_estimates_and_says_so(tmp_path):
    estimate = table_pricing("deepseek", "deepseek-chat")
    assert estimate.estimated and estimate.cached == BUILTIN_PRICES["deepseek:deepseek-chat"].pay_cache
    assert table_pricing("vllm", "deepseek-chat") is None  # a local server's model has no list price
    (tmp_path / "prices.json").write_text(json.dumps({"deepseek:deepseek-chat": {"pay_in": 2, "pay_out": 3}}))
    own = table_pricing("deepseek", "deepseek-chat", tmp_path)
    assert (own.input, own.output, own.estimated) == (2, 3, False)  # the user's table is not an estimate
    (tmp_path / "prices.json").write_text("{broken")
    assert table_pricing("deepseek", "deepseek-chat", tmp_path).estimated  # a broken file leaves the estimates
    usage = {**_USAGE, "cost": 0.0123, "cost_estimated": True}
    assert "cost ~0.012300 (estimate)" in usage_line(usage, 1.0)


_USAGE = {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12, "cost": 0.0, "model_calls": 1, "tool_calls": 0}


def test_the_closing_line_shows_cache_reasoning_ttft_and_speed():
    usage = {**_USAGE, "cached_tokens": 8, "cache_write_tokens": 1, "reasoning_tokens": 2}
    line = usage_line({**usage, "ttft_ms": [300, 500, 900], "tokens_per_second": 41.5}, 2.0)
    assert "tokens 12 (in 10 / out 2) · cached 8 · cache writes 1 · reasoning 2 · cost 0.000000 · 2.00s" in line
    assert line.endswith(" · first token 0.50s (median) · 41.5 tok/s")


def test_a_threads_runs_are_summed_in_its_state():
    first = {"model_calls": 2, "input_tokens": 100, "cached_tokens": 40, "output_tokens": 10, "cost": 0.5}
    thread = roll_up(first, tool_calls=1)
    second = {"thread": thread, "model_calls": 1, "input_tokens": 50, "output_tokens": 5, "cost": 0.25}
    total = roll_up(second, tool_calls=0)
    assert total["runs"] == 2 and total["model_calls"] == 3 and total["tool_calls"] == 1
    assert (total["input_tokens"], total["cached_tokens"], total["cost"]) == (150, 40, 0.75)
    assert roll_up({"thread": total}) == total  # a run that did nothing adds nothing


def test_cli_json_closing_line_and_thread_usage(env, server, tmp_path):
    model_file = tmp_path / "dash.json"  # DashScope with no prices: the built-in table's estimate
    model_file.write_text(json.dumps({"server_type": "dashscope", "model": "qwen-plus", "url": server.url}))
    e = {**env, "DASHSCOPE_API_KEY": SECRET, "AGENT_MODEL_CONFIG": str(model_file), "AGENT_PLANNING": "off"}
    server.queue(
        Reply(
            content="First.", usage=(1000, 20), usage_extra=usage_shape("dashscope", 1000, cache_write=800, reasoning=5)
        ),
        Reply(
            content="Second.",
            usage=(1200, 30),
            usage_extra=usage_shape("dashscope", 1200, cached=800),
            first_token_delay=0.3,
        ),
    )
    one = agent(e, "run", "hello", "--thread", "t1", "--json")
    assert one.returncode == 0, one.stderr
    usage = json.loads(one.stdout)["usage"]
    assert (usage["input_tokens"], usage["cache_write_tokens"], usage["reasoning_tokens"]) == (1000, 800, 5)
    price = BUILTIN_PRICES["dashscope:qwen-plus"]
    expected = (200 * price.pay_in + 800 * price.pay_cache_write + 20 * price.pay_out) / 1e6
    assert usage["cost"] == pytest.approx(expected) and usage["cost_estimated"] is True
    assert len(usage["ttft_ms"]) == 1 and usage["tokens_per_second"] > 0
    two = agent(e, "run", "again", "--thread", "t1")
    assert two.returncode == 0, two.stderr
    closing = two.stdout.splitlines()[-1]
    assert "tokens 1,230 (in 1,200 / out 30) · cached 800 · cost ~" in closing and "(estimate)" in closing
    ttft = float(closing.split("first token ")[1].split("s")[0])
    assert ttft >= 0.3 and "tok/s" in closing
    shown = agent(e, "threads", "show", "t1", "--usage", "--json")
    assert shown.returncode == 0, shown.stderr
    total = json.loads(shown.stdout)
    assert (total["runs"], total["model_calls"], total["input_tokens"], total["cached_tokens"]) == (2, 2, 2200, 800)
    assert total["cache_write_tokens"] == 800 and total["cost_estimated"] is True
    text = agent(e, "threads", "show", "t1", "--usage").stdout
    assert text.startswith("thread t1 · runs 2 · model calls 2 · ") and SECRET not in text + one.stdout + two.stdout


def test_the_runs_usage_is_langsmith_metadata_of_its_root_run(env, server):
    from test_tracing import LangSmithStub

    stub = LangSmithStub()
    e = {
        **env,
        "LANGSMITH_TRACING": "true",
        "LANGSMITH_API_KEY": "lsv2_pt_TESTKEY_0123456789",
        "LANGSMITH_ENDPOINT": stub.url,
        "OPENAI_BASE_URL": server.url,
        "OPENAI_API_KEY": SECRET,
        "AGENT_MODEL": "m",
    }
    server.queue(Reply(content="hello", usage=(100, 5), usage_extra=usage_shape("openai", 100, cached=64)))
    result = agent(e, "run", "hi", "--planning", "off", "--thread", "ls-1")
    assert result.returncode == 0, result.stderr
    # the client may send the update on its own (patch) or merged into the run's first record (post)
    extras = [json.loads(body) for name, body in stub.parts if name.endswith(".extra")]
    usage = [x["metadata"] for x in extras if "usage" in x.get("metadata", {})]
    assert len(usage) == 1 and usage[0]["usage"]["cached_tokens"] == 64 and len(usage[0]["usage"]["ttft_ms"]) == 1
    assert usage[0]["thread_id"] == "ls-1" and usage[0]["task"] == "hi"  # the run's other metadata is kept
