"""The graph's settings: the tools' settings plus planning, bounds, memory, context and the model.

Bounds come from :class:`graphs.bounds.Bounds` field by field (names, defaults,
limits, descriptions), so a new bound is a setting (``AGENT_MAX_...``) with
nothing to write here.  Only pydantic is imported, so reading settings stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, create_model, field_validator

from graphs.bounds import Bounds
from tools.settings import ToolSettings


class _GraphFields(ToolSettings):
    planning: Literal["auto", "always", "off"] = Field(
        default="auto", description="Ask the model for a plan: for multi-step tasks (auto), always, or never."
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
    context_strategy: str = Field(
        default="summary",
        description="How a long conversation is fitted into the model's context window: all, last_rounds, "
        "summary or recall (graphs.context.STRATEGIES).",
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
    fallback_model: str | None = Field(
        default=None, description="A second model tried when the first fails ('offline' for the offline model)."
    )
    price_in: float = Field(default=0.0, ge=0, description="Price per million input tokens.")
    price_out: float = Field(default=0.0, ge=0, description="Price per million output tokens.")

    @field_validator("context_strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        from graphs.context import STRATEGIES

        if value not in STRATEGIES:
            raise ValueError(f"unknown context strategy {value!r}; known: {', '.join(STRATEGIES)}")
        return value

    def resolved_checkpointer(self) -> str:
        """The checkpointer URL, defaulting to a SQLite file in ``home``."""
        return self.checkpointer or f"sqlite:///{self.home / 'checkpoints.sqlite'}"


def _bound_fields() -> dict[str, Any]:
    return {name: (info.annotation, info) for name, info in Bounds.model_fields.items()}


GraphSettings = create_model(  # type: ignore[call-overload]
    "GraphSettings",
    __base__=_GraphFields,
    __doc__="Everything that decides how the graph runs; the tools' settings included.",
    __module__=__name__,
    **_bound_fields(),
)

__all__ = ["GraphSettings"]
