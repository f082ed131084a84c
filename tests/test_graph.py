"""The agent graph end to end with scripted models: every path, bound and validation."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from graph_helpers import ERASED, OVERLAP, add, agent, blocking_sleep, erase, fail, sleep
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graphs.state import Plan, PlanStep
from graphs.testing import ScriptedModel, answer, call, calls, raw_call, structured


def tool_messages(out):
    return [m for m in out["messages"] if isinstance(m, ToolMessage)]


def test_plan_then_tools_then_answer():
    plan = Plan(steps=[PlanStep(description="add 2 and 3", tool="add"), PlanStep(description="answer")])
    model = ScriptedModel([structured(plan), call("add", a=2, b=3), answer("2 + 3 = 5")])
    out = agent(model, planning="always").invoke({"messages": "add 2 and 3, then tell me"})
    model.assert_exhausted()
    assert out["answer"] == "2 + 3 = 5"
    assert out["stop_reason"] == "answered"
    assert [s["status"] for s in out["plan"]] == ["done", "done"]
    assert [m.text for m in tool_messages(out)] == ["5"]
    assert out["stats"]["model_calls"] == 3  # plan + 2
    assert out["tool_log"] == [{"id": out["tool_log"][0]["id"], "name": "add", "args": {"a": 2, "b": 3}, "ok": True}]


def test_trivial_task_skips_plan_in_auto_mode():
    model = ScriptedModel([answer("hello")])
    out = agent(model, planning="auto").invoke({"messages": "hi"})
    assert out["plan"] == [] and model.calls_made == 1


def test_replan_after_failed_step():
    first = Plan(steps=[PlanStep(description="try failing", tool="fail"), PlanStep(description="answer")])
    second = Plan(steps=[PlanStep(description="add instead", tool="add")])
    model = ScriptedModel(
        [structured(first), call("fail", reason="x"), structured(second), call("add", a=1, b=1), answer("2")]
    )
    out = agent(model, tools=[add, fail], planning="always").invoke({"messages": "do it"})
    model.assert_exhausted()
    assert out["answer"] == "2"
    assert out["stats"]["replans"] == 1
    assert out["plan"][0] == {"description": "add instead", "tool": "add", "status": "done"}
    # the re-plan request showed the model the failure
    assert "failed on purpose" in model.prompts[2][-1].text


@pytest.mark.parametrize(
    "arguments",
    [
        "{'a': 2, 'b': 3}",  # single quotes
        '{"a": 2, "b": 3,}',  # trailing comma
        '```json\n{"a": 2, "b": 3}\n```',  # code fence
        '"{\\"a\\": 2, \\"b\\": 3}"',  # double-encoded
        "{'a': 2, 'b': 3,}",  # single quotes and a trailing comma
    ],
)
def test_near_json_arguments_are_repaired(arguments):
    model = ScriptedModel([raw_call("add", arguments), answer("5")])
    out = agent(model).invoke({"messages": "add"})
    assert [m.text for m in tool_messages(out)] == ["5"]
    assert out["stats"].get("validation_retries", 0) == 0
    # the repaired call replaced the broken one in the history, so the thread stays valid
    ai = out["messages"][1]
    assert ai.tool_calls[0]["args"] == {"a": 2, "b": 3} and not ai.invalid_tool_calls


def test_python_literals_repaired_and_checked_by_schema():
    from langchain_core.tools import tool

    @tool
    def flag(on: bool, note: str | None = None) -> str:
        """Echo a flag."""
        return f"{on}/{note}"

    model = ScriptedModel([raw_call("flag", "{'on': True, 'note': None}"), answer("ok")])
    out = agent(model, tools=[flag]).invoke({"messages": "flag"})
    assert [m.text for m in tool_messages(out)] == ["True/None"]


@pytest.mark.parametrize(
    "content",
    [
        'Let me add.\n<tool_call>\n{"name": "add", "arguments": {"a": 2, "b": 3}}\n</tool_call>',
        '{"name": "add", "parameters": {"a": 2, "b": 3}}',
        '```json\n{"name": "add", "arguments": "{\\"a\\": 2, \\"b\\": 3}"}\n```',
        '<function=add>{"a": 2, "b": 3}</function>',
    ],
)
def test_tool_calls_written_in_text_are_run(content):
    model = ScriptedModel([AIMessage(content=content), answer("5")])
    out = agent(model).invoke({"messages": "add"})
    assert [m.text for m in tool_messages(out)] == ["5"]
    rewritten = out["messages"][1]
    assert rewritten.tool_calls[0]["name"] == "add" and "<tool_call>" not in rewritten.text


def test_json_in_text_that_names_no_tool_is_an_answer():
    model = ScriptedModel([answer('The config is {"name": "x", "arguments": 1}.')])
    out = agent(model).invoke({"messages": "show"})
    assert out["answer"].startswith("The config is") and tool_messages(out) == []


def test_invalid_arguments_rejected_then_corrected():
    model = ScriptedModel([call("add", a="two", b=3), call("add", a=2, b=3), answer("5")])
    out = agent(model).invoke({"messages": "add"})
    model.assert_exhausted()
    error, result = tool_messages(out)
    assert error.status == "error"
    assert "a: Input should be a valid integer" in error.text
    assert '"required": ["a", "b"]' in error.text  # the schema is shown to the model
    assert result.text == "5" and out["answer"] == "5"
    assert out["stats"]["validation_retries"] == 1
    # the model saw the error before its retry
    assert any(isinstance(m, ToolMessage) and m.status == "error" for m in model.prompts[1])


def test_unknown_tool_is_rejected_with_the_list_of_tools():
    model = ScriptedModel([call("subtract", a=1, b=2), answer("sorry")])
    out = agent(model).invoke({"messages": "x"})
    (error,) = tool_messages(out)
    assert "no tool named 'subtract'" in error.text and "Available tools: add" in error.text


def test_validation_retries_bound():
    model = ScriptedModel([call("add", a="x", b=1)], cycle=True)
    out = agent(model, max_validation_retries=2, max_model_calls=50).invoke({"messages": "add"})
    assert out["stop_reason"] == "validation_retries"
    # the first try, two corrective retries, then one last call without tools for an answer
    assert model.bound_tools == [["add"], ["add"], ["add"], []]
    assert "kept making invalid tool calls" in out["answer"]


def test_model_calls_bound_gives_best_effort_answer():
    counter = iter(range(100))
    model = ScriptedModel([lambda m: call("add", a=next(counter), b=1)], cycle=True)
    out = agent(model, max_model_calls=3, max_repeats=5).invoke({"messages": "loop"})
    assert out["stop_reason"] == "model_calls"
    assert model.calls_made == 3
    assert "limit of model calls" in out["answer"] and "- add: 1" in out["answer"]
    assert out["messages"][-1].text == out["answer"]


def test_tool_calls_bound_stops_and_asks_model_for_final_answer():
    counter = iter(range(100))
    replies = [lambda m: call("add", a=next(counter), b=1)] * 2 + [
        lambda m: call("add", a=99, b=1),
        answer("partial: 1 and 2"),
    ]
    model = ScriptedModel(replies)
    out = agent(model, max_tool_calls=2).invoke({"messages": "loop"})
    assert out["stop_reason"] == "tool_calls"
    assert out["answer"].startswith("partial: 1 and 2") and "limit of tool calls" in out["answer"]
    # the final call had no tools bound and an explicit instruction
    assert model.bound_tools[-1] == [] and "must stop now" in model.prompts[-1][-1].text
    assert len(out["tool_log"]) == 2


def test_calls_per_tool_bound():
    counter = iter(range(100))
    model = ScriptedModel([lambda m: call("add", a=next(counter), b=0)], cycle=True)
    out = agent(model, max_calls_per_tool=2, max_validation_retries=1, max_model_calls=20).invoke({"messages": "x"})
    assert out["stop_reason"] == "calls_per_tool"
    assert [r["name"] for r in out["tool_log"]] == ["add", "add"]


def test_repeated_identical_calls_are_detected():
    model = ScriptedModel([call("add", a=1, b=1)], cycle=True)
    out = agent(model, max_repeats=2, max_validation_retries=1, max_model_calls=20).invoke({"messages": "x"})
    assert out["stop_reason"] == "repeated_calls"
    ok = [m for m in tool_messages(out) if m.status != "error"]
    assert len(ok) == 2  # ran twice, then refused
    assert any("this exact call of add already ran 2 times" in m.text for m in tool_messages(out))
    assert out["stats"]["repeats"] == 2  # the third and the fourth identical call were refused


def test_token_bound():
    model = ScriptedModel([lambda m: call("add", a=len(m), b=1)], cycle=True)
    out = agent(model, max_tokens=150, max_repeats=10).invoke({"messages": "x" * 200})
    assert out["stop_reason"] == "tokens"
    total = out["stats"]["input_tokens"] + out["stats"]["output_tokens"]
    assert total >= 150 and out["stats"]["model_calls"] <= 2


def test_cost_bound_uses_prices_per_million_tokens():
    model = ScriptedModel([lambda m: call("add", a=len(m), b=1)], cycle=True)
    out = agent(model, max_cost=0.001, price_in=10.0, price_out=10.0, max_repeats=10).invoke({"messages": "x" * 400})
    assert out["stop_reason"] == "cost"
    stats = out["stats"]
    expected = (stats["input_tokens"] * 10.0 + stats["output_tokens"] * 10.0) / 1e6
    assert stats["cost"] == pytest.approx(expected) and stats["cost"] >= 0.001


def test_time_bound():
    model = ScriptedModel([call("sleep", seconds=0.3), call("sleep", seconds=0.31), answer("never")], leftover=True)
    started = time.perf_counter()
    out = agent(model, tools=[sleep], max_seconds=0.5).invoke({"messages": "x"})
    assert out["stop_reason"] == "time"
    assert time.perf_counter() - started < 3
    assert "time limit" in out["answer"]


def test_tool_timeout_becomes_a_tool_error_and_the_run_goes_on():
    model = ScriptedModel([call("sleep", seconds=5), answer("it hung")])
    started = time.perf_counter()
    out = agent(model, tools=[sleep], tool_timeout=0.3).invoke({"messages": "x"})
    assert time.perf_counter() - started < 3
    (error,) = tool_messages(out)
    assert error.status == "error" and "did not finish within 0.3 s" in error.text
    assert out["answer"] == "it hung" and out["tool_log"][0]["ok"] is False


@pytest.mark.parametrize("tool", [sleep, blocking_sleep], ids=["async-tool", "sync-only-tool"])
async def test_tool_timeout_async(tool):
    model = ScriptedModel([call(tool.name, seconds=5), answer("it hung")])
    started = time.perf_counter()
    out = await agent(model, tools=[tool], tool_timeout=0.3).ainvoke({"messages": "x"})
    assert time.perf_counter() - started < 3
    assert "did not finish within 0.3 s" in tool_messages(out)[0].text


def test_tool_errors_become_readable_tool_messages():
    model = ScriptedModel([call("fail", reason="disk full"), answer("could not")])
    out = agent(model, tools=[fail]).invoke({"messages": "x"})
    (error,) = tool_messages(out)
    assert error.status == "error" and "failed on purpose: disk full" in error.text
    assert out["answer"] == "could not"


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_tools_bug_is_logged_and_the_model_told_without_detail(mode, caplog):
    from langchain_core.tools import tool

    @tool
    def broken(x: int) -> int:
        """A tool with a bug."""
        return {"a": 1}["/srv/secret/" + str(x)]

    model = ScriptedModel([call("broken", x=1), answer("it broke")])
    graph = agent(model, tools=[broken])
    with caplog.at_level("ERROR", logger="graphs"):
        out = graph.invoke({"messages": "x"}) if mode == "sync" else await graph.ainvoke({"messages": "x"})
    (error,) = tool_messages(out)
    assert error.status == "error" and "broken failed with an internal error (logged)" in error.text
    assert "secret" not in error.text and "KeyError" not in error.text
    assert out["answer"] == "it broke"  # the run went on
    logged = [r for r in caplog.records if r.getMessage() == "tool broken raised KeyError"]
    assert logged and isinstance(logged[0].exc_info[1], KeyError)


def test_concurrent_tool_calls_sync():
    OVERLAP.reset()
    model = ScriptedModel(
        [calls(("sleep", {"seconds": 0.3}), ("sleep", {"seconds": 0.31}), ("sleep", {"seconds": 0.32})), answer("done")]
    )
    out = agent(model, tools=[sleep]).invoke({"messages": "x"})
    assert [m.text for m in tool_messages(out)] == ["slept 0.3", "slept 0.31", "slept 0.32"]  # in call order
    assert OVERLAP.peak == 3  # the three calls were inside the tool at the same time


@pytest.mark.parametrize("tool", [sleep, blocking_sleep], ids=["async-tool", "sync-only-tool"])
async def test_concurrent_tool_calls_async(tool):
    OVERLAP.reset()
    model = ScriptedModel([calls(*[(tool.name, {"seconds": 0.3 + i / 100}) for i in range(3)]), answer("done")])
    out = await agent(model, tools=[tool]).ainvoke({"messages": "x"})
    assert len(tool_messages(out)) == 3 and OVERLAP.peak == 3


def test_oversize_results_are_truncated_with_a_note():
    from langchain_core.tools import tool

    @tool
    def big() -> str:
        """A large result."""
        return "y" * 5000

    model = ScriptedModel([call("big"), answer("ok")])
    out = agent(model, tools=[big], tool_result_chars=1000).invoke({"messages": "x"})
    (result,) = tool_messages(out)
    assert result.text.startswith("y" * 1000) and "[truncated: showing 1000 of 5000 characters]" in result.text


def test_destructive_call_interrupts_and_approve_resumes():
    ERASED.clear()
    model = ScriptedModel([call("erase", table="t1"), answer("erased")])
    graph = agent(model, tools=[erase], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "approve"}}
    first = graph.invoke({"messages": "erase t1"}, config)
    interrupts = first["__interrupt__"]
    assert interrupts[0].value["calls"][0]["args"] == {"table": "t1"}
    assert ERASED == []  # nothing ran before approval
    out = graph.invoke(Command(resume="approve"), config)
    assert ERASED == ["t1"] and out["answer"] == "erased"


def test_destructive_call_denied():
    ERASED.clear()
    model = ScriptedModel([call("erase", table="t2"), answer("not erased")])
    graph = agent(model, tools=[erase], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "deny"}}
    graph.invoke({"messages": "erase t2"}, config)
    out = graph.invoke(Command(resume={"approve": False}), config)
    assert ERASED == []
    assert out["stop_reason"] == "denied"
    assert out["tool_log"] == [
        {"id": out["tool_log"][0]["id"], "name": "erase", "args": {"table": "t2"}, "ok": False, "approved": False}
    ]  # listed, and marked as not run
    (denied,) = tool_messages(out)
    assert "denied" in denied.text and out["answer"] == "not erased"
    assert "denied" in model.prompts[-1][-1].text


def _refused(_messages):
    raise ConnectionError("connection refused by the provider")


def test_model_error_is_a_stop_not_an_exception():
    model = ScriptedModel([call("add", a=1, b=2), _refused])
    out = agent(model).invoke({"messages": "x"})
    assert out["stop_reason"] == "model_error"
    assert "connection refused" in out["answer"] and "- add: 3" in out["answer"]


def test_a_short_script_fails_the_test_loudly():
    """A script that runs out is the test's mistake, not a model error to be papered over."""
    from graphs.testing import ScriptExhausted

    with pytest.raises(ScriptExhausted, match="ran out of replies after 1 calls"):
        agent(ScriptedModel([call("add", a=1, b=2)])).invoke({"messages": "x"})


def test_thread_keeps_well_formed_history_after_a_stop():
    """A stop leaves no tool call unanswered, so the next turn's prompt is valid."""
    model = ScriptedModel(
        [calls(("add", {"a": 1, "b": 1}), ("add", {"a": 2, "b": 2})), answer("first turn"), answer("next turn")]
    )
    graph = agent(model, checkpointer=InMemorySaver(), max_tool_calls=1)
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"messages": "x"}, config)
    out = graph.invoke({"messages": "again"}, config)
    ids = {c["id"] for m in out["messages"] if isinstance(m, AIMessage) for c in m.tool_calls}
    answered = {m.tool_call_id for m in out["messages"] if isinstance(m, ToolMessage)}
    assert ids == answered


def test_stream_modes_updates_messages_custom():
    model = ScriptedModel([call("add", a=2, b=3), answer("the sum is five")])
    graph = agent(model)
    seen = {"updates": [], "messages": [], "custom": []}
    for mode, chunk in graph.stream({"messages": "add"}, stream_mode=["updates", "messages", "custom"]):
        seen[mode].append(chunk)
    nodes = [next(iter(u)) for u in seen["updates"]]
    # the model node validates its own calls, and its answer ends the run: one superstep per model turn
    assert nodes == ["model", "tools", "model"]
    tokens = "".join(chunk.text for chunk, meta in seen["messages"] if meta["langgraph_node"] == "model")
    assert "the sum is five" in tokens
    kinds = [e["type"] for e in seen["custom"]]
    assert kinds == ["tool_start", "tool_end", "finish"]
    assert seen["custom"][1]["ok"] is True


async def test_astream_and_ainvoke():
    model = ScriptedModel([call("add", a=2, b=3), answer("5")])
    graph = agent(model)
    chunks = [c async for c in graph.astream({"messages": "add"}, stream_mode="updates")]
    assert list(chunks[-1]) == ["model"] and chunks[-1]["model"]["answer"] == "5"  # the answer ends the run
    model2 = ScriptedModel([answer("hi")])
    out = await agent(model2).ainvoke({"messages": [HumanMessage("hello")]})
    assert out["answer"] == "hi"


def test_recursion_limit_is_only_a_backstop():
    """With a tiny model-call budget the bounds stop the run long before the recursion limit."""
    model = ScriptedModel([lambda m: call("add", a=len(m), b=1)], cycle=True)
    graph = agent(model, max_model_calls=40, max_tool_calls=1000, max_calls_per_tool=1000, max_repeats=100)
    out = graph.invoke({"messages": "x"})
    assert out["stop_reason"] == "model_calls"


def test_counters_reset_for_each_task_on_a_thread():
    model = ScriptedModel([call("add", a=1, b=1), answer("2"), call("add", a=1, b=1), answer("2 again")])
    graph = agent(model, checkpointer=InMemorySaver(), max_repeats=1)
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"messages": "one"}, config)
    out = graph.invoke({"messages": "two"}, config)
    assert out["answer"] == "2 again"  # the same call is allowed again in a new run
    assert out["stats"]["model_calls"] == 2 and len(out["tool_log"]) == 1


def test_tool_messages_are_json_from_function_tools(tmp_path):
    from agent.settings import Settings
    from tools.registry import langchain_tools

    tools = langchain_tools(Settings(), families=["primes"])
    model = ScriptedModel([call("prime_check", n="97"), answer("97 is prime")])
    out = agent(model, tools=tools).invoke({"messages": "is 97 prime"})
    (result,) = tool_messages(out)
    assert json.loads(result.text)["is_prime"] is True
    assert result.artifact["is_prime"] is True


def test_event_loop_is_not_blocked_by_sync_tools():
    async def main():
        model = ScriptedModel([call("blocking_sleep", seconds=0.4), answer("ok")])
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        task = asyncio.create_task(ticker())
        await agent(model, tools=[blocking_sleep]).ainvoke({"messages": "x"})
        task.cancel()
        return ticks

    assert asyncio.run(main()) >= 4


def test_calls_without_ids_or_with_the_same_id_get_their_own_results():
    from langchain_core.tools import tool

    @tool
    def square(x: int) -> int:
        """Square a number."""
        return x * x

    same_id = AIMessage(
        "",
        tool_calls=[
            {"name": "square", "args": {"x": 3}, "id": "dup", "type": "tool_call"},
            {"name": "square", "args": {"x": 4}, "id": "dup", "type": "tool_call"},
        ],
    )
    no_ids = AIMessage(
        "",
        invalid_tool_calls=[
            {"name": "square", "args": '{"x": 5}', "id": None, "error": None, "type": "invalid_tool_call"},
            {"name": "square", "args": '{"x": 6}', "id": None, "error": None, "type": "invalid_tool_call"},
        ],
    )
    for message, expected in ((same_id, ["9", "16"]), (no_ids, ["25", "36"])):
        out = agent(ScriptedModel([message, answer("done")]), tools=[square]).invoke({"messages": "x"})
        results = tool_messages(out)
        assert [m.text for m in results] == expected
        assert len({m.tool_call_id for m in results}) == 2


def test_abandoned_calls_do_not_starve_later_ones():
    """Calls left running past their timeout keep their threads; a later instant call still runs."""
    hung = calls(*[("blocking_sleep", {"seconds": 3 + i / 100}) for i in range(40)])
    graph = agent(
        ScriptedModel([hung, answer("gave up"), call("add", a=1, b=1), answer("2")]),
        tools=[blocking_sleep, add],
        tool_timeout=0.2,
        max_calls_per_tool=100,
        max_tool_calls=100,
    )
    graph.invoke({"messages": "hang"})
    out = graph.invoke({"messages": "add"})  # with a fixed pool of 32 this one waited in the queue and timed out
    assert [m.text for m in tool_messages(out)] == ["2"]


def test_a_failed_closing_call_degrades_to_the_composed_answer(caplog):
    """Past a tool bound the model is asked for a closing answer; when that call fails, the answer is composed
    from the results, and the failure is logged with its traceback, counted and announced."""

    def unreachable(_messages):
        raise ConnectionError("the endpoint refused the connection")

    model = ScriptedModel([call("add", a=1, b=2), call("add", a=3, b=4), unreachable])
    with caplog.at_level("WARNING", logger="graphs"):
        out = agent(model, tools=[add], max_tool_calls=1).invoke({"messages": "add things"})
    assert out["stop_reason"] == "tool_calls"
    assert out["stats"]["degraded"] == 1 and model.calls_made == 3
    assert "limit of tool calls" in out["answer"] and "- add: 3" in out["answer"]
    logged = [r for r in caplog.records if r.getMessage().startswith("the finish step went without the model")]
    assert logged and isinstance(logged[0].exc_info[1], ConnectionError)
