"""Anchor: LangChain's ``create_agent`` (``langchain.agents``), the agent most LangChain users start from.

    python -m bench.anchors.langchain_agent [K] [RUNS]

Needs the ``langchain`` package (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from bench.anchors import need


def build(model: BaseChatModel, tools: Sequence[BaseTool], checkpointer: Any = None) -> Any:
    agents = need("langchain.agents")
    return agents.create_agent(model, list(tools), checkpointer=checkpointer)


def main(argv: list[str]) -> None:
    from bench.anchors.runs import standalone

    standalone("langchain create_agent", build, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
