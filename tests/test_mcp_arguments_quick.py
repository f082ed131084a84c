"""The argument check of an MCP tool: decided on the caller's loop when it is quick, on a thread when it is not."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest
from langchain_core.tools import ToolException

from agent.mcp.arguments import ArgumentChecker
from agent.mcp.schema import vet
from agent.mcp.tools import to_langchain

OBJ = {"type": "object"}
NUMBER = {**OBJ, "properties": {"n": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^[0-9]+$"}]}},
          "required": ["n"]}  # fmt: skip
CATASTROPHIC = {**OBJ, "properties": {"s": {"type": "string", "pattern": "^(a|a)+$"}}}


def test_a_small_check_is_decided_at_once_with_the_full_checks_answer():
    checker = ArgumentChecker(vet(NUMBER))
    for arguments in ({"n": 97}, {"n": "97"}, {"n": "9x7"}, {}, {"n": [1]}):
        assert checker.quick(arguments) == (True, checker.check(arguments))
    assert checker.quick({"n": "9x7"})[1] is not None


def test_a_slow_pattern_is_left_to_the_bounded_check():
    checker = ArgumentChecker(vet(CATASTROPHIC))
    started = time.perf_counter()
    assert checker.quick({"s": "a" * 40 + "!"}) == (False, None)  # undecided, within milliseconds
    assert time.perf_counter() - started < 1.0
    assert "could not be checked" in checker.check({"s": "a" * 40 + "!"})


class _Box:
    """Just enough of a toolbox for one tool: records the calls that reach the server."""

    call_timeout = 5.0

    def __init__(self) -> None:
        self.servers = {"s": SimpleNamespace(timeout=None)}
        self.sent: list[dict] = []

    async def acall(self, server: str, tool: str, arguments: dict, scope: object = None) -> object:
        self.sent.append(arguments)
        return SimpleNamespace(content=[], is_error=False, structured_content={"ok": True})


def _tool(schema: dict) -> tuple[object, _Box]:
    from agent.mcp.listing import ListedTool

    vetted = vet(schema)
    listed = ListedTool(SimpleNamespace(name="t", title=None, description="d", annotations=None), schema,
                        ArgumentChecker(vetted))  # fmt: skip
    box = _Box()
    return to_langchain(box, "s", listed), box  # type: ignore[arg-type]


def test_the_tool_checks_on_the_loop_when_quick_and_on_a_thread_when_not(monkeypatch):
    threads: list[str] = []
    real = asyncio.to_thread

    async def spy(fn, *args):
        threads.append(fn.__name__)
        return await real(fn, *args)

    monkeypatch.setattr(asyncio, "to_thread", spy)
    tool, box = _tool(NUMBER)
    assert asyncio.run(tool.ainvoke({"n": 97})) == '{"ok": true}'
    assert threads == [] and box.sent == [{"n": 97}]
    with pytest.raises(ToolException, match="invalid arguments"):
        asyncio.run(tool.coroutine(n="9x7"))
    assert box.sent == [{"n": 97}]  # refused before anything was sent

    slow, slow_box = _tool(CATASTROPHIC)
    with pytest.raises(ToolException, match="could not be checked"):
        asyncio.run(slow.coroutine(s="a" * 40 + "!"))
    assert threads == ["check"] and slow_box.sent == []


def test_a_check_in_progress_never_blocks_the_loop_for_long():
    slow, _ = _tool(CATASTROPHIC)
    ticks: list[float] = []

    async def main() -> None:
        async def ticker() -> None:
            while True:
                ticks.append(time.perf_counter())
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        with pytest.raises(ToolException):
            await slow.coroutine(s="a" * 40 + "!")
        task.cancel()

    asyncio.run(main())
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert gaps and max(gaps) < 0.5  # the 1 s check ran off the loop
