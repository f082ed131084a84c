"""The offline model drives the real graph and the real tools, in English and Chinese."""

from __future__ import annotations

import sqlite3

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.offline import BANNER_EN, BANNER_ZH, OfflineModel, resolve_tool
from graphs.offline.understand import understand


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    settings = Settings(home=home, search_timeout=2, search_retries=0)
    return build_agent(settings=settings, checkpointer=False), home


def ask(graph, task):
    out = graph[0].invoke({"messages": task})
    return out


def is_prime_by_trial(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


@pytest.mark.parametrize("task", ["Is 3214567 prime?", "3214567是素数吗？", "判断 3214567 是否是素数。"])
def test_primality_in_english_and_chinese(graph, task):
    assert is_prime_by_trial(3214567)
    out = ask(graph, task)
    assert out["stop_reason"] == "answered"
    assert out["tool_log"] == [
        {"id": out["tool_log"][0]["id"], "name": "prime_check", "args": {"n": "3214567", "factorize": True}, "ok": True}
    ]
    if "是" in task:
        assert out["answer"].startswith(BANNER_ZH) and "3214567 是素数" in out["answer"]
    else:
        assert out["answer"].startswith(BANNER_EN) and "3214567 is prime." in out["answer"]


def test_factorisation_checked_by_multiplying_back(graph):
    out = ask(graph, "factor 600851475143")
    line = out["answer"].splitlines()[-1]
    factors = [int(f) for f in line.split("=")[1].strip(" .").split(" × ")]
    product = 1
    for f in factors:
        product *= f
        assert is_prime_by_trial(f)
    assert product == 600851475143


def test_next_and_previous_prime(graph):
    assert "The next prime after 100 is 101." in ask(graph, "next prime after 100")["answer"]
    assert "1000 之前的上一个素数是 997" in ask(graph, "1000的上一个素数是多少")["answer"]


def test_arithmetic(graph):
    out = ask(graph, "What is 2^10 + 3*4?")
    assert f"= {2**10 + 3 * 4}" in out["answer"]
    out = ask(graph, "计算 (3+4)×5")
    assert "= 35" in out["answer"]


def test_database_questions_against_the_demo_database(graph):
    home = graph[1]
    with sqlite3.connect(home / "demo.sqlite") as conn:
        names = sorted(
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%'"
            )
        )
        customers = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(orders)")]
    listing = ask(graph, "list the tables")["answer"]
    assert f"has {len(names)} tables" in listing and all(n in listing for n in names)
    assert f"Table customers has {customers} rows." in ask(graph, "how many rows are in customers?")["answer"]
    described = ask(graph, "describe the orders table")["answer"]
    assert all(c in described for c in columns)
    assert f"表 customers 共有 {customers} 行" in ask(graph, "customers表有多少行")["answer"]


def test_web_search_answers_or_fails_cleanly(graph):
    out = ask(graph, "search the web for langgraph checkpointers")
    assert out["stop_reason"] == "answered"
    if out["tool_log"][0]["ok"]:  # a machine with network
        assert "Web results for 'langgraph checkpointers' (external content, unverified):" in out["answer"]
    else:  # this one: no network, and a clear sentence instead of a traceback
        assert "Search the web for langgraph checkpointers: failed — web search is unavailable" in out["answer"]


def test_two_tasks_are_planned_and_run_concurrently(graph):
    out = ask(graph, "Is 97 prime and what is 2^10?")
    assert [s["description"] for s in out["plan"]] == [
        "Check whether 97 is prime",
        "Calculate 2^10",
        "Compose the answer from the results",
    ]
    assert all(s["status"] == "done" for s in out["plan"])
    calls_message = next(m for m in out["messages"] if isinstance(m, AIMessage) and m.tool_calls)
    assert {c["name"] for c in calls_message.tool_calls} == {"prime_check", "calculator"}  # one step, both calls
    assert "97 is prime." in out["answer"] and "= 1024" in out["answer"]


def test_chinese_combination(graph):
    out = ask(graph, "判断 97 是否是素数，并计算 2^10")
    assert "97 是素数" in out["answer"] and "= 1024" in out["answer"]


def test_declines_other_tasks_politely(graph):
    out = ask(graph, "Write me a poem about the sea")
    assert out["tool_log"] == [] and "offline model" in out["answer"] and "can only help" in out["answer"]
    assert "离线模型" in ask(graph, "给我写一首诗")["answer"]


def test_mcp_prefixed_tool_names_are_found():
    assert resolve_tool("prime_check", ["primes__prime_check", "calc"]) == "primes__prime_check"
    assert resolve_tool("prime_check", ["myprime_check"]) is None
    message = OfflineModel().bind_tools([]).invoke([HumanMessage("is 7 prime")])
    assert not message.tool_calls  # no tools bound: it answers instead of calling


def test_intents_split_on_sequencing_words():
    intents, unknown = understand("list all the tables, then count the rows in orders; is 13 prime?")
    assert [i.kind for i in intents] == ["tables", "count", "prime"] and unknown == []
    assert understand("what is the capital of France?") == ([], ["what is the capital of France"])
    intents, unknown = understand('how many rows are in x"; DROP TABLE t')  # only an identifier can name a table
    assert [(i.kind, i.subject) for i in intents] == [("count", "x")] and unknown == ["DROP TABLE t"]
