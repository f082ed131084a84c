"""Result values made JSON-safe and bounded, with notes telling the model what was cut.

Both engines pass their cursor rows through :func:`collect_rows`, so a huge
text, a blob or a ``Decimal`` looks the same whichever engine produced it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tools.db.limits import MAX_BLOB_BYTES, MAX_CELL_CHARS, MAX_RESULT_CHARS


@dataclass
class _Conversion:
    """Flags raised while converting a result, turned into notes for the model."""

    cut_text: bool = False
    binary: bool = False
    decimal: bool = False


def _cut(text: str, conv: _Conversion) -> str:
    if len(text) <= MAX_CELL_CHARS:
        return text
    conv.cut_text = True
    return f"{text[:MAX_CELL_CHARS]}…[truncated: {len(text)} chars in total]"


def json_safe(value: Any, conv: _Conversion | None = None) -> Any:
    """A value any JSON encoder accepts, with long text and binary data bounded."""
    conv = conv or _Conversion()
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _cut(value, conv)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _binary(bytes(value), conv)
    if isinstance(value, Decimal):
        return _decimal(value, conv)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (list, tuple, dict)):
        return _container(value, conv)
    return _cut(str(value), conv)  # UUID, ip addresses, ranges, ...


def _float(value: float) -> float | str:
    """NaN and infinities as text: JSON has no such numbers."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _decimal(value: Decimal, conv: _Conversion) -> str:
    """Exact text, so no digit is lost to a float."""
    conv.decimal = True
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "Infinity" if value > 0 else "-Infinity"
    return str(value)


def _binary(data: bytes, conv: _Conversion) -> str:
    conv.binary = True
    shown = base64.b64encode(data[:MAX_BLOB_BYTES]).decode("ascii")
    if len(data) > MAX_BLOB_BYTES:
        return f"base64:{shown}…[truncated: {len(data)} bytes in total]"
    return f"base64:{shown}"


def _container(value: list[Any] | tuple[Any, ...] | dict[Any, Any], conv: _Conversion) -> Any:
    """A JSON/array value converted item by item; cut as text when its JSON is too long."""
    inner = _Conversion()
    if isinstance(value, dict):
        converted: Any = {str(k): json_safe(v, inner) for k, v in value.items()}
    else:
        converted = [json_safe(v, inner) for v in value]
    conv.binary |= inner.binary
    conv.decimal |= inner.decimal
    conv.cut_text |= inner.cut_text
    encoded = json.dumps(converted, ensure_ascii=False)
    if len(encoded) > MAX_CELL_CHARS:
        return _cut(encoded, conv)
    return converted


@dataclass
class Rows:
    """Rows taken from a cursor under the row and size limits."""

    rows: list[list[Any]]
    truncated: bool
    notes: list[str]


def collect_rows(source: Any, max_rows: int) -> Rows:
    """Take at most ``max_rows`` rows from an iterable of row tuples, JSON-safe.

    Reads one row more than allowed to know whether the result was cut, and
    stops early when the rows' JSON passes :data:`MAX_RESULT_CHARS`.
    """
    conv = _Conversion()
    rows: list[list[Any]] = []
    size = 0
    by_rows = by_size = False
    for raw in source:
        if len(rows) >= max_rows:
            by_rows = True
            break
        row = [json_safe(v, conv) for v in raw]
        size += len(json.dumps(row, ensure_ascii=False)) + 1
        if size > MAX_RESULT_CHARS and rows:
            by_size = True
            break
        rows.append(row)
    notes = _cut_notes(len(rows), max_rows, by_rows, by_size) + _value_notes(conv)
    return Rows(rows=rows, truncated=by_rows or by_size, notes=notes)


def _cut_notes(shown: int, max_rows: int, by_rows: bool, by_size: bool) -> list[str]:
    notes = []
    if by_rows:
        notes.append(
            f"Only the first {shown} rows are shown (row limit {max_rows}); the result has more. "
            "Narrow it with WHERE/LIMIT/OFFSET or aggregate (COUNT, GROUP BY)."
        )
    if by_size:
        notes.append(
            f"Only the first {shown} rows are shown: the result passed {MAX_RESULT_CHARS} characters. "
            "Select fewer or shorter columns."
        )
    return notes


def _value_notes(conv: _Conversion) -> list[str]:
    notes = []
    if conv.cut_text:
        notes.append(f"Text longer than {MAX_CELL_CHARS} characters was cut (marked '…[truncated: N chars in total]').")
    if conv.binary:
        notes.append(f"Binary values are shown as 'base64:...' (first {MAX_BLOB_BYTES} bytes at most).")
    if conv.decimal:
        notes.append("Exact numeric values are given as strings.")
    return notes


def join_notes(notes: list[str]) -> str | None:
    """The notes as one sentence list, or None when there are none."""
    return " ".join(notes) or None
