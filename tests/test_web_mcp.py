"""The web page with MCP servers behind the agent, in a real browser against ``agent serve`` in a real process:
a tool call's progress shows on its card while it runs; a server's question is a form that answers it.

The graph is tests/service_graphs.py's ``make_mcp`` (its model calls the MCP tool it is told to); the MCP
servers are the conformance fixture server and tests/mcp_asking_server.py, over stdio.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from mcp_helpers import stdio_env
from service_proc import ServiceProcess, mcp_service_env
from web_browser import ask, expect, last_summary, thread_of

slow = pytest.mark.slow

# Every state a tool card's progress bar went through while the card said "running".
PROGRESS_WATCH = r"""() => {
  window.progressSeen = [];
  new MutationObserver(() => {
    for (const card of document.querySelectorAll(".tool")) {
      const bar = card.querySelector("progress");
      if (!bar) continue;
      const seen = [card.dataset.status, bar.getAttribute("value"), bar.getAttribute("max"),
        card.querySelector(".progress").textContent.trim()].join("|");
      if (!window.progressSeen.includes(seen)) window.progressSeen.push(seen);
    }
  }).observe(document.getElementById("conversation"), { subtree: true, childList: true, attributes: true });
}"""


@pytest.fixture(scope="module")
def mcp_service(tmp_path_factory, browser):
    tmp = tmp_path_factory.mktemp("web-mcp")
    fixture = {"command": sys.executable, "args": ["-m", "mcp_servers.conformance"], "env": stdio_env(tmp / "home")}
    heard = tmp / "heard.jsonl"
    asking = {"command": sys.executable, "args": [str(Path(__file__).with_name("mcp_asking_server.py"))],
              "env": stdio_env(tmp / "home", ASK_LOG=str(heard))}  # fmt: skip
    proc = ServiceProcess(mcp_service_env(tmp, {"fx": fixture, "ask": asking}))
    yield proc.url, heard, tmp
    proc.stop()


@slow
def test_a_tool_calls_progress_shows_on_its_card_while_it_runs(mcp_service, page):
    page.goto(mcp_service[0] + "/")
    page.evaluate(PROGRESS_WATCH)
    ask(page, "mcp fx__test_tool_with_progress")
    expect(last_summary(page)).to_contain_text("Answered")
    card = page.locator(".tool")
    expect(card).to_have_attribute("data-status", "ok")
    expect(card.locator("progress")).to_have_count(0)  # a finished call shows its result, not a bar
    seen = page.evaluate("window.progressSeen")
    assert "running|0|100|Completed step 0 of 100" in seen, seen
    assert all(state.startswith("running|") for state in seen), seen


def _heard(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@slow
def test_a_servers_question_is_a_form_that_resumes_the_run(mcp_service, page):
    url, heard, tmp = mcp_service
    page.goto(url + "/")
    ask(page, 'mcp ask__register {"table": "members"}')
    form = page.locator(".ask")
    expect(form).to_contain_text("Who is registering in members?[31m (red)")  # the server's text, as text
    expect(page.locator(".tool")).to_have_attribute("data-status", "asking")
    expect(last_summary(page)).to_contain_text("Paused: waiting for your answer")
    expect(form.locator('[data-field="name"]')).to_be_focused()
    page.screenshot(path=str(tmp / "elicitation-form.png"))
    page.reload()  # the question is in the thread's state: the form comes back
    expect(form.locator('[data-field="age"]')).to_have_value("30")  # the server's default
    sent = len(_heard(heard))
    form.get_by_role("button", name="Accept").click()  # the name is required: nothing is sent
    assert form.locator('[data-field="name"]').evaluate("el => el.validity.valueMissing")
    assert len(_heard(heard)) == sent
    form.locator('[data-field="name"]').fill("Ada")
    form.get_by_role("button", name="Accept").click()
    expect(page.locator(".answer").last).to_have_text("ask__register: registered Ada, 30, in members")
    expect(form).to_contain_text("You answered.")
    expect(page.locator(".tool")).to_have_attribute("data-status", "ok")
    expect(last_summary(page)).to_contain_text("Answered")
    page.screenshot(path=str(tmp / "elicitation-answered.png"))
    assert _heard(heard)[-1] == {"tool": "register", "kind": "elicitation", "action": "accept",
                                 "content": {"name": "Ada", "age": 30}}  # fmt: skip
    answered = thread_of(page)

    page.get_by_role("button", name="New thread").click()
    ask(page, 'mcp ask__register {"table": "guests"}')
    page.locator(".ask").get_by_role("button", name="Decline").click()
    expect(page.locator(".answer").last).to_have_text("ask__register: nobody registered (decline)")
    expect(page.locator(".ask")).to_contain_text("You declined to answer.")
    assert thread_of(page) != answered
