"""Which function tools exist: one line per tool family.

Each family's module has a ``from_settings(settings) -> list[ToolSpec]``
builder that maps :class:`~tools.settings.ToolSettings` onto the tool's own
arguments.  Adding a tool is its module, one line in :data:`FAMILIES`, and a
console script (``mcp_servers.families:<family>`` serves it over MCP).
Builders are imported lazily, so listing one family does not import the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import TYPE_CHECKING

from tools.base import ToolSpec
from tools.settings import ToolSettings

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

FAMILIES: dict[str, str] = {
    "calculator": "tools.calculator",
    "primes": "tools.primes",
    "web_search": "tools.web_search",
    "database": "tools.database",
}


def family_specs(family: str, settings: ToolSettings) -> list[ToolSpec]:
    """The tools of one family, configured from ``settings``."""
    if family not in FAMILIES:
        raise ValueError(f"unknown tool family {family!r}; known: {', '.join(FAMILIES)}")
    return import_module(FAMILIES[family]).from_settings(settings)


def tool_specs(settings: ToolSettings | None = None, families: Iterable[str] = FAMILIES) -> list[ToolSpec]:
    """All function tools of the given families, in a stable order."""
    settings = settings or ToolSettings()
    return [spec for family in families for spec in family_specs(family, settings)]


def tools_by_name(settings: ToolSettings | None = None, families: Iterable[str] = FAMILIES) -> dict[str, ToolSpec]:
    return {spec.name: spec for spec in tool_specs(settings, families)}


def langchain_tools(settings: ToolSettings | None = None, families: Iterable[str] = FAMILIES) -> list[BaseTool]:
    """The function tools as LangChain tools, ready to bind to a graph."""
    return [spec.as_langchain() for spec in tool_specs(settings, families)]


__all__ = ["FAMILIES", "family_specs", "langchain_tools", "tool_specs", "tools_by_name"]
