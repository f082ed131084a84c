"""Two replicas of the service on one PostgreSQL database (and Redis): shared threads, nothing lost.

Real processes, the real PostgreSQL and Redis of this machine; each test makes its
own database (and its runs' Redis keys expire, and are deleted at the end).
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from langgraph_sdk import get_client
from service_proc import ServiceProcess, ask, service_env

pytestmark = pytest.mark.slow
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        pytest.skip(f"Redis is not reachable at {REDIS}: {err}")
    yield REDIS
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter("agent:run:*"):
        client.delete(key)


def replicas(tmp_path, database: str, count: int = 2, **extra: str) -> list[ServiceProcess]:
    env = service_env(tmp_path, AGENT_CHECKPOINTER=database, **extra)
    return [ServiceProcess(env) for _ in range(count)]


def humans(state: dict) -> list[str]:
    return [m["content"] for m in state["values"]["messages"] if m["type"] == "human"]


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "polling"])
def test_two_replicas_share_a_thread_join_and_cancel_across(tmp_path, pg_database, request, with_redis):
    extra = {"AGENT_REDIS_URL": request.getfixturevalue("redis_url")} if with_redis else {}
    a, b = replicas(tmp_path, pg_database, **extra)
    try:

        async def scenario() -> None:
            one, two = get_client(url=a.url), get_client(url=b.url)
            thread = await one.threads.create(metadata={"shared": True})
            for index, client in enumerate([one, two, one, two]):
                result = await client.runs.wait(thread["thread_id"], "agent", input=ask(f"add {index} 1"))
                assert result["answer"] == f"add: {index + 1}"
            state = await two.threads.get_state(thread["thread_id"])
            assert humans(state) == ["add 0 1", "add 1 1", "add 2 1", "add 3 1"]  # nothing lost, in order
            run = await one.runs.create(thread["thread_id"], "agent", input=ask("sleep 1.5"), stream_resumable=True)
            events = [p.event async for p in two.runs.join_stream(thread["thread_id"], run["run_id"])]
            assert events[-1] == "end" and "values" in events  # followed from the other replica
            slow = await one.runs.create(thread["thread_id"], "agent", input=ask("sleep 30"))
            await asyncio.sleep(1.5)
            await two.runs.cancel(thread["thread_id"], slow["run_id"], wait=True)  # cancelled from the other one
            assert (await one.runs.get(thread["thread_id"], slow["run_id"]))["status"] == "interrupted"

        asyncio.run(scenario())
    finally:
        a.stop()
        b.stop()


def test_a_replica_killed_mid_run_is_finished_by_the_survivor(tmp_path, pg_database, redis_url):
    env = service_env(tmp_path, AGENT_CHECKPOINTER=pg_database, AGENT_REDIS_URL=redis_url, AGENT_SERVICE_LEASE="2")
    doomed = ServiceProcess(env)
    survivor = None
    try:

        async def start() -> tuple[str, str]:
            client = get_client(url=doomed.url)
            thread = await client.threads.create()
            run = await client.runs.create(thread["thread_id"], "agent", input=ask("sleep 4"))
            deadline = time.monotonic() + 20
            while (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] != "running":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # inside the tool now: the model's call is checkpointed
            return thread["thread_id"], run["run_id"]

        thread_id, run_id = asyncio.run(start())
        survivor = ServiceProcess(env)
        doomed.stop(signal.SIGKILL)

        async def finish() -> None:
            client = get_client(url=survivor.url)
            result = await client.runs.join(thread_id, run_id)
            assert result["answer"] == "sleep: slept 4"
            assert (await client.runs.get(thread_id, run_id))["status"] == "success"
            state = await client.threads.get_state(thread_id)
            assert humans(state) == ["sleep 4"]  # the input was not sent twice
            calls = [m for m in state["values"]["messages"] if m["type"] == "ai" and m.get("tool_calls")]
            assert len(calls) == 1  # the model's call was not made again: resumed from the checkpoint

        asyncio.run(finish())
    finally:
        doomed.stop()
        if survivor is not None:
            survivor.stop()
