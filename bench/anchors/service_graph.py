"""Anchor: the one graph every server in the service benchmark serves, with a zero-latency scripted model.

It is our agent graph (``graphs.build_agent``) with the benchmarks' settings (no
planning, the whole conversation kept) and one tool: each user turn is one
``add`` call, then a short answer, so a run is two model calls, one tool call
and their checkpoints, and the model costs nothing: what a run costs is the
server's.  Two shapes of the same graph:

* ``graph``: compiled without a checkpointer, for servers that bring their own
  (LangGraph's ``langgraph dev`` and Aegra name it in their ``langgraph.json`` /
  ``aegra.json``);
* ``make(checkpointer, store, settings)``: the graph factory our service calls,
  so the thread lock follows the service's database (as a deployment of ours
  would run it).

Loaded by path by each server, with this repository on ``PYTHONPATH``.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from bench.anchors.scripted import add


class OneToolModel(BaseChatModel):
    """Per user turn: ``add(a=<turn>, b=1)``, then the answer ``<turn>+1=<sum>``."""

    @property
    def _llm_type(self) -> str:
        return "bench-one-tool"

    def bind_tools(self, tools: Any, **kwargs: Any) -> OneToolModel:  # type: ignore[override]
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        turn = sum(isinstance(m, HumanMessage) for m in messages)
        last = messages[-1]
        if isinstance(last, ToolMessage):
            reply = AIMessage(content=f"{turn}+1={last.text}")
        else:
            call = {"name": "add", "args": {"a": turn, "b": 1}, "id": f"call_{turn}", "type": "tool_call"}
            reply = AIMessage(content="", tool_calls=[call])
        return ChatResult(generations=[ChatGeneration(message=reply)])


def _settings() -> Any:
    from bench.ours import settings

    return settings(k=1)


def make(checkpointer: Any = False, store: Any = None, settings: Any = None) -> Any:
    """The graph on the given storage (our service's graph factory; ``settings`` is the service's, unused)."""
    from graphs import build_agent

    return build_agent(model=OneToolModel(), tools=[add], checkpointer=checkpointer, store=store, settings=_settings())


graph = make()

__all__ = ["OneToolModel", "graph", "make"]
