"""Run endpoints: create (in the background, streamed, or waited for), list, read, join, cancel, delete.

A new run on a busy thread follows its ``multitask_strategy``: ``reject`` (409),
``enqueue`` (the default: the thread's runs execute in order), ``interrupt``
(the current run stops, keeping what it did, and the new one starts) or
``rollback`` (the current run stops, its checkpoints and record are removed).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agent.service.core import ApiError, Service, run_json
from agent.service.events import Event, loads
from agent.service.serde import dumps
from agent.service.sse import encode, sse_response
from agent.service.streaming import MODES
from agent.service.validation import body_of, one_of, positive

STRATEGIES = ("reject", "enqueue", "interrupt", "rollback")
WATCH_SECONDS = 1.0  # a waiter looks again whether its run went to another replica
KWARGS = (
    "input",
    "command",
    "config",
    "context",
    "stream_mode",
    "stream_subgraphs",
    "stream_resumable",
    "interrupt_before",
    "interrupt_after",
    "checkpoint_id",
    "checkpoint",
    "durability",
    "on_completion",
)


def _modes(value: Any) -> list[str]:
    modes = [value] if isinstance(value, str) else list(value or ["values"])
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise ApiError(422, f"unknown stream_mode {unknown[0]!r}; use {', '.join(sorted(MODES))}")
    return modes


def _where(run: dict[str, Any]) -> str:
    return f"/threads/{run['thread_id']}/runs/{run['run_id']}"


async def create_run(service: Service, thread_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """Validate, apply the multitask strategy, record the run and wake the executor."""
    assistant = service.assistant(str(body.get("assistant_id") or "agent"))
    strategy = one_of(body.get("multitask_strategy") or "enqueue", STRATEGIES, "multitask_strategy")
    one_of(body.get("on_disconnect") or "continue", ("cancel", "continue"), "on_disconnect")
    if body.get("durability") is not None:
        one_of(body["durability"], ("sync", "async", "exit"), "durability")
    kwargs = {k: body[k] for k in KWARGS if body.get(k) is not None}
    kwargs["stream_mode"] = _modes(body.get("stream_mode"))
    if thread_id is not None and isinstance(kwargs.get("command"), dict) and "resume" in kwargs["command"]:
        await _check_answers(assistant.graph, thread_id, kwargs["command"]["resume"])
    if_not_exists = "create"
    if thread_id is not None:
        if_not_exists = one_of(body.get("if_not_exists") or "reject", ("reject", "create"), "if_not_exists")
    new = {
        "run_id": str(uuid.uuid4()),
        "thread_id": thread_id or str(uuid.uuid4()),
        "assistant_id": assistant.assistant_id,
        "metadata": body.get("metadata") or {},
        "multitask_strategy": strategy,
        "kwargs": kwargs,
        "temporary": thread_id is None,
    }
    outcome, found = await asyncio.to_thread(
        service.records.submit, new, if_not_exists=if_not_exists, strategy=strategy
    )
    if outcome == "missing":
        raise ApiError(404, f"thread {thread_id} not found (pass if_not_exists='create' to create it)")
    if outcome == "busy":
        if strategy == "reject":
            raise ApiError(409, f"thread {thread_id} is busy with run {found[0]['run_id']} (multitask_strategy=reject)")
        for run in found:  # interrupt or rollback: stop them, then queue the new run behind what is left
            await asyncio.to_thread(service.records.request_cancel, run["run_id"], strategy, "multitask_strategy")
            await service.nudge_cancel(run["run_id"])
        outcome, found = await asyncio.to_thread(
            service.records.submit, new, if_not_exists=if_not_exists, strategy="enqueue"
        )
    await service.nudge_wake()
    return found


async def _check_answers(graph: Any, thread_id: str, resume: Any) -> None:
    """A resume that answers an MCP server's question (an elicitation interrupt) must fit its form: refused
    here at once, with one line, rather than sent to the run (which would only pause again with that line)."""
    from agent.mcp.questions import check_resume

    state = await graph.aget_state({"configurable": {"thread_id": thread_id}})
    for pending in state.interrupts:
        answer = resume[pending.id] if isinstance(resume, dict) and pending.id in resume else resume
        problem = check_resume(pending.value, answer)
        if problem is not None:
            raise ApiError(422, f"command.resume: {problem}")


async def _kept(service: Service, run_id: str, after: int, finished: bool) -> AsyncIterator[Event]:
    """The run's kept events after number ``after``.  For a run that has ended, what is still kept
    (events are kept for a while only): a quiet second ends the iteration instead of waiting for ever."""
    stream = service.events.follow(run_id, after)
    try:
        while True:
            try:
                if finished:
                    yield await asyncio.wait_for(anext(stream), 1.0)
                else:
                    yield await anext(stream)
            except (StopAsyncIteration, TimeoutError):
                return
    finally:
        await stream.aclose()


async def events_of(
    service: Service, run_id: str, after: int, resumable: bool, finished: bool = False
) -> AsyncIterator[bytes]:
    """The run's SSE events after number ``after``; internal ones (``__…``) stay on the server.

    For a run that has ended, what is still kept is sent and then ``end``, even when its
    events are gone: a late joiner is never left waiting.
    """
    async for number, event, data in _kept(service, run_id, after, finished):
        if not event.startswith("__"):
            yield encode(event, data, str(number) if resumable else None)
        if event == "end":
            return
    if finished:
        yield encode("end", None)


async def result_of(service: Service, run: dict[str, Any], fresh: bool = False) -> Any:
    """What ``/wait`` and ``/join`` return: the final values (with ``__interrupt__``), or ``__error__``.

    A run executed by this replica hands its result over in the process; one that ended before,
    or runs on another replica, is read from the event log (its ``__result__``).  ``fresh``: the
    run was just created here (no need to look it up before waiting).
    """
    from agent.service.executor import FOLLOW
    from agent.service.records import ACTIVE

    executor, run_id = service.executor, run["run_id"]
    watched, ended = executor.watch(run_id), False
    try:
        look = not fresh
        while not watched.done():
            if look and run_id not in executor.running:
                now = await asyncio.to_thread(service.records.run, run_id)
                ended = now is None or now["status"] not in ACTIVE
                if ended or (now["status"] == "running" and now["worker"] != executor.worker):
                    break
            look = True
            await asyncio.wait({watched}, timeout=WATCH_SECONDS)
        found = watched.result() if watched.done() else FOLLOW
    finally:
        executor.unwatch(run_id, watched)
    if found != FOLLOW:
        return found
    ended = ended or run_id in executor.ended_set  # it ended here just before we watched
    async for _, event, data in _kept(service, run_id, 0, ended):
        if event == "__result__":
            return loads(data)
    state = await service.any_graph().aget_state({"configurable": {"thread_id": run["thread_id"]}})
    from agent.service.serde import plain

    return plain(state.values) or {}


def routes(service: Service) -> dict[tuple[str, str], Any]:
    async def background(request: Request) -> Response:
        """Start a run in the background (``POST /threads/{id}/runs``, stateless ``POST /runs``)."""
        run = await create_run(service, request.path_params.get("thread_id"), await body_of(request, service))
        return JSONResponse(run_json(run), headers={"Content-Location": _where(run)})

    async def stream(request: Request) -> Response:
        """Start a run and stream its events (SSE); ``on_disconnect=cancel`` stops it if the client goes."""
        body = await body_of(request, service)
        run = await create_run(service, request.path_params.get("thread_id"), body)
        cancel = (body.get("on_disconnect") or "continue") == "cancel"
        events = _watched(
            service, run, events_of(service, run["run_id"], 0, bool(body.get("stream_resumable"))), cancel
        )
        return sse_response(events, {"Location": _where(run) + "/stream", "Content-Location": _where(run)})

    async def wait(request: Request) -> Response:
        """Start a run and answer with its final values when it ends."""
        run = await create_run(service, request.path_params.get("thread_id"), await body_of(request, service))
        result = await result_of(service, run, fresh=True)
        return _json(result, headers={"Location": _where(run) + "/join", "Content-Location": _where(run)})

    async def listing(request: Request) -> Response:
        """The thread's runs, newest first (``limit``, ``offset``, ``status``)."""
        thread_id = request.path_params["thread_id"]
        await service.thread_or_404(thread_id)
        query = request.query_params
        rows = await asyncio.to_thread(
            service.records.runs,
            thread_id,
            query.get("status"),
            positive(query.get("limit", 10), "limit", 1000),
            positive(query.get("offset", 0), "offset", 10**9, minimum=0),
        )
        return JSONResponse([run_json(r) for r in rows])

    async def one(request: Request) -> Response:
        """One run."""
        return JSONResponse(run_json(await _run_or_404(service, request)))

    async def join(request: Request) -> Response:
        """Wait for a run to end; its final values."""
        return _json(await result_of(service, await _run_or_404(service, request)))

    async def join_stream(request: Request) -> Response:
        """Follow a run's events; with ``Last-Event-ID`` only those after it (runs created ``stream_resumable``)."""
        run = await _run_or_404(service, request)
        last = request.headers.get("last-event-id") or "0"
        after = int(last) if last.isdigit() else 0
        cancel = request.query_params.get("cancel_on_disconnect", "false").lower() in ("1", "true")
        resumable = bool(run["kwargs"].get("stream_resumable"))
        finished = run["status"] not in ("pending", "running")
        events = _watched(service, run, events_of(service, run["run_id"], after, resumable, finished), cancel)
        return sse_response(events, {"Location": _where(run) + "/stream"})

    async def cancel(request: Request) -> Response:
        """Stop a run: ``action=interrupt`` keeps what it did, ``rollback`` removes it; ``wait=1`` waits for it."""
        run = await _run_or_404(service, request)
        action = one_of(request.query_params.get("action", "interrupt"), ("interrupt", "rollback"), "action")
        found = await asyncio.to_thread(service.records.request_cancel, run["run_id"], action, "cancelled by request")
        await service.nudge_cancel(run["run_id"])
        if found is None:
            raise ApiError(409, f"run {run['run_id']} is not pending or running (status {run['status']})")
        if request.query_params.get("wait", "0").lower() in ("1", "true"):
            await result_of(service, run)
        latest = await asyncio.to_thread(service.records.run, run["run_id"])
        return JSONResponse(run_json(latest or found), status_code=202)

    async def delete(request: Request) -> Response:
        """Delete a finished run's record (cancel it first if it is still going)."""
        run = await _run_or_404(service, request)
        if run["status"] in ("pending", "running"):
            raise ApiError(409, f"run {run['run_id']} is {run['status']}; cancel it first")
        await asyncio.to_thread(service.records.delete_run, run["run_id"])
        return Response(status_code=204)

    threads, runs = "/threads/{thread_id}/runs", "/threads/{thread_id}/runs/{run_id}"
    return {
        ("POST", threads): background,
        ("POST", threads + "/stream"): stream,
        ("POST", threads + "/wait"): wait,
        ("POST", "/runs"): background,
        ("POST", "/runs/stream"): stream,
        ("POST", "/runs/wait"): wait,
        ("GET", threads): listing,
        ("GET", runs): one,
        ("GET", runs + "/join"): join,
        ("GET", runs + "/stream"): join_stream,
        ("POST", runs + "/cancel"): cancel,
        ("DELETE", runs): delete,
    }


def _json(content: Any, headers: dict[str, str] | None = None) -> Response:
    """A run's values as JSON (orjson: a long thread's values are the largest bodies we send)."""
    return Response(dumps(content), media_type="application/json", headers=headers)


async def _run_or_404(service: Service, request: Request) -> dict[str, Any]:
    thread_id, run_id = request.path_params["thread_id"], request.path_params["run_id"]
    run = await asyncio.to_thread(service.records.run, run_id, thread_id)
    if run is None:
        raise ApiError(404, f"run {run_id} not found in thread {thread_id}")
    return run


async def _watched(
    service: Service, run: dict[str, Any], events: AsyncIterator[bytes], cancel_on_disconnect: bool
) -> AsyncIterator[bytes]:
    """The events; if the client leaves before the end and asked for it, the run is cancelled."""
    ended = False
    try:
        async for chunk in events:
            yield chunk
        ended = True
    finally:
        if cancel_on_disconnect and not ended:
            await asyncio.to_thread(service.records.request_cancel, run["run_id"], "interrupt", "client disconnected")
            await service.nudge_cancel(run["run_id"])


__all__ = ["STRATEGIES", "create_run", "routes"]
