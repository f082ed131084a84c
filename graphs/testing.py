"""A scripted chat model for tests — ours and yours.

    model = ScriptedModel([call("calculator", expression="2+2"), answer("4")])
    graph = build_agent(model=model, tools=[...], checkpointer=False)
    graph.invoke({"messages": "what is 2+2?"})
    model.assert_exhausted()

Each model call takes the next scripted reply: an ``AIMessage`` (see the
helpers), a string (a plain answer), or a function of the prompt returning
either.  Replies carry token usage estimated from the prompt, so budgets and
costs can be tested; prompts are recorded in ``model.prompts``.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field, PrivateAttr

Reply = AIMessage | str | Callable[[list[BaseMessage]], "AIMessage | str"]


def _call_id() -> str:
    return f"call_{uuid.uuid4().hex[:12]}"


def call(name: str, /, id: str | None = None, **args: Any) -> AIMessage:
    """A reply that calls one tool."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": id or _call_id(), "type": "tool_call"}])


def calls(*pairs: tuple[str, dict[str, Any]]) -> AIMessage:
    """A reply that calls several tools at once: ``calls(("a", {...}), ("b", {...}))``."""
    return AIMessage(
        content="", tool_calls=[{"name": n, "args": a, "id": _call_id(), "type": "tool_call"} for n, a in pairs]
    )


def raw_call(name: str, arguments: str, id: str | None = None) -> AIMessage:
    """A call whose arguments string did not parse, as LangChain reports it (``invalid_tool_calls``)."""
    return AIMessage(
        content="",
        invalid_tool_calls=[
            {"name": name, "args": arguments, "id": id or _call_id(), "error": "bad JSON", "type": "invalid_tool_call"}
        ],
    )


def answer(text: str) -> AIMessage:
    """A final answer."""
    return AIMessage(content=text)


def structured(value: BaseModel) -> AIMessage:
    """The reply a ``with_structured_output(type(value))`` call expects."""
    return call(type(value).__name__, **value.model_dump(mode="json"))


class ScriptedModel(BaseChatModel):
    """Replays scripted replies in order; fails loudly when the script runs out."""

    replies: list[Any] = Field(default_factory=list)
    cycle: bool = False
    usage: bool = True
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[list[str]] = Field(default_factory=list)
    _position: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, replies: Sequence[Reply] = (), **kwargs: Any) -> None:
        super().__init__(replies=list(replies), **kwargs)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def calls_made(self) -> int:
        return self._position

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any):  # type: ignore[override]
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def assert_exhausted(self) -> None:
        left = len(self.replies) - self._position
        assert left <= 0 or self.cycle, f"{left} scripted replies were not used"

    def _next(self, messages: list[BaseMessage], tools: list[dict] | None) -> AIMessage:
        with self._lock:
            if self._position >= len(self.replies) and not (self.cycle and self.replies):
                raise RuntimeError(f"ScriptedModel ran out of replies after {self._position} calls")
            reply = self.replies[self._position % len(self.replies)]
            self._position += 1
            self.prompts.append(list(messages))
            self.bound_tools.append([t["function"]["name"] for t in tools or []])
        if callable(reply) and not isinstance(reply, BaseMessage):
            reply = reply(list(messages))
        message = AIMessage(content=reply) if isinstance(reply, str) else reply.model_copy(deep=True)
        if not message.id:
            message.id = f"scripted-{uuid.uuid4().hex[:12]}"
        if self.usage and not message.usage_metadata:
            tokens_in = count_tokens_approximately(messages)
            tokens_out = count_tokens_approximately([message])
            message.usage_metadata = {
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            }
        return message

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages, kwargs.get("tools")))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._next(messages, kwargs.get("tools"))
        yield from message_chunks(message, run_manager)


def message_chunks(
    message: AIMessage, run_manager: CallbackManagerForLLMRun | None = None
) -> Iterator[ChatGenerationChunk]:
    """A message as the chunks a streaming server would send: words, then calls and usage."""
    text = message.content if isinstance(message.content, str) else ""
    words = text.split(" ")
    for index, word in enumerate(words):
        piece = word if index == len(words) - 1 else word + " "
        if not piece:
            continue
        chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece, id=message.id))
        if run_manager:
            run_manager.on_llm_new_token(piece, chunk=chunk)
        yield chunk
    yield ChatGenerationChunk(
        message=AIMessageChunk(
            content="",
            id=message.id,
            tool_call_chunks=[
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i, "type": "tool_call_chunk"}
                for i, c in enumerate(message.tool_calls)
            ]
            + [
                {
                    "name": c.get("name"),
                    "args": c.get("args"),
                    "id": c.get("id"),
                    "index": len(message.tool_calls) + i,
                    "type": "tool_call_chunk",
                }
                for i, c in enumerate(message.invalid_tool_calls)
            ],
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
        )
    )


__all__ = ["ScriptedModel", "answer", "call", "calls", "message_chunks", "raw_call", "structured"]
