"""Settings, read from ``AGENT_*`` variables and ``.env``: the tools' part, and the helpers all parts use.

Each layer owns the settings it uses: :class:`ToolSettings` here,
``graphs.settings.GraphSettings`` (the graph: bounds, context, models) extends
it, and ``agent.settings.Settings`` (the MCP client, the service) extends that;
the CLI reads the last, so every ``AGENT_*`` name works everywhere it did.
Tool *functions* never read settings: the registry hands them their
configuration as arguments.

Only pydantic-settings and platformdirs are imported here, so reading the
settings stays cheap (``python -m agent --help`` must be instant).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "langgraph-mcp-agent"


class UnsetVariable(ValueError):
    """A ``${VAR}`` names an environment variable that is not set."""

    def __init__(self, name: str) -> None:
        super().__init__(f"environment variable {name} is not set")
        self.name = name


_VAR = re.compile(r"\$\{(\w+)\}")


def env_value(name: str) -> str | None:
    """A variable from the environment, else from ``.env`` (as the settings read it)."""
    if name in os.environ:
        return os.environ[name]
    from dotenv import dotenv_values

    return dotenv_values(".env").get(name) if Path(".env").is_file() else None


def expand_env(value: str) -> str:
    """``${VAR}`` replaced from the environment (or ``.env``); an unset one is an error naming it."""

    def one(match: re.Match[str]) -> str:
        found = env_value(match.group(1))
        if found is None:
            raise UnsetVariable(match.group(1))
        return found

    return _VAR.sub(one, value)


def default_home() -> Path:
    """The platform's user data directory (XDG on Linux, ~/Library on macOS...)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


class ToolSettings(BaseSettings):
    """The tools' settings, and where the data lives. The graph's and the application's extend it."""

    model_config = SettingsConfigDict(
        env_prefix="AGENT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- where things live -------------------------------------------------
    home: Path = Field(
        default_factory=default_home,
        description="Data directory: checkpoints, the demo database, the MCP config.",
    )

    # --- database tool -----------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="Database for the database tool: a SQLite path or sqlite:/// URL, or "
        "postgresql://... (needs the 'postgres' extra). Default: a demo SQLite database "
        "created in AGENT_HOME.",
    )
    database_write: bool = Field(
        default=False,
        description="Allow the database tool to write. Off by default; when on, "
        "writing calls are marked destructive and need approval.",
    )
    database_row_limit: int = Field(default=200, ge=1, le=100_000, description="Rows returned per query at most.")
    database_timeout: float = Field(default=5.0, gt=0, le=600, description="Seconds a query may run.")
    database_role: str | None = Field(
        default=None,
        max_length=63,
        description="PostgreSQL: a role each query runs as (SET LOCAL ROLE), e.g. a NOLOGIN role holding "
        "pg_read_all_data; the safe setup when the URL's user can do more.",
    )

    # --- calculator and primes --------------------------------------------
    calc_timeout: float = Field(default=3.0, gt=0, le=120, description="Seconds one calculation may run.")
    prime_max_digits: int = Field(
        default=1000, ge=1, le=100_000, description="Largest number of digits the prime tool accepts."
    )
    prime_factor_timeout: float = Field(
        default=3.0, gt=0, le=120, description="Seconds spent trying to factor a composite."
    )

    # --- web search --------------------------------------------------------
    search_timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds per web search request.")
    search_retries: int = Field(default=2, ge=0, le=10, description="Retries when the search provider rate-limits us.")
    search_engine: str = Field(
        default="duckduckgo",
        description="ddgs engine: duckduckgo, or auto (ddgs tries several engines: wikipedia, brave, mojeek, ...).",
    )
    search_region: str = Field(
        default="wt-wt", description="Default search region, e.g. us-en, cn-zh, wt-wt (no region)."
    )

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the demo SQLite database in ``home``."""
        return self.database_url or f"sqlite:///{self.home / 'demo.sqlite'}"


__all__ = ["APP_NAME", "ToolSettings", "UnsetVariable", "default_home", "env_value", "expand_env"]
