"""A chat model whose reply is computed in Python: the base of the offline and scripted models.

Subclasses write ``reply(messages, tools)`` (or ``respond``, which also gets the
call's tags: the graph marks plan, summary and final-answer calls with them);
this class binds tools the way
real chat models do (so ``with_structured_output`` works through tool
calling) and streams the reply the way a server would: words, then the tool
calls and usage in a last chunk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool


class LocalChatModel(BaseChatModel):
    """Tool binding, generation and streaming around a ``reply`` method."""

    def reply(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> AIMessage:
        raise NotImplementedError

    def respond(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None, tags: list[str]) -> AIMessage:
        return self.reply(messages, tools)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any):  # type: ignore[override]
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self.respond(messages, kwargs.get("tools"), _tags(run_manager))
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from message_chunks(self.respond(messages, kwargs.get("tools"), _tags(run_manager)), run_manager)


def _tags(run_manager: CallbackManagerForLLMRun | None) -> list[str]:
    return list(run_manager.tags or []) if run_manager is not None else []


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
    calls = [{"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"]} for c in message.tool_calls]
    calls += [{"name": c.get("name"), "args": c.get("args"), "id": c.get("id")} for c in message.invalid_tool_calls]
    yield ChatGenerationChunk(
        message=AIMessageChunk(
            content="",
            id=message.id,
            tool_call_chunks=[{**c, "index": i, "type": "tool_call_chunk"} for i, c in enumerate(calls)],
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
        )
    )


__all__ = ["LocalChatModel", "message_chunks"]
