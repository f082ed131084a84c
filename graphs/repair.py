"""Recover tool calls that models write almost right.

Open models often produce arguments that are nearly JSON (single quotes,
trailing commas, ``True``/``None``, a code fence, the object encoded twice as
a JSON string) or write the whole call into the message text
(``<tool_call>{...}</tool_call>`` for Qwen and Hermes, a bare
``{"name": ..., "arguments": ...}`` for Llama).  Everything here is pure
parsing: ``json`` and ``ast.literal_eval``, which evaluates literals only and
never runs code.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import uuid
import warnings
from collections.abc import Collection
from typing import Any

MAX_ARGUMENT_CHARS = 100_000

MAX_JSON_ATTEMPTS = 64  # '{' positions tried as the start of a JSON object in one text
_FENCE_LANG = re.compile(r"```[a-zA-Z0-9_-]*")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_FUNCTION_NAME = re.compile(r"[\w.\-]+")
_JSON_LITERALS = {"true": "True", "false": "False", "null": "None"}


class ArgumentsError(ValueError):
    """The arguments could not be read as a JSON object; the message says why."""


def _strip_fence(text: str) -> str:
    """The body of a text fenced as ```lang ... ```, else the text (string operations: linear)."""
    stripped = text.strip()
    if len(stripped) < 6 or not stripped.startswith("```") or not stripped.endswith("```"):
        return text
    head = _FENCE_LANG.match(stripped)
    return stripped[head.end() if head else 3 : -3].strip()


def _blocks(text: str, opening: str, closing: str, to_end: bool) -> list[tuple[int, int, str, str]]:
    """(start, end, the text inside ``opening``, the body) for each block, found with ``str.find``.

    ``opening`` ends at its first ``>``; with ``to_end`` an unclosed block runs to the end of the text.
    Each character is looked at a bounded number of times, whatever the text.
    """
    found, at = [], 0
    while (start := text.find(opening, at)) != -1:
        head_end = text.find(">", start + len(opening) - 1)
        if head_end == -1:
            break
        close = text.find(closing, head_end + 1)
        if close == -1 and not to_end:
            break
        end = len(text) if close == -1 else close + len(closing)
        body = text[head_end + 1 : close if close != -1 else len(text)]
        found.append((start, end, text[start + len(opening) : head_end], body.strip()))
        at = end
    return found


def _python_literals(text: str) -> str:
    """Map JSON's true/false/null to Python names outside strings, for literal_eval."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text
    out = [
        tok._replace(string=_JSON_LITERALS[tok.string])
        if tok.type == tokenize.NAME and tok.string in _JSON_LITERALS
        else tok
        for tok in tokens
    ]
    return tokenize.untokenize(out)


def _loads_lenient(text: str) -> Any:
    """JSON first, then the repairs, each a pure parser. Raises ArgumentsError."""
    text = _strip_fence(text.strip())
    attempts = (
        lambda t: json.loads(t),
        lambda t: json.loads(_TRAILING_COMMA.sub(r"\1", t)),
        lambda t: ast.literal_eval(t),
        lambda t: ast.literal_eval(_python_literals(t)),
    )
    for attempt in attempts:
        try:
            with warnings.catch_warnings():  # a model's odd literal is not the user's concern
                warnings.simplefilter("ignore", SyntaxWarning)
                return attempt(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, OverflowError):
            continue
    raise ArgumentsError(f"not valid JSON: {text[:200]!r}")


def parse_arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments as a dict, repairing near-JSON. Raises ArgumentsError."""
    value = raw
    for _ in range(3):  # a string that decodes to a string was encoded twice
        if value is None or value == "":
            return {}
        if isinstance(value, dict):
            return value
        if not isinstance(value, str):
            raise ArgumentsError(f"arguments must be a JSON object, got {type(value).__name__}")
        if len(value) > MAX_ARGUMENT_CHARS:
            raise ArgumentsError(f"arguments are longer than {MAX_ARGUMENT_CHARS} characters")
        value = _loads_lenient(value)
    if not isinstance(value, dict):
        raise ArgumentsError(f"arguments must be a JSON object, got {type(value).__name__}")
    return value


def _as_call(obj: Any, known: Collection[str]) -> dict[str, Any] | None:
    """A ``{"name": ..., "arguments": ...}``-shaped object naming a known tool, as a call."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):  # OpenAI's nested shape
        obj = obj["function"]
    name = obj.get("name") or obj.get("tool")
    if not isinstance(name, str) or name not in known:
        return None
    args = next((obj[k] for k in ("arguments", "parameters", "args", "input") if k in obj), {})
    try:
        args = parse_arguments(args)
    except ArgumentsError:
        args = {"__unparsed__": args}
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:16]}", "type": "tool_call"}


def _json_objects(text: str) -> list[tuple[int, int, Any]]:
    """Top-level JSON values embedded in text, with their spans (at most ``MAX_JSON_ATTEMPTS`` tries)."""
    decoder = json.JSONDecoder()
    found, i = [], 0
    for _ in range(MAX_JSON_ATTEMPTS):
        if (start := text.find("{", i)) == -1:
            break
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            i = start + 1
            continue
        found.append((start, end, value))
        i = end
    return found


def extract_text_tool_calls(content: str, known: Collection[str]) -> tuple[list[dict[str, Any]], str]:
    """Tool calls written into message text, and the text left when they are removed.

    Recognises ``<tool_call>`` blocks, ``<function=name>{...}</function>`` tags,
    and bare JSON objects (fenced or not) that name a known tool.
    """
    if not content or len(content) > MAX_ARGUMENT_CHARS:
        return [], content
    calls: list[dict[str, Any]] = []
    rest = content
    for start, end, _, body in reversed(_blocks(content, "<tool_call>", "</tool_call>", to_end=True)):
        try:
            call = _as_call(_loads_lenient(body), known)
        except ArgumentsError:
            call = None
        if call:
            calls.insert(0, call)
            rest = rest[:start] + rest[end:]
    for start, end, name, body in reversed(_blocks(rest, "<function=", "</function>", to_end=False)):
        if _FUNCTION_NAME.fullmatch(name) and name in known:
            call = _as_call({"name": name, "arguments": body}, known)
            if call:
                calls.insert(0, call)
                rest = rest[:start] + rest[end:]
    if not calls:
        unfenced = _FENCE_LANG.sub(" ", rest)
        for start, end, value in _json_objects(unfenced):
            values = value if isinstance(value, list) else [value]
            found = [c for c in (_as_call(v, known) for v in values) if c]
            if found:
                calls.extend(found)
                rest = rest.replace(unfenced[start:end], "")
        if calls:
            rest = re.sub(r"```[a-zA-Z0-9_-]*\s*```", "", rest)
    return calls, rest.strip()


def may_contain_calls(content: Any) -> bool:
    """Whether message text could hold tool calls written out (worth the validation step)."""
    text = content if isinstance(content, str) else ""
    return "{" in text or "<tool_call>" in text or "<function=" in text


__all__ = ["ArgumentsError", "extract_text_tool_calls", "may_contain_calls", "parse_arguments"]
