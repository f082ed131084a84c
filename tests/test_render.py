"""Terminal rendering: untrusted text from tools and models is printed, never interpreted."""

from __future__ import annotations

import io

from rich.console import Console

from agent.render import Renderer, RichRenderer

HOSTILE = "[/][bold red]not markup[/] [link=http://evil]x[/link]"


def events(renderer):
    renderer.plan([{"description": f"step {HOSTILE}", "tool": "t[/]", "status": "pending"}])
    renderer.tool_start({"id": "1", "name": "db_query", "args": {"sql": f"SELECT '{HOSTILE}'"}})
    renderer.tool_end({"id": "1", "name": "db_query", "ok": True, "seconds": 0.1, "result": HOSTILE})
    renderer.rejected({"id": "2", "name": "x", "error": HOSTILE})
    renderer.reasoning(HOSTILE)
    renderer.token(HOSTILE)
    renderer.answer(HOSTILE)
    usage = {"model_calls": 1, "tool_calls": 1, "total_tokens": 3, "input_tokens": 1, "output_tokens": 2, "cost": 0}
    renderer.summary(usage, "tool_calls", 1.0, "t")
    renderer.close()


def test_rich_renderer_prints_markup_literally():
    out = io.StringIO()
    events(RichRenderer(console=Console(file=out, force_terminal=True, width=300, highlight=False)))
    text = out.getvalue()
    assert text.count("[bold red]not markup[/]") >= 5  # plan, args, result, rejection, reasoning/answer


def test_plain_renderer_prints_everything_once():
    out = io.StringIO()
    events(Renderer(out))
    text = out.getvalue()
    assert "[reasoning] " + HOSTILE in text
    assert text.count(HOSTILE) == 6  # plan, result, rejection, reasoning, streamed answer (not repeated)
