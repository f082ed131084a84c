"""Elicitation: a server asks the user for input in the middle of a call.

The toolbox hands each request to an *elicitation handler*: a callable taking
an :class:`Elicitation` and returning the SDK's ``ElicitResult`` (or an
awaitable of one).  Three come with the client:

* :func:`decline` (the default): a run that cannot ask anyone declines
  cleanly, and the server hears "decline".  A service can instead turn the
  request into an interrupt of its own by passing its handler.
* :func:`terminal`: asks at the terminal, one field at a time, each with its
  default (Enter keeps it), then accept / decline / cancel.  What the server
  wrote is shown with control characters removed (no escape sequences from
  a server reach the terminal) and cut to a readable length.
* :func:`accept_defaults`: accepts with every default (tests, conformance).

Whatever a handler returns, an accepted form gets the schema's defaults for
the fields it left out (SEP-1034) and is checked against the schema's types
and enums before it is sent; a handler that fails is logged with its
traceback and the server hears "cancel".
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_SHOWN = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_terminal_lock = threading.Lock()


@dataclass(frozen=True)
class Elicitation:
    """One request for user input, as a handler sees it."""

    server: str
    message: str
    mode: str = "form"  # or "url"
    schema: dict[str, Any] = field(default_factory=dict)
    url: str | None = None


ElicitationHandler = Callable[[Elicitation], Any]
"""``(request) -> ElicitResult`` (or an awaitable of one)."""


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """A server's text made safe for a terminal: no control or bidi characters, bounded length."""
    clean = _CONTROL.sub("", text.replace("\r\n", "\n"))
    return clean if len(clean) <= limit else clean[:limit] + "..."


def _result(action: str, content: dict[str, Any] | None = None) -> Any:
    from mcp import types

    return types.ElicitResult(action=action, content=content if action == "accept" else None)


def decline(request: Elicitation) -> Any:
    """No one to ask: decline."""
    return _result("decline")


def accept_defaults(request: Elicitation) -> Any:
    """Accept with the schema's defaults (filled in by :func:`complete`)."""
    return _result("accept", {})


def properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    return {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else {}


def choices(prop: dict[str, Any]) -> list[Any] | None:
    """The allowed values of a single- or multi-select field (enum, oneOf/anyOf of const)."""
    source = prop.get("items", prop) if prop.get("type") == "array" else prop
    if not isinstance(source, dict):
        return None
    if isinstance(source.get("enum"), list):
        return list(source["enum"])
    options = source.get("oneOf") or source.get("anyOf")
    if isinstance(options, list):
        return [o["const"] for o in options if isinstance(o, dict) and "const" in o]
    return None


def convert(prop: dict[str, Any], raw: str) -> Any:
    """The typed value of what the user typed for ``prop``; ValueError says what is wrong."""
    kind = prop.get("type", "string")
    allowed = choices(prop)
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("y", "yes", "true", "1"):
            return True
        if lowered in ("n", "no", "false", "0"):
            return False
        raise ValueError("answer yes or no")
    if kind == "array":
        values = [v.strip() for v in raw.split(",") if v.strip()]
        return [check_choice(allowed, v) for v in values]
    if kind == "integer":
        value: Any = int(raw.strip())
    elif kind == "number":
        value = float(raw.strip())
    else:
        value = raw
    return check_choice(allowed, value)


def check_choice(allowed: list[Any] | None, value: Any) -> Any:
    if allowed is not None and value not in allowed:
        raise ValueError(f"choose one of: {', '.join(map(str, allowed))}")
    return value


def problem(schema: dict[str, Any], content: dict[str, Any]) -> str | None:
    """What is wrong with an accepted form (a missing required field, a wrong type or choice), or None."""
    props = properties(schema)
    for name in schema.get("required", []) if isinstance(schema.get("required"), list) else []:
        if name not in content:
            return f"the field {name!r} is required"
    for name, value in content.items():
        prop = props.get(name)
        if prop is None:
            return f"the server did not ask for {name!r}"
        kind = prop.get("type", "string")
        expected = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list}.get(kind)
        wrong = expected is not None and not isinstance(value, expected)
        if wrong or (kind != "boolean" and isinstance(value, bool)):
            return f"the field {name!r} must be of type {kind}"
        allowed = choices(prop)
        values = value if isinstance(value, list) else [value]
        if allowed is not None and any(v not in allowed for v in values):
            return f"the field {name!r} must be one of: {', '.join(map(str, allowed))}"
    return None


def complete(schema: dict[str, Any], content: dict[str, Any] | None) -> dict[str, Any]:
    """``content`` with the schema's default for every field it leaves out (SEP-1034)."""
    filled = dict(content or {})
    for name, prop in properties(schema).items():
        if name not in filled and "default" in prop:
            filled[name] = prop["default"]
    return filled


def _ask(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def _ask_field(name: str, prop: dict[str, Any], required: bool) -> tuple[bool, Any]:
    """(answered, value) for one field; an empty answer keeps the default, or leaves an optional field out."""
    label = shown(str(prop.get("title") or name), 100)
    about = shown(str(prop.get("description") or ""), 300)
    allowed = choices(prop)
    hint = f" ({', '.join(map(str, allowed))})" if allowed else f" ({prop.get('type', 'string')})"
    default = f" [{prop['default']}]" if "default" in prop else ""
    print(f"  {label}{': ' + about if about else ''}", file=sys.stderr)
    while True:
        raw = _ask(f"  {name}{hint}{' *' if required else ''}{default}: ")
        if not raw.strip():
            if "default" in prop:
                return True, prop["default"]
            if not required:
                return False, None
            print("  this field is required", file=sys.stderr)
            continue
        try:
            return True, convert(prop, raw)
        except ValueError as err:
            print(f"  {err}", file=sys.stderr)


def terminal(request: Elicitation) -> Any:
    """Ask at the terminal (one elicitation at a time); EOF or Ctrl-C cancels."""
    with _terminal_lock:
        try:
            return _terminal(request)
        except (EOFError, KeyboardInterrupt):
            print("\n  cancelled", file=sys.stderr)
            return _result("cancel")


def _terminal(request: Elicitation) -> Any:
    print(f"\nMCP server '{shown(request.server, 100)}' asks: {shown(request.message)}", file=sys.stderr)
    if request.mode == "url":
        print(f"  It asks you to open: {shown(request.url or '', 500)}", file=sys.stderr)
        answer = _ask("  Open it? [y]es / [n]o (decline) / [c]ancel: ").strip().lower()
        return _result({"y": "accept", "yes": "accept", "n": "decline", "no": "decline"}.get(answer, "cancel"))
    content: dict[str, Any] = {}
    required = set(request.schema.get("required") or [])
    for name, prop in properties(request.schema).items():
        answered, value = _ask_field(name, prop, name in required)
        if answered:
            content[name] = value
    answer = _ask("  Send this? [Y]es / [n]o (decline) / [c]ancel: ").strip().lower()
    if answer in ("", "y", "yes"):
        return _result("accept", content)
    return _result("decline" if answer in ("n", "no") else "cancel")


def default_handler() -> ElicitationHandler:
    """The terminal when a person is there (stdin and stderr are terminals), else decline."""
    interactive = sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()
    return terminal if interactive else decline


def finish(request: Elicitation, result: Any) -> Any:
    """Defaults filled in and the form checked; a form that does not fit the schema is declined (logged)."""
    if result.action != "accept" or request.mode != "form":
        return result
    content = complete(request.schema, result.content)
    trouble = problem(request.schema, content)
    if trouble is not None:
        import logging

        logging.getLogger("agent.mcp").warning(
            "MCP server '%s': the answer to its question does not fit its form (%s); declined", request.server, trouble
        )
        return _result("decline")
    return _result("accept", content)


__all__ = [
    "Elicitation",
    "ElicitationHandler",
    "accept_defaults",
    "complete",
    "decline",
    "default_handler",
    "finish",
    "terminal",
]
