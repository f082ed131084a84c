"""The agent graph for LangGraph's own server (``langgraph dev``, LangGraph Platform): ``langgraph.json`` names it.

Everything comes from the settings (``AGENT_*`` and ``.env``), as with ``python -m
agent``; the server brings its own checkpointer and store, so the graph has none.
"""

from __future__ import annotations

from graphs.builder import build_agent

graph = build_agent(checkpointer=False)

__all__ = ["graph"]
