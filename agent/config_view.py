"""``agent config`` and ``agent tools``, and masking secrets wherever text leaves the process."""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

from agent.config_sources import describe_source, dotenv_file, setting_sources
from tools.redact import mask_url, redact

SECRET_ENV = (
    "OPENAI_API_KEY",
    "DASHSCOPE_API_KEY",
    "DEEPSEEK_API_KEY",
    "VLLM_API_KEY",
    "LANGSMITH_API_KEY",
    "AGENT_MCP_TOKEN",
)


def secret_values(settings: Any) -> list[str]:
    """Every secret this process knows of: provider keys, the MCP token, passwords in URLs, the model's key."""
    from graphs.llm import ModelConfigError, choose_model
    from tools.settings import env_value

    values = [env_value(name) or "" for name in SECRET_ENV]
    urls = [
        getattr(settings, "database_url", None),
        getattr(settings, "checkpointer", None),
        env_value("OPENAI_BASE_URL"),
    ]
    try:
        choice = choose_model(settings)
    except ModelConfigError:
        choice = None
    if choice is not None:
        urls.append(choice.base_url)
        if choice.api_key:
            values.append(choice.api_key.get_secret_value())
    values += [password for url in urls if url and (password := urlsplit(url).password)]
    return [v for v in values if v and len(v) >= 4]


def mask_secrets(text: str, settings: Any) -> str:
    return redact(text, secret_values(settings))


def model_label(settings: Any, name: str | None = None) -> str:
    """Which model answers: ``offline`` or ``provider:name``; never a key or a URL.

    ``name`` picks another model the way ``--model`` does (the fallback's ``AGENT_FALLBACK_MODEL``).
    """
    from graphs.llm import ModelConfigError, choose_model

    if name is not None:
        settings = settings.model_copy(update={"model": name, "model_config_path": None})
    try:
        choice = choose_model(settings)
    except ModelConfigError:
        return "unknown"
    return "offline" if choice is None else mask_secrets(f"{choice.provider}:{choice.model}", settings)


def fallback_label(settings: Any) -> str:
    """The fallback model's label, or "" when none is set."""
    name = getattr(settings, "fallback_model", None)
    return model_label(settings, name) if name else ""


def _model_in_use(settings: Any) -> dict[str, Any]:
    from graphs.llm import ModelConfigError, choose_model

    try:
        choice = choose_model(settings)
    except ModelConfigError as err:
        return {"error": str(err)}
    if choice is None:
        return {"provider": "offline", "model": "offline"}
    return {
        "provider": choice.provider,
        "model": choice.model,
        "endpoint": choice.endpoint,
        "api_key": "set (hidden)" if choice.api_key else "not set",
        "context_window": choice.context_window,
        "price_in": choice.price_in,
        "price_out": choice.price_out,
    }


def secret_env_state(name: str) -> str:
    """Whether a key is set, and where; never its value."""
    if os.environ.get(name):
        return "set in environment"
    return "set in .env" if dotenv_file().get(name) else "not set"


def effective_config(settings: Any, flags: Collection[str] = ()) -> dict[str, Any]:
    """Everything that decides how the agent runs, and where each value came from; no secret in it."""
    from agent.mcp.config import config_path

    data = settings.model_dump(mode="json")
    data["database_url"] = mask_url(settings.resolved_database_url())
    data["checkpointer"] = mask_url(settings.resolved_checkpointer())
    mcp = config_path(getattr(settings, "mcp_config", None), settings.home)
    data["mcp_config"] = str(mcp) if mcp is not None else None
    data["model_in_use"] = _model_in_use(settings)
    data["environment"] = {name: secret_env_state(name) for name in SECRET_ENV}
    data["sources"] = setting_sources(settings, flags, mcp_found=mcp is not None)
    return data


def show_config(settings: Any, as_json: bool = False, flags: Collection[str] = ()) -> int:
    data = effective_config(settings, flags)
    if as_json:
        print(mask_secrets(json.dumps(data, ensure_ascii=False, default=str), settings))
        return 0
    sources = data.pop("sources")
    environment = data.pop("environment")
    lines = []
    for key, value in data.items():
        shown = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict | list) else value
        source = f"  ({describe_source(sources[key])})" if key in sources else ""
        lines.append(f"{key:22} {shown}{source}")
    lines += [f"{name:22} {state}" for name, state in environment.items()]
    print(mask_secrets("\n".join(lines), settings))
    return 0


def show_tools(settings: Any, as_json: bool = False) -> int:
    from graphs.builder import default_tools
    from graphs.validate import schema_of

    tools = default_tools(settings)
    rows = [
        {
            "name": t.name,
            "description": t.description,
            "destructive": bool((t.metadata or {}).get("destructive")),
            "source": (t.metadata or {}).get("mcp_server", "function"),
            "input_schema": schema_of(t),
        }
        for t in tools
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    from agent.tools_view import output_width, tool_lines

    width = output_width()
    print("\n\n".join("\n".join(tool_lines(row, width)) for row in rows))
    return 0


__all__ = [
    "effective_config",
    "fallback_label",
    "mask_secrets",
    "model_label",
    "secret_values",
    "show_config",
    "show_tools",
]
