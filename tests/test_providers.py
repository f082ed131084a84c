"""Provider features on the wire: thinking switches, prefix continuation, JSON plans, profiles, the
rate limiter, and a prompt head that stays the same from call to call (for providers' prompt caches).

Everything goes over the local OpenAI-protocol server (tests/fake_openai.py); what the server
received is what is asserted.
"""

# ruff: noqa: F811 - the fixtures imported from cli_helpers are arguments of the tests

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from cli_helpers import SECRET, agent, env, server  # noqa: F401 - pytest fixtures, used as arguments
from fake_openai import Reply
from graph_helpers import agent as graph_of
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import SecretStr

from agent.settings import Settings
from graphs.llm import ModelChoice, ModelConfigError, build_chat_model, choose_model

PLAN = json.dumps({"steps": [{"description": "add the numbers", "tool": "add"}, {"description": "answer"}]})


def model(server, provider: str, **choice):
    return build_chat_model(
        ModelChoice(provider=provider, model="m", base_url=server.url, api_key=SecretStr("sk-x"), **choice)
    )


def run(graph, task: str, thread: str = "t", **options):
    config = {"configurable": {"thread_id": thread, **options}}
    return graph.invoke({"messages": task}, config)


# --- thinking -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "on", "off"),
    [
        ("dashscope", {"enable_thinking": True, "thinking_budget": 256}, {"enable_thinking": False}),
        ("deepseek", {"thinking": {"type": "enabled"}}, {"thinking": {"type": "disabled"}}),
        (
            "vllm",
            {"chat_template_kwargs": {"enable_thinking": True}},
            {"chat_template_kwargs": {"enable_thinking": False}},
        ),
        (
            "sglang",
            {"chat_template_kwargs": {"enable_thinking": True}},
            {"chat_template_kwargs": {"enable_thinking": False}},
        ),
        ("ollama", {"think": True}, {"think": False}),
        ("openai", {}, {}),
    ],
)
def test_thinking_switches_on_the_wire(server, provider, on, off):
    client = model(server, provider, thinking_budget=256 if provider == "dashscope" else None, think=False)
    graph = graph_of(client, checkpointer=InMemorySaver())
    server.queue("default", "on", "off")
    run(graph, "q1")  # the model file's default: off (no_think)
    run(graph, "q2", think=True)  # the run's --think wins
    run(graph, "q3", think=False)
    keys = {"enable_thinking", "thinking_budget", "thinking", "chat_template_kwargs", "think"}
    sent = [{k: v for k, v in body.items() if k in keys} for body in server.requests]
    assert sent == [off, on, off]


def test_thinking_reaches_the_plan_call_too_and_reasoning_is_counted(server):
    client = model(server, "dashscope")
    server.queue(
        Reply(content=PLAN, usage=(40, 12), usage_extra={"completion_tokens_details": {"reasoning_tokens": 7}}),
        Reply(content="Done.", reasoning="short thought", usage=(60, 9)),
    )
    out = run(graph_of(client, planning="always"), "add 2 and 3 then say done", think=True)
    assert [body.get("enable_thinking") for body in server.requests] == [True, True]
    assert out["stats"]["reasoning_tokens"] == 7 and out["answer"] == "Done."


# --- prefix continuation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "path", "marker", "body"),
    [
        ("dashscope", "/v1/chat/completions", {"partial": True}, {}),
        ("deepseek", "/beta/chat/completions", {"prefix": True}, {}),
        ("vllm", "/v1/chat/completions", {}, {"continue_final_message": True, "add_generation_prompt": False}),
        ("sglang", "/v1/chat/completions", {}, {"continue_final_message": True, "add_generation_prompt": False}),
    ],
)
def test_prefix_continuation_on_the_wire(server, provider, path, marker, body):
    graph = graph_of(model(server, provider), checkpointer=InMemorySaver())
    server.queue(Reply(content=' "answer": 42}'))
    tokens, state = [], {}
    config = {"configurable": {"thread_id": "p", "answer_prefix": '{"key":'}}
    for mode, chunk in graph.stream({"messages": "json please"}, config, stream_mode=["messages", "values"]):
        if mode == "messages" and chunk[1]["langgraph_node"] == "model":
            tokens.append(chunk[0].text)
        elif mode == "values":
            state = chunk
    sent = server.requests[0]
    assert server.paths[0] == path
    assert sent["messages"][-1] == {"role": "assistant", "content": '{"key":', **marker}
    assert {k: sent[k] for k in body} == body
    assert state["answer"] == '{"key": "answer": 42}'  # the answer keeps its given beginning
    assert "".join(tokens).startswith('{"key":')  # streamed first, so the answer reads whole


def test_prefix_is_refused_where_the_provider_cannot(server, env):
    graph = graph_of(model(server, "openai"))
    out = run(graph, "hi", answer_prefix="Sure:")
    assert out["stop_reason"] == "model_error" and "openai cannot continue a given beginning" in out["answer"]
    assert server.requests == []  # nothing was sent
    e = {**env, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": SECRET, "AGENT_MODEL": "m"}
    refused = agent(e, "run", "hi", "--prefix", "Sure:")
    assert refused.returncode == 2 and refused.stdout == ""
    (line,) = refused.stderr.splitlines()
    assert line.startswith("agent: usage error: --prefix: openai cannot continue") and "deepseek" in line
    assert server.requests == []


def test_prefix_and_no_think_from_the_command_line(server, env, tmp_path):
    model_file = tmp_path / "vllm.json"
    model_file.write_text(json.dumps({"server_type": "vllm", "model": "qwen3", "url": server.url}))
    server.queue(Reply(content=" 42."))
    args = ("run", "what is six times seven", "--prefix", "The answer is", "--no-think", "--planning", "off")
    result = agent({**env, "AGENT_MODEL_CONFIG": str(model_file)}, *args, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answer"] == "The answer is 42."
    sent = server.requests[0]
    assert sent["chat_template_kwargs"] == {"enable_thinking": False} and sent["continue_final_message"] is True
    assert sent["messages"][-1] == {"role": "assistant", "content": "The answer is"}


# --- JSON plans -----------------------------------------------------------------------------------
def test_the_plan_uses_a_json_schema_where_the_provider_takes_one(server):
    server.queue(Reply(content=PLAN), Reply(tool_calls=[("add", '{"a": 2, "b": 3}')]), Reply(content="5"))
    out = run(graph_of(model(server, "vllm"), planning="always"), "add 2 and 3 then tell me")
    plan_call = server.requests[0]
    assert plan_call["response_format"]["type"] == "json_schema" and "tools" not in plan_call
    assert [s["status"] for s in out["plan"]] == ["done", "done"] and out["answer"] == "5"


def test_json_object_mode_shows_the_schema_and_falls_back_to_tool_calling(server):
    server.queue(
        Reply(content="not json at all"),  # the JSON answer gives no plan...
        Reply(tool_calls=[("Plan", PLAN)]),  # ...so the plan is asked for again by tool calling
        Reply(content="5"),
    )
    out = run(graph_of(model(server, "deepseek"), planning="always"), "add 2 and 3 then tell me")
    json_call, tool_call = server.requests[0], server.requests[1]
    assert json_call["response_format"] == {"type": "json_object"}
    assert "JSON schema" in json_call["messages"][0]["content"] and '"steps"' in json_call["messages"][0]["content"]
    assert tool_call["tools"][0]["function"]["name"] == "Plan" and "response_format" not in tool_call
    assert len(out["plan"]) == 2 and out["stats"]["model_calls"] == 3


# --- the prompt head ------------------------------------------------------------------------------
def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_consecutive_calls_share_the_prompt_head(server):
    """The plan changes at every step: it comes after the conversation, so everything before it is shared."""
    server.queue(
        Reply(content=PLAN),
        Reply(tool_calls=[("add", '{"a": 2, "b": 3}')]),
        Reply(content="The sum is 5."),
        Reply(content="Nothing else."),
    )
    graph = graph_of(model(server, "vllm"), planning="always", checkpointer=InMemorySaver())
    run(graph, "add 2 and 3 then tell me")
    first, second = server.requests[1], server.requests[2]
    assert first["tools"] == second["tools"]
    *head, note = first["messages"]
    assert note["role"] == "system" and note["content"].startswith("Your plan") and "[pending] add" in note["content"]
    assert second["messages"][: len(head)] == head  # everything before the plan note is sent again unchanged
    assert "[done] add" in second["messages"][-1]["content"]
    shared = _common_prefix(json.dumps(first["messages"]), json.dumps(second["messages"]))
    assert shared >= len(json.dumps(head)) - 1  # the longest possible prefix: all but the note
    # the next turn of the thread (planning off: no note) sends the same system prompt and history again
    graph_planless = graph_of(model(server, "vllm"), planning="off", checkpointer=graph.checkpointer)
    run(graph_planless, "and now?")
    third = server.requests[3]["messages"]
    assert third[0] == first["messages"][0] and third[: len(second["messages"]) - 1] == second["messages"][:-1]


# --- profiles -------------------------------------------------------------------------------------
def profiles(home, server) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "models.json").write_text(
        json.dumps(
            {
                "fast": {"server_type": "vllm", "model": "qwen3-fast", "url": server.url, "rpm": 600},
                "cloud": {"server_type": "dashscope", "model": "qwen-plus", "api_key": "${PROFILE_TEST_KEY}"},
                "literal": {"server_type": "deepseek", "model": "deepseek-chat", "api_key": "sk-literal-SECRET-9"},
            }
        )
    )


def test_profiles_are_chosen_by_name_and_listed_without_keys(server, env, tmp_path, monkeypatch):
    home = tmp_path / "home"
    profiles(home, server)
    monkeypatch.setenv("AGENT_HOME", str(home))
    choice = choose_model(Settings(model="fast"))
    assert (choice.provider, choice.model, choice.base_url, choice.rpm, choice.profile) == (
        "vllm",
        "qwen3-fast",
        server.url,
        600,
        "fast",
    )
    with pytest.raises(ModelConfigError, match="profile 'cloud': field 'api_key': environment variable PROFILE_TEST"):
        choose_model(Settings(model="cloud"))
    assert choose_model(Settings(model="ollama:llama3")).provider == "ollama"  # other names resolve as before
    e = {**env, "AGENT_HOME": str(home), "AGENT_MODEL": "fast", "AGENT_PLANNING": "off"}
    server.queue(Reply(content="from the profile"))
    answered = agent(e, "run", "hi", "--json")
    assert answered.returncode == 0, answered.stderr
    assert server.requests[0]["model"] == "qwen3-fast"
    listed = agent(e, "models", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)["profiles"]}
    assert rows["fast"]["in_use"] and rows["fast"]["api_key"] == "not needed (local server)"
    assert rows["cloud"]["api_key"] == "not set (PROFILE_TEST_KEY)"
    assert rows["literal"]["api_key"] == "set (in the file)"
    text = agent({**e, "PROFILE_TEST_KEY": "sk-env-SECRET-7"}, "models", "--prices")
    assert (
        "* fast: vllm:qwen3-fast" in text.stdout
        and "cloud: dashscope:qwen-plus · key set (PROFILE_TEST_KEY)" in text.stdout
    )
    assert "deepseek:deepseek-chat" in text.stdout  # the price table
    for out in (listed.stdout, text.stdout, text.stderr):
        assert "sk-literal-SECRET-9" not in out and "sk-env-SECRET-7" not in out


def test_a_broken_profile_is_named(tmp_path, monkeypatch):
    (tmp_path / "models.json").write_text(json.dumps({"bad": {"server_type": "vllm", "model": "m", "rpm": 0}}))
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    with pytest.raises(ModelConfigError, match="profile 'bad': field 'rpm'"):
        choose_model(Settings(model="bad"))


# --- the rate limiter -----------------------------------------------------------------------------
def _most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_the_limiter_holds_the_request_rate_under_concurrency(server):
    """12 threads at once with rpm 180 (3 a second, a second's worth at once): paced, never a storm, also when
    they use three separately built clients of one model (as graphs built apart in one service process do)."""
    server.default = Reply(content="ok", usage=(5, 1))
    clients = [model(server, "vllm", rpm=180) for _ in range(3)]
    threads = [threading.Thread(target=clients[i % 3].invoke, args=([HumanMessage("q")],)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(server.times) == 12
    assert _most_in_window(server.times, 1.0) <= 3 + 3 + 1  # the burst, then the rate (one of slack)
    assert max(server.times) - min(server.times) >= (12 - 3) / 3 - 0.3


def test_the_limiter_is_shared_by_async_calls_and_counts_tokens(server):
    """tpm 600,000: 10,000 tokens a second, a second's worth at once; each prompt is about 8,000 tokens."""
    server.default = Reply(content="ok", usage=(8000, 10))
    prompt = [HumanMessage("word " * 6400)]  # ~8,000 tokens by the estimate

    async def many() -> None:
        client = model(server, "sglang", tpm=600_000)
        await asyncio.gather(*(client.ainvoke(prompt) for _ in range(4)))

    asyncio.run(many())
    assert len(server.times) == 4
    # the first goes at once; each next one waits for 8,000 more tokens of room: ~0.8s
    assert max(server.times) - min(server.times) >= (4 * 8000 - 10_000) / 10_000 - 0.5
