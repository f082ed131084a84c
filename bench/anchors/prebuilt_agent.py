"""Anchor: LangGraph's prebuilt ``create_react_agent`` with its default message channel.

The loop benchmark times it; the storage benchmark measures what its default
state (the whole message list, ``add_messages``) leaves in a checkpointer.

    python -m bench.anchors.prebuilt_agent [K] [RUNS]
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool


def build(model: BaseChatModel, tools: Sequence[BaseTool], checkpointer: Any = None) -> Any:
    with warnings.catch_warnings():  # it is deprecated in favour of create_agent, and says so
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

        return create_react_agent(model, list(tools), checkpointer=checkpointer)


def main(argv: list[str]) -> None:
    from bench.anchors.runs import standalone

    standalone("langgraph create_react_agent", build, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
