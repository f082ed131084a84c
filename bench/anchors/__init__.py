"""Anchors: the same work done with public libraries, the way their own users write it.

Each module builds one contender with nothing of ours in it (LangChain's
``create_agent``, LangGraph's prebuilt ``create_react_agent``, a bare loop, the
raw MCP SDK, langchain-mcp-adapters, a minimal SDK server), so a ratio
against it says what our framework adds.  Each can also be run alone
(``python -m bench.anchors.<name>``) and prints its own figure.

A missing optional library raises :class:`AnchorMissing` with the install hint,
which the runner prints as a skip line.
"""

from __future__ import annotations

import importlib
from types import ModuleType

BENCH_EXTRA = "pip install -e '.[bench]'"


class AnchorMissing(RuntimeError):
    """An anchor's library is not installed; the message says how to install it."""


def need(module: str, hint: str = BENCH_EXTRA) -> ModuleType:
    """Import ``module`` or raise :class:`AnchorMissing` naming ``hint``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise AnchorMissing(f"{err.name or module} is not installed: {hint}") from None


__all__ = ["BENCH_EXTRA", "AnchorMissing", "need"]
