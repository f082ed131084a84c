"""Function tools: each a pydantic input model, a pure function and its output model.

Nothing here imports LangGraph or a model client; LangChain is imported only
when a tool is turned into a LangChain tool.  Names load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ErrorCode": "tools.base",
    "ToolError": "tools.base",
    "ToolHints": "tools.base",
    "ToolSpec": "tools.base",
    "hints_of": "tools.base",
    "FAMILIES": "tools.registry",
    "langchain_tools": "tools.registry",
    "tool_specs": "tools.registry",
    "tools_by_name": "tools.registry",
    "ToolSettings": "tools.settings",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tools' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
