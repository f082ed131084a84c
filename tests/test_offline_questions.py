"""The offline model answers exactly what was asked, or says plainly what it cannot do.

The red team's examples, each a test, and a wide set of our own questions in
English and Chinese against the generated music-store database (Chinook's shape).
Every answer is checked against a value computed here independently (sympy is
not used for the expected values: plain integer arithmetic and SQL).
"""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.settings import Settings
from graphs.builder import build_agent
from tools.sample_db import ensure_sample_database

BANNER = "(Offline model"
DECLINES = ("I am the offline model", "我是离线模型")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return ensure_sample_database(tmp_path_factory.mktemp("music") / "music.sqlite")


@pytest.fixture(scope="module")
def graph(db, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    settings = Settings(home=home, database_url=str(db), search_timeout=1, search_retries=0)
    return build_agent(settings=settings, checkpointer=InMemorySaver())


def ask(graph, task: str, thread: str = "q") -> dict:
    return graph.invoke({"messages": task}, {"configurable": {"thread_id": thread}})


def sql(db, query: str):
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def smallest_factor(n: int) -> int:
    return next(d for d in range(2, math.isqrt(n) + 1) if n % d == 0)


# --- the red team's examples -------------------------------------------------------------------
def test_factor_an_expression_evaluates_it_first(graph):
    out = ask(graph, "factor 2^64+1", "f1")
    assert [t["name"] for t in out["tool_log"]] == ["calculator", "prime_check"]
    assert out["tool_log"][1]["args"]["n"] == str(2**64 + 1)
    assert "18446744073709551617 = 274177 × 67280421310721" in out["answer"]
    assert 274177 * 67280421310721 == 2**64 + 1
    zh = ask(graph, "2^64+1 的因数分解", "f2")
    assert "18446744073709551617 不是素数：18446744073709551617 = 274177 × 67280421310721" in zh["answer"]


@pytest.mark.parametrize(
    "task,expected",
    [
        ("What is 10 factorial?", f"= {math.factorial(10)}"),
        ("what is 10!", f"= {math.factorial(10)}"),
        ("what is 97 squared?", f"= {97**2}"),
        ("what is 5 cubed", f"= {5**3}"),
        ("what is 2 to the power of 10", f"= {2**10}"),
        ("97的平方是多少", f"= {97**2}"),
        ("10的阶乘", f"= {math.factorial(10)}"),
        ("2的10次方等于多少", f"= {2**10}"),
    ],
)
def test_operation_words_in_both_languages(graph, task, expected):
    out = ask(graph, task, task)
    assert out["stop_reason"] == "answered" and expected in out["answer"], out["answer"]


def test_an_expression_checked_for_primality(graph):
    out = ask(graph, "Is 2^61-1 prime?", "p1")
    assert f"2^61-1 = {2**61 - 1}" in out["answer"] and f"{2**61 - 1} is prime." in out["answer"]


def test_every_part_of_a_compound_question(graph):
    out = ask(graph, "Is 97 prime, and what is 97 squared?", "c1")
    assert "97 is prime." in out["answer"] and f"= {97**2}" in out["answer"]
    partly = ask(graph, "Is 97 prime, and write me a poem", "c2")
    assert "97 is prime." in partly["answer"] and "I could not work out: 'write me a poem'" in partly["answer"]


def test_table_names_resolved_against_the_live_schema(graph, db):
    (albums,) = sql(db, "SELECT COUNT(*) FROM Album")[0]
    out = ask(graph, "How many albums are there?", "t1")
    assert f"Table Album has {albums} rows." in out["answer"]
    (customers,) = sql(db, "SELECT COUNT(*) FROM Customer")[0]
    assert f"Table Customer has {customers} rows." in ask(graph, "count the customers", "t2")["answer"]
    top = sql(
        db,
        "SELECT ar.Name, COUNT(*) AS n FROM Album al JOIN Artist ar ON al.ArtistId = ar.ArtistId "
        "GROUP BY ar.ArtistId ORDER BY n DESC LIMIT 1",
    )[0]
    most = ask(graph, "Which artist has the most albums?", "t3")["answer"]
    assert f"'{top[0]}'" in most and f": {top[1]}" in most and "Album" in most
    ask(graph, "describe the invoices table", "t4")
    (invoices,) = sql(db, "SELECT COUNT(*) FROM Invoice")[0]
    assert f"Table Invoice has {invoices} rows." in ask(graph, "how many rows does it have?", "t4")["answer"]
    missing = ask(graph, "how many unicorns are there?", "t5")
    assert "There is no table like 'unicorns'" in missing["answer"] and "Album" in missing["answer"]
    assert not any(t["name"] == "db_query" for t in missing["tool_log"])  # no SQL for a table that is not there


def test_a_bound_that_cut_the_work_is_the_stop_reason(tmp_path):
    env_home = tmp_path / "home"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "run",
            "Is 97 prime and what is the next prime after 97?",
            "--max-tool-calls",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "AGENT_HOME": str(env_home), "HOME": str(tmp_path)},
    )
    data = json.loads(out.stdout)
    assert out.returncode == 3 and data["stop_reason"] == "tool_calls"
    assert "None" not in data["answer"] and "97 is prime." in data["answer"]
    assert "limit of tool calls" in data["answer"]


# --- a wide set of our own questions ------------------------------------------------------------
def _checks(db) -> list[tuple[str, str]]:
    (tracks,) = sql(db, "SELECT COUNT(*) FROM Track")[0]
    (genres,) = sql(db, "SELECT COUNT(*) FROM Genre")[0]
    n = 600851475143
    return [
        ("Is 3214567 prime?", "3214567 is prime."),
        ("is 1000003 a prime number", "1000003 is prime."),
        ("Is 561 prime?", "561 is not prime: 561 = 3 × 11 × 17."),  # a Carmichael number
        ("factorize 360", "360 = 2^3 × 3^2 × 5."),
        (f"factor {n}", "71 × 839 × 1471 × 6857"),
        ("next prime after 100", "The next prime after 100 is 101."),
        ("what is the previous prime before 100", "The previous prime before 100 is 97."),
        ("1000的上一个素数是多少", "1000 之前的上一个素数是 997。"),
        ("大于 50 的最小素数是多少", "50 之后的下一个素数是 53。"),
        ("7919是素数吗？", "7919 是素数。"),
        ("判断 91 是否是素数", "91 不是素数：91 = 7 × 13。"),
        ("分解质因数 84", "84 = 2^2 × 3 × 7"),
        ("calculate (3+4)*5", "= 35"),
        ("计算 (3+4)×5", "= 35"),
        ("what is 1/3 + 1/6", "= 1/2"),
        ("what's 12 plus 30", "= 42"),
        ("what is 100 divided by 8", "= 25/2"),
        ("list the tables", "The database has 11 tables"),
        ("数据库里有哪些表", "数据库中有 11 张表"),
        ("how many tracks are there", f"Table Track has {tracks} rows."),
        ("Genre表有多少行", f"表 Genre 共有 {genres} 行。"),
        ("describe the album table", "Table Album has 3 columns"),
        ("Is 97 prime and what is 2^10?", "= 1024"),
        ("判断 97 是否是素数，并计算 2^10", "= 1024"),
    ]


def _refusals() -> list[str]:
    return [
        "what is the 10th prime",
        "who won the world cup in 2018",
        "Write me a poem about the sea",
        "给我写一首诗",
        "translate hello into French",
        "is the number of albums prime",
        "what is the capital of France?",
        "delete all the customers",
        "how are you",
        "今天天气怎么样",
    ]


def test_a_wide_set_of_questions_answered_exactly(graph, db):
    wrong = []
    for index, (task, expected) in enumerate(_checks(db)):
        answer = ask(graph, task, f"w{index}")["answer"]
        if expected not in answer or "None" in answer or not answer.startswith(("(Offline", "（离线")):
            wrong.append((task, expected, answer))
    assert wrong == []


def test_questions_it_cannot_do_are_declined_plainly(graph):
    for index, task in enumerate(_refusals()):
        out = ask(graph, task, f"r{index}")
        assert out["tool_log"] == [], task
        assert out["answer"].startswith(DECLINES), (task, out["answer"])
