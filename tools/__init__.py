"""Function tools: each a pydantic input model, a pure function and its output model.

Nothing here imports LangGraph or a model client; LangChain is imported only
when a tool is turned into a LangChain tool.
"""

from tools.base import ErrorCode, ToolError, ToolHints, ToolSpec
from tools.registry import FAMILIES, langchain_tools, tool_specs, tools_by_name
from tools.settings import Settings

__all__ = [
    "FAMILIES",
    "ErrorCode",
    "Settings",
    "ToolError",
    "ToolHints",
    "ToolSpec",
    "langchain_tools",
    "tool_specs",
    "tools_by_name",
]
