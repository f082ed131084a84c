"""Our MCP server's handlers through the SDK's in-process client (no subprocess, no sockets).

The real stdio and HTTP round trips stay in tests/test_mcp_servers.py; here the
handlers themselves: schemas and annotations from each spec's hints, results
and errors, and how many calls run at once (an overlap counter inside the tool,
not a clock).
"""

from __future__ import annotations

import threading
import time

import anyio
import pytest
from mcp import Client
from pydantic import BaseModel

from agent.settings import Settings
from mcp_servers.running import ToolSlots
from mcp_servers.server import build_server
from tools.base import ToolError, ToolHints, ToolSpec
from tools.registry import tool_specs


class Sleep(BaseModel):
    seconds: float = 0.2


class Slept(BaseModel):
    peak: int


class Gauge:
    def __init__(self) -> None:
        self.lock, self.now, self.peak = threading.Lock(), 0, 0

    def __call__(self, inp: Sleep) -> Slept:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(inp.seconds)
        finally:
            with self.lock:
                self.now -= 1
        return Slept(peak=self.peak)


def _refuse(inp: Sleep) -> Slept:
    raise ToolError("no sleeping today", code="refused")


NO_HINTS = ToolHints()


def _spec(func, name="nap", hints=NO_HINTS) -> ToolSpec:
    return ToolSpec(
        name=name, description="Sleep a little.", input_model=Sleep, output_model=Slept, func=func, hints=hints
    )


@pytest.fixture
def specs(tmp_path):
    return tool_specs(Settings(home=tmp_path / "home"))


async def test_every_tool_is_listed_with_the_hints_of_its_spec(specs):
    async with Client(build_server("all", specs)) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    assert set(listed) == {s.name for s in specs}
    for spec in specs:
        tool = listed[spec.name]
        assert tool.title == spec.hints.title and tool.annotations.title == spec.hints.title
        assert tool.annotations.read_only_hint is spec.hints.read_only
        assert tool.annotations.destructive_hint is spec.hints.destructive
        assert tool.annotations.idempotent_hint is spec.hints.idempotent
        assert tool.annotations.open_world_hint is spec.hints.open_world
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"


async def test_results_are_structured_and_failures_are_is_error(specs):
    async with Client(build_server("all", specs)) as client:
        ok = await client.call_tool("calculator", {"expression": "2^10"})
        assert not ok.is_error and ok.structured_content["exact"] == "1024"
        bad = await client.call_tool("calculator", {"expression": "2 +* 3"})
        assert bad.is_error and bad.meta["errorCode"] == "invalid_input" and "parse" in bad.content[0].text


async def test_a_tool_error_keeps_its_code():
    async with Client(build_server("t", [_spec(_refuse)])) as client:
        result = await client.call_tool("nap", {"seconds": 0})
    assert result.is_error and result.meta["errorCode"] == "refused" and result.content[0].text == "no sleeping today"


def _bug(inp: Sleep) -> Slept:
    raise KeyError("/srv/secret/config.yaml")


async def test_a_tools_bug_is_logged_with_its_traceback_and_reported_without_detail(caplog):
    with caplog.at_level("ERROR"):
        async with Client(build_server("t", [_spec(_bug)])) as client:
            result = await client.call_tool("nap", {"seconds": 0})
            after = await client.call_tool("nap", {"seconds": 0})  # the server goes on
    text = result.content[0].text
    assert result.is_error and result.meta["errorCode"] == "internal" and "internal error" in text
    assert "secret" not in text and "KeyError" not in text
    assert after.is_error and after.meta["errorCode"] == "internal"
    logged = [r for r in caplog.records if r.getMessage() == "tool nap failed unexpectedly"]
    assert logged and isinstance(logged[0].exc_info[1], KeyError)


async def test_calls_run_at_most_as_many_at_once_as_there_are_slots():
    gauge = Gauge()
    server = build_server("t", [_spec(gauge)], slots=ToolSlots(2, wait=30, queued=10))
    results = []
    async with Client(server) as client:

        async def one() -> None:
            results.append(await client.call_tool("nap", {"seconds": 0.2}))

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(one)
    assert all(not r.is_error for r in results) and len(results) == 6
    assert gauge.peak == 2  # never more than the slots, and they were used together


async def test_past_the_queue_a_call_is_told_the_server_is_busy():
    gauge = Gauge()
    server = build_server("t", [_spec(gauge)], slots=ToolSlots(1, wait=30, queued=1))
    results = []
    async with Client(server) as client:

        async def one() -> None:
            results.append(await client.call_tool("nap", {"seconds": 0.3}))

        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(one)
    busy = [r for r in results if r.is_error]
    assert busy and all(r.meta["errorCode"] == "unavailable" and "busy" in r.content[0].text for r in busy)
    assert gauge.peak == 1
