"""The one settings model of the project, read from ``AGENT_*`` variables and ``.env``.

It lives in the bottom package so that the CLI (``agent``), the graph builder
(``graphs``) and the MCP servers (``mcp_servers``) can all read it while the
import arrows keep pointing one way.  Tool *functions* never read it: the
registry hands them their configuration as arguments.

Only pydantic-settings and platformdirs are imported here, so reading the
settings stays cheap (``python -m agent --help`` must be instant).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
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

    # --- the graph: planning, bounds, tool execution ----------------------
    planning: Literal["auto", "always", "off"] = Field(
        default="auto", description="Ask the model for a plan: for multi-step tasks (auto), always, or never."
    )
    max_model_calls: int = Field(default=12, ge=1, le=1000, description="Model calls per run.")
    max_tool_calls: int = Field(default=24, ge=0, le=10_000, description="Tool calls per run, all tools together.")
    max_calls_per_tool: int = Field(default=10, ge=1, le=10_000, description="Calls of any one tool per run.")
    max_repeats: int = Field(
        default=2, ge=1, le=100, description="How often the very same call (tool and arguments) may run per run."
    )
    max_validation_retries: int = Field(
        default=3, ge=0, le=50, description="Corrective retries after invalid tool calls."
    )
    max_seconds: float = Field(default=300.0, gt=0, description="Wall-clock seconds per run.")
    max_tokens: int = Field(default=200_000, ge=1, description="Model tokens (input + output) per run.")
    max_cost: float = Field(
        default=1.0, ge=0, description="Model cost per run, in the currency of the prices; 0 means no limit."
    )
    tool_timeout: float = Field(default=30.0, gt=0, le=3600, description="Seconds one tool call may take.")
    tool_result_chars: int = Field(
        default=8000, ge=200, le=1_000_000, description="Characters of a tool result the model sees."
    )

    # --- memory --------------------------------------------------------------
    checkpointer: str | None = Field(
        default=None,
        description="Where threads are saved: 'memory:', a SQLite path or sqlite:/// URL, or "
        "postgresql://... Default: checkpoints.sqlite in AGENT_HOME.",
    )
    thread_wait: float = Field(
        default=30.0,
        ge=0,
        le=86_400,
        description="Seconds a run waits for its thread while another run (any process) holds it; "
        "0 refuses at once with 'thread T is busy'.",
    )
    context_strategy: Literal["all", "last_rounds", "summary", "recall"] = Field(
        default="summary", description="How a long conversation is fitted into the model's context window."
    )
    context_rounds: int = Field(default=8, ge=1, le=1000, description="Rounds kept verbatim by last_rounds and recall.")
    context_window: int = Field(
        default=32_000, ge=512, description="The model's context window in tokens (a model config's input_tokens wins)."
    )
    summary_threshold: float = Field(
        default=0.7, gt=0.05, lt=1.0, description="Share of the window that triggers a rolling summary."
    )
    embedding_model: str | None = Field(
        default=None,
        description="Embedding model for recall, served by the configured OpenAI-compatible endpoint. "
        "Default: a local deterministic embedding.",
    )
    recall_k: int = Field(default=3, ge=1, le=50, description="Earlier rounds recalled by similarity.")

    # --- models --------------------------------------------------------------
    model: str | None = Field(
        default=None, description="Model name; with no model and no key the offline model answers."
    )
    provider: str | None = Field(default=None, description="openai, dashscope, deepseek, ollama, vllm or a base URL.")
    model_config_path: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("AGENT_MODEL_CONFIG", "model_config_path"),
        description="A model JSON file (model_type, server_type, model, url, api_key, pay_in, pay_out, ...).",
    )
    fallback_model: str | None = Field(default=None, description="A second model tried when the first fails.")
    price_in: float = Field(default=0.0, ge=0, description="Price per million input tokens.")
    price_out: float = Field(default=0.0, ge=0, description="Price per million output tokens.")

    # --- MCP client ----------------------------------------------------------
    mcp_config: Path | None = Field(
        default=None, description="An mcpServers JSON file. Default: mcp.json in AGENT_HOME when it exists."
    )
    mcp_timeout: float = Field(default=30.0, gt=0, le=3600, description="Seconds one MCP tool call may take.")

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

    def resolved_checkpointer(self) -> str:
        """The checkpointer URL, defaulting to a SQLite file in ``home``."""
        return self.checkpointer or f"sqlite:///{self.home / 'checkpoints.sqlite'}"


__all__ = ["APP_NAME", "Settings", "UnsetVariable", "default_home", "env_value", "expand_env"]
