"""Token estimates of messages, each message counted once however many prompts it is part of.

LangChain's ``count_tokens_approximately`` counts every message of a list on
each call; a run estimates its whole prompt before every model call (for a
model that reports no usage, for the context budget, for a rate limiter), so a
long run paid for its history again at every turn.  With its defaults the count
of a list is the sum of its messages' counts, so each message's count is kept
while the message lives (keyed by its identity, checked against its content and
tool calls, dropped when it is collected).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import Any

_KEPT: dict[int, tuple[weakref.ref[Any], Any, Any, Any, int]] = {}  # id -> (ref, content, tool_calls, name, tokens)
_LIMIT = 100_000  # entries at most (each is small; the messages are only weakly held)
_lock = threading.Lock()


def _forget(key: int) -> None:
    with _lock:
        _KEPT.pop(key, None)


def message_tokens(message: Any) -> int:
    """``count_tokens_approximately([message])``, kept while the message is unchanged."""
    from langchain_core.messages.utils import count_tokens_approximately

    key = id(message)
    kept = _KEPT.get(key)
    try:
        content, name = message.content, message.name
        calls = message.tool_calls if message.type == "ai" else None
    except AttributeError:  # a message-like value (a string, a tuple, a dict)
        return count_tokens_approximately([message])
    if kept is not None and kept[0]() is message and kept[1] is content and kept[2] is calls and kept[3] is name:
        return kept[4]
    tokens = count_tokens_approximately([message])
    try:
        ref = weakref.ref(message, lambda _, key=key: _forget(key))
    except TypeError:  # a message-like value that cannot be weakly held (a dict, a tuple): not kept
        return tokens
    with _lock:
        if len(_KEPT) >= _LIMIT:
            _KEPT.clear()
        _KEPT[key] = (ref, content, calls, name, tokens)
    return tokens


def estimate_tokens(messages: Iterable[Any]) -> int:
    """``count_tokens_approximately(messages)`` (its defaults), from each message's kept count."""
    return sum(message_tokens(m) for m in messages)


__all__ = ["estimate_tokens", "message_tokens"]
