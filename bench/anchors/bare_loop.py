"""Anchor: a hand-written tool loop, the floor under any framework.

The model is called, each tool call it makes runs, its result goes back, until
it answers.  No graph, no state machine, no persistence: whatever a framework
costs above this is its overhead.

    python -m bench.anchors.bare_loop [K] [RUNS]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool


def build(model: BaseChatModel, tools: Sequence[BaseTool]) -> Callable[[str], list[BaseMessage]]:
    """A function running the loop for one task; it returns the conversation."""
    by_name = {t.name: t for t in tools}
    bound = model.bind_tools(list(tools))

    def run(task: str) -> list[BaseMessage]:
        messages: list[BaseMessage] = [HumanMessage(task)]
        while True:
            reply: Any = bound.invoke(messages)
            messages.append(reply)
            if not reply.tool_calls:
                return messages
            for call in reply.tool_calls:
                result = by_name[call["name"]].invoke(call["args"])
                messages.append(ToolMessage(str(result), tool_call_id=call["id"]))

    return run


def main(argv: list[str]) -> None:
    from bench.anchors.scripted import ToolLoopModel, add
    from bench.stats import Stat, interleaved

    k = int(argv[0]) if argv else 10
    runs = int(argv[1]) if len(argv) > 1 else 20
    run = build(ToolLoopModel(k=k), [add])
    samples = interleaved({"bare": lambda: run("go")}, runs)["bare"]
    stat = Stat.of(samples).scaled(1000)
    print(f"bare loop, K={k}: median {stat.median:.2f} ms (p25–p75 {stat.spread()}) over {runs} runs")


if __name__ == "__main__":
    main(sys.argv[1:])
