"""LangGraph state machines: the agent graph, its state, bounds and test models.

Imports are lazy so that ``import graphs`` costs nothing until a name is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "build_agent": "graphs.builder",
    "default_tools": "graphs.builder",
    "AgentState": "graphs.state",
    "Plan": "graphs.state",
    "PlanStep": "graphs.state",
    "Bounds": "graphs.bounds",
    "Pricing": "graphs.usage",
    "ScriptedModel": "graphs.testing",
    "OfflineModel": "graphs.offline",
    "open_checkpointer": "graphs.memory",
    "HashingEmbeddings": "graphs.recall",
}

if TYPE_CHECKING:
    from graphs.bounds import Bounds
    from graphs.builder import build_agent, default_tools
    from graphs.memory import open_checkpointer
    from graphs.offline import OfflineModel
    from graphs.recall import HashingEmbeddings
    from graphs.state import AgentState, Plan, PlanStep
    from graphs.testing import ScriptedModel
    from graphs.usage import Pricing


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'graphs' has no attribute {name!r}")


__all__ = [
    "AgentState",
    "Bounds",
    "HashingEmbeddings",
    "OfflineModel",
    "Plan",
    "PlanStep",
    "Pricing",
    "ScriptedModel",
    "build_agent",
    "default_tools",
    "open_checkpointer",
]
