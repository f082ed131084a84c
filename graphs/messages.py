"""Reading the conversation: the task, the last model message, the calls still open; and events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage, AnyMessage, ToolCall
    from langchain_core.runnables import RunnableConfig


def emit(event: dict[str, Any]) -> None:
    """Send an event to ``stream_mode="custom"`` consumers, if any are listening."""
    from langgraph.config import get_stream_writer

    try:
        get_stream_writer()(event)
    except RuntimeError:  # called outside a graph run (unit tests of a node)
        pass


def last_ai(messages: list[AnyMessage]) -> tuple[int, AIMessage | None]:
    """The model's last message of the current round, and its index."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].type == "ai":
            return index, messages[index]  # type: ignore[return-value]
        if messages[index].type == "human":
            break
    return -1, None


def unanswered_calls(messages: list[AnyMessage]) -> list[ToolCall]:
    """Tool calls of the last model message that no tool message answers yet."""
    index, ai = last_ai(messages)
    if ai is None:
        return []
    answered = {m.tool_call_id for m in messages[index + 1 :] if m.type == "tool"}  # type: ignore[attr-defined]
    return [c for c in ai.tool_calls if c["id"] not in answered]


def current_task(state: Any) -> str:
    """The task of the run: the last user message (derived, so checkpoints need not store it)."""
    return next((m.text for m in reversed(state.get("messages", [])) if m.type == "human"), "")


def thread_of(config: RunnableConfig | None) -> str | None:
    value = ((config or {}).get("configurable") or {}).get("thread_id")
    return None if value is None else str(value)


def one_line(err: BaseException) -> str:
    """An exception as one line, with any ``user:password@`` of a URL removed."""
    from tools.redact import strip_userinfo

    text = strip_userinfo(" ".join(str(err).split()))[:300]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


__all__ = ["current_task", "emit", "last_ai", "one_line", "thread_of", "unanswered_calls"]
