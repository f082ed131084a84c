"""The application's settings, the ones the CLI reads: the graph's and the tools', plus the MCP client's.

Every ``AGENT_*`` variable is read here, flags on the command line override
them; each layer below reads only its own part (``graphs.settings``, ``tools.settings``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from graphs.settings import GraphSettings


class Settings(GraphSettings):  # type: ignore[misc, valid-type]
    """Every knob of the framework."""

    # --- MCP client ----------------------------------------------------------
    mcp_config: Path | None = Field(
        default=None, description="An mcpServers JSON file. Default: mcp.json in AGENT_HOME when it exists."
    )
    mcp_timeout: float = Field(default=30.0, gt=0, le=3600, description="Seconds one MCP tool call may take.")

    # --- the service (python -m agent serve) ----------------------------------
    api_token: SecretStr | None = Field(
        default=None, description="Bearer token every request to the service needs (required beyond loopback)."
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS (none: CORS off).")
    redis_url: str | None = Field(
        default=None, description="Redis for run events and wake-ups between replicas (redis://127.0.0.1:6379/0)."
    )
    service_max_runs: int = Field(default=16, ge=1, le=1000, description="Runs one replica executes at once.")
    service_lease: float = Field(
        default=30.0, ge=2, le=3600, description="Seconds a replica's claim on a run lasts without renewal."
    )
    service_graphs: Path | None = Field(
        default=None,
        description="A langgraph.json-shaped file naming the graphs to serve (default: the agent graph).",
    )
    service_max_body_bytes: int = Field(
        default=1_000_000, ge=1024, le=100_000_000, description="Largest request body the service accepts."
    )


__all__ = ["Settings"]
