"""OAuth 2.1 for streamable HTTP servers: the SDK's providers, with our token storage and login policy.

The flow itself is the mcp SDK's (:class:`~mcp.client.auth.OAuthClientProvider`):
protected-resource and authorization-server metadata discovery (OAuth and
OpenID), PKCE with S256, dynamic client registration or a client ID
metadata document, scope step-up from ``WWW-Authenticate``, refresh, and the
``iss`` checks.  Machine-to-machine servers (``grant: "client_credentials"``)
use its :class:`~mcp.client.auth.extensions.client_credentials.ClientCredentialsOAuthProvider`.
What is ours:

* :class:`TokenStore`: one file per server in ``AGENT_HOME/mcp-auth`` (directory
  0700, file 0600, written atomically), holding per issuer the tokens, the
  registered client and the authorization server's metadata.  The metadata
  and the expiry come back when the agent starts again, so an expired access
  token is refreshed at the right token endpoint instead of sending the user
  back to the browser.  Nothing in it is ever printed or logged; ``status()``
  reports only whether there are tokens, for which issuer, until when.
* The login policy: a run of the agent never opens a browser.  When a server
  needs the browser step, the connection fails with :class:`LoginRequired`
  ("run python -m agent mcp login NAME"); ``mcp login`` (or a program that
  passes a ``browser``) does it with a loopback redirect (:mod:`agent.mcp.loopback`).
* Pre-registered clients: ``client_id``/``client_secret`` from the server's
  config entry take the place of registration and are never written to disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from agent.mcp.config import ServerConfig

log = logging.getLogger("agent.mcp")

AUTH_DIR = "mcp-auth"
CLIENT_NAME = "langgraph-mcp-agent"
Browser = Callable[[str], Awaitable[None]]
"""Shows the user an authorization URL (opens a browser, prints it, or, in tests, fetches it)."""


class LoginRequired(RuntimeError):
    """A server needs the browser step, and this run cannot do it; the message says what to run."""

    def __init__(self, server: str) -> None:
        super().__init__(f"it needs a login: run `python -m agent mcp login {server}`")
        self.server = server


def token_path(home: Path, server: str, url: str) -> Path:
    """``AGENT_HOME/mcp-auth/<name>-<hash of the URL>.json``: a new URL under an old name starts afresh."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", server).lstrip(".")[:80] or "server"
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return home / AUTH_DIR / f"{safe}-{digest}.json"


@contextlib.contextmanager
def _private_umask() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


class TokenStore:
    """The SDK's ``TokenStorage`` over one private JSON file (see the module docstring)."""

    def __init__(self, path: Path, server: str, url: str, fixed_client: Any | None = None) -> None:
        self.path, self.server, self.url = path, server, url
        self.fixed_client = fixed_client  # a pre-registered client from the config: never stored
        self.context: Any = None  # the provider's OAuthContext, bound once the provider exists

    def __repr__(self) -> str:  # never the tokens
        return f"TokenStore({self.server!r}, {str(self.path)!r})"

    # --- the file ------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            log.warning("MCP server '%s': its token file %s is unreadable (%s); a new login is needed",
                        self.server, self.path, type(err).__name__)  # fmt: skip
            return {}
        return data if isinstance(data, dict) and data.get("url") == self.url else {}

    def _write(self, data: dict[str, Any]) -> None:
        with _private_umask():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.path.parent, 0o700)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _issuer(self) -> str | None:
        context = self.context
        if context is None:
            return None
        metadata = getattr(context, "oauth_metadata", None)
        if metadata is not None:
            return str(metadata.issuer)
        return getattr(context, "auth_server_url", None)

    def _entry(self, data: dict[str, Any]) -> dict[str, Any]:
        current = data.get("current")
        entry = data.get("issuers", {}).get(current) if current else None
        return entry if isinstance(entry, dict) else {}

    def _update(self, **fields: Any) -> None:
        data = self._read() or {"version": 1, "server": self.server, "url": self.url, "issuers": {}}
        issuer = self._issuer() or data.get("current") or "unknown"
        entry = data.setdefault("issuers", {}).setdefault(issuer, {})
        entry.update(fields, updated=time.time())
        context = self.context
        if context is not None and getattr(context, "oauth_metadata", None) is not None:
            entry["authorization_server"] = context.oauth_metadata.model_dump(mode="json", exclude_none=True)
        if context is not None and getattr(context, "auth_server_url", None):
            entry["auth_server_url"] = context.auth_server_url
        data["current"] = issuer
        self._write(data)

    # --- TokenStorage ----------------------------------------------------------------------
    async def get_tokens(self) -> Any | None:
        from mcp.shared.auth import OAuthToken

        raw = self._entry(self._read()).get("tokens")
        try:
            return OAuthToken.model_validate(raw) if raw else None
        except ValueError:
            return None

    async def set_tokens(self, tokens: Any) -> None:
        expires_at = time.time() + tokens.expires_in if tokens.expires_in else None
        self._update(tokens=tokens.model_dump(mode="json", exclude_none=True), expires_at=expires_at)

    async def get_client_info(self) -> Any | None:
        if self.fixed_client is not None:
            return self.fixed_client
        from mcp.shared.auth import OAuthClientInformationFull

        raw = self._entry(self._read()).get("client")
        try:
            return OAuthClientInformationFull.model_validate(raw) if raw else None
        except ValueError:
            return None

    async def set_client_info(self, client_info: Any) -> None:
        if self.fixed_client is not None and client_info.client_id == self.fixed_client.client_id:
            return  # the config has it; its secret stays out of the file
        self._update(client=client_info.model_dump(mode="json", exclude_none=True))

    # --- what the provider restores, and what we report --------------------------------------
    def restored(self) -> dict[str, Any]:
        """The current issuer's expiry and metadata, for a provider starting again."""
        return self._entry(self._read())

    def forget_tokens(self) -> None:
        """Drop the tokens, keep the client registration (``mcp login`` starts from here)."""
        data = self._read()
        for entry in data.get("issuers", {}).values():
            entry.pop("tokens", None)
            entry.pop("expires_at", None)
        if data:
            self._write(data)

    def forget_client(self) -> None:
        """Drop the registered client (and its tokens): the next login registers again."""
        data = self._read()
        if data:
            data["issuers"] = {}
            data.pop("current", None)
            self._write(data)

    def clear(self) -> bool:
        """Delete the file (``mcp logout``); True when there was one."""
        try:
            self.path.unlink()
            return True
        except FileNotFoundError:
            return False

    def status(self) -> dict[str, Any]:
        """Whether there are tokens, for which issuer, until when, with which scope: never a token."""
        data = self._read()
        entry = self._entry(data)
        tokens = entry.get("tokens") or {}
        return {
            "logged_in": bool(tokens.get("access_token")),
            "issuer": data.get("current"),
            "expires_at": entry.get("expires_at"),
            "refreshable": bool(tokens.get("refresh_token")),
            "scope": tokens.get("scope"),
        }


class _QuietFlowErrors(logging.Filter):
    """The SDK logs a failed OAuth flow or refresh with a traceback; Python's last-resort handler would print it.

    The connection's failure is reported once, in one line, by the toolbox.
    Here such a record goes to our log file (``agent.mcp`` at INFO) as the
    error's type only: a refresh response that fails to parse carries token
    text in its error message, and nothing may print or store a token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info:
            return True
        error = record.exc_info[1]
        if not isinstance(error, LoginRequired):
            log.info("OAuth: %s (%s)", record.getMessage(), type(error).__name__)
        return False


_FILTER = _QuietFlowErrors()
logging.getLogger("mcp.client.auth.oauth2").addFilter(_FILTER)


def _restoring(base: type) -> type:
    """A provider class that, on start, restores the stored expiry and authorization server metadata.

    Without this the SDK treats a stored token as valid until the server says
    401, and then starts the whole browser flow instead of refreshing, at a
    token endpoint it no longer knows.  ``_initialize`` is the SDK's own hook
    for loading storage; ``tests/test_mcp_oauth.py`` fails if it moves.
    """

    class Restoring(base):  # type: ignore[valid-type, misc]
        async def _initialize(self) -> None:
            await super()._initialize()
            from mcp.shared.auth import OAuthMetadata

            stored = self.context.storage.restored()
            self.context.token_expiry_time = stored.get("expires_at")
            if stored.get("authorization_server") and self.context.oauth_metadata is None:
                with contextlib.suppress(ValueError):
                    self.context.oauth_metadata = OAuthMetadata.model_validate(stored["authorization_server"])
            if stored.get("auth_server_url") and not self.context.auth_server_url:
                self.context.auth_server_url = stored["auth_server_url"]

    Restoring.__name__ = f"Restoring{base.__name__}"
    return Restoring


def build_auth(
    name: str,
    config: ServerConfig,
    home: Path,
    *,
    browser: Browser | None = None,
    callback: Callable[[], Awaitable[Any]] | None = None,
    redirect_uri: str | None = None,
) -> Any | None:
    """The ``httpx2.Auth`` for one server, or None when it does not use OAuth.

    ``browser``/``callback``/``redirect_uri``: the browser step (``mcp login``,
    or a program that can show the user a URL); without them a server that
    needs it fails with :class:`LoginRequired`.
    """
    if not config.uses_oauth or config.url is None:
        return None
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata

    url = config.url
    path = token_path(home, name, url)
    if config.grant == "client_credentials":
        from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider

        store = TokenStore(path, name, url)
        provider = _restoring(ClientCredentialsOAuthProvider)(
            url, store, config.client_id, config.client_secret, scope=config.scope, issuer=config.issuer
        )
        store.context = provider.context
        return provider

    redirect = redirect_uri or config.redirect_uri or "http://127.0.0.1:33418/callback"
    fixed = None
    if config.client_id:
        fixed = OAuthClientInformationFull(
            client_id=config.client_id,
            client_secret=config.client_secret,
            redirect_uris=[redirect],
            token_endpoint_auth_method="client_secret_basic" if config.client_secret else "none",
            grant_types=["authorization_code", "refresh_token"],
        )
    store = TokenStore(path, name, url, fixed_client=fixed)
    metadata = OAuthClientMetadata(
        client_name=CLIENT_NAME,
        redirect_uris=[redirect],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
        scope=config.scope,
    )

    async def no_browser(url: str) -> None:
        raise LoginRequired(name)

    async def no_callback() -> Any:
        raise LoginRequired(name)

    provider = _restoring(OAuthClientProvider)(
        url,
        metadata,
        store,
        redirect_handler=browser or no_browser,
        callback_handler=callback or no_callback,
        client_metadata_url=config.client_metadata_url,
    )
    store.context = provider.context
    return provider


def store_for(name: str, config: ServerConfig, home: Path) -> TokenStore | None:
    """The token store of one configured server (for ``mcp status`` / ``logout``), or None without OAuth."""
    if not config.uses_oauth or config.url is None:
        return None
    return TokenStore(token_path(home, name, config.url), name, config.url)


__all__ = ["AUTH_DIR", "Browser", "LoginRequired", "TokenStore", "build_auth", "store_for", "token_path"]
