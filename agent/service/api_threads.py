"""Thread endpoints: create, read, update, delete, search, state (read, update, at a checkpoint), history, copy."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agent.service.core import ApiError, Service
from agent.service.serde import plain
from agent.service.validation import body_of, one_of, positive


def _checkpoint(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if not config:
        return None
    conf = config.get("configurable") or {}
    return {
        "thread_id": conf.get("thread_id"),
        "checkpoint_ns": conf.get("checkpoint_ns", ""),
        "checkpoint_id": conf.get("checkpoint_id"),
        "checkpoint_map": conf.get("checkpoint_map"),
    }


def state_json(state: Any) -> dict[str, Any]:
    """A LangGraph ``StateSnapshot`` as the Agent Protocol's ``ThreadState``."""
    return {
        "values": plain(state.values) or {},
        "next": list(state.next),
        "checkpoint": _checkpoint(state.config),
        "metadata": plain(state.metadata) or {},
        "created_at": state.created_at,
        "parent_checkpoint": _checkpoint(state.parent_config),
        "tasks": [
            {
                "id": task.id,
                "name": task.name,
                "error": task.error if isinstance(task.error, str | None) else repr(task.error),
                "interrupts": plain(list(task.interrupts)),
                "checkpoint": None,
                "state": None,
                "result": plain(task.result) if getattr(task, "result", None) is not None else None,
            }
            for task in state.tasks
        ],
        "interrupts": plain(list(state.interrupts)),
    }


def graph_config(thread_id: str, checkpoint: str | None = None) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id, **({"checkpoint_id": checkpoint} if checkpoint else {})}}


def routes(service: Service) -> dict[tuple[str, str], Any]:
    return {**_thread_routes(service), **_state_routes(service)}


def _thread_routes(service: Service) -> dict[tuple[str, str], Any]:

    async def create(request: Request) -> Response:
        """Create a thread (``thread_id``, ``metadata``, ``if_exists``: raise or do_nothing)."""
        body = await body_of(request, service)
        thread_id = str(body.get("thread_id") or uuid.uuid4())
        if_exists = one_of(body.get("if_exists") or "raise", ("raise", "do_nothing"), "if_exists")
        row = await asyncio.to_thread(service.records.create_thread, thread_id, body.get("metadata") or {})
        if row is None:
            if if_exists == "raise":
                raise ApiError(409, f"thread {thread_id} already exists")
            row = await service.thread_or_404(thread_id)
        return JSONResponse(await service.thread_json(row))

    async def get(request: Request) -> Response:
        """A thread, with its current values and interrupts."""
        row = await service.thread_or_404(request.path_params["thread_id"])
        return JSONResponse(await service.thread_json(row))

    async def patch(request: Request) -> Response:
        """Merge ``metadata`` into a thread's."""
        thread_id = request.path_params["thread_id"]
        await service.thread_or_404(thread_id)
        body = await body_of(request, service)
        await asyncio.to_thread(service.records.update_thread, thread_id, metadata=body.get("metadata") or {})
        return JSONResponse(await service.thread_json(await service.thread_or_404(thread_id)))

    async def delete(request: Request) -> Response:
        """Delete a thread, its runs and its checkpoints (running runs are cancelled first)."""
        thread_id = request.path_params["thread_id"]
        await service.thread_or_404(thread_id)
        for run in await asyncio.to_thread(service.records.active_runs, thread_id):
            await asyncio.to_thread(service.records.request_cancel, run["run_id"], "interrupt", "thread deleted")
        await asyncio.to_thread(service.any_graph().checkpointer.delete_thread, thread_id)
        await asyncio.to_thread(service.records.delete_thread, thread_id)
        return Response(status_code=204)

    async def search(request: Request) -> Response:
        """Threads by ``metadata``, ``status`` and ``ids``, newest first (``limit``, ``offset``, ``sort_by``)."""
        body = await body_of(request, service)
        status = body.get("status")
        if status is not None:
            one_of(status, ("idle", "busy", "interrupted", "error"), "status")
        rows = await asyncio.to_thread(
            service.records.search_threads,
            body.get("metadata") or {},
            status,
            body.get("ids"),
            positive(body.get("limit", 10), "limit", 1000),
            positive(body.get("offset", 0), "offset", 10**9, minimum=0),
            body.get("sort_by") or "updated_at",
            (body.get("sort_order") or "desc") == "desc",
        )
        return JSONResponse([await service.thread_json(r) for r in rows])

    return {
        ("POST", "/threads"): create,
        ("GET", "/threads/{thread_id}"): get,
        ("PATCH", "/threads/{thread_id}"): patch,
        ("DELETE", "/threads/{thread_id}"): delete,
        ("POST", "/threads/search"): search,
    }


def _state_routes(service: Service) -> dict[tuple[str, str], Any]:
    async def get_state(request: Request) -> Response:
        """The thread's state now, or at ``checkpoint_id``."""
        thread_id = request.path_params["thread_id"]
        await service.thread_or_404(thread_id)
        checkpoint = request.path_params.get("checkpoint_id")
        state = await service.any_graph().aget_state(graph_config(thread_id, checkpoint))
        if checkpoint and not state.values and state.config is None:
            raise ApiError(404, f"checkpoint {checkpoint} not found in thread {thread_id}")
        return JSONResponse(state_json(state))

    async def state_at(request: Request) -> Response:
        """The thread's state at the checkpoint given in the body (``checkpoint``)."""
        thread_id = request.path_params["thread_id"]
        await service.thread_or_404(thread_id)
        body = await body_of(request, service)
        checkpoint = (body.get("checkpoint") or {}).get("checkpoint_id")
        state = await service.any_graph().aget_state(graph_config(thread_id, checkpoint))
        return JSONResponse(state_json(state))

    async def update_state(request: Request) -> Response:
        """Write ``values`` into the state as ``as_node`` (editing or forking from ``checkpoint_id``)."""
        thread_id = request.path_params["thread_id"]
        await service.thread_or_404(thread_id)
        if await asyncio.to_thread(service.records.active_runs, thread_id):
            raise ApiError(409, f"thread {thread_id} is busy with a run; update its state when the run is done")
        body = await body_of(request, service)
        checkpoint = body.get("checkpoint_id") or (body.get("checkpoint") or {}).get("checkpoint_id")
        config = await service.any_graph().aupdate_state(
            graph_config(thread_id, checkpoint), body.get("values"), as_node=body.get("as_node")
        )
        await asyncio.to_thread(service.records.update_thread, thread_id)
        return JSONResponse({"checkpoint": _checkpoint(config)})

    async def history(request: Request) -> Response:
        """Earlier states of the thread, newest first (``limit``, ``before``, ``metadata``)."""
        thread_id = request.path_params["thread_id"]
        await service.thread_or_404(thread_id)
        body = await body_of(request, service) if request.method == "POST" else dict(request.query_params)
        limit = positive(body.get("limit", 10), "limit", 1000)
        before = body.get("before")
        before_config = (
            {"configurable": {"thread_id": thread_id, **before.get("configurable", before)}}
            if isinstance(before, dict)
            else (graph_config(thread_id, before) if before else None)
        )
        states = []
        async for state in service.any_graph().aget_state_history(
            graph_config(thread_id), filter=body.get("metadata") or None, before=before_config, limit=limit
        ):
            states.append(state_json(state))
        return JSONResponse(states)

    async def copy(request: Request) -> Response:
        """A new thread with the same history (every checkpoint) and metadata."""
        thread_id = request.path_params["thread_id"]
        row = await service.thread_or_404(thread_id)
        new_id = str(uuid.uuid4())
        graph = service.any_graph()
        saver = graph.checkpointer
        await asyncio.to_thread(_copy_checkpoints, saver, thread_id, new_id)
        created = await asyncio.to_thread(service.records.create_thread, new_id, row["metadata"])
        return JSONResponse(await service.thread_json(created))

    return {
        ("GET", "/threads/{thread_id}/state"): get_state,
        ("GET", "/threads/{thread_id}/state/{checkpoint_id}"): get_state,
        ("POST", "/threads/{thread_id}/state/checkpoint"): state_at,
        ("POST", "/threads/{thread_id}/state"): update_state,
        ("POST", "/threads/{thread_id}/history"): history,
        ("GET", "/threads/{thread_id}/history"): history,
        ("POST", "/threads/{thread_id}/copy"): copy,
    }


def _copy_checkpoints(saver: Any, source: str, target: str) -> None:
    """Every checkpoint of ``source`` with its writes, oldest first, under ``target`` (the saver's own API)."""
    items = list(saver.list({"configurable": {"thread_id": source}}))
    for item in reversed(items):
        conf = item.config["configurable"]
        parent = (item.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        config = {"configurable": {"thread_id": target, "checkpoint_ns": conf.get("checkpoint_ns", "")}}
        if parent:
            config["configurable"]["checkpoint_id"] = parent
        versions = item.checkpoint.get("channel_versions", {})
        saver.put(config, item.checkpoint, item.metadata, versions)
        target_config = {
            "configurable": {
                "thread_id": target,
                "checkpoint_ns": conf.get("checkpoint_ns", ""),
                "checkpoint_id": conf["checkpoint_id"],
            }
        }
        by_task: dict[str, list[tuple[str, Any]]] = {}
        for task_id, channel, value in item.pending_writes or []:
            by_task.setdefault(task_id, []).append((channel, value))
        for task_id, writes in by_task.items():
            saver.put_writes(target_config, writes, task_id)


__all__ = ["routes", "state_json"]
