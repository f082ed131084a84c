"""Run one task on a compiled agent graph: stream it to a renderer, ask for approvals.

Shared by ``run`` and ``chat``.  The result has the fields of ``--json``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.render import Renderer

ANSWER_NODES = {"model", "finish"}
FLUSH_SECONDS = 5.0  # at most this long to hand a run's usage to LangSmith
Approver = Callable[[list[dict[str, Any]]], bool]


@dataclass
class RunResult:
    answer: str
    stop_reason: str
    thread_id: str
    usage: dict[str, Any]
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    elapsed: float = 0.0
    plan: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""  # one line naming what failed (the model's endpoint, never a key)
    model: str = ""  # the model: "offline", or provider:name (never a key or URL)
    fallback_model: str = ""  # the fallback model, in --json only when it answered

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.usage.get("fallback_calls"):
            del data["fallback_model"]
        return data


def usage_of(stats: dict[str, Any], tool_log: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The ``usage`` of ``--json``; tool calls are those of the log that ran (a denied call did not).

    Always: ``input_tokens`` (the whole prompts, cached tokens included), ``output_tokens`` (reasoning
    included), ``total_tokens``, ``cost``, ``model_calls``, ``tool_calls``.  Only when not zero (so a
    run of the offline model keeps the short shape): ``cached_tokens`` (input served from the
    provider's cache), ``cache_write_tokens`` (input written into an explicit cache),
    ``reasoning_tokens``, ``cost_estimated`` (some price came from the built-in table),
    ``fallback_calls`` (calls the fallback model answered) and ``degraded`` (plan, compact or finish
    steps that went without the model).  For runs whose calls went to a model endpoint: ``ttft_ms``,
    the time to the first token of each call in milliseconds, in call order, and
    ``tokens_per_second``, output tokens per second of model time (first-token waits included).
    """
    from graphs.usage import tokens_per_second

    tokens_in, tokens_out = stats.get("input_tokens", 0), stats.get("output_tokens", 0)
    usage = {
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
        "cost": round(stats.get("cost", 0.0), 8),
        "model_calls": stats.get("model_calls", 0),
        "tool_calls": sum(1 for record in tool_log or [] if record.get("approved", True)),
    }
    for key in ("cached_tokens", "cache_write_tokens", "reasoning_tokens", "cost_estimated"):
        if stats.get(key):
            usage[key] = stats[key]
    if stats.get("ttft_ms"):
        usage["ttft_ms"] = list(stats["ttft_ms"])
        usage["tokens_per_second"] = tokens_per_second(stats)  # type: ignore[arg-type]
    for key in ("fallback_calls", "degraded"):
        if stats.get(key):
            usage[key] = stats[key]
    return usage


def _call_json(record: dict[str, Any]) -> dict[str, Any]:
    data = {"name": record["name"], "args": record["args"], "ok": record["ok"]}
    if "approved" in record:  # a call that needed approval: False when it was denied and did not run
        data["approved"] = record["approved"]
    return data


def _dispatch(mode: str, chunk: Any, renderer: Renderer) -> None:
    if mode == "custom" and isinstance(chunk, dict):
        kind = chunk.get("type")
        hook = {
            "plan": lambda e: renderer.plan(e["steps"]),
            "tool_start": renderer.tool_start,
            "tool_end": renderer.tool_end,
            "tool_rejected": renderer.rejected,
            "tool_denied": renderer.denied,
            "fallback": renderer.fallback,
            "degraded": renderer.degraded,
        }.get(kind)
        if hook:
            hook(chunk)
    elif mode == "messages":
        message, meta = chunk
        if meta.get("langgraph_node") not in ANSWER_NODES or type(message).__name__ != "AIMessageChunk":
            return
        reasoning = (message.additional_kwargs or {}).get("reasoning_content")
        if reasoning:
            renderer.reasoning(reasoning)
        if message.text:
            renderer.token(message.text)


def run_task(
    graph: Any,
    task: str | None,
    thread_id: str,
    renderer: Renderer,
    approve: Approver,
    callbacks: list[Any] | None = None,
    models: tuple[str, str] = ("", ""),
) -> RunResult:
    """Stream the task to the renderer; resume after each approval interrupt; return the result.

    ``task=None`` continues the thread from its last checkpoint; ``models`` names the model
    and the fallback model (or "") for the closing line and ``--json``.
    """
    from agent.logs import events_on_stdout

    with events_on_stdout() if renderer.shows_events else contextlib.nullcontext():
        result = _stream(graph, task, thread_id, renderer, approve, callbacks)
    result.model, result.fallback_model = models
    trace_usage(callbacks, result.usage)
    renderer.summary(result.usage, result.stop_reason, result.elapsed, thread_id, models)
    renderer.close()
    return result


def trace_usage(callbacks: list[Any] | None, usage: dict[str, Any]) -> None:
    """Add the run's usage to the metadata of its LangSmith root run (tokens, cost, TTFT), when traced.

    LangSmith records each model call's tokens itself (``usage_metadata``); this is the run's total.
    """
    import logging

    for tracer in callbacks or []:
        run = getattr(tracer, "latest_run", None)
        client = getattr(tracer, "client", None)
        if run is None or client is None:
            continue
        extra = dict(run.extra or {})
        extra["metadata"] = {**(extra.get("metadata") or {}), "usage": usage}
        try:
            client.update_run(
                run.id, extra=extra, end_time=run.end_time, trace_id=run.trace_id, dotted_order=run.dotted_order
            )
            client.flush(timeout=FLUSH_SECONDS)  # a process that exits now would drop the update
        except Exception as err:  # noqa: BLE001 - tracing must never fail a run; said, not raised
            logging.getLogger(__name__).warning("LangSmith: the run's usage was not recorded: %s", err)


def _stream(
    graph: Any,
    task: str | None,
    thread_id: str,
    renderer: Renderer,
    approve: Approver,
    callbacks: list[Any] | None,
) -> RunResult:
    from langgraph.types import Command

    from graphs.background import STOP

    STOP.clear()  # a Ctrl-C that stopped the previous run of a chat is spent
    config = {
        "configurable": {"thread_id": thread_id},
        # Every traced run (LangSmith, when LANGSMITH_TRACING is on) carries the thread and the task.
        "metadata": {"thread_id": thread_id, "task": (task or "")[:500]},
        "run_name": "agent",
        "callbacks": callbacks or [],  # a LangSmith tracer, when tracing is on (agent.tracing)
    }
    started = time.perf_counter()
    payload: Any = {"messages": task} if task is not None else None
    while True:
        for mode, chunk in graph.stream(payload, config, stream_mode=["custom", "messages"]):
            _dispatch(mode, chunk, renderer)
        state = graph.get_state(config)
        pending = [i for i in state.interrupts if isinstance(i.value, dict) and i.value.get("type") == "approval"]
        if not pending:
            break
        calls = pending[0].value["calls"]
        decision = approve(calls)
        renderer.notice(("approved: " if decision else "denied: ") + ", ".join(c["name"] for c in calls))
        payload = Command(resume="approve" if decision else "deny")
    values = state.values
    answer = values.get("answer", "")
    renderer.answer(answer)
    return RunResult(
        answer=answer,
        stop_reason=values.get("stop_reason") or "answered",
        thread_id=thread_id,
        usage=usage_of(values.get("stats", {}), values.get("tool_log", [])),
        tool_calls=[_call_json(t) for t in values.get("tool_log", [])],
        elapsed=round(time.perf_counter() - started, 3),
        plan=list(values.get("plan") or []),
        error=values.get("error") or "",
    )


__all__ = ["RunResult", "run_task", "trace_usage", "usage_of"]
