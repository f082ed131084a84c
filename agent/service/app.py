"""The ASGI app: routes, bearer token, CORS, JSON errors, an OpenAPI document, and the replica's lifespan.

Embedded by default: threads in the SQLite checkpointer under ``AGENT_HOME``,
run records beside it, events in memory, runs on this process's event loop.
Scale-out: ``AGENT_CHECKPOINTER=postgresql://…`` puts checkpoints, run records
and the store in PostgreSQL (runs are claimed with ``SKIP LOCKED`` and leased),
and ``AGENT_REDIS_URL`` carries each run's events between replicas (Redis
Streams); without Redis, replicas share events through a polled table.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.service import api_misc, api_runs, api_threads
from agent.service.core import ApiError, Service

log = logging.getLogger(__name__)
PUBLIC = ("/ok", "/openapi.json")


class BearerToken:
    """Every request but the public ones (and the web page's files) needs ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or _public(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"authorization", b"")
        if not (given.startswith(b"Bearer ") and hmac.compare_digest(given[7:], self.token)):
            response = JSONResponse(
                {"detail": "missing or wrong bearer token (Authorization: Bearer <AGENT_API_TOKEN>)"}, 401
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _public(path: str) -> bool:
    return path in PUBLIC or path == "/" or path.startswith("/ui/")


def openapi(routes: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """What we serve, from the route table: each path, its methods, and the handler's first docstring line."""
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), handler in sorted(routes.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        summary = (handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else ""
        parameters = [
            {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for part in path.split("/")
            if part.startswith("{")
        ]
        operation: dict[str, Any] = {"summary": summary, "responses": {"200": {"description": "OK"}}}
        if parameters:
            operation["parameters"] = parameters
        if method in ("POST", "PUT", "PATCH"):
            operation["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "langgraph-mcp-agent: the Agent Protocol", "version": "1"},
        "paths": paths,
    }


def build_app(
    service_factory: Any, *, token: str | None, cors_origins: list[str], extra_routes: list[Route] = ()
) -> Starlette:
    """The app; ``service_factory`` is an async context manager yielding the :class:`Service` (its lifespan)."""
    holder: dict[str, Service] = {}
    table: dict[tuple[str, str], Any] = {}

    def handler(key: tuple[str, str]) -> Any:
        async def endpoint(request: Request) -> Response:
            return await table[key](request)

        endpoint.__doc__ = None
        return endpoint

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with service_factory() as service:
            holder["service"] = service
            for module in (api_threads, api_runs, api_misc):
                table.update(module.routes(service))
            app.state.service = service
            yield

    async def errors(request: Request, err: Exception) -> Response:
        if isinstance(err, ApiError):
            return JSONResponse({"detail": err.detail}, err.status)
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=err)
        return JSONResponse({"detail": f"internal error ({type(err).__name__}); it is logged"}, 500)

    async def openapi_document(request: Request) -> Response:
        return JSONResponse(openapi(table))

    keys = _route_keys()
    routes = [Route(path, handler((method, path)), methods=[method]) for method, path in keys]
    routes.append(Route("/openapi.json", openapi_document, methods=["GET"]))
    routes.extend(extra_routes)
    middleware = []
    if cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=cors_origins,
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=["Location", "Content-Location"],
            )
        )
    if token:
        middleware.append(Middleware(BearerToken, token=token))
    handlers = {ApiError: errors, Exception: errors}
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers=handlers)


def _route_keys() -> list[tuple[str, str]]:
    """Every (method, path) served, known before the service exists (routes are bound in the lifespan)."""

    class _Nothing:
        def __getattr__(self, name: str) -> Any:
            return None

    keys: list[tuple[str, str]] = []
    for module in (api_threads, api_runs, api_misc):
        keys.extend(module.routes(_Nothing()))  # type: ignore[arg-type]
    # more specific paths first, so that /threads/search is not taken for /threads/{thread_id}
    return sorted(keys, key=lambda k: (k[1].count("{"), -len(k[1])))


__all__ = ["BearerToken", "build_app", "openapi"]
