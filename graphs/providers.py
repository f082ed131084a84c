"""The agent's chat clients: LangChain's OpenAI-protocol models, plus what a bill and a user need.

:func:`graphs.llm.build_chat_model` builds :class:`AgentChatOpenAI` (OpenAI itself) or
:class:`AgentChatCompatible` (every other endpoint; ``ChatDeepSeek`` underneath, which
keeps ``reasoning_content``).  Both add, through one mixin:

* the whole token usage, read from the raw response where LangChain does not map it
  (:mod:`graphs.providers_usage`): cached input, explicit cache writes, reasoning;
* the timing of each call in its message's ``response_metadata``: ``ttft_ms`` (until
  the first streamed token of text, reasoning or a tool call; the whole call when not
  streamed) and ``duration_ms``;
* per-call options, passed as keyword arguments (``model.bind(agent_think=True)``):
  ``agent_think`` (thinking on or off, the provider's field from
  :func:`graphs.llm.thinking_fields`) and ``agent_prefix`` (continue a given beginning
  of the answer: a final assistant message with the provider's marker, sent through
  the request body because LangChain's converters drop such keys; the answer keeps the
  prefix, streamed first);
* the process-wide rate limiter of the endpoint and model (:mod:`graphs.ratelimit`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from graphs.pricing import Pricing
from graphs.providers_usage import normalize_usage, raw_usage
from graphs.ratelimit import RateLimiter, Slot, limiter_for
from tools.redact import strip_userinfo

THINK, PREFIX = "agent_think", "agent_prefix"


class ModelOptions(BaseModel):
    """What the agent knows about a built model: provider features, defaults, prices and limits."""

    model_config = ConfigDict(frozen=True)

    provider: str = "openai-compatible"
    think_style: str = "none"
    prefix_style: str = "none"
    json_style: str = "none"
    think: bool | None = None  # the default when a call does not say (None: the server's default)
    thinking_budget: int | None = None
    pricing: Pricing | None = None
    rpm: int | None = None
    tpm: int | None = None
    endpoint: str = ""


def _has_token(chunk: ChatGenerationChunk) -> bool:
    """A chunk carrying something of the answer: text, reasoning or a tool call."""
    message = chunk.message
    return bool(
        message.text
        or (message.additional_kwargs or {}).get("reasoning_content")
        or getattr(message, "tool_call_chunks", None)
    )


def _settle(slot: Slot | None, message: BaseMessage | None) -> None:
    usage = getattr(message, "usage_metadata", None)
    if slot is not None and usage:
        slot.settle(int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0))


def _timing_chunk(started: float, first: float | None) -> ChatGenerationChunk:
    now = time.perf_counter()
    timing = {"ttft_ms": round(((first or now) - started) * 1000), "duration_ms": round((now - started) * 1000)}
    return ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last", response_metadata=timing))


class _AgentModel:
    """The mixin; ``agent_options`` (a field) and ``_prefix_copy`` (private) are declared by each concrete class."""

    # --- options -----------------------------------------------------------------
    def supports_prefix(self) -> bool:
        return self.agent_options.prefix_style != "none"

    def _body_fields(self, think: bool | None, prefix: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """The request-body fields and the final message's fields for this call."""
        from graphs.llm import prefix_fields, thinking_fields

        opts = self.agent_options
        body: dict[str, Any] = {}
        think = opts.think if think is None else think
        if think is not None:
            body.update(thinking_fields(opts.think_style, think, opts.thinking_budget))  # type: ignore[arg-type]
        message: dict[str, Any] = {}
        if prefix:
            message, extra = prefix_fields(opts.prefix_style)  # type: ignore[arg-type]
            body.update(extra)
        return body, message

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
        think, prefix = kwargs.pop(THINK, None), kwargs.pop(PREFIX, None)
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)  # type: ignore[misc]
        body, marker = self._body_fields(think, prefix)
        if prefix:
            payload["messages"].append({"role": "assistant", "content": prefix, **marker})
        if body:
            extra = dict(payload.get("extra_body") or {})
            for key, value in body.items():  # nested settings (chat_template_kwargs) merge, not replace
                nested = isinstance(value, dict) and isinstance(extra.get(key), dict)
                extra[key] = {**extra[key], **value} if nested else value
            payload["extra_body"] = extra
        return payload

    def _target(self, prefix: str | None) -> Any:
        """The client for this call: DeepSeek serves prefix completion on its beta API."""
        from graphs.llm import prefix_base_url

        if not prefix or self.agent_options.prefix_style != "prefix":
            return self
        if self._prefix_copy is None:
            url = prefix_base_url("prefix", str(getattr(self, "api_base", "") or self.agent_options.endpoint))
            nulls = dict.fromkeys(("client", "async_client", "root_client", "root_async_client"))
            copy = self.model_copy(update={"api_base": url, **nulls})  # type: ignore[attr-defined]
            self._prefix_copy = copy.validate_environment()
        return self._prefix_copy

    def json_output(self, schema: Any) -> Any:
        """Structured output through ``response_format`` (a JSON schema, or JSON-object mode), raw included.

        ``BaseChatOpenAI``'s own method: ``ChatDeepSeek`` would turn a JSON schema into tool calling.
        """
        from langchain_openai.chat_models.base import BaseChatOpenAI

        method = "json_schema" if self.agent_options.json_style == "schema" else "json_mode"
        return BaseChatOpenAI.with_structured_output(self, schema, method=method, include_raw=True)  # type: ignore[arg-type]

    # --- limits ------------------------------------------------------------------
    def _limiter(self) -> RateLimiter | None:
        opts = self.agent_options
        return limiter_for(opts.endpoint, getattr(self, "model_name", ""), opts.rpm, opts.tpm)

    def _estimate(self, messages: list[BaseMessage]) -> int:
        """Tokens a request may use, as providers count them against a limit: the prompt and the most
        the answer may take (``max_tokens``, when set); corrected by the real count when it answers."""
        from graphs.estimate import estimate_tokens

        prompt = estimate_tokens(messages) if messages else 0
        return prompt + int(getattr(self, "max_tokens", None) or 0)

    # --- usage from the raw response -----------------------------------------------
    def _create_chat_result(self, response: Any, generation_info: dict | None = None) -> ChatResult:
        result = super()._create_chat_result(response, generation_info)  # type: ignore[misc]
        if (usage := raw_usage(response)) is not None:
            for generation in result.generations:
                normalize_usage(generation.message, usage)
        return result

    def _convert_chunk_to_generation_chunk(
        self, chunk: dict, default_chunk_class: type, base_generation_info: dict | None
    ) -> ChatGenerationChunk | None:
        generation = super()._convert_chunk_to_generation_chunk(  # type: ignore[misc]
            chunk, default_chunk_class, base_generation_info
        )
        if generation is not None and isinstance(chunk.get("usage"), dict):
            normalize_usage(generation.message, chunk["usage"])
        return generation

    # --- calls ---------------------------------------------------------------------
    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        limiter, prefix = self._limiter(), kwargs.get(PREFIX)
        slot = limiter.acquire(self._estimate(messages)) if limiter else None
        started = time.perf_counter()
        result = super(_AgentModel, self._target(prefix))._generate(messages, stop, run_manager, **kwargs)  # type: ignore[misc]
        return self._finished(result, started, prefix, slot)

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        limiter, prefix = self._limiter(), kwargs.get(PREFIX)
        slot = await limiter.aacquire(self._estimate(messages)) if limiter else None
        started = time.perf_counter()
        target = super(_AgentModel, self._target(prefix))
        result = await target._agenerate(messages, stop, run_manager, **kwargs)  # type: ignore[misc]
        return self._finished(result, started, prefix, slot)

    @staticmethod
    def _finished(result: ChatResult, started: float, prefix: str | None, slot: Slot | None) -> ChatResult:
        elapsed = round((time.perf_counter() - started) * 1000)
        for generation in result.generations:
            message = generation.message
            if prefix and isinstance(message.content, str):
                message.content = prefix + message.content
            message.response_metadata = {**message.response_metadata, "ttft_ms": elapsed, "duration_ms": elapsed}
        _settle(slot, result.generations[0].message if result.generations else None)
        return result

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        limiter, prefix = self._limiter(), kwargs.get(PREFIX)
        slot = limiter.acquire(self._estimate(messages)) if limiter else None
        started, first, last = time.perf_counter(), None, None
        if prefix:
            yield self._prefix_chunk(prefix, run_manager)
        target = super(_AgentModel, self._target(prefix))
        for chunk in target._stream(messages, stop, run_manager, **kwargs):  # type: ignore[misc]
            if first is None and _has_token(chunk):
                first = time.perf_counter()
            if chunk.message.usage_metadata:  # type: ignore[attr-defined]
                last = chunk.message
            yield chunk
        _settle(slot, last)
        yield _timing_chunk(started, first)

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        limiter, prefix = self._limiter(), kwargs.get(PREFIX)
        slot = await limiter.aacquire(self._estimate(messages)) if limiter else None
        started, first, last = time.perf_counter(), None, None
        if prefix:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=prefix))
            if run_manager:
                await run_manager.on_llm_new_token(prefix, chunk=chunk)
            yield chunk
        target = super(_AgentModel, self._target(prefix))
        async for chunk in target._astream(messages, stop, run_manager, **kwargs):  # type: ignore[misc]
            if first is None and _has_token(chunk):
                first = time.perf_counter()
            if chunk.message.usage_metadata:  # type: ignore[attr-defined]
                last = chunk.message
            yield chunk
        _settle(slot, last)
        yield _timing_chunk(started, first)

    @staticmethod
    def _prefix_chunk(prefix: str, run_manager: Any) -> ChatGenerationChunk:
        """The given beginning, streamed first so the answer reads whole (it is not a token of the model)."""
        chunk = ChatGenerationChunk(message=AIMessageChunk(content=prefix))
        if run_manager:
            run_manager.on_llm_new_token(prefix, chunk=chunk)
        return chunk


@cache
def client_classes() -> tuple[type, type]:
    """The two client classes, made on first use (langchain-openai and langchain-deepseek load then)."""
    from langchain_deepseek import ChatDeepSeek
    from langchain_openai import ChatOpenAI

    class AgentChatOpenAI(_AgentModel, ChatOpenAI):  # type: ignore[misc]
        """OpenAI's own endpoint."""

        agent_options: ModelOptions = Field(default_factory=ModelOptions, exclude=True)
        _prefix_copy: Any = PrivateAttr(default=None)

    class AgentChatCompatible(_AgentModel, ChatDeepSeek):  # type: ignore[misc]
        """Any other OpenAI-compatible endpoint (DashScope, DeepSeek, vLLM, SGLang, Ollama, …)."""

        agent_options: ModelOptions = Field(default_factory=ModelOptions, exclude=True)
        _prefix_copy: Any = PrivateAttr(default=None)

    for cls in (AgentChatOpenAI, AgentChatCompatible):
        cls.__qualname__ = cls.__name__
    return AgentChatOpenAI, AgentChatCompatible


def __getattr__(name: str) -> Any:
    """``AgentChatOpenAI`` and ``AgentChatCompatible``, made when first asked for."""
    if name in ("AgentChatOpenAI", "AgentChatCompatible"):
        return dict(zip(("AgentChatOpenAI", "AgentChatCompatible"), client_classes(), strict=True))[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def provider_errors() -> tuple[type[BaseException], ...]:
    """What a model provider raises when a call fails (network, HTTP status, a malformed reply).

    Anything else a model raises is a bug, and is left to surface.

    The SDKs' own errors count only once their SDK is loaded: a client that never
    imported it cannot raise them, and an offline run never pays for importing it.
    Asked where a failure is caught (an ``except`` clause reads it only then), so a
    client that loads its SDK on its first call is covered too.
    """
    import sys

    errors: list[type[BaseException]] = [ConnectionError, TimeoutError, ValueError]
    if (openai := sys.modules.get("openai")) is not None and hasattr(openai, "OpenAIError"):
        errors.append(openai.OpenAIError)
    if (httpx := sys.modules.get("httpx")) is not None and hasattr(httpx, "HTTPError"):
        errors.append(httpx.HTTPError)
    from langchain_core.exceptions import LangChainException

    errors.append(LangChainException)
    return tuple(errors)


def endpoint_of(model: Any) -> str:
    """Where a model sends its requests, for error messages (never a key)."""
    for attr in ("api_base", "openai_api_base"):
        if value := getattr(model, attr, None):
            return strip_userinfo(str(value))
    if getattr(model, "_llm_type", "") in ("openai-chat",):
        return "https://api.openai.com/v1"
    return getattr(model, "_llm_type", type(model).__name__)


def options_of(model: Any) -> ModelOptions | None:
    """The agent's options of a model (through ``bind``/``bind_tools`` wrappers), or None for other models."""
    while model is not None and not isinstance(model, _AgentModel):
        model = getattr(model, "bound", None)
    return model.agent_options if model is not None else None


def agent_model(model: Any) -> Any:
    """The :class:`_AgentModel` under any ``bind`` wrappers, or None."""
    while model is not None and not isinstance(model, _AgentModel):
        model = getattr(model, "bound", None)
    return model


def with_think(model: Any, think: bool) -> Any:
    """A copy of one of our models whose calls switch thinking on or off; any other model as it is."""
    ours = agent_model(model)
    if ours is None or ours is not model or ours.agent_options.think == think:
        return model
    options = ours.agent_options.model_copy(update={"think": think})
    copy = ours.model_copy(update={"agent_options": options})
    copy._prefix_copy = None  # a prefix client made for the original keeps the original's switch
    return copy


def prefix_problem(model: Any) -> str | None:
    """Why ``model`` cannot continue a given beginning of its answer (``--prefix``), or None when it can."""
    from graphs.llm import PROVIDERS

    able = ", ".join(name for name, p in PROVIDERS.items() if p.prefix != "none")
    ours = agent_model(model)
    if ours is not None and ours.supports_prefix():
        return None
    who = ours.agent_options.provider if ours is not None else type(model).__name__
    return f"{who} cannot continue a given beginning of the answer (--prefix); providers that can: {able}"


__all__ = [
    "PREFIX",
    "THINK",
    "ModelOptions",
    "agent_model",
    "client_classes",
    "endpoint_of",
    "options_of",
    "prefix_problem",
    "provider_errors",
    "with_think",
]
