"""Check arguments against a vetted MCP tool schema, in bounded time whatever the schema.

``jsonschema`` does the work, with every keyword wrapped in a deadline check
(a schema whose ``$ref``s form a diamond lattice makes evaluation exponential
in the schema's size, and each step of that is a keyword call), and with the
keywords that could run long in one uninterruptible step replaced:
``pattern``, ``patternProperties`` and ``additionalProperties`` run their
regular expressions with the ``regex`` engine and a timeout (Python's ``re``
backtracks catastrophically on ``^(a|a)+$`` and cannot be stopped), and
``uniqueItems`` hashes instead of comparing every pair.  One regular
expression gets 0.2 s, the whole check 1 s.  Arguments that cannot be checked
in time are refused with a line saying so; nothing is sent.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from agent.mcp.schema import Vetted

CHECK_SECONDS = 1.0  # the whole check, wall clock
PATTERN_SECONDS = 0.2  # one regular expression (the regex module counts CPU time: twice that on a loaded machine)
MAX_ARGUMENT_DEPTH = 64
MAX_ERRORS = 5
QUICK_SECONDS = 0.002  # a check this short runs on the caller's event loop; a longer one goes to a thread
_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("mcp_argument_deadline", default=float("inf"))


class _Overrun(Exception):
    """The check ran out of time; ``what`` says where, ``pattern`` whether one regular expression did."""

    def __init__(self, what: str, pattern: bool = False) -> None:
        super().__init__(what)
        self.what, self.pattern = what, pattern


class ArgumentChecker:
    """One tool's argument check, built once when the tool is listed."""

    def __init__(self, vetted: Vetted, seconds: float = CHECK_SECONDS) -> None:
        from referencing import Registry

        def refuse(uri: str) -> Any:
            raise LookupError(f"remote $ref {uri!r} is never fetched")

        self.seconds = seconds
        self._validator = _bounded_class(vetted.validator)(
            vetted.schema, registry=Registry(retrieve=refuse), format_checker=None
        )

    def quick(self, arguments: Any) -> tuple[bool, str | None]:
        """``(True, check(arguments))`` when the check finishes within :data:`QUICK_SECONDS`, else ``(False, None)``.

        Most checks take microseconds; an async caller runs them on its own loop
        this way and hands only the rare slow one (a long pattern, a $ref lattice) to a thread.
        """
        try:
            return True, self._check(arguments, QUICK_SECONDS, quick=True)
        except _Overrun:
            return False, None

    def check(self, arguments: Any) -> str | None:
        """None when the arguments pass, else what is wrong (one line)."""
        return self._check(arguments, self.seconds)

    def _check(self, arguments: Any, seconds: float, quick: bool = False) -> str | None:
        if (depth := _depth(arguments)) > MAX_ARGUMENT_DEPTH:
            return f"the arguments are nested {depth} levels deep (limit {MAX_ARGUMENT_DEPTH})"
        token = _deadline.set(time.monotonic() + seconds)
        try:
            errors = list(itertools.islice(self._validator.iter_errors(arguments), MAX_ERRORS))
        except _Overrun as over:
            if quick:
                raise
            why = over.what if over.pattern else f"the check passed its {seconds:g} s limit at {over.what}"
            return f"the arguments could not be checked in time ({why}); nothing was sent"
        except RecursionError:
            return "the arguments are nested too deeply to check"
        finally:
            _deadline.reset(token)
        if not errors:
            return None
        return "; ".join(
            f"{'.'.join(str(p) for p in err.absolute_path) or 'arguments'}: {_short(err.message)}" for err in errors
        )


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_ARGUMENT_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _remaining(what: str) -> float:
    left = _deadline.get() - time.monotonic()
    if left <= 0:
        raise _Overrun(what)
    return left


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    import regex

    return regex.compile(pattern)  # vetted when listed: it compiles


def search(pattern: str, text: str) -> bool:
    """``re.search`` semantics, stopped at the deadline."""
    limit = min(PATTERN_SECONDS, _remaining(f"pattern {_short(pattern, 60)!r}"))
    try:
        return _compiled(pattern).search(text, timeout=limit) is not None
    except TimeoutError:
        raise _Overrun(f"the pattern {_short(pattern, 60)!r} takes over {limit:.2g} s on this value", True) from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not search(pattern, instance):
        yield ValidationError(f"{_short(repr(instance), 80)} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, extra_schema: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    properties, patterns = schema.get("properties", {}), list(schema.get("patternProperties", {}))
    extras = [k for k in instance if k not in properties and not any(search(p, k) for p in patterns)]
    if validator.is_type(extra_schema, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], extra_schema, path=extra)
    elif not extra_schema and extras:
        names = ", ".join(repr(e) for e in sorted(extras, key=str)[:10])
        yield ValidationError(f"additional properties are not allowed ({names} unexpected)")


def _canonical(value: Any) -> str:
    """JSON Schema equality as a string: 1 == 1.0, True != 1, key order ignored."""

    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return [type(v).__name__, v]
        if isinstance(v, int | float):
            return ["number", int(v) if isinstance(v, float) and v.is_integer() else v]
        if isinstance(v, list):
            return ["array", [norm(x) for x in v]]
        return ["object", sorted((k, norm(x)) for k, x in v.items())]

    return json.dumps(norm(value))


def _unique_items(validator: Any, unique: bool, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if unique and validator.is_type(instance, "array"):
        _remaining("uniqueItems")
        if len({_canonical(item) for item in instance}) != len(instance):
            yield ValidationError("has non-unique elements")


def _bounded(keyword: str, check: Callable[..., Any]) -> Callable[..., Iterator[Any]]:
    def bounded(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        _remaining(f"keyword {keyword!r}")
        result = check(validator, value, instance, schema)
        if result is not None:
            yield from result

    return bounded


_REPLACED = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "uniqueItems": _unique_items,
}


@functools.cache
def _bounded_class(base: type) -> type:
    from jsonschema.validators import extend

    keywords = {k: _bounded(k, _REPLACED.get(k, check)) for k, check in base.VALIDATORS.items()}  # type: ignore[attr-defined]
    return extend(base, validators=keywords)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["CHECK_SECONDS", "PATTERN_SECONDS", "ArgumentChecker", "search"]
