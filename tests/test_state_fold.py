"""The messages reducer: its fast path gives exactly what the general one gives, ids included."""

from __future__ import annotations

import random
import uuid

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, RemoveMessage, ToolMessage
from langchain_core.messages.utils import convert_to_messages, message_chunk_to_message
from langgraph.graph.message import add_messages

from graphs.state import _IDS, fold_messages


def _reference(messages: list, batches: list) -> list:
    """The reducer as first written: every batch converted, ids derived, chunks made whole, add_messages on doubt."""
    out = list(messages)
    for batch in batches:
        items = convert_to_messages(batch if isinstance(batch, list) else [batch])
        items = [
            m if m.id else m.model_copy(update={"id": str(uuid.uuid5(_IDS, f"{len(out)}:{i}:{m.type}:{m.text}"))})
            for i, m in enumerate(items)
        ]
        items = [message_chunk_to_message(m) for m in items]
        seen = {m.id for m in out}
        if any(isinstance(m, RemoveMessage) or m.id in seen for m in items):
            out = add_messages(out, items)
        else:
            out.extend(items)
    return out


def _random_batch(rng: random.Random, known: list[str], n: int) -> list:
    batch: list = []
    for j in range(rng.randint(1, 3)):
        kind = rng.choice(["human", "ai", "tool", "chunk", "dict", "text", "replace", "remove"])
        mid = None if rng.random() < 0.4 else f"m{n}-{j}"
        if kind == "human":
            batch.append(HumanMessage(f"q{n}", id=mid))
        elif kind == "ai":
            batch.append(AIMessage(f"a{n}", id=mid))
        elif kind == "tool":
            batch.append(ToolMessage(f"r{n}", tool_call_id=f"c{n}", id=mid))
        elif kind == "chunk":
            batch.append(AIMessageChunk(content=f"c{n}", id=mid))
        elif kind == "dict":
            batch.append({"role": "user", "content": f"d{n}"})
        elif kind == "text":
            batch.append(f"plain {n}")
        elif kind == "replace" and known:
            batch.append(AIMessage(f"edited {n}", id=rng.choice(known)))
        elif kind == "remove" and known:
            batch.append(RemoveMessage(id=rng.choice(known)))
    return batch


def test_the_reducer_matches_its_first_form_on_every_kind_of_write():
    rng = random.Random(3)
    for _ in range(60):
        mine: list = []
        theirs: list = []
        for n in range(rng.randint(1, 12)):
            batches = [_random_batch(rng, [m.id for m in theirs], n) for _ in range(rng.randint(1, 3))]
            try:
                expected = _reference(theirs, batches)
            except ValueError:  # removing a message an earlier batch removed: the fast path must refuse too
                try:
                    fold_messages(mine, batches)
                except ValueError:
                    break
                raise AssertionError("the reducer accepted what add_messages refuses") from None
            mine, theirs = fold_messages(mine, batches), expected
            assert [(type(m), m.id, m.content) for m in mine] == [(type(m), m.id, m.content) for m in theirs]
