"""``agent config`` and ``agent tools``, and masking secrets wherever text leaves the process."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

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


def effective_config(settings: Any) -> dict[str, Any]:
    """Everything that decides how the agent runs; no secret in it."""
    from graphs.llm import ModelConfigError, choose_model

    data = settings.model_dump(mode="json")
    data["database_url"] = mask_url(settings.resolved_database_url())
    data["checkpointer"] = mask_url(settings.resolved_checkpointer())
    try:
        choice = choose_model(settings)
        model: dict[str, Any] = (
            {"provider": "offline", "model": "offline"}
            if choice is None
            else {
                "provider": choice.provider,
                "model": choice.model,
                "endpoint": choice.endpoint,
                "api_key": "set (hidden)" if choice.api_key else "not set",
                "context_window": choice.context_window,
                "price_in": choice.price_in,
                "price_out": choice.price_out,
            }
        )
    except ModelConfigError as err:
        model = {"error": str(err)}
    data["model_in_use"] = model
    data["environment"] = {name: ("set (hidden)" if os.environ.get(name) else "not set") for name in SECRET_ENV}
    return data


def show_config(settings: Any, as_json: bool = False) -> int:
    data = effective_config(settings)
    if as_json:
        print(mask_secrets(json.dumps(data, ensure_ascii=False, default=str), settings))
        return 0
    for key, value in data.items():
        shown = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict | list) else value
        print(mask_secrets(f"{key:22} {shown}", settings))
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
    for row in rows:
        flag = " [destructive: asks for approval]" if row["destructive"] else ""
        summary = row["description"].splitlines()[0] if row["description"] else ""
        print(f"{row['name']}  ({row['source']}){flag}\n  {summary}")
        print("  args: " + json.dumps(row["input_schema"].get("properties", {}), ensure_ascii=False)[:400])
    return 0


__all__ = ["effective_config", "mask_secrets", "secret_values", "show_config", "show_tools"]
