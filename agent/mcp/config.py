"""The MCP client's configuration: the ``mcpServers`` JSON that Claude Desktop uses.

    {"mcpServers": {
        "primes": {"command": "python", "args": ["-m", "mcp_servers.primes"], "env": {"X": "${X}"}},
        "remote": {"url": "http://127.0.0.1:8765/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
        "oauth":  {"url": "https://mcp.example.com/mcp", "client_id": "agent", "client_secret": "${SECRET}"}}}

``${VAR}`` is replaced from the environment (or ``.env``) in ``env``,
``headers``, ``args``, ``url`` and ``client_secret``, so secrets stay out of
the file; an unset one is an error naming it.  Our own fields, all optional:
``timeout`` (seconds per call), ``startup_timeout`` (seconds the server may
take to start and list its tools; default 10), ``disabled``, ``sampling``
(let the server ask the agent's model for completions; default false) and
``protocol`` (``auto``, or ``2025-11-25`` to skip the newer revision's probe).

OAuth (streamable HTTP servers without an ``Authorization`` header): the
server says when it wants a login; ``python -m agent mcp login NAME`` does
the browser step once and the tokens are kept (see :mod:`agent.mcp.oauth`).
``client_id`` / ``client_secret`` name a pre-registered client (else the
client registers itself, or uses ``client_metadata_url`` where the server
supports client ID metadata documents); ``scope`` asks for scopes up front;
``grant: "client_credentials"`` (with ``client_id``/``client_secret`` and
optionally ``issuer``) logs in machine-to-machine, without a browser;
``redirect_uri`` fixes the loopback address a pre-registered client was
registered with; ``oauth: false`` turns all of it off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from tools.base import describe_validation_error
from tools.settings import UnsetVariable, expand_env


class MCPConfigError(ValueError):
    """The MCP config file is wrong; the message names the file and the field."""


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
    startup_timeout: float | None = Field(default=None, gt=0, le=600)
    disabled: bool = False
    sampling: bool = False
    protocol: Literal["auto", "2025-11-25", "2026-07-28"] = "auto"
    # the server's log notifications kept in its log file from this level up; each one is a message per call
    log_level: Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] = "warning"
    oauth: bool = True
    client_id: str | None = Field(default=None, min_length=1, max_length=2000)
    client_secret: str | None = Field(default=None, min_length=1, max_length=2000, repr=False)
    client_metadata_url: str | None = Field(default=None, max_length=2000)
    scope: str | None = Field(default=None, max_length=2000)
    grant: Literal["authorization_code", "client_credentials"] = "authorization_code"
    issuer: str | None = Field(default=None, max_length=2000)
    redirect_uri: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_transport(self) -> ServerConfig:
        if bool(self.command) == bool(self.url):
            raise ValueError("give either 'command' (stdio) or 'url' (streamable HTTP)")
        if self.grant == "client_credentials" and not (self.client_id and self.client_secret):
            raise ValueError("grant 'client_credentials' needs 'client_id' and 'client_secret'")
        if self.client_secret and not self.client_id:
            raise ValueError("'client_secret' needs the 'client_id' it belongs to")
        if self.redirect_uri is not None and not _loopback_redirect(self.redirect_uri):
            raise ValueError("'redirect_uri' must be http://127.0.0.1:PORT/PATH or http://localhost:PORT/PATH")
        return self

    def expanded(self) -> ServerConfig:
        """A copy with ``${VAR}`` replaced from the environment (or ``.env``); unset ones are errors."""
        return self.model_copy(
            update={
                "args": [expand_env(a) for a in self.args],
                "env": {k: expand_env(v) for k, v in self.env.items()},
                "headers": {k: expand_env(v) for k, v in self.headers.items()},
                "url": expand_env(self.url) if self.url else None,
                "client_secret": expand_env(self.client_secret) if self.client_secret else None,
            }
        )

    @property
    def has_authorization_header(self) -> bool:
        return any(name.lower() == "authorization" for name in self.headers)

    @property
    def uses_oauth(self) -> bool:
        """Would the client answer a 401 from this server with OAuth? (HTTP, no fixed Authorization header.)"""
        return bool(self.url) and self.oauth and not self.has_authorization_header

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"


def _loopback_redirect(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and port is not None


class MCPConfig(BaseModel):
    mcpServers: dict[str, ServerConfig] = Field(default_factory=dict)  # noqa: N815 - the file's own key
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Lines about a file that loaded but probably does not say what its author meant."""
        return self._warnings

    def enabled(self) -> dict[str, ServerConfig]:
        """The servers to start, with ``${VAR}`` expanded; an unset variable names its server."""
        servers = {}
        for name, config in self.mcpServers.items():
            if config.disabled:
                continue
            try:
                servers[name] = config.expanded()
            except UnsetVariable as err:
                raise MCPConfigError(f"MCP server '{name}': {err}") from None
        return servers


def load_config(path: Path) -> MCPConfig:
    try:
        raw: Any = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MCPConfigError(f"MCP config {path}: no such file") from None
    except (OSError, ValueError) as err:
        raise MCPConfigError(f"MCP config {path}: not valid JSON ({err})") from None
    try:
        config = MCPConfig.model_validate(raw)
    except ValidationError as err:
        problems = describe_validation_error(err, whole="(file)")
        raise MCPConfigError(f"MCP config {path}: {problems}") from None
    if isinstance(raw, dict) and "mcpServers" not in raw:
        found = f" (it has {', '.join(repr(k) for k in list(raw)[:5])})" if raw else ""
        expected = '{"mcpServers": {"name": {"command": ...}}}'
        config.warnings.append(
            f'MCP config {path}: no "mcpServers" key{found}; expected {expected}, so no MCP server is configured'
        )
    return config


def config_path(mcp_config: Path | None, home: Path) -> Path | None:
    """The file to read: the setting, else ``mcp.json`` in AGENT_HOME when it exists."""
    if mcp_config is not None:
        return Path(mcp_config).expanduser()
    default = home / "mcp.json"
    return default if default.exists() else None


__all__ = ["MCPConfig", "MCPConfigError", "ServerConfig", "config_path", "load_config"]
