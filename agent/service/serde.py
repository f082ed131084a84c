"""JSON for the wire: state values, messages, interrupts, checkpoints, as LangGraph's server writes them."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import orjson


def _default(value: Any) -> Any:
    from langchain_core.messages import BaseMessage
    from pydantic import BaseModel

    if isinstance(value, BaseMessage):
        return value.model_dump()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if type(value).__name__ == "Interrupt" and hasattr(value, "value"):
        return {"value": value.value, "id": getattr(value, "id", None)}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)


def plain(value: Any) -> Any:
    """``value`` as plain JSON data (lists, dicts, strings, numbers)."""
    return orjson.loads(dumps(value))


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


__all__ = ["dumps", "now", "plain"]
