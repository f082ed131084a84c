"""The application's settings, the ones the CLI reads: the graph's and the tools', plus the MCP client's.

Every ``AGENT_*`` variable is read here, flags on the command line override
them; each layer below reads only its own part (``graphs.settings``, ``tools.settings``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator

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
    thread_ttl: str | None = Field(
        default=None,
        description="Threads untouched this long are deleted by 'agent threads prune' (30d, 12h, 90m or seconds).",
    )
    service_max_body_bytes: int = Field(
        default=1_000_000, ge=1024, le=100_000_000, description="Largest request body the service accepts."
    )

    @field_validator("thread_ttl")
    @classmethod
    def _age(cls, value: str | None) -> str | None:
        if value is not None:
            parse_age(value)
        return value


_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_AGE = re.compile(r"\s*(\d{1,9}(?:\.\d{1,6})?)\s*([smhdw]?)\s*", re.IGNORECASE)


def parse_age(text: str) -> dt.timedelta:
    """'30d', '12h', '90m', '45s' or plain seconds; a clear error naming the forms otherwise."""
    match = _AGE.fullmatch(text)
    if match is None or float(match[1]) <= 0:
        raise ValueError(f"age {text[:40]!r}: write a positive number with s, m, h, d or w (30d, 12h)")
    return dt.timedelta(seconds=float(match[1]) * _UNITS[match[2].lower()])


__all__ = ["Settings", "parse_age"]
