"""LangGraph's own server (``langgraph dev``, from ``langgraph-cli[inmem]``) serves our ``langgraph.json``.

It runs in a cached side environment (bench/_legacy.py's builder): langgraph-cli
with its in-memory runtime and this project's dependencies; our code is found
through PYTHONPATH.  The same langgraph-sdk client then talks to it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _builder():
    spec = importlib.util.spec_from_file_location("_legacy", ROOT / "bench" / "_legacy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def langgraph_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    packages = ("langgraph-cli[inmem]>=0.4", *project["dependencies"])
    legacy = _builder()
    try:
        return legacy.legacy_python(packages)
    except legacy.LegacyEnvError as err:
        pytest.skip(f"langgraph-cli[inmem] cannot be installed here: {err}")


def test_langgraph_dev_serves_our_graph(langgraph_python, tmp_path):
    # console scripts of the side environment name the folder it was built in: call the CLI through python
    langgraph = [langgraph_python, "-c", "from langgraph_cli.cli import cli; cli()"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "OPENAI_", "LANGSMITH_"))},
        "AGENT_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
        "LANGGRAPH_NO_VERSION_CHECK": "true",
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [
            *langgraph,
            "dev",
            "--port",
            str(port),
            "--no-browser",
            "--no-reload",
            "--config",
            str(ROOT / "langgraph.json"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"langgraph dev exited: {proc.stdout.read()[-2000:]}")
            try:
                if httpx.get(url + "/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "langgraph dev did not start in 120 s"
            time.sleep(0.5)

        async def talk() -> None:
            client = get_client(url=url)
            assert [a["graph_id"] for a in await client.assistants.search()] == ["agent"]
            thread = await client.threads.create()
            result = await client.runs.wait(
                thread["thread_id"], "agent", input={"messages": [{"role": "user", "content": "Is 97 prime?"}]}
            )
            assert "97 is prime." in result["answer"]

        asyncio.run(talk())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
