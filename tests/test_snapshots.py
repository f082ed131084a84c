"""The graph's shape and the tool schemas a model sees, as reviewed files.

An accidental change shows up as a diff here; to accept an intended one, run
``UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py`` and commit the files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.settings import Settings
from graphs.builder import build_agent
from graphs.testing import ScriptedModel
from tools.registry import langchain_tools

SNAPSHOTS = Path(__file__).with_name("snapshots")


def check(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text)
    assert path.exists(), f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(), f"{name} changed: review, then UPDATE_SNAPSHOTS=1 to accept"


def test_graph_shape():
    graph = build_agent(model=ScriptedModel([]), tools=[], checkpointer=False, settings=Settings())
    check("graph.mmd", graph.get_graph().draw_mermaid())


def test_tool_schemas_the_model_sees(tmp_path):
    tools = langchain_tools(Settings(home=tmp_path, database_write=True))
    schemas = [convert_to_openai_tool(tool) for tool in tools]
    text = json.dumps(schemas, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    check("tool_schemas.json", text.replace(str(tmp_path), "<AGENT_HOME>"))
