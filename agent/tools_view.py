"""``agent tools`` as text: each tool's arguments one per line, descriptions wrapped to the terminal.

Names, descriptions and schemas may come from MCP servers: they are made
printable and cut before they are wrapped (textwrap without hyphen splitting
is a plain split on whitespace, linear in the text).
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import Any

from agent.render_text import short

MAX_DESCRIPTION = 2000
MAX_DEPTH = 3


def output_width() -> int:
    """The terminal's width on a terminal (between 40 and 160), else 80."""
    if not sys.stdout.isatty():
        return 80
    return max(40, min(160, shutil.get_terminal_size().columns))


def type_name(schema: Any, depth: int = 0) -> str:
    """A JSON schema's type in a few words: ``string``, ``integer or string``, ``array of string``, ``one of a|b``."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return "any"
    if "enum" in schema and isinstance(schema["enum"], list):
        return "one of " + "|".join(short(v, 40) for v in schema["enum"][:12] if v is not None)
    if "const" in schema:
        return "the value " + short(schema["const"], 40)
    if isinstance(ref := schema.get("$ref"), str):
        return ref.rsplit("/", 1)[-1] or "object"
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list):
        names = [type_name(o, depth + 1) for o in options[:8]]
        kept = list(dict.fromkeys(n for n in names if n != "null")) or ["null"]
        return " or ".join(kept)
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind if k != "null") or "null"
    if kind == "array" and "items" in schema:
        items = type_name(schema["items"], depth + 1)
        return f"array of ({items})" if " or " in items else f"array of {items}"
    return str(kind)


def _range(schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is None and high is None:
        return ""
    return f" ({'' if low is None else low}..{'' if high is None else high})"


def argument_lines(schema: dict[str, Any], width: int) -> list[str]:
    """One line per argument (name, type, required or default), its description wrapped below it."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    lines: list[str] = []
    for name, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        if name in required:
            need = "required"
        elif "default" in prop:
            need = f"default {short(prop['default'], 60)}"
        else:
            need = "optional"
        lines.append(_cut(f"    {short(name, 60)}  {type_name(prop)}{_range(prop)}, {need}", width))
        if description := prop.get("description"):
            lines += _wrapped(str(description), width, "        ")
    return lines or ["    (no arguments)"]


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def _wrapped(text: str, width: int, indent: str) -> list[str]:
    return textwrap.wrap(
        short(text, MAX_DESCRIPTION), width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def tool_lines(row: dict[str, Any], width: int) -> list[str]:
    """A tool: name, where it comes from, the first paragraph of its description, its arguments."""
    flag = " [destructive: asks for approval]" if row["destructive"] else ""
    lines = [_cut(f"{short(row['name'], 80)}  ({short(row['source'], 60)}){flag}", width)]
    summary = (row["description"] or "").strip().split("\n\n", 1)[0]
    lines += _wrapped(summary, width, "  ")
    lines.append("  arguments:")
    lines += argument_lines(row["input_schema"], width)
    return lines


__all__ = ["argument_lines", "output_width", "tool_lines", "type_name"]
