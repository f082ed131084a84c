"""Table names as people say them, resolved against the live schema.

"albums", "the Album table", "invoice lines" and "it" (the last table the
thread talked about) all name a real table or none; the offline model never
sends SQL for a table it did not find in ``db_list_tables``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from langchain_core.messages import AIMessage, BaseMessage

PRONOUNS = frozenset(
    {"it", "its", "that", "this", "them", "those", "these", "它", "这张表", "那张表", "该表", "这个表"}
)
_FROM = re.compile(r'\b(?:from|join)\s+"?([A-Za-z_][A-Za-z0-9_]*)"?', re.I)


def _key(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def _variants(word: str) -> list[str]:
    """The word and its singular/plural forms, as keys."""
    key = _key(word)
    forms = [key, key + "s", key + "es"]
    if key.endswith("ies"):
        forms.append(key[:-3] + "y")
    if key.endswith("es"):
        forms.append(key[:-2])
    if key.endswith("s"):
        forms.append(key[:-1])
    if key.endswith("y"):
        forms.append(key[:-1] + "ies")
    return forms


def resolve(word: str, tables: Iterable[str]) -> str | None:
    """The table ``word`` names: exact, then case- and underscore-insensitive, then singular/plural."""
    names = list(tables)
    if word in names:
        return word
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(_key(name), name)
    return next((by_key[form] for form in _variants(word) if form in by_key), None)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables_in_call(call: dict) -> list[str]:
    """Tables a database tool call named."""
    name, args = call.get("name", ""), call.get("args") or {}
    if name.endswith("db_describe_table") and isinstance(args.get("table"), str):
        return [args["table"]]
    if name.endswith("db_query") and isinstance(args.get("sql"), str):
        return _FROM.findall(args["sql"][:2000])
    return []


def last_table(messages: Sequence[BaseMessage]) -> str | None:
    """The table the conversation named last (through the database tools' calls)."""
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            for call in reversed(message.tool_calls):
                if found := tables_in_call(call):
                    return found[0]
    return None


__all__ = ["PRONOUNS", "last_table", "quote", "resolve", "tables_in_call"]
