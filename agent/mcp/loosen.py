"""A cheap stand-in for a vetted schema: what the graph validates with and the model reads.

The graph checks every call with plain ``jsonschema`` on the tool's
``args_schema``.  Plain ``jsonschema`` runs ``pattern`` with Python's ``re``
(catastrophic backtracking cannot be interrupted), compares ``uniqueItems``
pairwise, and follows ``$ref`` chains whose shape can make validation
exponential.  So the tool carries a *looser* schema with none of that:
``$ref``s inlined up to a node budget (a recursive one becomes ``{}``),
patterns moved into the description for the model, ``uniqueItems`` and the
``unevaluated*`` keywords dropped, and 2020-12 spelling throughout.  Looser
means every value the original accepts passes it too; where dropping
something inside ``not``, ``if`` or ``oneOf`` would make the result
*stricter*, that whole construct goes (``oneOf`` becomes ``anyOf``).  The
tool itself then checks the full schema with a time limit (``arguments.py``).
"""

from __future__ import annotations

from typing import Any

from agent.mcp.schema import SchemaProblem, Vetted

MAX_NODES = 2000  # subschemas in the inlined tree
MAX_DEPTH = 24
MAX_PATTERN_NOTE = 200
ANNOTATIONS = frozenset({"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "format",
                         "contentMediaType", "contentEncoding"})  # fmt: skip
ASSERTIONS = frozenset({"type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
                        "exclusiveMinimum", "maxLength", "minLength", "maxItems", "minItems", "maxContains",
                        "minContains", "maxProperties", "minProperties", "required", "dependentRequired"})  # fmt: skip
DROPPED = frozenset({"pattern", "patternProperties", "uniqueItems", "unevaluatedProperties", "unevaluatedItems"})


def loosen(vetted: Vetted) -> tuple[dict[str, Any], bool]:
    """(the looser schema, whether it differs in what it accepts); the root is always an object schema.

    Raises :class:`SchemaProblem` when a ``$ref`` key is left as data (a property named ``$ref``, an
    enum value): LangChain resolves every ``$ref`` key it finds when binding tools, and fails on those.
    """
    result, changed = _Loosener(vetted).node(vetted.schema, 0, frozenset())
    root = result if isinstance(result, dict) else {}
    root.setdefault("type", "object")
    if root.get("type") == "object":
        root.setdefault("properties", {})
    if has_ref_key(root):
        raise SchemaProblem("its schema uses '$ref' as a name or a value (enum, const), which cannot be bound")
    return root, changed or result is False


def has_ref_key(value: Any) -> bool:
    """Is there a ``"$ref"`` key anywhere in this JSON value?"""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


class _Loosener:
    def __init__(self, vetted: Vetted) -> None:
        self.vetted = vetted
        self.nodes_left = MAX_NODES

    def node(self, schema: Any, depth: int, inlining: frozenset[int]) -> tuple[Any, bool]:
        """(looser schema, changed) for one subschema."""
        if isinstance(schema, bool):
            return schema, False
        if not isinstance(schema, dict):
            return {}, True
        if depth > MAX_DEPTH or self.nodes_left <= 0:
            return {}, True
        self.nodes_left -= 1
        if "$ref" in schema:
            inlined, changed = self._ref(schema, depth, inlining)
            if self.vetted.legacy_refs:  # draft 6/7: the siblings of $ref are ignored
                return inlined, changed
            rest, rest_changed = self._keywords({k: v for k, v in schema.items() if k != "$ref"}, depth, inlining)
            return _merge(inlined, rest), changed or rest_changed
        return self._keywords(schema, depth, inlining)

    def _ref(self, schema: dict[str, Any], depth: int, inlining: frozenset[int]) -> tuple[Any, bool]:
        target = self.vetted.refs.get(id(schema))
        if target is None or id(target) in inlining:  # recursion: accept anything at the repeat
            return {}, True
        return self.node(target, depth + 1, inlining | {id(target)})

    def _keywords(self, schema: dict[str, Any], depth: int, inlining: frozenset[int]) -> tuple[dict[str, Any], bool]:
        known = self.vetted.known
        out: dict[str, Any] = {k: v for k, v in schema.items() if k in ANNOTATIONS and not has_ref_key(v)}
        out.update({k: v for k, v in schema.items() if k in ASSERTIONS and known(k)})
        changed = any(k in schema and known(k) for k in DROPPED)
        if isinstance(schema.get("pattern"), str) and known("pattern"):
            out["description"] = _with_pattern(out.get("description"), schema["pattern"])

        def sub(value: Any) -> Any:
            nonlocal changed
            result, sub_changed = self.node(value, depth + 1, inlining)
            changed = changed or sub_changed
            return result

        for keyword in ("properties", "dependentSchemas"):
            if isinstance(schema.get(keyword), dict) and known(keyword):
                out[keyword] = {name: sub(value) for name, value in schema[keyword].items()}
        for keyword in ("additionalProperties", "propertyNames"):
            if keyword in schema and known(keyword) and not (keyword == "additionalProperties"
                                                              and "patternProperties" in schema):  # fmt: skip
                out[keyword] = sub(schema[keyword])
        changed = self._arrays(schema, out, sub, depth, inlining) or changed
        self._dependencies(schema, out, sub)
        for keyword in ("allOf", "anyOf"):
            if isinstance(schema.get(keyword), list) and known(keyword):
                out.setdefault("allOf", []).append({keyword: [sub(v) for v in schema[keyword]]})
        changed = self._non_monotone(schema, out, depth, inlining) or changed
        _flatten_all_of(out)
        return out, changed

    def _arrays(
        self, schema: dict[str, Any], out: dict[str, Any], sub: Any, depth: int, inlining: frozenset[int]
    ) -> bool:
        known, items = self.vetted.known, schema.get("items")
        if isinstance(items, list) and known("items"):  # draft 6/7/2019-09 tuple form
            out["prefixItems"] = [sub(v) for v in items]
            if "additionalItems" in schema and known("additionalItems"):
                out["items"] = sub(schema["additionalItems"])
        elif items is not None and known("items"):
            out["items"] = sub(items)
        if isinstance(schema.get("prefixItems"), list) and known("prefixItems"):
            out["prefixItems"] = [sub(v) for v in schema["prefixItems"]]
        if "contains" in schema and known("contains"):
            out["contains"], loosened = self.node(schema["contains"], depth + 1, inlining)
            if loosened:  # a looser 'contains' matches more items: maxContains would get stricter
                out.pop("maxContains", None)
            return loosened
        return False

    def _dependencies(self, schema: dict[str, Any], out: dict[str, Any], sub: Any) -> None:
        deps = schema.get("dependencies")
        if not isinstance(deps, dict) or not self.vetted.known("dependencies"):
            return
        for name, value in deps.items():
            if isinstance(value, list):
                out.setdefault("dependentRequired", {})[name] = value
            else:
                out.setdefault("dependentSchemas", {})[name] = sub(value)

    def _non_monotone(self, schema: dict[str, Any], out: dict[str, Any], depth: int, inlining: frozenset[int]) -> bool:
        """``not``, ``if`` and ``oneOf``: kept only where loosening inside cannot make them stricter."""
        known, changed = self.vetted.known, False
        if "not" in schema and known("not"):
            inner, inner_changed = self.node(schema["not"], depth + 1, inlining)
            if inner_changed:
                changed = True
            else:
                out["not"] = inner
        if "if" in schema and known("if"):
            condition, cond_changed = self.node(schema["if"], depth + 1, inlining)
            if cond_changed:
                changed = True
            else:
                out["if"] = condition
                for keyword in ("then", "else"):
                    if keyword in schema:
                        out[keyword], branch_changed = self.node(schema[keyword], depth + 1, inlining)
                        changed = changed or branch_changed
        if isinstance(schema.get("oneOf"), list) and known("oneOf"):
            branches = [self.node(v, depth + 1, inlining) for v in schema["oneOf"]]
            loosened = any(c for _, c in branches)
            changed = changed or loosened
            out.setdefault("allOf", []).append({"anyOf" if loosened else "oneOf": [b for b, _ in branches]})
        return changed


def _with_pattern(description: Any, pattern: str) -> str:
    note = pattern if len(pattern) <= MAX_PATTERN_NOTE else pattern[:MAX_PATTERN_NOTE] + "..."
    text = f"Must match the regular expression {note}"
    return f"{description} ({text})" if isinstance(description, str) and description else text


def _merge(inlined: Any, rest: dict[str, Any]) -> Any:
    """``$ref`` plus siblings (2019-09 and later): both apply."""
    if not any(k not in ANNOTATIONS for k in rest):
        if isinstance(inlined, dict):
            return {**inlined, **rest}
        return inlined if not rest or inlined is False else rest
    rest.setdefault("allOf", []).insert(0, inlined)
    return rest


def _flatten_all_of(out: dict[str, Any]) -> None:
    """One-member wrappers made while rebuilding (``allOf: [{anyOf: ...}]``) go back where they were."""
    parts = out.get("allOf")
    if not parts:
        return
    keep = []
    for part in parts:
        key = next(iter(part)) if isinstance(part, dict) and len(part) == 1 else None
        if key in ("anyOf", "oneOf") and key not in out:
            out[key] = part[key]
        elif key == "allOf":
            keep.extend(part["allOf"])
        else:
            keep.append(part)
    if keep:
        out["allOf"] = keep
    else:
        del out["allOf"]


__all__ = ["loosen"]
