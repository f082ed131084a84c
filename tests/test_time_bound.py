"""The time bound and Ctrl-C stop a run that is waiting on a slow model, and leave the thread usable."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from fake_openai import FakeOpenAI, Reply

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.llm import ModelChoice, build_chat_model
from graphs.memory import open_checkpointer


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "OPENAI_", "LANGSMITH_"))}
    return {**clean, "AGENT_HOME": str(tmp_path / "home"), "OPENAI_API_KEY": "sk-test", "AGENT_MODEL": "m"}


def test_a_model_call_past_the_time_bound_is_given_up(env):
    with FakeOpenAI() as server:
        server.queue(Reply(content="too late", delay=30))
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "agent", "run", "hello", "--max-seconds", "2", "--json", "--planning", "off"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**env, "OPENAI_BASE_URL": server.url},
        )
        elapsed = time.monotonic() - started
    assert out.returncode == 3, out.stderr
    result = json.loads(out.stdout)
    assert result["stop_reason"] == "time" and "time limit" in result["answer"]
    assert elapsed < 20  # the 30 s reply was not waited for


def _async_graph(url: str, max_seconds: float):
    model = build_chat_model(ModelChoice(provider="openai-compatible", model="m", base_url=url, max_tokens=None))
    settings = Settings(planning="off", context_strategy="all", max_seconds=max_seconds)
    return build_agent(model=model, tools=[], checkpointer=open_checkpointer("memory:"), settings=settings)


def test_an_async_run_cancels_the_slow_model_call():
    with FakeOpenAI() as server:
        server.queue(Reply(content="too late", delay=30))
        graph = _async_graph(server.url, 1.5)
        started = time.monotonic()
        out = asyncio.run(graph.ainvoke({"messages": "hello"}, {"configurable": {"thread_id": "t"}}))
    assert out["stop_reason"] == "time"
    assert time.monotonic() - started < 15


def test_ctrl_c_stops_a_run_at_once_and_keeps_the_thread(env):
    with FakeOpenAI() as server:
        server.queue(Reply(content="too late", delay=60), Reply(content="second answer"))
        run_env = {**env, "OPENAI_BASE_URL": server.url}
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "first task", "--thread", "kept", "--planning", "off"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=run_env,
        )
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:  # wait until the model call is under way
            time.sleep(0.05)
        assert server.requests, "the model was never called"
        time.sleep(0.3)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert time.monotonic() - sent < 3  # within a second or so, not after the 60 s reply
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
        again = subprocess.run(
            [sys.executable, "-m", "agent", "run", "second task", "--thread", "kept", "--json", "--planning", "off"],
            capture_output=True,
            text=True,
            timeout=60,
            env=run_env,
        )
    assert again.returncode == 0, again.stderr  # the thread's lock was let go
    assert json.loads(again.stdout)["answer"] == "second answer"
    prompt = [m["content"] for m in server.requests[-1]["messages"] if m["role"] == "user"]
    assert prompt == ["first task", "second task"]  # the interrupted task is still in the thread
