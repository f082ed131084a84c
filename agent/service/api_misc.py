"""Assistants (one per graph served), the store (long-term memory), and ``/ok`` and ``/info``."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agent.service.core import ApiError, Service
from agent.service.serde import plain
from agent.service.validation import body_of, positive

log = logging.getLogger(__name__)


def _schemas(assistant: Any) -> dict[str, Any]:
    graph = assistant.graph

    def schema(method: str) -> dict[str, Any] | None:
        if not hasattr(graph, method):
            return None
        try:
            return plain(getattr(graph, method)())
        except Exception:  # a schema LangGraph cannot render is reported as missing, and logged
            log.warning("%s of graph %s failed", method, assistant.graph_id, exc_info=True)
            return None

    return {
        "graph_id": assistant.graph_id,
        "input_schema": schema("get_input_jsonschema"),
        "output_schema": schema("get_output_jsonschema"),
        "state_schema": schema("get_output_jsonschema"),  # every channel of the state
        "config_schema": schema("get_config_jsonschema"),
        "context_schema": schema("get_context_jsonschema"),
    }


def _item(item: Any) -> dict[str, Any]:
    data = {
        "namespace": list(item.namespace),
        "key": item.key,
        "value": item.value,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }
    if getattr(item, "score", None) is not None:
        data["score"] = item.score
    return data


def _namespace(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(".") if value else []
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise ApiError(422, f"{field} must be a list of non-empty strings")
    return tuple(value)


def routes(service: Service) -> dict[tuple[str, str], Any]:
    async def search(request: Request) -> Response:
        """The assistants: one per graph served."""
        body = await body_of(request, service)
        found = [a.to_json() for a in service.assistants.values()]
        if body.get("graph_id"):
            found = [a for a in found if a["graph_id"] == body["graph_id"]]
        offset = positive(body.get("offset", 0), "offset", 10**6, minimum=0)
        return JSONResponse(found[offset : offset + positive(body.get("limit", 10), "limit", 1000)])

    async def get(request: Request) -> Response:
        """One assistant, by id or graph id."""
        return JSONResponse(service.assistant(request.path_params["assistant_id"]).to_json())

    async def graph(request: Request) -> Response:
        """The graph's nodes and edges (``xray`` ignored: no subgraphs)."""
        drawable = service.assistant(request.path_params["assistant_id"]).graph.get_graph()
        return JSONResponse(plain(drawable.to_json()))

    async def schemas(request: Request) -> Response:
        """The graph's input, output, state, config and context JSON schemas."""
        return JSONResponse(_schemas(service.assistant(request.path_params["assistant_id"])))

    async def put_item(request: Request) -> Response:
        """Store a value under a namespace and key."""
        body = await body_of(request, service)
        namespace = _namespace(body.get("namespace"), "namespace")
        if not isinstance(body.get("key"), str) or not isinstance(body.get("value"), dict):
            raise ApiError(422, "key must be a string and value a JSON object")
        await asyncio.to_thread(
            service.store.put, namespace, body["key"], body["value"], index=body.get("index") or False
        )
        return Response(status_code=204)

    async def get_item(request: Request) -> Response:
        """One stored item (``namespace`` dotted, ``key``)."""
        query = request.query_params
        namespace = _namespace(query.get("namespace", ""), "namespace")
        item = await asyncio.to_thread(service.store.get, namespace, query.get("key", ""))
        if item is None:
            raise ApiError(404, "no item with that namespace and key")
        return JSONResponse(_item(item))

    async def delete_item(request: Request) -> Response:
        """Delete one stored item."""
        body = await body_of(request, service)
        namespace = _namespace(body.get("namespace"), "namespace")
        await asyncio.to_thread(service.store.delete, namespace, str(body.get("key", "")))
        return Response(status_code=204)

    async def search_items(request: Request) -> Response:
        """Items under a namespace prefix, filtered by value fields, optionally ranked by ``query``."""
        body = await body_of(request, service)
        items = await asyncio.to_thread(
            service.store.search,
            _namespace(body.get("namespace_prefix") or [], "namespace_prefix") if body.get("namespace_prefix") else (),
            filter=body.get("filter") or None,
            query=body.get("query") or None,
            limit=positive(body.get("limit", 10), "limit", 1000),
            offset=positive(body.get("offset", 0), "offset", 10**9, minimum=0),
        )
        return JSONResponse({"items": [_item(i) for i in items]})

    async def namespaces(request: Request) -> Response:
        """The namespaces in the store (``prefix``, ``suffix``, ``max_depth``)."""
        body = await body_of(request, service)
        found = await asyncio.to_thread(
            service.store.list_namespaces,
            prefix=_namespace(body["prefix"], "prefix") if body.get("prefix") else None,
            suffix=_namespace(body["suffix"], "suffix") if body.get("suffix") else None,
            max_depth=body.get("max_depth"),
            limit=positive(body.get("limit", 100), "limit", 10_000),
            offset=positive(body.get("offset", 0), "offset", 10**9, minimum=0),
        )
        return JSONResponse({"namespaces": [list(n) for n in found]})

    async def ok(request: Request) -> Response:
        """Alive (and the records answer)."""
        await asyncio.to_thread(service.records.thread, "-")
        return JSONResponse({"ok": True})

    async def info(request: Request) -> Response:
        """What this server is."""
        from importlib.metadata import version

        return JSONResponse(
            {
                "version": version("langgraph-mcp-agent"),
                "langgraph_py_version": version("langgraph"),
                "flags": {"assistants": True, "crons": False, "langsmith": False},
                "metadata": {"graphs": sorted(a.graph_id for a in service.assistants.values())},
                "model": service.model_info,
            }
        )

    return {
        ("POST", "/assistants/search"): search,
        ("GET", "/assistants/{assistant_id}"): get,
        ("GET", "/assistants/{assistant_id}/graph"): graph,
        ("GET", "/assistants/{assistant_id}/schemas"): schemas,
        ("PUT", "/store/items"): put_item,
        ("POST", "/store/items"): put_item,
        ("GET", "/store/items"): get_item,
        ("DELETE", "/store/items"): delete_item,
        ("POST", "/store/items/search"): search_items,
        ("POST", "/store/namespaces"): namespaces,
        ("GET", "/ok"): ok,
        ("GET", "/info"): info,
    }


__all__ = ["routes"]
