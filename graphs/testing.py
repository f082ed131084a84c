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

import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, Field, PrivateAttr

from graphs.estimate import estimate_tokens, message_tokens
from graphs.local_model import LocalChatModel

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


class ScriptExhausted(AssertionError):
    """The graph called the model more often than the script has replies: the test is wrong, loudly.

    An AssertionError, not a provider error, so no node takes it for a failed
    model call (it would end the run as ``model_error`` and hide the mistake).
    """


class ScriptedModel(LocalChatModel):
    """Replays scripted replies in order; fails loudly when the script runs out."""

    replies: list[Any] = Field(default_factory=list)
    cycle: bool = False
    leftover: bool = False  # the run is meant to stop before the script ends (the test suite checks the others)
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

    def assert_exhausted(self) -> None:
        left = len(self.replies) - self._position
        assert left <= 0 or self.cycle or self.leftover, f"{left} scripted replies were not used"

    def reply(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> AIMessage:
        with self._lock:
            if self._position >= len(self.replies) and not (self.cycle and self.replies):
                raise ScriptExhausted(
                    f"ScriptedModel ran out of replies after {self._position} calls; the last prompt ended with: "
                    f"{messages[-1].type if messages else 'nothing'}: {messages[-1].text[:200] if messages else ''}"
                )
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
            tokens_in = estimate_tokens(messages)
            tokens_out = message_tokens(message)
            message.usage_metadata = {
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            }
        return message


__all__ = ["ScriptExhausted", "ScriptedModel", "answer", "call", "calls", "raw_call", "structured"]
