"""Vet the JSON schemas an MCP server publishes, before any of them is used.

A server's schema is untrusted input: it decides what our validators do.  A
schema passes when it is small, written in a dialect we know, valid against
that dialect's meta-schema, and its ``$ref``s are local JSON pointers (``#``,
``#/$defs/...``) that land on a subschema: nothing is ever fetched.  A
``$ref`` cycle that never descends into the arguments (``{"$ref": "#"}``)
would recurse forever, so it fails too.  ``problem`` names the first thing
wrong in one line; the caller drops that one tool and keeps the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

MAX_SCHEMA_CHARS = 64_000
MAX_DEPTH = 40
DEFAULT_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_DIALECTS = {  # $schema (without scheme, trailing '#' or '/') -> jsonschema validator class name
    "json-schema.org/draft/2020-12/schema": "Draft202012Validator",
    "json-schema.org/draft/2019-09/schema": "Draft201909Validator",
    "json-schema.org/draft-07/schema": "Draft7Validator",
    "json-schema.org/draft-06/schema": "Draft6Validator",
}
# Keywords whose value is one subschema, a list of them, or a map of them.
SINGLE = frozenset(
    {"additionalProperties", "additionalItems", "contains", "propertyNames", "not", "if", "then", "else",
     "unevaluatedItems", "unevaluatedProperties"}
)  # fmt: skip
LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
MAPS = frozenset({"properties", "patternProperties", "dependentSchemas", "dependencies"})
CONTAINERS = frozenset({"$defs", "definitions"})  # hold subschemas for $ref, apply nothing themselves
# Applicators that evaluate the same instance again: a cycle through only these never ends.
SAME_INSTANCE = frozenset({"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "dependencies"})


class SchemaProblem(ValueError):
    """What is wrong with a schema, as one line."""


@dataclass
class Vetted:
    """A schema that passed, with what the validators need to know about it."""

    schema: dict[str, Any]
    validator: type  # the jsonschema validator class of its dialect
    refs: dict[int, Any] = field(default_factory=dict)  # id of a node with $ref -> the node it points at
    patterns: list[str] = field(default_factory=list)

    @property
    def legacy_refs(self) -> bool:
        """Draft 6/7: siblings of ``$ref`` are ignored."""
        return self.validator.__name__ in ("Draft6Validator", "Draft7Validator")

    def known(self, keyword: str) -> bool:
        """Does this dialect validate with ``keyword``?"""
        return keyword in self.validator.VALIDATORS or (
            keyword in ("then", "else") and "if" in self.validator.VALIDATORS
        )


def vet(schema: Any, *, what: str = "input schema") -> Vetted:
    """The vetted schema; raises :class:`SchemaProblem` naming the first problem."""
    if not isinstance(schema, dict):
        raise SchemaProblem(f"its {what} is not a JSON object")
    if what == "input schema" and schema.get("type", "object") != "object":
        raise SchemaProblem(f"its input schema has type {str(schema['type'])[:40]!r}; MCP tools take an 'object'")
    _check_size(schema, what)
    vetted = Vetted(schema, _dialect(schema, what))
    _check_meta(vetted, what)
    nodes = _walk(vetted, what)
    _check_refs(vetted, nodes, what)
    _check_cycles(vetted, what)
    _check_patterns(vetted, what)
    if _uses(vetted, "unevaluatedProperties") and _uses(vetted, "patternProperties"):
        raise SchemaProblem(f"its {what} combines unevaluatedProperties with patternProperties, which this client "
                            "cannot check in bounded time")  # fmt: skip
    return vetted


def _check_size(schema: dict[str, Any], what: str) -> None:
    stack: list[tuple[Any, int]] = [(schema, 1)]
    while stack:  # iterative, so a deep schema is refused before anything recurses into it
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SchemaProblem(f"its {what} is nested more than {MAX_DEPTH} levels deep")
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    try:
        size = len(json.dumps(schema))
    except (TypeError, ValueError) as err:
        raise SchemaProblem(f"its {what} is not plain JSON ({type(err).__name__})") from None
    if size > MAX_SCHEMA_CHARS:
        raise SchemaProblem(f"its {what} is too large ({size} characters, limit {MAX_SCHEMA_CHARS})")


def _dialect(schema: dict[str, Any], what: str) -> type:
    import jsonschema.validators

    declared = schema.get("$schema", DEFAULT_DIALECT)
    key = declared.split("://", 1)[-1].rstrip("#/") if isinstance(declared, str) else None
    if key not in _DIALECTS:
        raise SchemaProblem(f"its {what} uses an unsupported $schema {str(declared)[:80]!r} (use draft 2020-12, "
                            "2019-09, 07 or 06)")  # fmt: skip
    return getattr(jsonschema.validators, _DIALECTS[key])


def _check_meta(vetted: Vetted, what: str) -> None:
    """Against the dialect's meta-schema; formats (``regex``) are checked by us, with our engine."""
    from jsonschema.exceptions import SchemaError

    prefix = ""
    try:
        vetted.validator.check_schema(vetted.schema, format_checker=None)
        if vetted.legacy_refs:  # draft 6/7 meta-schemas do not look inside $defs
            for name, sub in _subtrees(vetted.schema, "$defs"):
                prefix = f"$defs/{name}"
                vetted.validator.check_schema(sub, format_checker=None)
    except SchemaError as err:
        where = "/".join([prefix] * bool(prefix) + [str(p) for p in err.path]) or "(root)"
        raise SchemaProblem(f"its {what} is not a valid JSON Schema at {where}: {_short(err.message)}") from None
    except RecursionError:
        raise SchemaProblem(f"its {what} is nested too deeply") from None


def _subtrees(schema: Any, keyword: str) -> Iterator[tuple[str, Any]]:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get(keyword), dict):
                yield from node[keyword].items()
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def children(vetted: Vetted, node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(keyword, subschema) for every subschema directly inside ``node`` that the dialect applies or holds."""
    for keyword, value in node.items():
        if keyword in CONTAINERS:
            if isinstance(value, dict):
                yield from ((keyword, v) for v in value.values())
            continue
        if "$ref" in node and vetted.legacy_refs or not vetted.known(keyword):
            continue
        if keyword in SINGLE or keyword == "items" and isinstance(value, dict | bool):
            yield keyword, value
        elif keyword in LISTS or keyword == "items" and isinstance(value, list):
            yield from ((keyword, v) for v in value if isinstance(v, dict | bool))
        elif keyword in MAPS and isinstance(value, dict):
            yield from ((keyword, v) for v in value.values() if isinstance(v, dict | bool))


def _walk(vetted: Vetted, what: str) -> dict[int, Any]:
    """Every subschema by id; refuses what would make a validator leave the document."""
    nodes: dict[int, Any] = {}
    stack: list[tuple[Any, bool]] = [(vetted.schema, True)]
    while stack:
        node, root = stack.pop()
        if not isinstance(node, dict) or id(node) in nodes:
            continue
        nodes[id(node)] = node
        for keyword in ("$id", "$schema") if not root else ():
            if keyword in node:
                raise SchemaProblem(f"its {what} has a nested {keyword} (only the root may have one)")
        for keyword in ("$dynamicRef", "$recursiveRef"):
            if keyword in node:
                raise SchemaProblem(f"its {what} uses {keyword}, which this client does not follow")
        stack.extend((child, False) for _, child in children(vetted, node))
    return nodes


def _check_refs(vetted: Vetted, nodes: dict[int, Any], what: str) -> None:
    for node in nodes.values():
        if "$ref" not in node:
            continue
        ref = node["$ref"]
        if not isinstance(ref, str):
            raise SchemaProblem(f"its {what} has a $ref that is not a string")
        if not ref.startswith("#"):
            raise SchemaProblem(f"its {what} has a remote $ref {_short(ref, 120)!r} (only local '#/...' references "
                                "are allowed; nothing is fetched)")  # fmt: skip
        if ref != "#" and not ref.startswith("#/"):
            raise SchemaProblem(f"its {what} has a $ref to an anchor ({_short(ref, 120)!r}); use a '#/...' pointer")
        target = resolve_pointer(vetted.schema, ref)
        if target is None or not isinstance(target, dict | bool):
            raise SchemaProblem(f"its {what} has a $ref that points at nothing: {_short(ref, 120)!r}")
        if isinstance(target, dict) and id(target) not in nodes:
            raise SchemaProblem(f"its {what} has a $ref that does not point at a subschema: {_short(ref, 120)!r}")
        vetted.refs[id(node)] = target


def resolve_pointer(document: Any, ref: str) -> Any:
    """The value a ``#/a/b`` JSON pointer names in ``document``, or None."""
    node = document
    for raw in unquote(ref[1:]).split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _same_instance_edges(vetted: Vetted, node: dict[str, Any]) -> Iterator[Any]:
    if id(node) in vetted.refs:
        yield vetted.refs[id(node)]
    for keyword, child in children(vetted, node):
        if keyword in SAME_INSTANCE:
            yield child


def _check_cycles(vetted: Vetted, what: str) -> None:
    """A $ref loop through applicators that re-evaluate the same value never terminates."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for start in [vetted.schema, *vetted.refs.values()]:
        if not isinstance(start, dict) or id(start) in state:
            continue
        stack: list[tuple[dict[str, Any], Iterator[Any]]] = [(start, _same_instance_edges(vetted, start))]
        state[id(start)] = 1
        while stack:
            node, edges = stack[-1]
            child = next(edges, None)
            if child is None:
                state[id(node)] = 2
                stack.pop()
            elif isinstance(child, dict):
                if state.get(id(child)) == 1:
                    raise SchemaProblem(f"its {what} has a $ref cycle that never descends into the arguments")
                if id(child) not in state:
                    state[id(child)] = 1
                    stack.append((child, _same_instance_edges(vetted, child)))


def _check_patterns(vetted: Vetted, what: str) -> None:
    """Every regular expression must compile with the engine that will run it (``regex``, with timeouts)."""
    import regex

    for node in _schema_nodes(vetted):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) and vetted.known("pattern") else []
        if isinstance(node.get("patternProperties"), dict) and vetted.known("patternProperties"):
            found += list(node["patternProperties"])
        for pattern in found:
            try:
                regex.compile(pattern)
            except (regex.error, ValueError, OverflowError) as err:
                raise SchemaProblem(f"its {what} has a pattern that does not compile: {_short(pattern, 80)!r} "
                                    f"({err})") from None  # fmt: skip
            vetted.patterns.append(pattern)


def _schema_nodes(vetted: Vetted) -> Iterator[dict[str, Any]]:
    seen: set[int] = set()
    stack: list[Any] = [vetted.schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict) and id(node) not in seen:
            seen.add(id(node))
            yield node
            stack.extend(child for _, child in children(vetted, node))


def _uses(vetted: Vetted, keyword: str) -> bool:
    return vetted.known(keyword) and any(keyword in node for node in _schema_nodes(vetted))


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["SchemaProblem", "Vetted", "children", "resolve_pointer", "vet"]
