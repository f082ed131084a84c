"""The web page (``/``) in a real browser: headless Chromium (Debian's) driven by Playwright, against the
service in a real process.

The offline agent answers a real question (a plan and two tool calls); the graphs of
tests/service_graphs.py give a destructive call to approve or deny, a long run to stop
and a short one to reload in the middle of; a service with AGENT_API_TOKEN checks the token.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from service_proc import ServiceProcess, service_env
from web_browser import (
    CONTRAST_JS,
    OVERFLOW_JS,
    DroppingProxy,
    ask,
    expect,
    last_summary,
    thread_of,
)
from web_scripts import PLAN_WATCH, RENDER_EVENTS_JS, SSE_PARSER_JS

from agent.service.ui import STATIC

slow = pytest.mark.slow  # every test with a browser and a service process

QUESTION = "Is 97 prime and what is the next prime after 97?"
TOKEN = "web-page-test-token-5b1f"


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def agent_service(tmp, browser):
    """The real agent with the offline model (no AGENT_SERVICE_GRAPHS)."""
    (tmp / "agent").mkdir()
    env = service_env(tmp / "agent")
    env.pop("AGENT_SERVICE_GRAPHS")
    proc = ServiceProcess(env)
    yield proc.url
    proc.stop()


@pytest.fixture(scope="module")
def graphs_service(tmp, browser):
    """tests/service_graphs.py: sleep N, erase NAME (destructive), add A B, tell me X."""
    (tmp / "graphs").mkdir()
    proc = ServiceProcess(service_env(tmp / "graphs", ERASE_LOG=str(tmp / "erased.log")))
    yield proc.url
    proc.stop()


# --- the files ------------------------------------------------------------------------------------------


def test_page_files_are_served_with_a_strict_policy():
    """The page and its modules, each with a Content-Security-Policy that lets only this server's scripts run."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from agent.service.ui import ui_routes

    client = TestClient(Starlette(routes=ui_routes()))
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    modules = re.findall(r'src="(/ui/[^"]+)"', page.text) + re.findall(r'href="(/ui/[^"]+)"', page.text)
    assert modules == ["/ui/js/main.js", "/ui/app.css"]
    for module in sorted((STATIC / "js").glob("*.js")):
        served = client.get(f"/ui/js/{module.name}")
        assert served.headers["content-type"] == "text/javascript; charset=utf-8", module
        assert "content-security-policy" in served.headers
        # text from tools and models goes into text nodes: no markup parsing anywhere
        assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|eval\(", served.text), module
    for path in ("/ui/", "/ui/../ui.py", "/ui/%2e%2e/ui.py", "/ui/missing.js"):
        assert client.get(path).status_code == 404, path


def test_the_page_files_are_package_data():
    """A wheel ships only the data files package-data names (checked against setuptools' glob semantics)."""
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"].get("package-data", {}).get("agent.service", [])
    package = STATIC.parent
    shipped = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    assert {p for p in STATIC.rglob("*") if p.is_file()} <= shipped


def test_missing_page_files_are_reported(tmp_path, monkeypatch, caplog):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    import agent.service.ui as ui

    monkeypatch.setattr(ui, "STATIC", tmp_path)
    answer = TestClient(Starlette(routes=ui.ui_routes())).get("/")
    assert answer.status_code == 500 and "the web page's files are missing" in answer.text
    assert "the web page's files are missing" in caplog.text


# --- a real question ----------------------------------------------------------------------------------


@slow
def test_question_streams_the_answer_the_plan_and_tool_cards(agent_service, page, tmp):
    page.goto(agent_service + "/")
    expect(page.locator("#model")).to_contain_text("offline")
    page.evaluate(PLAN_WATCH)
    ask(page, QUESTION)
    summary = last_summary(page)
    expect(summary).to_contain_text("Answered")
    turn = page.locator(".turn").last
    answer = turn.locator(".answer").last
    expect(answer).to_contain_text("The next prime after 97 is 101")
    # streamed: each token was appended as it came (one text node per token), not set at the end
    assert answer.evaluate("el => el.childNodes.length") > 5
    steps = turn.locator(".plan li")
    expect(steps).to_have_count(3)
    assert steps.evaluate_all("els => els.map(e => e.dataset.status)") == ["done", "done", "done"]
    assert sorted(page.evaluate("() => window.planSeen")) == ["done", "pending"]  # steps were pending, all end done
    cards = turn.locator(".tool")
    expect(cards).to_have_count(2)
    assert cards.evaluate_all("els => els.map(e => [e.dataset.tool, e.dataset.status])") == [["prime_check", "ok"]] * 2
    second = cards.nth(1)
    expect(second.locator(".tool-args pre")).to_have_text('{"n":"97","factorize":false,"next_prime":true}')
    result = second.locator(".tool-result")
    expect(result.locator("pre")).to_contain_text('"next_prime": "101"')
    assert '\n  "is_prime": true' in result.locator("pre").text_content()  # pretty-printed JSON
    result.locator("summary").click()  # collapsible
    assert result.evaluate("el => el.open") is True
    result.locator("summary").click()
    assert result.evaluate("el => el.open") is False
    stats = dict(zip(summary.locator("dt").all_text_contents(), summary.locator("dd").all_text_contents(), strict=True))
    assert stats["Model calls"] == "3" and stats["Tool calls"] == "2"
    assert re.fullmatch(r"[\d,]+ in / [\d,]+ out", stats["Tokens"]) and stats["Cost"].startswith("$")  # none cached
    assert re.fullmatch(r"\d+\.\d\d s", stats["First token"]) and re.fullmatch(r"\d+\.\d\d s", stats["Time"])
    thread = thread_of(page)
    expect(page.locator(f'#thread-list a[data-id="{thread}"]')).to_contain_text("Is 97 prime")
    shot = tmp / "finished-run.png"
    page.screenshot(path=str(shot))
    print(f"\nscreenshot of a finished run: {shot}")


@pytest.fixture(scope="module")
def answered_thread(agent_service) -> str:
    """A thread the offline agent answered (through the API), for deep links."""
    with httpx.Client(base_url=agent_service, timeout=60) as client:
        thread = client.post("/threads", json={"metadata": {"project": "primes"}}).json()["thread_id"]
        body = {"assistant_id": "agent", "input": {"messages": [{"role": "user", "content": QUESTION}]}}
        assert client.post(f"/threads/{thread}/runs/wait", json=body).status_code == 200
    return thread


@slow
def test_deep_link_to_an_old_thread_survives_a_reload(agent_service, answered_thread, page):
    page.goto(f"{agent_service}/#/threads/{answered_thread}")
    turn = page.locator(".turn")
    expect(turn).to_have_count(1)
    expect(turn.locator(".bubble")).to_have_text(QUESTION)
    expect(turn.locator(".answer").last).to_contain_text("The next prime after 97 is 101")
    expect(turn.locator(".tool[data-status=ok]")).to_have_count(2)
    expect(turn.locator(".plan li[data-status=done]")).to_have_count(3)
    expect(last_summary(page)).to_contain_text("Answered")
    expect(page.locator("#thread-meta")).to_contain_text("project: primes")
    page.reload()
    expect(page.locator(".turn .answer").last).to_contain_text("101")
    assert thread_of(page) == answered_thread
    # the thread list finds it by metadata and by text, and not by what it does not contain
    search = page.get_by_label("Search threads")
    search.fill("project: primes")
    expect(page.locator("#thread-list li")).to_have_count(1)
    search.fill("next prime")
    expect(page.locator(f'#thread-list a[data-id="{answered_thread}"]')).to_be_visible()
    search.fill("no thread says this")
    expect(page.locator("#thread-list li")).to_have_count(0)
    with httpx.Client(base_url=agent_service, timeout=30) as client:  # newest first
        older = client.post("/threads", json={}).json()["thread_id"]
        newer = client.post("/threads", json={}).json()["thread_id"]
    search.fill("")
    page.reload()
    links = page.locator("#thread-list a[data-id]")
    expect(links.nth(0)).to_have_attribute("data-id", newer)
    expect(links.nth(1)).to_have_attribute("data-id", older)
    page.goto(f"{agent_service}/#/threads/no-such-thread")
    expect(page.locator("#page-error")).to_contain_text("not found")


# --- approvals, stop, reload ---------------------------------------------------------------------------


@slow
def test_approve_and_deny_a_destructive_call(graphs_service, page, tmp):
    page.goto(graphs_service + "/")
    ask(page, "erase customers")
    approval = page.locator(".approval")
    expect(approval).to_contain_text('{"table":"customers"}')
    expect(page.locator(".tool")).to_have_attribute("data-status", "approval")
    expect(last_summary(page)).to_contain_text("Paused: waiting for your approval")
    page.screenshot(path=str(tmp / "approval.png"))
    assert not (tmp / "erased.log").exists()
    page.reload()  # the pause is in the thread's state: the buttons come back
    expect(approval).to_contain_text('{"table":"customers"}')
    approval.get_by_role("button", name="Approve").click()
    expect(last_summary(page)).to_contain_text("Answered")
    expect(page.locator(".tool")).to_have_attribute("data-status", "ok")
    expect(page.locator(".tool-result pre")).to_have_text("erased customers")
    expect(page.locator(".answer").last).to_have_text("erase: erased customers")
    assert (tmp / "erased.log").read_text().split() == ["customers"]

    page.get_by_role("button", name="New thread").click()
    expect(page.locator(".turn")).to_have_count(0)
    ask(page, "erase orders")
    page.locator(".approval").get_by_role("button", name="Deny").click()
    expect(last_summary(page)).to_contain_text("A destructive call was denied")
    expect(page.locator(".tool")).to_have_attribute("data-status", "denied")
    expect(page.locator(".approval")).to_contain_text("You denied it.")

    ask(page, "erase stock")  # paused, then left unanswered: a new message means the call is not run
    expect(page.locator(".turn").last.locator(".approval")).to_contain_text("stock")
    ask(page, "add 1 2")
    expect(page.locator(".answer").last).to_have_text("add: 3")
    skipped = page.locator(".turn").nth(1)
    expect(skipped.locator(".approval")).to_contain_text("Not answered")
    expect(skipped.locator(".approval button")).to_have_count(0)
    expect(skipped.locator(".tool")).to_have_attribute("data-status", "unanswered")
    assert (tmp / "erased.log").read_text().split() == ["customers"]


@slow
def test_stop_a_long_run(graphs_service, page):
    page.goto(graphs_service + "/")
    ask(page, "sleep 30")
    card = page.locator(".tool")
    expect(card).to_have_attribute("data-status", "running")
    expect(card.locator(".spinner")).to_be_visible()
    elapsed = card.locator(".elapsed")
    first = elapsed.text_content()
    expect(elapsed).not_to_have_text(first)  # the time it has been running, ticking
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()
    stop.click()
    expect(last_summary(page)).to_contain_text("Stopped at your request")
    expect(card).to_have_attribute("data-status", "stopped")
    expect(stop).to_be_disabled()
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    with httpx.Client(base_url=graphs_service, timeout=10) as client:
        (run,) = client.get(f"/threads/{thread_of(page)}/runs").json()
    assert run["status"] == "interrupted"


@slow
def test_a_dropped_connection_and_a_reload_rejoin_the_run(graphs_service, page, tmp_path):
    rejoined: list[str] = []

    def seen(request) -> None:
        if request.method == "GET" and request.url.endswith("/stream"):
            rejoined.append(request.headers.get("last-event-id", ""))

    page.on("request", seen)
    proxy = DroppingProxy(graphs_service)
    gate = tmp_path / "release"  # the run's tool holds until the test has dropped and reloaded (no race)
    try:
        page.goto(proxy.url + "/")
        asked = time.monotonic()
        ask(page, f"hold {gate}")
        expect(page.locator(".tool")).to_have_attribute("data-status", "running")
        thread = thread_of(page)
        expect(page.locator(f'#thread-list a[data-id="{thread}"]')).to_contain_text("hold ")
        saved = page.evaluate(f"() => sessionStorage.getItem('agent-ui.run.{thread}')")
        late = f"{time.monotonic() - asked:.1f} s after asking: {page.locator('#conversation').inner_text()[-200:]!r}"
        assert saved and json.loads(saved)["lastEventId"] > 0, late
        proxy.drop()  # the stream is cut in the middle: the page rejoins the run
        deadline = time.monotonic() + 20
        while not rejoined and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert rejoined and int(rejoined[0]) > 0, rejoined  # after the last event it had, not from the start
        expect(page.locator(".tool")).to_have_attribute("data-status", "running")
        page.reload()
        assert thread_of(page) == thread
        expect(page.locator(".tool")).to_have_attribute("data-status", "running")
        gate.touch()
        expect(last_summary(page)).to_contain_text("Answered")
        expect(page.locator(".turn")).to_have_count(1)
        expect(page.locator(".tool")).to_have_count(1)
        expect(page.locator(".tool")).to_have_attribute("data-status", "ok")
        expect(page.locator(".answer").last).to_have_text("hold: released")
        assert len(rejoined) >= 2 and int(rejoined[-1]) > 0, rejoined
        assert page.evaluate(f"() => sessionStorage.getItem('agent-ui.run.{thread}')") is None
    finally:
        gate.touch()  # a failed test leaves no run holding the service
        proxy.close()


@slow
def test_a_run_started_elsewhere_is_followed(graphs_service, page, tmp_path):
    """A thread busy with a run this tab did not start (the API, another tab): followed to its end, shown once,
    and followed again after leaving it for another thread."""
    gate = tmp_path / "release"  # the run holds until the page has left the thread and come back
    try:
        with httpx.Client(base_url=graphs_service, timeout=10) as client:
            thread = client.post("/threads", json={}).json()["thread_id"]
            body = {"assistant_id": "agent", "input": {"messages": [{"role": "user", "content": f"hold {gate}"}]}}
            client.post(f"/threads/{thread}/runs", json=body).raise_for_status()
        page.goto(f"{graphs_service}/#/threads/{thread}")
        expect(page.locator(".tool")).to_have_attribute("data-status", "running")
        page.get_by_role("button", name="New thread").click()
        expect(page.locator(".turn")).to_have_count(0)
        page.go_back()
        expect(page.locator(".tool")).to_have_attribute("data-status", "running")
    finally:
        gate.touch()
    expect(page.locator(".answer").last).to_have_text("hold: released")
    expect(last_summary(page)).to_contain_text("Answered")
    expect(page.locator(".turn")).to_have_count(1)
    expect(page.locator(".tool")).to_have_count(1)
    expect(page.locator(".text-item")).to_have_count(1)


@slow
def test_hostile_text_is_shown_as_text(graphs_service, page):
    page.goto(graphs_service + "/")
    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    ask(page, "tell me " + hostile)
    expect(page.locator(".answer").last).to_have_text(hostile)
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#conversation img, #conversation script, #thread-list img").count() == 0


@slow
def test_rendering_of_mcp_tools_errors_and_reasoning(graphs_service, page):
    """Events the test graphs do not make (an MCP tool, a failed call, reasoning, a bound), through the page's code."""
    page.goto(graphs_service + "/")
    expect(page.locator("#model")).to_contain_text("Model:")
    page.evaluate(RENDER_EVENTS_JS)
    card = page.locator('.tool[data-tool="web__fetch_page"]')
    expect(card.locator(".tool-name")).to_have_text("fetch_page")
    expect(card.locator(".badge")).to_have_text("MCP · web")
    expect(card).to_have_attribute("data-status", "error")
    error = card.locator(".tool-error")
    expect(error).to_have_text("Error: fetch_page failed: <b>timeout</b>")
    assert error.evaluate("el => getComputedStyle(el).color") == "rgb(179, 38, 30)"
    expect(page.locator('.tool[data-tool="calculator"] .tool-error')).to_contain_text("bad arguments")
    reasoning = page.locator(".reasoning:not([hidden])")
    assert reasoning.evaluate("el => el.open") is False  # collapsed
    expect(reasoning.locator(".reasoning-text")).to_have_text("thinking <i>hard</i>")
    expect(page.locator(".answer").last).to_have_text("partial <u>answer</u>")
    summary = last_summary(page)
    expect(summary.locator(".stop")).to_have_text(
        "Stopped: the run reached its limit of model calls (bound: model_calls)"
    )
    expect(summary).to_contain_text("10 in / 5 out / 4 cached")
    assert page.locator("#conversation b, #conversation i, #conversation u, #conversation svg").count() == 0


@slow
def test_the_event_stream_parser(graphs_service, page):
    """The page's SSE parser: any split of the bytes gives the same events; comments, CRLF, oversize."""
    page.goto(graphs_service + "/")
    result = page.evaluate(SSE_PARSER_JS)
    assert result["whole"] == (
        '{"event":"metadata","data":"{\\"run_id\\":\\"r\\"}","id":"1"}'
        '|{"event":"messages","data":"[1,\\n2]","id":"2"}|{"event":"end","data":"null","id":"3"}'
    )
    assert result["splits"] and result["bytewise"]
    assert "an event of more than" in result["refused"]


# --- the token ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_service(tmp, browser):
    (tmp / "token").mkdir()
    proc = ServiceProcess(service_env(tmp / "token", AGENT_API_TOKEN=TOKEN))
    yield proc.url
    proc.stop()


@slow
def test_the_token_is_asked_a_wrong_one_refused_the_right_one_used(token_service, page):
    page.goto(token_service + "/")
    dialog = page.get_by_role("dialog", name="This server needs a token")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Token").fill("wrong-token")
    dialog.get_by_role("button", name="Use this token").click()
    expect(dialog.locator("#token-error")).to_contain_text("refused")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Token").fill(TOKEN)
    dialog.get_by_role("button", name="Use this token").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#model")).to_contain_text("Model:")
    ask(page, "add 2 3")
    expect(page.locator(".answer").last).to_have_text("add: 5")
    page.reload()  # kept for this tab: not asked again
    expect(page.locator(".answer").last).to_have_text("add: 5")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert httpx.get(token_service + "/threads/search", timeout=10).status_code == 401  # the API still needs it


# --- a phone, the keyboard, contrast --------------------------------------------------------------------


@slow
def test_phone_sized_screen(agent_service, answered_thread, browser, tmp):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{agent_service}/#/threads/{answered_thread}")
        expect(page.locator(".tool[data-status=ok]")).to_have_count(2)
        page.locator(".tool-result summary").first.click()  # a long JSON result open
        overflow = page.evaluate(OVERFLOW_JS)
        assert overflow["scroll"] <= overflow["width"] and overflow["body"] <= overflow["width"], overflow
        assert overflow["wide"] == [], overflow
        for name in ("Send", "Threads"):
            expect(page.get_by_role("button", name=name)).to_be_in_viewport()
        expect(page.get_by_label("Message")).to_be_in_viewport()
        toggle = page.get_by_role("button", name="Threads")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("button", name="New thread")).to_be_in_viewport()
        expect(page.locator(f'#thread-list a[data-id="{answered_thread}"]')).to_be_in_viewport()
        page.get_by_role("button", name="New thread").click()
        expect(page.get_by_role("button", name="New thread")).to_be_hidden()
        ask(page, "Is 7 prime?")
        expect(page.locator(".answer").last).to_contain_text("7 is prime")
        overflow = page.evaluate(OVERFLOW_JS)
        assert overflow["scroll"] <= overflow["width"] and overflow["wide"] == [], overflow
        page.screenshot(path=str(tmp / "phone.png"))
    finally:
        context.close()


@slow
def test_keyboard_only_landmarks_and_contrast(graphs_service, browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        page.goto(graphs_service + "/")
        expect(page.locator("#model")).to_contain_text("Model:")
        order = []
        for _ in range(12):
            page.keyboard.press("Tab")
            order.append(page.evaluate("() => document.activeElement.id || document.activeElement.tagName"))
            if order[-1] == "send":
                break
        assert "prompt" in order and order[-1] == "send" and order.index("prompt") < order.index("send"), order
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("() => document.activeElement.id") == "prompt"
        page.keyboard.type("add 4 5")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the Send button, from the keyboard
        expect(page.locator(".answer").last).to_have_text("add: 9")
        expect(last_summary(page)).to_contain_text("Answered")
        page.get_by_label("Message").focus()
        page.keyboard.type("add 1 1")
        page.keyboard.press("Enter")  # Enter in the message box sends
        expect(page.locator(".answer").last).to_have_text("add: 2")
        expect(last_summary(page)).to_contain_text("Answered")  # the run is over
        page.keyboard.type("erase keyboard")
        page.keyboard.press("Enter")
        approve = page.locator(".turn").last.get_by_role("button", name="Approve")
        expect(approve).to_be_focused()  # a pause for approval brings the focus to its buttons
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # Deny
        expect(last_summary(page)).to_contain_text("A destructive call was denied")
        for role, name in (("banner", None), ("navigation", "Threads"), ("main", None), ("region", "Conversation")):
            expect(page.get_by_role(role, name=name) if name else page.get_by_role(role)).to_have_count(1)
        assert page.locator("#conversation .items[aria-live=polite]").count() == 3
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            report = page.evaluate(CONTRAST_JS)
            assert report["checked"] > 20 and report["failures"] == [], (scheme, report)
    finally:
        context.close()
