"""Near-JSON repair and tool calls written in text: pure parsing, never evaluation."""

from __future__ import annotations

import pytest

from graphs.repair import ArgumentsError, extract_text_tool_calls, parse_arguments

KNOWN = {"calculator", "web_search"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"expression": "2+2"}', {"expression": "2+2"}),
        ("{'expression': '2+2'}", {"expression": "2+2"}),
        ('{"a": 1, "b": [1, 2,],}', {"a": 1, "b": [1, 2]}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ("```\n{'a': 1}\n```", {"a": 1}),
        ('"{\\"a\\": 1}"', {"a": 1}),
        ("{'flag': True, 'none': None, 'x': False}", {"flag": True, "none": None, "x": False}),
        ('{"flag": true, "none": null}', {"flag": True, "none": None}),
        ("{'flag': true, 'text': 'true story'}", {"flag": True, "text": "true story"}),
        ("", {}),
        (None, {}),
        ({"already": "dict"}, {"already": "dict"}),
    ],
)
def test_parse_arguments_repairs(raw, expected):
    assert parse_arguments(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "__import__('os').system('touch /tmp/pwned')",
        "{'a': __import__('os')}",
        "[1, 2]",
        "not json at all",
        "{'a': (lambda: 1)()}",
        "[" * 5000 + "]" * 5000,
        "x" * 200_000,
        42,
    ],
)
def test_parse_arguments_refuses_without_evaluating(raw, tmp_path):
    with pytest.raises(ArgumentsError):
        parse_arguments(raw)
    assert not (tmp_path / "pwned").exists()


def test_qwen_tool_call_blocks():
    text = (
        'I will compute.\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "2+2"}}\n</tool_call>\n'
        '<tool_call>{"name": "web_search", "arguments": {"query": "x"}}</tool_call>'
    )
    calls, rest = extract_text_tool_calls(text, KNOWN)
    assert [(c["name"], c["args"]) for c in calls] == [
        ("calculator", {"expression": "2+2"}),
        ("web_search", {"query": "x"}),
    ]
    assert rest == "I will compute."
    assert all(c["id"].startswith("call_") for c in calls)


def test_bare_json_llama_style_and_lists():
    calls, _ = extract_text_tool_calls('{"name": "calculator", "parameters": {"expression": "1+1"}}', KNOWN)
    assert calls[0]["args"] == {"expression": "1+1"}
    calls, _ = extract_text_tool_calls(
        '[{"name": "calculator", "arguments": {"expression": "1"}}, '
        '{"name": "web_search", "arguments": {"query": "q"}}]',
        KNOWN,
    )
    assert [c["name"] for c in calls] == ["calculator", "web_search"]


def test_openai_nested_function_shape_and_string_arguments():
    text = '{"type": "function", "function": {"name": "calculator", "arguments": "{\\"expression\\": \\"3*3\\"}"}}'
    calls, _ = extract_text_tool_calls(text, KNOWN)
    assert calls[0]["args"] == {"expression": "3*3"}


def test_unknown_names_and_plain_json_are_left_alone():
    text = 'Here is data: {"name": "rm", "arguments": {"path": "/"}} and {"a": 1}'
    assert extract_text_tool_calls(text, KNOWN) == ([], text)


def test_unclosed_tool_call_block_is_still_read():
    calls, _ = extract_text_tool_calls('<tool_call>{"name": "calculator", "arguments": {"expression": "5"}}', KNOWN)
    assert calls[0]["args"] == {"expression": "5"}
