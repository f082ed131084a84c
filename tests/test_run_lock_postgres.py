"""PostgreSQL run locks: unlocked when a run ends (the next run never waits), on connections kept between runs."""

from __future__ import annotations

import logging
import os

import psycopg
import pytest
from graph_helpers import add

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.memory import open_checkpointer
from graphs.run_lock import PostgresLocks, _pg_keys
from graphs.testing import ScriptedModel, answer, call


def _graph(url: str, replies: list) -> object:
    settings = Settings(planning="off", context_strategy="all", thread_wait=5)
    return build_agent(
        model=ScriptedModel(replies, cycle=True), tools=[add], checkpointer=open_checkpointer(url), settings=settings
    )


def _free_for_another_session(url: str, thread_id: str) -> bool:
    with psycopg.connect(url, autocommit=True) as other:
        won = other.execute("SELECT pg_try_advisory_lock(%s, %s)", _pg_keys(thread_id)).fetchone()[0]
        if won:
            other.execute("SELECT pg_advisory_unlock(%s, %s)", _pg_keys(thread_id))
        return bool(won)


def test_runs_one_after_another_on_a_thread_never_wait(pg_database, caplog):
    graph = _graph(pg_database, [call("add", a=1, b=2), answer("3")])
    config = {"configurable": {"thread_id": "t1"}}
    with caplog.at_level(logging.WARNING, logger="graphs.run_lock"):
        for _ in range(3):
            assert graph.invoke({"messages": "1+2?"}, config)["answer"] == "3"
            assert _free_for_another_session(pg_database, "t1")  # unlocked at the end, not when a socket closed
    assert not [r for r in caplog.records if "busy" in r.getMessage()]
    backend = graph.run_lock.backend
    assert len(backend._idle) == 1  # one connection served every run


def test_a_lock_on_a_kept_connection_is_refused_to_others(pg_database):
    locks = PostgresLocks(pg_database)
    first = locks.try_acquire("t", {"run": "r1"})
    assert first is not None
    first.release()
    again = locks.try_acquire("t", {"run": "r2"})  # the kept connection takes the lock again
    assert again is not None and not _free_for_another_session(pg_database, "t")
    assert PostgresLocks(pg_database).try_acquire("t", {"run": "r3"}) is None
    assert locks.holder("t")["run"] == "r2"
    again.release()
    assert _free_for_another_session(pg_database, "t")


def test_a_connection_that_cannot_unlock_is_closed_and_frees_the_thread(pg_database):
    locks = PostgresLocks(pg_database)
    held = locks.try_acquire("t", {"run": "r1"})
    with psycopg.connect(pg_database, autocommit=True) as admin:  # the server ends the holder's session
        admin.execute("SELECT pg_terminate_backend(%s)", (held.conn.info.backend_pid,))
    held.release()
    assert locks._idle == [] and held.conn.closed
    assert _free_for_another_session(pg_database, "t")
    assert locks.try_acquire("t", {"run": "r2"}) is not None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_forked_child_leaves_the_parents_connections_alone(pg_database):
    locks = PostgresLocks(pg_database)
    locks.try_acquire("parent", {"run": "p"}).release()
    kept = locks._idle[0]
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            held = locks.try_acquire("child", {"run": "c"})
            code = 0 if held is not None and held.conn is not kept else 2
            held.release()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert kept.execute("SELECT 1").fetchone() == (1,)  # the parent's session still works
