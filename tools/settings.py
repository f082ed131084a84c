"""The one settings model of the project, read from ``AGENT_*`` variables and ``.env``.

It lives in the bottom package so that the CLI (``agent``), the graph builder
(``graphs``) and the MCP servers (``mcp_servers``) can all read it while the
import arrows keep pointing one way.  Tool *functions* never read it: the
registry hands them their configuration as arguments.

Only pydantic-settings and platformdirs are imported here, so reading the
settings stays cheap (``python -m agent --help`` must be instant).
"""

from __future__ import annotations

from pathlib import Path
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "langgraph-mcp-agent"


def default_home() -> Path:
    """The platform's user data directory (XDG on Linux, ~/Library on macOS...)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


class Settings(BaseSettings):
    """Every knob of the framework. Flags on the command line override these."""

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

    # --- calculator and primes --------------------------------------------
    calc_timeout: float = Field(default=3.0, gt=0, le=120, description="Seconds one calculation may run.")
    prime_max_digits: int = Field(default=1000, ge=1, le=100_000, description="Largest number of digits the prime tool accepts.")
    prime_factor_timeout: float = Field(default=3.0, gt=0, le=120, description="Seconds spent trying to factor a composite.")

    # --- web search --------------------------------------------------------
    search_timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds per web search request.")
    search_retries: int = Field(default=2, ge=0, le=10, description="Retries when the search provider rate-limits us.")
    search_region: str = Field(default="wt-wt", description="Default search region, e.g. us-en, cn-zh, wt-wt (no region).")

    # --- secrets never printed --------------------------------------------
    mcp_token: SecretStr | None = Field(
        default=None,
        description="Bearer token our MCP HTTP servers require (always when bound beyond loopback).",
    )

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the demo SQLite database in ``home``."""
        return self.database_url or f"sqlite:///{self.home / 'demo.sqlite'}"


__all__ = ["APP_NAME", "Settings", "default_home"]
