"""Tools and builders shared by the graph tests (real tools, real graph, scripted models)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from langchain_core.tools import StructuredTool, tool

from agent.settings import Settings
from graphs.builder import build_agent


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def fail(reason: str) -> str:
    """A tool that always fails, for error paths."""
    from langchain_core.tools import ToolException

    raise ToolException(f"failed on purpose: {reason}")


class Overlap:
    """How many calls are inside a tool at once, counted by the tool (no clock involved)."""

    def __init__(self) -> None:
        self.lock, self.now, self.peak = threading.Lock(), 0, 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1

    def reset(self) -> None:
        self.now = self.peak = 0


OVERLAP = Overlap()


def _sleep(seconds: float) -> str:
    with OVERLAP:
        time.sleep(seconds)
    return f"slept {seconds}"


async def _asleep(seconds: float) -> str:
    with OVERLAP:
        await asyncio.sleep(seconds)
    return f"slept {seconds}"


blocking_sleep = StructuredTool.from_function(
    func=_sleep, name="blocking_sleep", description="Sleep (a synchronous tool with no async twin)."
)
sleep = StructuredTool.from_function(
    func=_sleep, coroutine=_asleep, name="sleep", description="Sleep for some seconds and say so."
)


def _erase(table: str) -> str:
    ERASED.append(table)
    return f"erased {table}"


ERASED: list[str] = []
erase = StructuredTool.from_function(
    func=_erase, name="erase", description="Erase a table (destructive).", metadata={"destructive": True}
)


def settings(**overrides: Any) -> Settings:
    """Settings for tests: no planning unless asked, everything else default."""
    values: dict[str, Any] = {"planning": "off", "context_strategy": "all"}
    values.update(overrides)
    return Settings(**values)


def agent(model: Any, tools: list[Any] | None = None, checkpointer: Any = False, **overrides: Any):
    return build_agent(
        model=model,
        tools=tools if tools is not None else [add],
        checkpointer=checkpointer,
        settings=settings(**overrides),
    )
