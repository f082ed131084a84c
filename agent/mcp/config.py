"""The MCP client's configuration: the ``mcpServers`` JSON that Claude Desktop uses.

    {"mcpServers": {
        "primes": {"command": "python", "args": ["-m", "mcp_servers.primes"], "env": {"X": "${X}"}},
        "remote": {"url": "http://127.0.0.1:8765/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}}}}

``${VAR}`` is replaced from the environment in ``env``, ``headers``, ``args``
and ``url``, so secrets stay out of the file.  Our own fields, all optional:
``timeout`` (seconds per call) and ``disabled``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

_VAR = re.compile(r"\$\{(\w+)\}")


class MCPConfigError(ValueError):
    """The MCP config file is wrong; the message names the file and the field."""


def expand(value: str) -> str:
    return _VAR.sub(lambda m: os.environ.get(m.group(1), ""), value)


class ServerConfig(BaseModel):
    """One server: ``command`` (stdio) or ``url`` (streamable HTTP)."""

    model_config = ConfigDict(extra="ignore")

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float | None = Field(default=None, gt=0)
    disabled: bool = False

    @model_validator(mode="after")
    def _one_transport(self) -> ServerConfig:
        if bool(self.command) == bool(self.url):
            raise ValueError("give either 'command' (stdio) or 'url' (streamable HTTP)")
        return self

    def expanded(self) -> ServerConfig:
        """A copy with ``${VAR}`` replaced from the environment."""
        return self.model_copy(
            update={
                "args": [expand(a) for a in self.args],
                "env": {k: expand(v) for k, v in self.env.items()},
                "headers": {k: expand(v) for k, v in self.headers.items()},
                "url": expand(self.url) if self.url else None,
            }
        )

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"


class MCPConfig(BaseModel):
    mcpServers: dict[str, ServerConfig] = Field(default_factory=dict)  # noqa: N815 - the file's own key

    def enabled(self) -> dict[str, ServerConfig]:
        return {name: cfg.expanded() for name, cfg in self.mcpServers.items() if not cfg.disabled}


def load_config(path: Path) -> MCPConfig:
    try:
        raw: Any = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MCPConfigError(f"MCP config {path}: no such file") from None
    except (OSError, ValueError) as err:
        raise MCPConfigError(f"MCP config {path}: not valid JSON ({err})") from None
    try:
        return MCPConfig.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors(include_url=False))
        raise MCPConfigError(f"MCP config {path}: {problems}") from None


def config_path(mcp_config: Path | None, home: Path) -> Path | None:
    """The file to read: the setting, else ``mcp.json`` in AGENT_HOME when it exists."""
    if mcp_config is not None:
        return Path(mcp_config).expanduser()
    default = home / "mcp.json"
    return default if default.exists() else None


__all__ = ["MCPConfig", "MCPConfigError", "ServerConfig", "config_path", "expand", "load_config"]
