"""``build_agent``: the compiled agent graph, from arguments or from the settings.

    START -> start -> [plan] -> model -> validate -> [approve] -> tools -> model ...
                                   \\-> finish <-/                      \\-> plan (re-plan on failure)

Every route can reach ``finish``; the bounds decide when.  LangGraph's
recursion limit is set well above what the bounds allow, as a backstop only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any, Literal

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.store.base import BaseStore

from graphs.agent_graph import AgentGraph, with_run_lock
from graphs.bounds import Bounds
from graphs.finish import Finisher
from graphs.ledger import ledger_for
from graphs.memory import open_checkpointer, open_store
from graphs.nodes import SYSTEM_PROMPT, AgentNodes, NodeConfig
from graphs.recall import HashingEmbeddings, RecallMemory, index_config
from graphs.run_lock import RunLock, locks_for
from graphs.saver_target import target_of
from graphs.state import AgentInput, AgentState
from graphs.usage import Pricing
from tools.base import ToolSpec
from tools.settings import Settings

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


def default_tools(settings: Settings) -> list[BaseTool]:
    """The function tools, plus every tool set registered under the entry-point group.

    Tool sets (our MCP client is one) plug in through ``langgraph_mcp_agent.toolsets``
    entry points: callables taking the settings and returning LangChain tools.
    """
    from tools.registry import langchain_tools

    tools = langchain_tools(settings)
    for entry in entry_points(group=TOOLSET_GROUP):
        tools.extend(entry.load()(settings))
    return tools


def _recall(
    settings: Settings, store: BaseStore | None, url: str, embeddings: Embeddings | None
) -> RecallMemory | None:
    if settings.context_strategy != "recall":
        return None
    from graphs.llm import embeddings_from_settings

    embeddings = embeddings or embeddings_from_settings(settings) or HashingEmbeddings()
    if store is None:
        dims = len(embeddings.embed_query("dimension probe"))
        store = open_store(url, index_config(embeddings, dims) if url.startswith("memory") else None)
    return RecallMemory(store, embeddings)


def _node(func: Callable[..., Any], afunc: Callable[..., Any] | None = None) -> Any:
    """A node with a sync and an async body.

    LangGraph's own ``RunnableCallable`` (what its prebuilt nodes use) costs a
    fraction of LangChain's ``RunnableLambda`` per step (bench/loop_overhead.py);
    it lives in a private module, so fall back to ``RunnableLambda`` if it moves.
    """
    try:
        from langgraph._internal._runnable import RunnableCallable
    except ImportError:  # pragma: no cover - a future LangGraph
        return RunnableLambda(func, afunc=afunc, name=func.__name__)
    return RunnableCallable(func, afunc, name=func.__name__)


def wire(nodes: AgentNodes) -> StateGraph:
    """The nodes and the routes between them (see the module docstring)."""
    finisher = Finisher(nodes)
    graph = StateGraph(AgentState, input_schema=AgentInput)
    graph.add_node("start", _node(nodes.start))
    graph.add_node("plan", _node(nodes.plan, nodes.aplan))
    graph.add_node("model", _node(nodes.model, nodes.amodel))
    graph.add_node("validate", _node(nodes.validate))
    graph.add_node("approve", _node(nodes.approve))
    graph.add_node("tools", _node(nodes.tools, nodes.atools))
    graph.add_node("finish", _node(finisher.finish, finisher.afinish))

    graph.add_edge(START, "start")
    graph.add_conditional_edges("start", nodes.route_start, ["plan", "model"])
    graph.add_edge("plan", "model")
    graph.add_conditional_edges("model", nodes.route_model, ["validate", "finish"])
    graph.add_conditional_edges("validate", nodes.route_validate, ["approve", "tools", "model", "finish"])
    graph.add_conditional_edges("approve", nodes.route_approve, ["tools", "model"])
    graph.add_conditional_edges("tools", nodes.route_tools, ["plan", "model"])
    graph.add_edge("finish", END)
    return graph


def build_agent(
    model: BaseChatModel | None = None,
    tools: Sequence[ToolLike] | None = None,
    *,
    checkpointer: BaseCheckpointSaver | Literal[False] | None = None,
    store: BaseStore | None = None,
    settings: Settings | None = None,
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

    settings = settings or Settings()
    if model is None:  # the model file's prices and window apply to the model it describes
        settings = effective_settings(settings)
        model = chat_model_from_settings(settings)
        fallback = fallback if fallback is not None else fallback_from_settings(settings)
    tool_list = default_tools(settings) if tools is None else [as_langchain_tool(t) for t in tools]
    url = settings.resolved_checkpointer()
    if checkpointer is None:
        checkpointer = open_checkpointer(url)
    target = target_of(checkpointer or None)
    cfg = NodeConfig(
        model=model,
        tools={t.name: t for t in tool_list},
        bounds=bounds or Bounds.from_settings(settings),
        pricing=pricing or Pricing(input=settings.price_in, output=settings.price_out),
        planning=settings.planning,
        tool_timeout=settings.tool_timeout,
        tool_result_chars=settings.tool_result_chars,
        strategy=settings.context_strategy,
        keep_rounds=settings.context_rounds,
        window=settings.context_window,
        threshold=settings.summary_threshold,
        recall_k=settings.recall_k,
        recall=_recall(settings, store, url, embeddings),
        system_prompt=system_prompt,
        summary_model=summary_model,
        fallback=fallback,
        ledger=ledger_for(target),
    )
    graph = wire(AgentNodes(cfg))
    compiled = graph.compile(
        checkpointer=checkpointer or None, store=cfg.recall.store if cfg.recall else store, name=name
    )
    run_lock = RunLock(locks_for(target), wait=settings.thread_wait if thread_wait is None else thread_wait)
    # A backstop only: each loop passes model/validate/tools, and the bounds stop far earlier.
    backstop = 10 * (cfg.bounds.max_model_calls + cfg.bounds.max_validation_retries) + 50
    return with_run_lock(compiled, run_lock).with_config(recursion_limit=backstop)


__all__ = ["TOOLSET_GROUP", "as_langchain_tool", "build_agent", "default_tools"]
