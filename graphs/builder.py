"""``build_agent``: the compiled agent graph, from arguments or from the settings.

    START -> [plan] -> model -> [approve] -> tools -> [compact] -> model ... -> END (answered)
                          \\-> finish -> END (a bound stopped the run)     \\-> plan (re-plan on failure)

The model node validates the calls it receives (one superstep per model turn);
``compact`` runs only when the context strategy must fold the thread first.

Every route can reach ``finish``; the bounds decide when.  LangGraph's
recursion limit is set well above what the bounds allow, as a backstop only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any, Literal

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.store.base import BaseStore

from graphs.agent_graph import AgentGraph, with_run_lock
from graphs.bounds import Bounds
from graphs.context import strategy_class
from graphs.finish import Finisher
from graphs.flow import node, plain
from graphs.ledger import ledger_for
from graphs.memory import CheckpointerError, open_checkpointer
from graphs.nodes import SYSTEM_PROMPT, AgentNodes, NodeConfig
from graphs.run_lock import RunLock, locks_for
from graphs.saver_target import target_of
from graphs.settings import GraphSettings
from graphs.state import AgentInput, AgentState
from graphs.usage import Pricing
from tools.base import ToolSpec
from tools.redact import mask_url

TOOLSET_GROUP = "langgraph_mcp_agent.toolsets"

ToolLike = BaseTool | ToolSpec | Callable[..., Any]


def as_langchain_tool(tool: ToolLike) -> BaseTool:
    """A LangChain tool from one of ours, a LangChain tool, or a typed function."""
    if isinstance(tool, BaseTool):
        return tool
    if isinstance(tool, ToolSpec):
        return tool.as_langchain()
    from langchain_core.tools import tool as make_tool

    return make_tool(tool)


def default_tools(settings: GraphSettings | None = None) -> list[BaseTool]:
    """The function tools, plus every tool set registered under the entry-point group.

    Tool sets (our MCP client is one) plug in through ``langgraph_mcp_agent.toolsets``
    entry points: callables taking the settings and returning LangChain tools.
    """
    from tools.registry import langchain_tools

    settings = settings or GraphSettings()
    tools = langchain_tools(settings)
    for entry in entry_points(group=TOOLSET_GROUP):
        tools.extend(entry.load()(settings))
    return tools


def wire(nodes: AgentNodes) -> StateGraph:
    """The nodes and the routes between them (see the module docstring)."""
    graph = StateGraph(AgentState, input_schema=AgentInput)
    graph.add_node("plan", node(nodes.plan))
    graph.add_node("compact", node(nodes.compact))
    graph.add_node(
        "model",
        node(nodes.model, route=nodes.after_model),
        destinations=("approve", "tools", "compact", "model", "finish", END),
    )
    graph.add_node("approve", plain(nodes.approve))
    graph.add_node("tools", node(nodes.tools, route=nodes.after_tools), destinations=("plan", "compact", "model"))
    graph.add_node("finish", node(Finisher(nodes).finish))

    graph.add_conditional_edges(START, nodes.route_start, ["plan", "model"])
    graph.add_edge("plan", "model")
    graph.add_edge("compact", "model")
    graph.add_conditional_edges("approve", nodes.route_approve, ["tools", "model"])
    graph.add_edge("finish", END)
    return graph


def build_agent(
    model: BaseChatModel | None = None,
    tools: Sequence[ToolLike] | None = None,
    *,
    checkpointer: BaseCheckpointSaver | Literal[False] | None = None,
    store: BaseStore | None = None,
    settings: GraphSettings | None = None,
    bounds: Bounds | None = None,
    pricing: Pricing | None = None,
    system_prompt: str = SYSTEM_PROMPT,
    summary_model: BaseChatModel | None = None,
    embeddings: Embeddings | None = None,
    fallback: BaseChatModel | None = None,
    thread_wait: float | None = None,
    name: str = "agent",
) -> AgentGraph:
    """Build the agent graph.

    Anything not given comes from ``settings`` (read from ``AGENT_*`` and ``.env``
    when omitted): the configured model or the offline model, every function
    tool and tool set, the ``AGENT_CHECKPOINTER`` saver (``checkpointer=False``
    for none), the bounds and the context strategy.  ``fallback`` is a second model
    tried when the first fails (``AGENT_FALLBACK_MODEL``).  A run waits up to
    ``thread_wait`` seconds (``AGENT_THREAD_WAIT``) for its thread while another run,
    in any process, holds it, then raises :class:`~graphs.run_lock.ThreadBusy`.
    """
    from graphs.llm import chat_model_from_settings, effective_settings, fallback_from_settings

    settings = settings or GraphSettings()
    if model is None:  # the model file's prices and window apply to the model it describes
        settings = effective_settings(settings)
        model = chat_model_from_settings(settings)
        fallback = fallback if fallback is not None else fallback_from_settings(settings)
    tool_list = default_tools(settings) if tools is None else [as_langchain_tool(t) for t in tools]
    url = settings.resolved_checkpointer()
    if checkpointer is None:
        try:
            checkpointer = open_checkpointer(url)
        except CheckpointerError as err:
            raise CheckpointerError(f"AGENT_CHECKPOINTER / --checkpointer {mask_url(url)}: {err}") from None
    target = target_of(checkpointer or None)
    context = strategy_class(settings.context_strategy).from_settings(settings, store=store, embeddings=embeddings)
    cfg = NodeConfig(
        model=model,
        tools={t.name: t for t in tool_list},
        bounds=bounds or Bounds.from_settings(settings),
        pricing=pricing or Pricing(input=settings.price_in, output=settings.price_out),
        planning=settings.planning,
        tool_timeout=settings.tool_timeout,
        tool_result_chars=settings.tool_result_chars,
        context=context,
        system_prompt=system_prompt,
        summary_model=summary_model,
        fallback=fallback,
        ledger=ledger_for(target),
    )
    nodes = AgentNodes(cfg)
    graph = wire(nodes)
    compiled = graph.compile(checkpointer=checkpointer or None, store=context.store or store, name=name)
    run_lock = RunLock(locks_for(target), wait=settings.thread_wait if thread_wait is None else thread_wait)
    # A backstop only: each loop passes model/validate/tools, and the bounds stop far earlier.
    backstop = 10 * (cfg.bounds.max_model_calls + cfg.bounds.max_validation_retries) + 50
    routes = {"model": nodes.after_model, "tools": nodes.after_tools}  # the nodes that route themselves (wire)
    return with_run_lock(compiled, run_lock, routes).with_config(recursion_limit=backstop)


__all__ = ["TOOLSET_GROUP", "as_langchain_tool", "build_agent", "default_tools"]
