"""Graphs for the service tests: a model that acts on the words of its task, and a few tools.

    "sleep 2"      -> calls sleep(seconds=2), then answers "slept 2"
    "hold PATH"    -> calls hold(path=PATH): runs until the test creates PATH (at most a minute), answers "released"
    "erase NAME"   -> calls the destructive erase(table=NAME), then answers what the tool said
    "add A B"      -> calls add(a=A, b=B), then answers "A+B=<sum>"
    "tell me X"    -> emits a custom event, then answers "X" (no tool)
    "mcp TOOL {..}" -> calls the (MCP) tool TOOL with the JSON arguments, then answers what it said
                      (``make_mcp``: the tools of the MCP servers of AGENT_MCP_CONFIG)

The service loads it from a langgraph.json-shaped file (AGENT_SERVICE_GRAPHS).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool, tool
from langgraph.config import get_stream_writer

from graphs.builder import build_agent
from graphs.local_model import LocalChatModel
from graphs.settings import GraphSettings


@tool
def sleep(seconds: float) -> str:
    """Sleep some seconds."""
    time.sleep(seconds)
    return f"slept {seconds:g}"


@tool
def hold(path: str) -> str:
    """Wait until a file exists (the test releases the run when it has seen what it needs)."""
    deadline = time.monotonic() + 60
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return "released" if Path(path).exists() else "never released"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _erase(table: str) -> str:
    marker = os.environ.get("ERASE_LOG")
    if marker:
        with Path(marker).open("a") as log:
            log.write(table + "\n")
    return f"erased {table}"


erase = StructuredTool.from_function(
    func=_erase, name="erase", description="Erase a table (destructive).", metadata={"destructive": True}
)


class TaskModel(LocalChatModel):
    """Acts on the last user message's words; answers from the tool result that follows."""

    @property
    def _llm_type(self) -> str:
        return "task-model"

    def reply(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> AIMessage:
        last_human = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        words = messages[last_human].text.split()
        results = [m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)]
        if results:
            return AIMessage(content=f"{results[-1].name}: {results[-1].text}")
        verb = words[0] if words else ""
        call = None
        if verb == "sleep":
            call = ("sleep", {"seconds": float(words[1])})
        elif verb == "hold":
            call = ("hold", {"path": words[1]})
        elif verb == "erase":
            call = ("erase", {"table": words[1]})
        elif verb == "add":
            call = ("add", {"a": int(words[1]), "b": int(words[2])})
        elif verb == "mcp":
            call = (words[1], json.loads(" ".join(words[2:]) or "{}"))
        elif verb == "tell":
            try:
                get_stream_writer()({"type": "note", "text": " ".join(words[2:])})
            except RuntimeError:
                pass
            return AIMessage(content=" ".join(words[2:]))
        if call is None:
            return AIMessage(content="echo: " + " ".join(words))
        name, args = call
        return AIMessage(
            content="", tool_calls=[{"name": name, "args": args, "id": f"call_{time.time_ns()}", "type": "tool_call"}]
        )


def make(checkpointer: Any, store: Any, settings: Any) -> Any:
    """The service's graph factory."""
    return build_agent(
        model=TaskModel(),
        tools=[sleep, hold, add, erase],
        checkpointer=checkpointer,
        store=store,
        settings=GraphSettings(planning="off", context_strategy="all", thread_wait=60),
    )


def make_mcp(checkpointer: Any, store: Any, settings: Any) -> Any:
    """The service's graph factory with the configured MCP servers' tools (AGENT_MCP_CONFIG)."""
    from agent.mcp import configured_tools

    return build_agent(
        model=TaskModel(),
        tools=configured_tools(settings),
        checkpointer=checkpointer,
        store=store,
        settings=GraphSettings(planning="off", context_strategy="all", thread_wait=60),
    )
