"""The web page with MCP servers behind the agent, in a real browser against ``agent serve`` in a real process:
a tool call's progress shows on its card while it runs.

The graph is tests/service_graphs.py's ``make_mcp`` (its model calls the MCP tool it is told to); the MCP
server is the conformance fixture server over stdio.
"""

from __future__ import annotations

import sys

import pytest
from mcp_helpers import stdio_env
from service_proc import ServiceProcess, mcp_service_env
from web_browser import ask, expect, last_summary, launch, sync_playwright_or_skip

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
def browser():
    sync_playwright = sync_playwright_or_skip()
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def mcp_service(tmp_path_factory, browser):
    tmp = tmp_path_factory.mktemp("web-mcp")
    fixture = {"command": sys.executable, "args": ["-m", "mcp_servers.conformance"], "env": stdio_env(tmp / "home")}
    proc = ServiceProcess(mcp_service_env(tmp, {"fx": fixture}))
    yield proc.url
    proc.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert errors == [], f"errors in the page: {errors}"


@slow
def test_a_tool_calls_progress_shows_on_its_card_while_it_runs(mcp_service, page):
    page.goto(mcp_service + "/")
    page.evaluate(PROGRESS_WATCH)
    ask(page, "mcp fx__test_tool_with_progress")
    expect(last_summary(page)).to_contain_text("Answered")
    card = page.locator(".tool")
    expect(card).to_have_attribute("data-status", "ok")
    expect(card.locator("progress")).to_have_count(0)  # a finished call shows its result, not a bar
    seen = page.evaluate("window.progressSeen")
    assert "running|0|100|Completed step 0 of 100" in seen, seen
    assert all(state.startswith("running|") for state in seen), seen
