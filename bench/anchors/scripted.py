"""Zero-latency chat models every contender shares, written as a LangChain user writes a custom model.

``ToolLoopModel(k)`` asks for one ``add`` call per turn until it has seen ``k``
tool results in its prompt, then answers: its cost is near nothing, so what a
run costs is the framework's.  ``ConversationModel`` plays one user turn per
invocation of a long thread: one tool call, then an answer of ~1 KB.  Their
text is pseudo-random words (seeded, so every contender stores the same
bytes), not one repeated letter that a database would compress to nothing.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool

QUESTION_CHARS = 200
ANSWER_CHARS = 1000


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def words(seed: int, length: int) -> str:
    """``length`` characters of lowercase pseudo-words, the same for the same seed."""
    rng = random.Random(seed)
    letters = string.ascii_lowercase
    out: list[str] = []
    size = 0
    while size < length:
        word = "".join(rng.choices(letters, k=rng.randint(2, 9)))
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:length]


def question(turn: int) -> str:
    return words(2 * turn, QUESTION_CHARS)


def turn_args(turn: int) -> dict[str, int]:
    return {"a": turn, "b": 1}


def text_bytes_per_turn(turn: int) -> int:
    """Conversation text of one turn: question, tool arguments (JSON), tool result, answer."""
    args = turn_args(turn)
    return (
        len(question(turn).encode())
        + len(json.dumps(args).encode())
        + len(str(args["a"] + args["b"]).encode())
        + len(words(2 * turn + 1, ANSWER_CHARS).encode())
    )


def _reply(message: AIMessage) -> ChatResult:
    return ChatResult(generations=[ChatGeneration(message=message)])


class ToolLoopModel(BaseChatModel):
    """Calls ``add`` until ``k`` tool results are in the prompt, then answers ``done``."""

    k: int = 10

    @property
    def _llm_type(self) -> str:
        return "bench-tool-loop"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolLoopModel:  # type: ignore[override]
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        seen = sum(isinstance(m, ToolMessage) for m in messages)
        if seen >= self.k:
            return _reply(AIMessage(content="done"))
        call = {"name": "add", "args": {"a": seen, "b": 1}, "id": f"call_{seen}", "type": "tool_call"}
        return _reply(AIMessage(content="", tool_calls=[call]))


class ConversationModel(BaseChatModel):
    """Per user turn: one ``add`` call, then a ~1 KB answer (turn n is the n-th human message)."""

    @property
    def _llm_type(self) -> str:
        return "bench-conversation"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ConversationModel:  # type: ignore[override]
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        turn = sum(isinstance(m, HumanMessage) for m in messages)
        if isinstance(messages[-1], HumanMessage):
            call = {"name": "add", "args": turn_args(turn), "id": f"call_{turn}", "type": "tool_call"}
            return _reply(AIMessage(content="", tool_calls=[call]))
        return _reply(AIMessage(content=words(2 * turn + 1, ANSWER_CHARS)))


__all__ = ["ConversationModel", "ToolLoopModel", "add", "question", "text_bytes_per_turn", "words"]
