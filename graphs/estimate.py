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

import itertools
import operator
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

_KEPT: dict[int, tuple[weakref.ref[Any], Any, Any, Any, int]] = {}  # id -> (ref, content, tool_calls, name, tokens)
_LIMIT = 100_000  # entries at most (each is small; the messages are only weakly held)
_lock = threading.RLock()


def _forget(key: int) -> None:
    # A weakref callback: it may run inside any allocation, even one made while ``_lock`` is held (a
    # collected prompt list freeing its messages), so it takes no lock; one dict pop is atomic.
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


_PREFIXES: OrderedDict[int, tuple[list[Any], int, int]] = OrderedDict()  # id(last message) -> (list, length, total)
_PREFIXES_KEPT = 64  # recent prompts (their lists are held, so the ids in them stay their own)
_TAIL_KEPT = 4  # prefixes kept per prompt: a prompt's last messages (notes) change from call to call
_WALK = 64  # messages looked back for a counted prefix


def estimate_tokens(messages: Iterable[Any]) -> int:
    """``count_tokens_approximately(messages)`` (its defaults), from each message's kept count.

    A prompt is the last one plus a few messages, so the sum of the longest prefix
    counted before (the very same message objects, in order) is reused and only
    the rest is counted.  Messages are taken as unchanged once in a thread's state.
    """
    items = list(messages)  # held by the cache: a copy, so the caller's later changes to it do not matter
    total, start = _counted_prefix(items)
    tail = [message_tokens(m) for m in items[start:]]
    total += sum(tail)
    if items:
        with _lock:
            running = total
            for back in range(min(_TAIL_KEPT, len(tail))):
                end = len(items) - back
                _PREFIXES[id(items[end - 1])] = (items, end, running)
                _PREFIXES.move_to_end(id(items[end - 1]))
                running -= tail[-1 - back]
            while len(_PREFIXES) > _PREFIXES_KEPT:
                _PREFIXES.popitem(last=False)
    return total


def _counted_prefix(items: list[Any]) -> tuple[int, int]:
    """(tokens, length) of the longest prefix of ``items`` counted before; (0, 0) when none was."""
    with _lock:
        for end in range(len(items), max(0, len(items) - _WALK), -1):
            hit = _PREFIXES.get(id(items[end - 1]))
            if hit is None:
                continue
            earlier, length, total = hit
            if (
                length == end
                and earlier[end - 1] is items[end - 1]
                and all(map(operator.is_, itertools.islice(earlier, end), items))
            ):
                return total, end
    return 0, 0


__all__ = ["estimate_tokens", "message_tokens"]
