"""The MCP client: servers from an ``mcpServers`` config, their tools in the agent.

``configured_tools`` is registered as a tool set (entry point
``langgraph_mcp_agent.toolsets``), so ``graphs.build_agent()`` picks up the
configured servers without ``graphs`` importing this package.
"""

from __future__ import annotations

import atexit
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.mcp.client import MCPToolbox
    from tools.settings import Settings

_toolboxes: dict[str, MCPToolbox] = {}
_lock = threading.Lock()


def configured_tools(settings: Settings) -> list[Any]:
    """LangChain tools of every configured MCP server (one shared toolbox per config file).

    A server that cannot start is reported on stderr by name; the others go on.
    """
    from agent.mcp.client import MCPToolbox
    from agent.mcp.config import config_path, load_config

    path = config_path(settings.mcp_config, settings.home)
    if path is None:
        return []
    key = str(path.resolve())
    with _lock:
        toolbox = _toolboxes.get(key)
        if toolbox is None:
            servers = load_config(path).enabled()
            toolbox = MCPToolbox(servers, call_timeout=settings.mcp_timeout, log_dir=settings.home / "logs")
            for name, error in toolbox.start().items():
                print(f"agent: MCP server '{name}' could not start: {error}", file=sys.stderr)
            _toolboxes[key] = toolbox
    return toolbox.langchain_tools()


def close_all() -> None:
    with _lock:
        boxes = list(_toolboxes.values())
        _toolboxes.clear()
    for toolbox in boxes:
        toolbox.close()


atexit.register(close_all)

__all__ = ["close_all", "configured_tools"]
