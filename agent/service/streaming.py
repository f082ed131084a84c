"""From LangGraph's stream to the Agent Protocol's events: names and payloads as ``langgraph-sdk`` expects.

``messages-tuple`` becomes ``messages`` events of ``[chunk, metadata]``; the
older ``messages`` mode becomes ``messages/metadata`` (once per message),
``messages/partial`` (the message so far) and ``messages/complete``; a chunk of
a subgraph gets ``mode|namespace`` as its event name; ``events`` carries
LangChain's ``astream_events`` records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MODES = frozenset(
    {"values", "updates", "messages", "messages-tuple", "custom", "events", "debug", "tasks", "checkpoints"}
)


def graph_modes(requested: list[str]) -> list[str]:
    """The stream modes to ask LangGraph for."""
    modes = {"messages" if m in ("messages", "messages-tuple") else m for m in requested if m != "events"}
    return sorted(modes) or ["values"]


class Converter:
    """Turns one run's LangGraph chunks into (event name, data) pairs."""

    def __init__(self, requested: list[str]) -> None:
        self.requested = set(requested)
        self.partial: dict[str, Any] = {}  # message id -> the chunks so far (``messages`` mode)

    def convert(self, mode: str, chunk: Any, namespace: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
        suffix = "|" + "|".join(namespace) if namespace else ""
        if mode != "messages":
            yield mode + suffix, chunk
            return
        message, metadata = chunk
        if "messages-tuple" in self.requested:
            yield "messages" + suffix, [message, metadata]
        if "messages" in self.requested:
            yield from self._v1(message, metadata, suffix)

    def _v1(self, message: Any, metadata: dict[str, Any], suffix: str) -> Iterator[tuple[str, Any]]:
        from langchain_core.messages import BaseMessageChunk, message_chunk_to_message

        key = message.id or str(id(message))
        if key in self.partial:
            self.partial[key] = self.partial[key] + message
        else:
            self.partial[key] = message
            yield "messages/metadata" + suffix, {key: {"metadata": metadata}}
        if isinstance(message, BaseMessageChunk):
            yield "messages/partial" + suffix, [self.partial[key]]
        else:
            yield "messages/complete" + suffix, [message_chunk_to_message(self.partial[key])]


__all__ = ["MODES", "Converter", "graph_modes"]
