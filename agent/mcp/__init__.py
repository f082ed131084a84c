"""The MCP client: servers from an ``mcpServers`` config, their tools in the agent.

``configured_tools`` is registered as a tool set (entry point
``langgraph_mcp_agent.toolsets``), so ``graphs.build_agent()`` picks up the
configured servers without ``graphs`` importing this package.  ``prestart``
starts them earlier, in the background, so they connect while the rest of
the program starts; ``configured_tools`` then waits for them all at once,
each up to its ``startup_timeout``.

What went wrong (a server that could not start, a dropped or renamed tool, a
config without ``mcpServers``) is logged once, one line each, on the
``agent.mcp`` logger: the CLI shows those lines on stderr (``agent.logs``).
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.mcp.client import MCPToolbox
    from agent.settings import Settings

log = logging.getLogger("agent.mcp")

_toolboxes: dict[str, MCPToolbox] = {}
_handlers: dict[str, Any] = {}
_lock = threading.Lock()


def set_elicitation_handler(handler: Any) -> None:
    """Who answers the servers' questions in this process (a service turns them into interrupts).

    Default: the terminal when there is one, else decline (:mod:`agent.mcp.elicitation`).
    """
    with _lock:
        _handlers["elicitation"] = handler
        for toolbox in _toolboxes.values():
            toolbox.elicitation_handler = handler


def set_sampler(sampler: Any) -> None:
    """The :class:`~agent.mcp.sampling.Sampler` (the agent's model, with the run's allowance) that serves
    sampling requests of the servers whose entry allows them; without one they are refused."""
    with _lock:
        _handlers["sampler"] = sampler
        for toolbox in _toolboxes.values():
            toolbox.sampler = sampler


def _toolbox(settings: Any) -> MCPToolbox | None:
    """The shared toolbox of the configured file, started in the background on first use.

    ``settings`` may be the graph's settings (``build_agent()`` in a program): the MCP
    client's own settings are then read from the environment like theirs were.
    """
    from agent.mcp.client import MCPToolbox
    from agent.mcp.config import config_path, load_config
    from agent.mcp.elicitation import default_handler
    from agent.settings import Settings

    if not isinstance(settings, Settings):
        settings = Settings(**settings.model_dump(exclude_unset=True))

    path = config_path(settings.mcp_config, settings.home)
    if path is None:
        return None
    key = str(path.resolve())
    with _lock:
        toolbox = _toolboxes.get(key)
        if toolbox is None:
            config = load_config(path)
            for line in config.warnings:
                log.warning("%s", line)
            toolbox = MCPToolbox(
                config.enabled(),
                call_timeout=settings.mcp_timeout,
                log_dir=settings.home / "logs",
                home=settings.home,
                elicitation_handler=_handlers.get("elicitation") or default_handler(),
                sampler=_handlers.get("sampler"),
            )
            toolbox.start(wait=False)
            _toolboxes[key] = toolbox
    return toolbox


def prestart(settings: Settings) -> None:
    """Start the configured servers now, without waiting; a broken config is left for ``configured_tools``."""
    from agent.mcp.config import MCPConfigError

    try:
        _toolbox(settings)
    except MCPConfigError:
        log.debug("MCP config not usable yet; configured_tools will report it", exc_info=True)


def serve_sampling(settings: Any) -> None:
    """When a configured server may sample (``"sampling": true``), serve it with the agent's model; the model
    is built only then.  The agent graph's runs serve it with their own model, within their bounds
    (:func:`agent.mcp.sampling.serve_in_run`); this sampler serves the other calls, at most
    ``max_model_calls`` requests per run."""
    from agent.mcp.config import MCPConfigError, config_path, load_config

    path = config_path(getattr(settings, "mcp_config", None), settings.home)
    try:
        wanted = path is not None and any(s.sampling for s in load_config(path).mcpServers.values() if not s.disabled)
    except MCPConfigError:
        return  # reported where the servers start
    if not wanted:
        return
    from agent.mcp.sampling import Sampler, from_chat_model
    from graphs.llm import chat_model_from_settings

    set_sampler(Sampler(from_chat_model(chat_model_from_settings(settings)), max_calls=settings.max_model_calls))


def configured_tools(settings: Settings) -> list[Any]:
    """LangChain tools of every configured MCP server (one shared toolbox per config file).

    Waits for the servers concurrently, each up to its startup_timeout; one
    that cannot start is reported (logged) by name and the others go on.
    """
    toolbox = _toolbox(settings)
    return [] if toolbox is None else toolbox.langchain_tools()


def close_all() -> None:
    with _lock:
        boxes = list(_toolboxes.values())
        _toolboxes.clear()
    for toolbox in boxes:
        toolbox.close()


atexit.register(close_all)

__all__ = ["close_all", "configured_tools", "prestart", "serve_sampling", "set_elicitation_handler", "set_sampler"]
