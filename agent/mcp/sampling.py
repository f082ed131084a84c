"""Sampling: a server asks the client's model for a completion (``sampling/createMessage``).

Off unless the user allows it for that server (``"sampling": true`` in its
entry of the MCP config): a server could otherwise spend the user's model
budget, or use the model to act on what it sees.  A refused request gets an
error that says how to allow it.  When allowed, text only, with ``maxTokens``
capped, it is served:

* during a tool call of the agent's graph, by the run's own model, lent to
  the tools step (:func:`serve_in_run`, :mod:`graphs.run_model`): counted in
  the run's stats (a model call, its tokens and cost), given the run's
  remaining time, and refused, saying which bound, when the run's model-call,
  time, token or cost bound forbids it;
* otherwise (a graph without our tools step, a call made outside a run), by
  a :class:`Sampler`, the agent's model, at most ``max_calls`` times per run
  (counted by the run's id, or per process when the call names no run).

A model callable takes a :class:`SamplingRequest` and returns the text (or an
awaitable of it); :func:`from_chat_model` adapts a LangChain chat model.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("agent.mcp")

MAX_TOKENS = 4096
MAX_PROMPT_CHARS = 100_000


@dataclass(frozen=True)
class SamplingRequest:
    server: str
    messages: list[tuple[str, str]]  # (role, text)
    system_prompt: str | None = None
    max_tokens: int = MAX_TOKENS
    temperature: float | None = None
    stop_sequences: list[str] = field(default_factory=list)


SamplingModel = Callable[[SamplingRequest], Any]
"""``(request) -> text`` (or an awaitable of it)."""


class SamplingRefused(Exception):
    """Why a sampling request was not served; the message is what the server hears."""


RUNS_KEPT = 1024  # runs whose sampling counts a Sampler remembers


class Sampler:
    """Serves sampling requests with ``model``, at most ``max_calls`` of them per run (thread-safe counts)."""

    def __init__(self, model: SamplingModel, max_calls: int = 3, model_name: str = "agent-model") -> None:
        if max_calls < 0:
            raise ValueError("max_calls must be 0 or more")
        self.model, self.max_calls, self.model_name = model, max_calls, model_name
        self._counts: OrderedDict[str | None, int] = OrderedDict()  # run key -> requests served
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        """Requests served outside any named run."""
        return self._counts.get(None, 0)

    def reset(self, max_calls: int | None = None) -> None:
        """Count from zero (with a new allowance if given)."""
        with self._lock:
            self._counts.clear()
            if max_calls is not None:
                self.max_calls = max_calls

    def _take(self, run: str | None) -> int:
        with self._lock:
            used = self._counts.get(run, 0)
            if used >= self.max_calls:
                raise SamplingRefused(
                    f"the client's model allowance for sampling is used up ({self.max_calls} requests in this run)"
                )
            self._counts[run] = used + 1
            self._counts.move_to_end(run)
            while len(self._counts) > RUNS_KEPT:
                self._counts.popitem(last=False)
            return used + 1

    async def serve(self, server: str, params: Any, run: str | None = None) -> Any:
        """``CreateMessageRequestParams`` -> ``CreateMessageResult``; :class:`SamplingRefused` when not possible.
        ``run``: the run the asking call belongs to (its allowance), None for calls outside a run."""
        request = to_request(server, params)
        used = self._take(run)
        reply = self.model(request)
        if inspect.isawaitable(reply):
            reply = await reply
        text = reply if isinstance(reply, str) else str(getattr(reply, "content", reply))
        log.info("MCP server '%s': served a sampling request (%d of %d)", server, used, self.max_calls)
        return _result(text, self.model_name)


async def serve_in_run(server: str, params: Any, model: Any) -> Any:
    """Serve a sampling request with the run's lent model (:class:`graphs.run_model.LentModel`): within the
    run's bounds, counted in its stats; :class:`SamplingRefused` says which bound refused it."""
    from graphs.run_model import ModelRefused

    request = to_request(server, params)
    try:
        reply = await model.ainvoke(to_messages(request), request.max_tokens, request.stop_sequences or None)
    except ModelRefused as err:
        raise SamplingRefused(f"the agent's run cannot serve it: {err}") from None
    log.info("MCP server '%s': served a sampling request with the run's model", server)
    return _result(_text(reply), "agent-model")


def _result(text: str, model_name: str) -> Any:
    from mcp import types

    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text=text),
        model=model_name,
        stop_reason="endTurn",
    )


def _text(reply: Any) -> str:
    return str(reply.text) if hasattr(reply, "text") else str(reply.content)


def to_request(server: str, params: Any) -> SamplingRequest:
    """Only text messages and no tools: anything else is refused, saying what."""
    if getattr(params, "tools", None):
        raise SamplingRefused("this client does not run tools inside sampling requests")
    messages: list[tuple[str, str]] = []
    total = 0
    for message in params.messages:
        content = message.content
        blocks = content if isinstance(content, list) else [content]
        for block in blocks:
            if getattr(block, "type", None) != "text":
                raise SamplingRefused(f"this client samples text only (got {getattr(block, 'type', '?')} content)")
            total += len(block.text)
            messages.append((message.role, block.text))
    if total + len(params.system_prompt or "") > MAX_PROMPT_CHARS:
        raise SamplingRefused(f"the sampling prompt is longer than {MAX_PROMPT_CHARS} characters")
    return SamplingRequest(
        server=server,
        messages=messages,
        system_prompt=params.system_prompt,
        max_tokens=max(1, min(params.max_tokens, MAX_TOKENS)),
        temperature=params.temperature,
        stop_sequences=list(params.stop_sequences or []),
    )


def from_chat_model(model: Any) -> SamplingModel:
    """A LangChain chat model as a sampling model: the server's messages in, the reply's text out."""

    async def sample(request: SamplingRequest) -> str:
        messages = to_messages(request)
        options: dict[str, Any] = {"max_tokens": request.max_tokens}
        if request.stop_sequences:
            options["stop"] = request.stop_sequences
        try:
            reply = await model.ainvoke(messages, **options)
        except TypeError:  # a model that takes no such options
            reply = await model.ainvoke(messages)
        return _text(reply)

    return sample


def to_messages(request: SamplingRequest) -> list[Any]:
    """The server's messages as LangChain messages."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    messages: list[Any] = [SystemMessage(request.system_prompt)] if request.system_prompt else []
    return messages + [AIMessage(t) if role == "assistant" else HumanMessage(t) for role, t in request.messages]


def refusal(server: str) -> str:
    return (
        f"sampling is off for MCP server '{server}' in this client; the user can allow it with "
        f'"sampling": true in the server\'s entry of the MCP config'
    )


__all__ = [
    "Sampler",
    "SamplingModel",
    "SamplingRefused",
    "SamplingRequest",
    "from_chat_model",
    "refusal",
    "serve_in_run",
    "to_messages",
]
