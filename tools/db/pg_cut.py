"""Cut large values on the PostgreSQL server, so that no row of a query is large when it reaches us.

A single value can be up to 1 GB, and it arrives whole in one protocol
message: the driver holds it at least twice before any Python code can look
at it.  So a checked ``SELECT`` is sent wrapped, every column cut on the server:

    SELECT <per column> FROM (SELECT * FROM (<the query>) AS q0 OFFSET 0) AS q(c1, ..., cn)

``OFFSET 0`` keeps the planner from copying the query's expressions into
ours (a constant like ``repeat('x', 400000000)`` would be copied, and an
expression evaluated, once per use).  Fixed-size types pass as they are.  Any
other column becomes two: the value itself when its text is at most
``cell_bytes`` long, else ``NULL``; and, only then, ``"<length>:<first
characters>"`` (``"<bytes>:<base64 of the first bytes>"`` for ``bytea``).
:func:`merge` puts each row back together; a cut text then looks exactly as
if the whole text had arrived and been cut by :func:`~tools.db.values.json_safe`
(``…[truncated: N chars in total]``, N the true length).

``cell_bytes`` is 4 KiB, shared out when a row has over 256 such columns so
that a row stays near :data:`ROW_BYTES`: values above it are cut by the
shared conversion anyway (at :data:`~tools.db.limits.MAX_CELL_CHARS`
characters), so the only visible difference is that a cut JSON or array value
shows PostgreSQL's text form rather than its JSON encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tools.base import ToolError
from tools.db.limits import MAX_BLOB_BYTES, MAX_CELL_CHARS

CELL_BYTES = 4096  # a value whose text is longer arrives cut
ROW_BYTES = 1 << 20  # ... and, with many columns, they share this budget
MIN_CELL_BYTES = 256
MAX_OUTPUT_COLUMNS = 1664  # PostgreSQL's limit on a select list

ColumnKind = Literal["fixed", "text", "bytea", "other"]

# Types with a small fixed-size text form: booleans, numbers (not numeric), dates and times, uuid,
# network addresses, oids and reg* names, geometric points and boxes.
FIXED_OIDS = frozenset(
    {16, 18, 19, 20, 21, 23, 24, 26, 27, 28, 29, 600, 601, 603, 628, 650, 700, 701, 718, 774, 790, 829, 869, 1082,
     1083, 1114, 1184, 1186, 1266, 2202, 2203, 2204, 2205, 2206, 2950, 3220, 3734, 3769, 4089, 4096, 4191, 5069}
)  # fmt: skip
TEXT_OIDS = frozenset({25, 1042, 1043})  # text, bpchar, varchar: their length is known without a cast
BYTEA_OID = 17


@dataclass(frozen=True)
class Layout:
    """How one query's columns are sent back: names, kinds, and the per-value byte threshold."""

    names: tuple[str, ...]
    kinds: tuple[ColumnKind, ...]
    cell_bytes: int


def _kind(oid: int) -> ColumnKind:
    if oid in FIXED_OIDS:
        return "fixed"
    if oid in TEXT_OIDS:
        return "text"
    return "bytea" if oid == BYTEA_OID else "other"


def layout(columns: list[tuple[str, int]]) -> Layout:
    """The layout for a result described as ``(name, type oid)`` pairs."""
    kinds = tuple(_kind(oid) for _name, oid in columns)
    cut = sum(kind != "fixed" for kind in kinds)
    if len(kinds) + cut > MAX_OUTPUT_COLUMNS:
        raise ToolError(
            f"the query returns {len(kinds)} columns, too many to return with their values bounded; "
            "select fewer columns",
            code="too_large",
        )
    cell = max(MIN_CELL_BYTES, min(CELL_BYTES, ROW_BYTES // max(1, cut)))
    return Layout(names=tuple(name for name, _oid in columns), kinds=kinds, cell_bytes=cell)


def _columns(i: int, kind: ColumnKind, limit: int) -> list[str]:
    """The output column(s) for input column ``c{i}``: the value when small, else its length and head."""
    col = f"c{i}"
    if kind == "fixed":
        return [col]
    if kind == "bytea":
        size = total = f"pg_catalog.octet_length({col})"
        head = f"pg_catalog.encode(pg_catalog.substring({col}, 1, {MAX_BLOB_BYTES}), 'base64')"
    else:
        text = col if kind == "text" else f"({col})::pg_catalog.text"
        size, total = f"pg_catalog.octet_length({text})", f"pg_catalog.length({text})"
        head = f"pg_catalog.left({text}, {MAX_CELL_CHARS})"
    return [
        f"CASE WHEN {size} OPERATOR(pg_catalog.<=) {limit} THEN {col} END",
        f"CASE WHEN {size} OPERATOR(pg_catalog.>) {limit} THEN ({total})::pg_catalog.text OPERATOR(pg_catalog.||) ':' "
        f"OPERATOR(pg_catalog.||) {head} END",
    ]


def wrap(query: str, plan: Layout) -> str:
    """``query`` (one checked SELECT, no semicolon) with every value cut on the server."""
    names = ", ".join(f"c{i}" for i in range(len(plan.kinds)))
    select = ", ".join(col for i, kind in enumerate(plan.kinds) for col in _columns(i, kind, plan.cell_bytes))
    return f"SELECT {select} FROM (SELECT * FROM (\n{query}\n) AS q0 OFFSET 0) AS q({names})"


class _CutText(str):
    """The first characters of a text cut on the server; ``len()`` is the whole text's length.

    :func:`~tools.db.values.json_safe` cuts a long text to its first
    characters and appends ``…[truncated: {len(text)} chars in total]``; given
    this string it produces the same output as for the whole text, true
    length included, without the whole text ever existing here.
    """

    total: int

    def __new__(cls, prefix: str, total: int) -> _CutText:
        obj = super().__new__(cls, prefix)
        obj.total = total
        return obj

    def __len__(self) -> int:
        return self.total


@dataclass
class Merged:
    """Rows put back together, and whether a ``bytea`` value was cut on the server."""

    binary_cut: bool = False

    def row(self, raw: tuple[Any, ...], plan: Layout) -> tuple[Any, ...]:
        out: list[Any] = []
        j = 0
        for kind in plan.kinds:
            if kind == "fixed":
                out.append(raw[j])
                j += 1
                continue
            value, cut = raw[j], raw[j + 1]
            j += 2
            out.append(value if cut is None else self._cut_value(kind, cut))
        return tuple(out)

    def _cut_value(self, kind: ColumnKind, cut: str) -> str:
        size, _, shown = cut.partition(":")
        total = int(size)
        if kind == "bytea":
            self.binary_cut = True
            return f"base64:{shown}…[truncated: {total} bytes in total]"
        return _CutText(shown, total) if total > len(shown) else shown


def binary_note() -> str:
    """The shared conversion's note for binary values (a cut one never reaches it as bytes)."""
    return f"Binary values are shown as 'base64:...' (first {MAX_BLOB_BYTES} bytes at most)."


__all__ = ["CELL_BYTES", "ROW_BYTES", "Layout", "Merged", "binary_note", "layout", "wrap"]
