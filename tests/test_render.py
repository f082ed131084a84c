"""Terminal rendering: untrusted text from tools and models is printed, never interpreted."""

from __future__ import annotations

import io

from rich.console import Console

from agent.render import Renderer, RichRenderer
from agent.render_text import compact_result

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


PRIME = (
    '{{"n": "97", "digits": 2, "is_prime": true, "reason": "prime", "factors": null, "notes": [], "next_prime": {}}}'
)
USAGE = {"model_calls": 3, "tool_calls": 2, "total_tokens": 3, "input_tokens": 1, "output_tokens": 2, "cost": 0}


def steps(*statuses):
    names = ["Check whether 97 is prime", "Find the next prime after 97", "Compose the answer"]
    tools = ["prime_check", "prime_check", None]
    return [{"description": d, "tool": t, "status": s} for d, t, s in zip(names, tools, statuses, strict=True)]


def run_of_97(renderer):
    """What the graph streams for "is 97 prime and what is the next prime after 97"."""
    renderer.plan(steps("pending", "pending", "pending"))
    renderer.tool_start({"id": "1", "name": "prime_check", "args": {"n": "97"}})
    renderer.tool_start({"id": "2", "name": "prime_check", "args": {"n": "97", "next_prime": True}})
    renderer.tool_end({"id": "1", "name": "prime_check", "ok": True, "seconds": 0.2, "result": PRIME.format("null")})
    renderer.tool_end({"id": "2", "name": "prime_check", "ok": True, "seconds": 0.2, "result": PRIME.format('"101"')})
    renderer.plan(steps("done", "done", "pending"))
    renderer.plan(steps("done", "done", "pending"))  # the same statuses again: nothing new to show
    renderer.token("97 is prime; ")
    renderer.token("the next prime is 101.")
    renderer.plan(steps("done", "done", "done"))  # the finish node's closing plan
    renderer.answer("97 is prime; the next prime is 101.")
    renderer.summary(USAGE, "answered", 0.5, "t1", ("offline", ""))
    renderer.close()


def test_results_of_one_tool_show_what_differs_first():
    out = io.StringIO()
    run_of_97(Renderer(out))
    results = [line for line in out.getvalue().splitlines() if line.startswith("← ")]
    assert results == [
        "← prime_check ok (0.20s): n=97 · digits=2 · is_prime=true · reason=prime",
        "← prime_check ok (0.20s): next_prime=101 · n=97 · digits=2 · is_prime=true · reason=prime",
    ]


def test_the_closing_plan_is_shown_once_after_the_answer():
    out = io.StringIO()
    run_of_97(Renderer(out))
    lines = out.getvalue().splitlines()
    assert lines.count("plan:") == 2  # the first plan, and the one after the tools
    answer = lines.index("97 is prime; the next prime is 101.")
    assert lines[answer + 1 :] == [
        "plan: all 3 steps done",
        "thread t1 · model offline · model calls 3 · tool calls 2 · tokens 3 (in 1 / out 2) · cost 0.000000 · 0.50s",
    ]


def test_a_closing_plan_with_skipped_steps_is_shown_whole():
    out = io.StringIO()
    renderer = Renderer(out)
    renderer.plan(steps("pending", "pending", "pending"))
    renderer.plan(steps("done", "skipped", "skipped"))  # a bound stopped the run; the answer was composed
    renderer.answer("I had to stop before finishing.")
    renderer.summary(USAGE, "tool_calls", 1.0)
    text = out.getvalue()
    assert "  2. (skipped) Find the next prime after 97 [prime_check]" in text
    assert text.splitlines()[-1].endswith(" · stopped: tool_calls")


def test_compact_result_edge_cases():
    nested = '{"a": null, "b": "", "c": [], "d": false, "e": {"x": null, "y": 1}}'
    assert compact_result(nested) == 'd=false · e={"y":1}'
    assert compact_result("plain text, not JSON") == "plain text, not JSON"
    assert compact_result('{"cut": "in the mid') == '{"cut": "in the mid'  # a result cut at 500 characters
    assert compact_result('{"next": null, "n": 1}', {"next": 2, "n": 1}) == "next=null · n=1"


def events_of_a_troubled_run(renderer):
    renderer.degraded({"type": "degraded", "step": "plan", "error": "BadRequestError: 400"})
    for _ in range(2):  # the main model failed twice; the notice is shown once
        renderer.fallback({"type": "fallback", "failed": "http://127.0.0.1:9/v1", "model": "offline", "error": "boom"})
    renderer.denied({"type": "tool_denied", "id": "1", "name": "db_execute"})
    renderer.answer("done")
    usage = {**USAGE, "fallback_calls": 2, "degraded": 1}
    renderer.summary(usage, "denied", 1.0, "t", ("openai:m", "offline"))
    renderer.close()


FALLBACK = "the model at http://127.0.0.1:9/v1 failed (boom); the fallback model at offline answers"


def test_plain_renderer_shows_denied_fallback_and_degraded():
    out = io.StringIO()
    events_of_a_troubled_run(Renderer(out))
    lines = out.getvalue().splitlines()
    assert lines[:4] == [
        "(the plan step went without the model: BadRequestError: 400)",
        FALLBACK,
        "✗ db_execute denied: not run",
        "done",
    ]
    assert lines[4].startswith("thread t · model openai:m · model calls 3")
    assert lines[4].endswith(
        "fallback offline answered 2 · steps without the model 1 · a destructive call was denied and not run"
    )


def test_rich_renderer_shows_denied_fallback_and_degraded():
    out = io.StringIO()
    events_of_a_troubled_run(RichRenderer(console=Console(file=out, force_terminal=True, width=300, highlight=False)))
    text = out.getvalue()
    assert text.count(FALLBACK) == 1 and "db_execute denied: " in text and "not run" in text
    assert "\x1b[2m(the plan step went without the model: BadRequestError: 400)" in text  # dim


def test_terminal_controls_from_tools_and_models_are_not_printed():
    evil = "ok\x1b]8;;http://evil\x07link\x1b[2J\r\u202eexe.txt\x9b31m"
    plain, rich = io.StringIO(), io.StringIO()
    renderers = [Renderer(plain), RichRenderer(console=Console(file=rich, force_terminal=True, width=300))]
    for renderer in renderers:
        renderer.tool_end({"id": "1", "name": "web_search", "ok": True, "seconds": 0.1, "result": evil})
        renderer.token(evil)
        renderer.answer(evil)
        renderer.close()
    for text in (plain.getvalue(), rich.getvalue()):  # the spinner's own \r and cursor codes are rich's
        assert text.count("exe.txt") == 2 and "link" in text
        assert not any(c in text for c in ("\x07", "\u202e", "\x9b", "\x1b]8", "\x1b[2J"))
    assert "\r" not in plain.getvalue()
