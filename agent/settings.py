"""The application's settings, the ones the CLI reads: the graph's and the tools', plus the MCP client's.

Every ``AGENT_*`` variable is read here, flags on the command line override
them; each layer below reads only its own part (``graphs.settings``, ``tools.settings``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from graphs.settings import GraphSettings


class Settings(GraphSettings):  # type: ignore[misc, valid-type]
    """Every knob of the framework."""

    # --- MCP client ----------------------------------------------------------
    mcp_config: Path | None = Field(
        default=None, description="An mcpServers JSON file. Default: mcp.json in AGENT_HOME when it exists."
    )
    mcp_timeout: float = Field(default=30.0, gt=0, le=3600, description="Seconds one MCP tool call may take.")


__all__ = ["Settings"]
