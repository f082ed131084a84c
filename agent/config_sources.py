"""Where each setting's value came from: a flag, the environment, ``.env``, or the default.

The same order pydantic-settings reads them in (flags are its init arguments,
then environment variables, then ``.env``, then defaults); variable names are
matched without regard to case, as the settings read them.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

# Flags whose names are not ``--`` + the setting's name with dashes.
FLAG_NAMES = {"model_config_path": "--model-config", "database_write": "--allow-write", "context_strategy": "--context"}
# What a default means when the value shown is derived from it.
DEFAULT_NOTES = {
    "home": "the platform's user data directory",
    "database_url": "the demo SQLite database in AGENT_HOME",
    "checkpointer": "checkpoints.sqlite in AGENT_HOME",
}


def dotenv_file() -> dict[str, str | None]:
    """The variables of ``./.env`` (the file the settings read), or none."""
    if not Path(".env").is_file():
        return {}
    from dotenv import dotenv_values

    return dict(dotenv_values(".env"))


def variable_names(settings_type: type, name: str) -> list[str]:
    """The environment variables a setting is read from (its aliases, else AGENT_ + its name)."""
    field = settings_type.model_fields[name]  # type: ignore[attr-defined]
    alias = field.validation_alias
    if alias is not None:
        choices = getattr(alias, "choices", [alias])
        return [c.upper() for c in choices if isinstance(c, str)]
    prefix = settings_type.model_config.get("env_prefix", "")  # type: ignore[attr-defined]
    return [f"{prefix}{name}".upper()]


def setting_sources(settings: Any, flags: Collection[str] = (), mcp_found: bool = False) -> dict[str, dict[str, str]]:
    """For each setting: ``{"from": "flag" | "environment" | ".env" | "default"}``, with ``name``
    (the flag or the variable) and, for defaults that are derived, ``note``."""
    environ = {key.upper() for key in os.environ}
    dotenv = {key.upper() for key in dotenv_file()}
    kind = type(settings)
    sources: dict[str, dict[str, str]] = {}
    for name in kind.model_fields:
        names = variable_names(kind, name)
        if name in flags:
            sources[name] = {"from": "flag", "name": FLAG_NAMES.get(name, "--" + name.replace("_", "-"))}
        elif found := next((n for n in names if n in environ), None):
            sources[name] = {"from": "environment", "name": found}
        elif found := next((n for n in names if n in dotenv), None):
            sources[name] = {"from": ".env", "name": found}
        else:
            sources[name] = {"from": "default"}
            if name in DEFAULT_NOTES:
                sources[name]["note"] = DEFAULT_NOTES[name]
    if sources.get("mcp_config", {}).get("from") == "default":
        sources["mcp_config"]["note"] = "mcp.json in AGENT_HOME" if mcp_found else "no mcp.json in AGENT_HOME"
    return sources


def describe_source(source: dict[str, str]) -> str:
    """``environment AGENT_MODEL``, ``flag --model``, ``.env AGENT_MODEL``, ``default: note``."""
    text = source["from"] + (f" {source['name']}" if "name" in source else "")
    return text + (f": {source['note']}" if "note" in source else "")


__all__ = ["describe_source", "dotenv_file", "setting_sources", "variable_names"]
