"""An OAuth-protected MCP server for the client tests: the SDK's own authorization-server routes and bearer
checks around our prime tool.

    python tests/mcp_oauth_server.py [--ttl S] [--bad-iss] [--client ID:ENV_VAR_OF_SECRET]

One process is both the authorization server (discovery, dynamic client
registration unless ``--client`` pre-registers the only client, /authorize,
/token with PKCE and refresh) and the resource server (protected-resource
metadata, bearer tokens bound to its URL, scope ``mcp``).  /authorize
approves at once: it redirects to the client's loopback with the code,
the state and the ``iss`` (RFC 9207; ``--bad-iss`` sends a wrong one).
Access tokens live ``--ttl`` seconds.  Prints ``listening on URL`` and one
line per authorization, token and refresh on stderr, never a token.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from urllib.parse import urlencode

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    ProviderTokenVerifier,
    RefreshToken,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

SCOPE = "mcp"


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Provider:
    """In-memory OAuthAuthorizationServerProvider that approves every authorization request."""

    def __init__(self, issuer: str, ttl: int, bad_iss: bool) -> None:
        self.issuer, self.ttl, self.bad_iss = issuer, ttl, bad_iss
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        self.clients[client_info.client_id] = client_info
        say(f"registered client {client_info.client_id}")

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or [SCOPE],
            expires_at=time.time() + 300,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
        )
        say(f"authorized client {client.client_id}")
        iss = "https://evil.example" if self.bad_iss else self.issuer
        query = {"code": code, "state": params.state or "", "iss": iss}
        return f"{params.redirect_uri}?{urlencode(query)}"

    async def load_authorization_code(self, client: OAuthClientInformationFull, code: str) -> AuthorizationCode | None:
        return self.codes.get(code)

    def _issue(self, client_id: str, scopes: list[str], resource: str | None) -> OAuthToken:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.access[access] = AccessToken(
            token=access, client_id=client_id, scopes=scopes, expires_at=int(time.time()) + self.ttl, resource=resource
        )
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes, resource=resource)
        return OAuthToken(access_token=access, expires_in=self.ttl, scope=" ".join(scopes), refresh_token=refresh)

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, code: AuthorizationCode
    ) -> OAuthToken:
        self.codes.pop(code.code, None)
        say(f"issued tokens to client {client.client_id}")
        return self._issue(client.client_id, code.scopes, code.resource)

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        return self.refresh.get(refresh_token)

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        self.refresh.pop(refresh_token.token, None)
        say(f"refreshed tokens of client {client.client_id}")
        return self._issue(client.client_id, scopes or refresh_token.scopes, refresh_token.resource)

    async def load_access_token(self, token: str) -> AccessToken | None:
        found = self.access.get(token)
        if found is None or (found.expires_at is not None and found.expires_at < time.time()):
            return None
        return found

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)


def main() -> None:
    import uvicorn

    from mcp_servers.http_app import bind, security_settings
    from mcp_servers.server import build_server
    from tools.registry import family_specs
    from tools.settings import ToolSettings

    parser = argparse.ArgumentParser()
    parser.add_argument("--ttl", type=int, default=3600)
    parser.add_argument("--bad-iss", action="store_true")
    parser.add_argument("--client", help="ID:ENV_VAR: the only client, pre-registered (no dynamic registration)")
    args = parser.parse_args()

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    provider = Provider(base, args.ttl, args.bad_iss)
    if args.client:
        client_id, _, variable = args.client.partition(":")
        provider.clients[client_id] = OAuthClientInformationFull(
            client_id=client_id,
            client_secret=os.environ[variable],
            redirect_uris=["http://127.0.0.1:33419/callback"],
            token_endpoint_auth_method="client_secret_basic",
            grant_types=["authorization_code", "refresh_token"],
            scope=SCOPE,
        )
    server = build_server("oauth-test", family_specs("primes", ToolSettings()))
    app = server.streamable_http_app(
        streamable_http_path="/mcp",
        host="127.0.0.1",
        transport_security=security_settings("127.0.0.1", port),
        auth=AuthSettings(
            issuer_url=base,
            resource_server_url=f"{base}/mcp",
            required_scopes=[SCOPE],
            client_registration_options=ClientRegistrationOptions(
                enabled=not args.client, valid_scopes=[SCOPE], default_scopes=[SCOPE]
            ),
            validate_token_resource=True,
        ),
        token_verifier=ProviderTokenVerifier(provider),
        auth_server_provider=provider,
    )
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2)
    say(f"listening on {base}/mcp")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))


if __name__ == "__main__":
    main()
