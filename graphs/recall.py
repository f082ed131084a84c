"""Recall: finished rounds go into a LangGraph store; similar ones come back.

When the store has an embedding index (``InMemoryStore(index=...)``, a
PostgresStore with pgvector) its own similarity search is used.  Stores
without one (SqliteStore where sqlite-vec cannot load, PostgreSQL without
pgvector) get the embedding stored beside the text and are ranked here, by
cosine, which is fine for the few thousand rounds of a thread.

Embeddings come from an OpenAI-compatible endpoint when ``AGENT_EMBEDDING_MODEL``
names a model (or ``build_agent(embeddings=...)`` gives one), and otherwise from
:class:`HashingEmbeddings`, a deterministic local embedding
(feature hashing of words and CJK character pairs) that needs no model.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from langgraph.store.base import BaseStore

from graphs.context import LastRounds
from graphs.messages import current_task, thread_of

_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class HashingEmbeddings(Embeddings):
    """Deterministic bag-of-features embedding: words, and CJK unigrams and bigrams."""

    def __init__(self, dims: int = 256) -> None:
        self.dims = dims

    def _features(self, text: str) -> list[str]:
        text = text.lower()
        words = _WORD.findall(text)
        cjk = _CJK.findall(text)
        return words + cjk + [a + b for a, b in zip(cjk, cjk[1:], strict=False)]

    def embed_query(self, text: str) -> list[float]:
        vector = [0.0] * self.dims
        for feature in self._features(text):
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dims
            vector[index] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


class RecallMemory:
    """Stores rounds of a thread and finds the ones most like a query."""

    def __init__(self, store: BaseStore, embeddings: Embeddings | None = None) -> None:
        self.store = store
        self.embeddings = embeddings or HashingEmbeddings()
        self.indexed = getattr(store, "index_config", None) is not None

    @staticmethod
    def namespace(thread_id: str) -> tuple[str, ...]:
        return ("recall", thread_id)

    def remember(self, thread_id: str, key: str, text: str) -> None:
        value: dict[str, Any] = {"text": text}
        if self.indexed:
            self.store.put(self.namespace(thread_id), key, value, index=["text"])
        else:
            value["embedding"] = self.embeddings.embed_query(text)
            self.store.put(self.namespace(thread_id), key, value, index=False)

    def recall(self, thread_id: str, query: str, k: int, exclude: set[str] = frozenset()) -> list[str]:
        """Texts of the ``k`` stored rounds most similar to ``query``."""
        namespace = self.namespace(thread_id)
        if self.indexed:
            items = self.store.search(namespace, query=query, limit=k + len(exclude))
            return [i.value["text"] for i in items if i.key not in exclude][:k]
        target = self.embeddings.embed_query(query)
        scored = []
        offset = 0
        while batch := self.store.search(namespace, limit=500, offset=offset):
            for item in batch:
                if item.key not in exclude and "embedding" in item.value:
                    scored.append((cosine(target, item.value["embedding"]), item.key, item.value["text"]))
            offset += len(batch)
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [text for _, _, text in scored[:k]]


def index_config(embeddings: Embeddings, dims: int) -> dict[str, Any]:
    """An ``index=`` argument for stores that embed themselves."""
    return {"dims": dims, "embed": embeddings, "fields": ["text"]}


class Recall(LastRounds):
    """``recall``: the last N rounds, plus the earlier rounds most like the task (not already in the prompt)."""

    name = "recall"

    def __init__(self, memory: RecallMemory, *, k: int = 3, **options: Any) -> None:
        super().__init__(**options)
        self.memory, self.k = memory, k

    @classmethod
    def from_settings(cls, settings: Any, **resources: Any) -> Recall:
        """Embeddings from ``resources``, the endpoint (``AGENT_EMBEDDING_MODEL``) or local hashing;
        the given store, or one beside the checkpointer."""
        from graphs.llm import embeddings_from_settings
        from graphs.memory import open_store

        embeddings = resources.get("embeddings") or embeddings_from_settings(settings) or HashingEmbeddings()
        store = resources.get("store")
        if store is None:
            url = settings.resolved_checkpointer()
            dims = len(embeddings.embed_query("dimension probe"))
            store = open_store(url, index_config(embeddings, dims) if url.startswith("memory") else None)
        return cls(
            RecallMemory(store, embeddings),
            k=settings.recall_k,
            window=settings.context_window,
            threshold=settings.summary_threshold,
            rounds=settings.context_rounds,
        )

    @property
    def store(self) -> BaseStore:
        return self.memory.store

    def tail_notes(self, state: Any, config: Any, kept: set[str]) -> list[str]:
        """Recalled rounds differ from turn to turn: after the conversation, so the cached head stays."""
        recalled = self.memory.recall(thread_of(config) or "default", current_task(state), self.k, exclude=kept)
        return ["Earlier exchanges that may be relevant:\n" + "\n---\n".join(recalled)] if recalled else []

    def remember(self, state: Any, config: Any, answer: str) -> None:
        messages = state.get("messages", [])
        human = next((m for m in reversed(messages) if m.type == "human"), None)
        key = (human.id if human is not None and human.id else None) or str(len(messages))
        self.memory.remember(thread_of(config) or "default", key, f"User: {current_task(state)}\nAssistant: {answer}")


__all__ = ["HashingEmbeddings", "Recall", "RecallMemory", "cosine", "index_config"]
