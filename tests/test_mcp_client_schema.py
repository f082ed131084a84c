"""Vetting MCP tool schemas, the looser schema the graph checks, and the bounded argument check."""

from __future__ import annotations

import time

import jsonschema
import pytest

from agent.mcp.arguments import ArgumentChecker
from agent.mcp.loosen import loosen
from agent.mcp.schema import SchemaProblem, vet

OBJ = {"type": "object"}


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ("nope", "is not a JSON object"),
        ({"type": "string"}, "has type 'string'; MCP tools take an 'object'"),
        ({**OBJ, "properties": {"x": {"$ref": "http://example.com/s.json"}}}, "remote $ref 'http://example.com/s.json'"),
        ({**OBJ, "properties": {"x": {"$ref": "other.json#/a"}}}, "remote $ref"),
        ({**OBJ, "properties": {"x": {"type": "banana"}}}, "not a valid JSON Schema at properties/x/type"),
        ({**OBJ, "properties": {"x": {"$ref": "#/$defs/missing"}}}, "points at nothing"),
        ({**OBJ, "default": {"type": "banana"}, "properties": {"x": {"$ref": "#/default"}}},
         "not point at a subschema"),
        ({**OBJ, "properties": {"x": {"$ref": "#here"}}}, "anchor"),
        ({**OBJ, "$ref": "#"}, "$ref cycle"),
        ({**OBJ, "$defs": {"a": {"anyOf": [{"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}},
          "properties": {"x": {"$ref": "#/$defs/a"}}}, "$ref cycle"),
        ({**OBJ, "properties": {"x": {"$id": "http://evil/", "type": "string"}}}, "nested $id"),
        ({**OBJ, "properties": {"x": {"$dynamicRef": "#meta"}}}, "$dynamicRef"),
        ({**OBJ, "properties": {"x": {"type": "string", "pattern": "("}}}, "pattern that does not compile"),
        ({"$schema": "http://json-schema.org/draft-04/schema#", **OBJ}, "unsupported $schema"),
        ({"$schema": "http://json-schema.org/draft-07/schema#", **OBJ, "properties": {"x": {"$ref": "#/$defs/B"}},
          "$defs": {"B": {"type": "banana"}}}, "at $defs/B/type"),
        ({**OBJ, "properties": {"x": {"type": "string"}} | {f"p{i}": {"description": "x" * 1000} for i in range(120)}},
         "too large"),
        ({**OBJ, "unevaluatedProperties": False, "patternProperties": {"^a": {}}}, "cannot check in bounded time"),
    ],
)  # fmt: skip
def test_bad_schemas_are_named(schema, problem):
    with pytest.raises(SchemaProblem, match=None) as caught:
        vet(schema)
    assert problem in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "schema",
    [
        {**OBJ, "properties": {"$ref": {"type": "string"}}},
        {**OBJ, "properties": {"x": {"enum": [{"$ref": "#/nope"}]}}},
    ],
)
def test_ref_as_data_cannot_reach_the_model_binding(schema):
    with pytest.raises(SchemaProblem, match="uses '[$]ref' as a name or a value"):
        loosen(vet(schema))


def test_ref_in_defaults_and_examples_is_left_out():
    schema = {**OBJ, "properties": {"x": {"type": "object", "default": {"$ref": "http://example.com/x"}}}}
    loose, _ = loosen(vet(schema))
    assert loose["properties"]["x"] == {"type": "object"}


def test_deep_schema_is_refused_without_recursion():
    deep: dict = {"type": "string"}
    for _ in range(5000):
        deep = {"items": deep}
    with pytest.raises(SchemaProblem, match="nested more than"):
        vet({**OBJ, "properties": {"x": deep}})


GOOD = [
    ({**OBJ, "properties": {"s": {"type": "string", "pattern": "^[a-z]+$"}}, "required": ["s"]},
     [{"s": "abc"}, {"s": "ABC"}, {}, {"s": 3}]),
    ({**OBJ, "properties": {"v": {"oneOf": [{"type": "string", "pattern": "^a"},
                                            {"type": "string", "pattern": "b$"}]}}},
     [{"v": "ax"}, {"v": "ab"}, {"v": "xb"}, {"v": "x"}, {"v": 1}]),
    ({**OBJ, "properties": {"v": {"not": {"type": "string", "pattern": "^a"}}}}, [{"v": "ab"}, {"v": "b"}, {"v": 2}]),
    ({**OBJ, "properties": {"v": {"if": {"type": "string", "pattern": "^a"}, "then": {"minLength": 3},
                                  "else": {"maxLength": 1}}}}, [{"v": "ab"}, {"v": "abc"}, {"v": "b"}, {"v": "bc"}]),
    ({**OBJ, "patternProperties": {"^x_": {"type": "integer"}}, "additionalProperties": False},
     [{"x_a": 1}, {"x_a": "s"}, {"y": 1}, {}]),
    ({**OBJ, "properties": {"t": {"$ref": "#/$defs/node"}},
      "$defs": {"node": {**OBJ, "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                                              "n": {"type": "integer"}}}}},
     [{"t": {"n": 1, "kids": [{"n": 2, "kids": [{"n": "x"}]}]}}, {"t": {"n": "x"}}, {"t": []}]),
    ({"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "#/definitions/A",
      "definitions": {"A": {**OBJ, "properties": {"t": {"type": "array", "items": [{"type": "string"}],
                                                        "additionalItems": False}}, "required": ["t"]}}},
     [{"t": ["a"]}, {"t": ["a", "b"]}, {"t": [1]}, {}]),
    ({**OBJ, "properties": {"l": {"type": "array", "uniqueItems": True, "contains": {"type": "string", "pattern": "^a"},
                                  "maxContains": 1}}}, [{"l": ["a", "b"]}, {"l": ["a", "a"]}, {"l": ["ab", "ac"]}]),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "instances"), GOOD)
def test_the_looser_schema_accepts_everything_the_original_accepts(schema, instances):
    vetted = vet(schema)
    loose, _ = loosen(vetted)
    jsonschema.Draft202012Validator.check_schema(loose)
    assert loose["type"] == "object" and "properties" in loose
    assert "$ref" not in str(loose) and "pattern'" not in str(loose)  # nothing left to follow or backtrack on
    original = vetted.validator(schema)
    for instance in instances:
        if original.is_valid(instance):
            assert jsonschema.Draft202012Validator(loose).is_valid(instance), instance
        checker = ArgumentChecker(vetted)  # the full check agrees with jsonschema on benign schemas
        assert (checker.check(instance) is None) == original.is_valid(instance), instance


def test_checker_is_bounded_for_big_arrays_and_deep_arguments():
    vetted = vet({**OBJ, "properties": {"l": {"type": "array", "uniqueItems": True}}})
    checker = ArgumentChecker(vetted)
    started = time.perf_counter()
    assert checker.check({"l": [{"k": i} for i in range(20000)]}) is None  # hashed, not compared pairwise
    assert time.perf_counter() - started < 4.0
    assert "non-unique" in checker.check({"l": [1, 1.0]})
    assert checker.check({"l": [1, True, "1", [1], {"a": 1}]}) is None
    deep: dict = {}
    for _ in range(100):
        deep = {"d": deep}
    assert "nested" in checker.check({"l": [], "x": deep})


def test_property_names_are_matched_with_a_timeout():
    vetted = vet({**OBJ, "patternProperties": {"^(a|a)+$": {"type": "integer"}}, "additionalProperties": False})
    started = time.perf_counter()
    problem = ArgumentChecker(vetted).check({"a" * 40 + "!": 1})
    assert time.perf_counter() - started < 4.0 and "could not be checked" in problem
