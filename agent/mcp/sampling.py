"""Sampling: a server asks the client's model for a completion (``sampling/createMessage``).

Off unless the user allows it for that server (``"sampling": true`` in its
entry of the MCP config): a server could otherwise spend the user's model
budget, or use the model to act on what it sees.  A refused request gets an
error that says how to allow it.  When allowed, a :class:`Sampler` serves it
with the model callable it was given (the agent's model), at most
``max_calls`` times (the run's bounds: the service hands each run its own
allowance with :meth:`Sampler.reset`), text only, with ``maxTokens`` capped.

A model callable takes a :class:`SamplingRequest` and returns the text (or an
awaitable of it); :func:`from_chat_model` adapts a LangChain chat model.
"""

from __future__ import annotations

import inspect
import logging
import threading
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


class Sampler:
    """Serves sampling requests with ``model``, at most ``max_calls`` of them (thread-safe count)."""

    def __init__(self, model: SamplingModel, max_calls: int = 3, model_name: str = "agent-model") -> None:
        if max_calls < 0:
            raise ValueError("max_calls must be 0 or more")
        self.model, self.max_calls, self.model_name = model, max_calls, model_name
        self.calls = 0
        self._lock = threading.Lock()

    def reset(self, max_calls: int | None = None) -> None:
        """A new run: count from zero (with a new allowance if given)."""
        with self._lock:
            self.calls = 0
            if max_calls is not None:
                self.max_calls = max_calls

    def _take(self, server: str) -> None:
        with self._lock:
            if self.calls >= self.max_calls:
                raise SamplingRefused(
                    f"the client's model allowance for sampling is used up ({self.max_calls} requests in this run)"
                )
            self.calls += 1

    async def serve(self, server: str, params: Any) -> Any:
        """``CreateMessageRequestParams`` -> ``CreateMessageResult``; :class:`SamplingRefused` when not possible."""
        from mcp import types

        request = to_request(server, params)
        self._take(server)
        reply = self.model(request)
        if inspect.isawaitable(reply):
            reply = await reply
        text = reply if isinstance(reply, str) else str(getattr(reply, "content", reply))
        log.info("MCP server '%s': served a sampling request (%d of %d)", server, self.calls, self.max_calls)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=text),
            model=self.model_name,
            stop_reason="endTurn",
        )


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
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        messages: list[Any] = [SystemMessage(request.system_prompt)] if request.system_prompt else []
        messages += [AIMessage(t) if role == "assistant" else HumanMessage(t) for role, t in request.messages]
        options: dict[str, Any] = {"max_tokens": request.max_tokens}
        if request.stop_sequences:
            options["stop"] = request.stop_sequences
        try:
            reply = await model.ainvoke(messages, **options)
        except TypeError:  # a model that takes no such options
            reply = await model.ainvoke(messages)
        return str(reply.text) if hasattr(reply, "text") else str(reply.content)

    return sample


def refusal(server: str) -> str:
    return (
        f"sampling is off for MCP server '{server}' in this client; the user can allow it with "
        f'"sampling": true in the server\'s entry of the MCP config'
    )


__all__ = ["Sampler", "SamplingModel", "SamplingRefused", "SamplingRequest", "from_chat_model", "refusal"]
