"""psycopg-style placeholders (``%s``, ``%(name)s``, ``%%``) turned into PostgreSQL's ``$1, $2, ...``.

The tools document psycopg's placeholder style; the PostgreSQL engine sends
statements with ``$n`` through a raw cursor, so the text the parser checks
(:mod:`tools.db.sqltext`) is byte for byte the text the server receives.
The rules are psycopg's: without params nothing is replaced (a ``%`` stays a
``%``); with params ``%%`` is a literal ``%``, ``%s``/``%b``/``%t`` take the
next value of a list, ``%(name)s`` a value of a mapping (by name, reusable),
and anything else after a ``%`` is an error.  One pass over the text.
"""

from __future__ import annotations

from typing import Any

from tools.base import ToolError
from tools.db.common import Params

_FORMATS = "sbt"


def _bad(message: str) -> ToolError:
    return ToolError(message, code="invalid_input")


def to_dollar(sql: str, params: Params) -> tuple[str, list[Any] | None]:
    """``sql`` with ``$n`` placeholders, and the values in ``$n`` order (None: no params given)."""
    if params is None:
        return sql, None
    named = isinstance(params, dict)
    out: list[str] = []
    values: list[Any] = []
    numbers: dict[str, int] = {}
    i, n = 0, len(sql)
    while True:
        j = sql.find("%", i)
        if j < 0 or j == n - 1:  # a final lone % is left as it is, as psycopg does
            out.append(sql[i:])
            break
        out.append(sql[i:j])
        nxt = sql[j + 1]
        if nxt == "%":
            out.append("%")
            i = j + 2
            continue
        if nxt == "(":
            close = sql.find(")", j + 2)
            if close < 0 or close + 1 >= n or sql[close + 1] not in _FORMATS:
                raise _bad(f"incomplete placeholder at character {j + 1}: write %(name)s")
            if not named:
                raise _bad("%(name)s placeholders need params as an object; use %s with a list")
            name = sql[j + 2 : close]
            if name not in params:
                raise _bad(f"the placeholder %({name})s has no value in params")
            if name not in numbers:
                values.append(params[name])  # type: ignore[index]
                numbers[name] = len(values)
            out.append(f"${numbers[name]}")
            i = close + 2
            continue
        if nxt not in _FORMATS:
            raise _bad(
                f"only %s, %b, %t and %(name)s are placeholders, got %{nxt} at character {j + 1}; "
                "write a literal % as %%"
            )
        if named:
            raise _bad("%s placeholders need params as a list; use %(name)s with an object")
        values.append(None)  # filled below, once the count is checked
        out.append(f"${len(values)}")
        i = j + 2
    if not named:
        given = list(params)  # type: ignore[arg-type]
        if len(given) != len(values):
            raise _bad(f"the SQL has {len(values)} placeholders but {len(given)} values were given in params")
        values = given
    return "".join(out), values


__all__ = ["to_dollar"]
