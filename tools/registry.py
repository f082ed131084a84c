"""Which function tools exist, built from the settings.

Each tool family module exposes a builder that takes plain configuration
arguments (a URL, limits, a backend); this module is the one place that maps
:class:`~tools.settings.Settings` onto them.  Builders import lazily so that
listing one family does not import the others' dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tools.base import ToolSpec
from tools.settings import Settings

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

FAMILIES = ("calculator", "primes", "web_search", "database")


def family_specs(family: str, settings: Settings) -> list[ToolSpec]:
    """The tools of one family, configured from ``settings``."""
    if family == "calculator":
        from tools.calculator import calculator_spec

        return [calculator_spec(timeout=settings.calc_timeout)]
    if family == "primes":
        from tools.primes import prime_spec

        return [prime_spec(max_digits=settings.prime_max_digits, factor_timeout=settings.prime_factor_timeout)]
    if family == "web_search":
        from tools.web_search import DuckDuckGoBackend, web_search_spec

        backend = DuckDuckGoBackend(
            timeout=settings.search_timeout, retries=settings.search_retries, engine=settings.search_engine
        )
        return [web_search_spec(backend=backend, default_region=settings.search_region)]
    if family == "database":
        from tools.database import database_specs
        from tools.demo_db import ensure_demo_database

        if settings.database_url is None:
            ensure_demo_database(settings.home / "demo.sqlite")
        return database_specs(
            settings.resolved_database_url(),
            allow_write=settings.database_write,
            row_limit=settings.database_row_limit,
            timeout=settings.database_timeout,
        )
    raise ValueError(f"unknown tool family {family!r}; known: {', '.join(FAMILIES)}")


def tool_specs(settings: Settings | None = None, families: Iterable[str] = FAMILIES) -> list[ToolSpec]:
    """All function tools of the given families, in a stable order."""
    settings = settings or Settings()
    return [spec for family in families for spec in family_specs(family, settings)]


def tools_by_name(settings: Settings | None = None, families: Iterable[str] = FAMILIES) -> dict[str, ToolSpec]:
    return {spec.name: spec for spec in tool_specs(settings, families)}


def langchain_tools(settings: Settings | None = None, families: Iterable[str] = FAMILIES) -> list[BaseTool]:
    """The function tools as LangChain tools, ready to bind to a graph."""
    return [spec.as_langchain() for spec in tool_specs(settings, families)]


__all__ = ["FAMILIES", "family_specs", "langchain_tools", "tool_specs", "tools_by_name"]
