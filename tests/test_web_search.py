"""The web search tool: the real ddgs client against this machine's (absent) network,
result shaping with a fake backend, and retries with an injected ddgs client."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

from tools.base import ToolError
from tools.web_search import (
    MAX_SNIPPET,
    MAX_TITLE,
    NOTICE,
    DuckDuckGoBackend,
    WebSearchInput,
    clean_text,
    web_search,
    web_search_spec,
)


class FakeBackend:
    """A real implementation of the SearchBackend protocol returning canned hits."""

    name = "fake"

    def __init__(self, hits: list[Any]) -> None:
        self.hits = hits
        self.calls: list[dict[str, Any]] = []

    def search(self, query, *, max_results, region, safesearch, time_range):
        self.calls.append(
            {
                "query": query,
                "max_results": max_results,
                "region": region,
                "safesearch": safesearch,
                "time_range": time_range,
            }
        )
        return list(self.hits)


class FakeClient:
    """Stands in for ``ddgs.DDGS``: replays a script of exceptions and results."""

    def __init__(self, script: list[Any], log: list[dict[str, Any]]) -> None:
        self.script, self.log = script, log

    def text(self, query: str, **kwargs: Any) -> list[dict[str, Any]]:
        self.log.append({"query": query, **kwargs})
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, BaseException):
            raise step
        return step


def scripted_backend(
    script: list[Any], **kwargs: Any
) -> tuple[DuckDuckGoBackend, list[dict], list[float], list[float]]:
    log: list[dict[str, Any]] = []
    sleeps: list[float] = []
    timeouts: list[float] = []

    def factory(timeout: float) -> FakeClient:
        timeouts.append(timeout)
        return FakeClient(script, log)

    backend = DuckDuckGoBackend(client_factory=factory, sleep=sleeps.append, **kwargs)
    return backend, log, sleeps, timeouts


HIT = {"title": "Python", "href": "https://www.python.org/", "body": "The official home of Python."}


# --- the real client, no network -------------------------------------------------


def test_real_ddgs_without_network_fails_fast_and_clearly():
    backend = DuckDuckGoBackend(timeout=3, retries=2, backoff=0.1)
    spec = web_search_spec(backend=backend, default_region="wt-wt")
    started = time.perf_counter()
    try:
        out = spec.run({"query": "langgraph checkpointer"})
    finally:
        elapsed = time.perf_counter() - started
    if out["ok"]:
        pytest.skip("this machine can reach the web; the no-network path cannot be tested here")
    assert out["error"] in ("unavailable", "timeout"), out
    assert "Traceback" not in out["message"] and "web search" in out["message"]
    if out["error"] == "unavailable":
        assert "no network connection" in out["message"]
    assert elapsed < 20


def test_real_ddgs_error_is_a_tool_error():
    backend = DuckDuckGoBackend(timeout=2, retries=0)
    try:
        backend.search("python", max_results=3, region="us-en", safesearch="moderate", time_range=None)
    except ToolError as err:
        assert err.code in ("unavailable", "timeout")
    else:
        pytest.skip("this machine can reach the web")


# --- shaping ----------------------------------------------------------------------


def test_result_is_marked_untrusted():
    result = web_search(WebSearchInput(query="python"), backend=FakeBackend([HIT]))
    data = result.model_dump(mode="json")
    assert data["untrusted"] is True and data["notice"] == NOTICE
    assert data["provider"] == "fake"
    assert data["results"] == [
        {
            "title": "Python",
            "url": "https://www.python.org/",
            "snippet": "The official home of Python.",
            "source": "python.org",
        }
    ]


def test_dedupe_and_drop_hits_without_a_usable_url():
    hits = [
        HIT,
        {**HIT, "href": "https://WWW.python.org"},  # same page: host case, trailing slash
        {**HIT, "href": "http://www.python.org/#about"},  # same page: scheme, fragment
        {"title": "no url", "body": "x"},
        {"title": "empty", "href": "", "body": "x"},
        {"title": "script", "href": "javascript:alert(1)", "body": "x"},
        {"title": "ftp", "href": "ftp://example.org/file", "body": "x"},
        "not a dict",
        None,
        {"title": "Docs", "url": "https://docs.python.org/3/", "snippet": "Documentation"},
        {"title": "Docs query", "href": "https://docs.python.org/3/?q=1", "body": "different page"},
    ]
    result = web_search(WebSearchInput(query="python", max_results=10), backend=FakeBackend(hits))
    assert [h.url for h in result.results] == [
        "https://www.python.org/",
        "https://docs.python.org/3/",
        "https://docs.python.org/3/?q=1",
    ]
    assert result.results[1].snippet == "Documentation"


def test_text_is_bounded_and_control_characters_are_stripped():
    hostile = {
        "title": "Click\x00 me\x1b[31m \u202egnp.exe" + "T" * 1000,
        "href": "https://example.org/a",
        "body": "line one\nline\ttwo\r\n\u200bzero\u200dwidth " + "word " * 1000,
    }
    hit = web_search(WebSearchInput(query="x"), backend=FakeBackend([hostile])).results[0]
    assert len(hit.title) <= MAX_TITLE and len(hit.snippet) <= MAX_SNIPPET
    assert hit.title.endswith("…") and hit.snippet.endswith("…")
    for text in (hit.title, hit.snippet):
        assert not any(ch in text for ch in "\x00\x1b\n\r\t\u202e\u200b\u200d")
    assert hit.snippet.startswith("line one line two zerowidth word")


def test_urls_with_control_characters_or_absurd_length_are_dropped():
    hits = [
        {**HIT, "href": "https://example.org/\x00evil"},
        {**HIT, "href": "https://example.org/" + "a" * 5000},
        {**HIT, "href": "https://example.org/ok"},
    ]
    result = web_search(WebSearchInput(query="x"), backend=FakeBackend(hits))
    assert [h.url for h in result.results] == ["https://example.org/ok"]


def test_max_results_bounds_the_output():
    hits = [{"title": f"t{i}", "href": f"https://example.org/{i}", "body": "b"} for i in range(30)]
    backend = FakeBackend(hits)
    result = web_search(WebSearchInput(query="x", max_results=3), backend=backend)
    assert len(result.results) == 3 and backend.calls[0]["max_results"] == 3


def test_region_default_and_options_reach_the_backend():
    backend = FakeBackend([HIT])
    web_search(WebSearchInput(query="  hello   world "), backend=backend, default_region="de-de")
    web_search(
        WebSearchInput(query="x", region=" US-EN ", safesearch="off", time_range="week"),
        backend=backend,
        default_region="de-de",
    )
    first, second = backend.calls
    assert first == {
        "query": "hello world",
        "max_results": 5,
        "region": "de-de",
        "safesearch": "moderate",
        "time_range": None,
    }
    assert (second["region"], second["safesearch"], second["time_range"]) == ("us-en", "off", "week")


def test_empty_results_say_why():
    result = web_search(WebSearchInput(query="x"), backend=FakeBackend([]))
    assert result.results == [] and "no results" in result.note


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"query": ""}, "query"),
        ({"query": " \n\t "}, "query"),
        ({"query": "x" * 501}, "query"),
        ({"query": "x", "max_results": 0}, "max_results"),
        ({"query": "x", "max_results": 21}, "max_results"),
        ({"query": "x", "region": "english"}, "region"),
        ({"query": "x", "safesearch": "strict"}, "safesearch"),
        ({"query": "x", "time_range": "hour"}, "time_range"),
    ],
)
def test_invalid_arguments(arguments, field):
    out = web_search_spec(backend=FakeBackend([HIT]), default_region="wt-wt").run(arguments)
    assert out["ok"] is False and out["error"] == "invalid_input" and out["message"].count(field) >= 1


def test_clean_text():
    assert clean_text(None, 10) == ""
    assert clean_text("a\u00a0\u2028b", 10) == "a b"
    assert clean_text("abcdef", 4) == "abc…"


# --- the ddgs backend with an injected client --------------------------------------


def test_ddgs_arguments_and_time_range_mapping():
    backend, log, _, timeouts = scripted_backend([[HIT]], timeout=7)
    for time_range, code in (("day", "d"), ("week", "w"), ("month", "m"), ("year", "y"), (None, None)):
        backend.search("q", max_results=4, region="fr-fr", safesearch="on", time_range=time_range)
        assert log[-1] == {
            "query": "q",
            "region": "fr-fr",
            "safesearch": "on",
            "timelimit": code,
            "max_results": 4,
            "backend": "duckduckgo",
        }
    assert set(timeouts) == {7}


def test_rate_limit_is_retried_with_growing_backoff():
    backend, log, sleeps, _ = scripted_backend(
        [RatelimitException("202 Ratelimit"), RatelimitException("202 Ratelimit"), [HIT]], retries=2, backoff=1.0
    )
    result = web_search(WebSearchInput(query="python"), backend=backend)
    assert [h.url for h in result.results] == ["https://www.python.org/"]
    assert len(log) == 3 and len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 1.25 and 2.0 <= sleeps[1] <= 2.5  # exponential, with jitter


def test_rate_limit_gives_up_after_the_retries():
    backend, log, sleeps, _ = scripted_backend(
        [RatelimitException("202 Ratelimit")], retries=3, backoff=0.5, max_backoff=1.5
    )
    with pytest.raises(ToolError) as info:
        backend.search("q", max_results=5, region="wt-wt", safesearch="moderate", time_range=None)
    assert (
        info.value.code == "unavailable" and "rate limited" in info.value.message and "4 attempts" in info.value.message
    )
    assert len(log) == 4 and len(sleeps) == 3
    assert sleeps[2] <= 1.5 * 1.25  # capped by max_backoff


def test_no_retry_without_retries():
    backend, log, sleeps, _ = scripted_backend([RatelimitException("x")], retries=0)
    with pytest.raises(ToolError, match="rate limited"):
        backend.search("q", max_results=5, region="wt-wt", safesearch="moderate", time_range=None)
    assert len(log) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("error", "code", "text"),
    [
        (TimeoutException("operation timed out"), "timeout", "did not answer within"),
        (DDGSException("DNSError: error resolving DNS"), "unavailable", "no network connection"),
        (DDGSException("ConnectError: connection refused"), "unavailable", "no network connection"),
        (OSError(101, "Network is unreachable"), "unavailable", "no network connection"),
        (DDGSException("HTTP 500 from provider"), "unavailable", "HTTP 500 from provider"),
        (RuntimeError("surprise"), "unavailable", "RuntimeError: surprise"),
    ],
)
def test_failures_become_tool_errors(error, code, text):
    backend, log, sleeps, _ = scripted_backend([error], retries=2)
    with pytest.raises(ToolError) as info:
        backend.search("q", max_results=5, region="wt-wt", safesearch="moderate", time_range=None)
    assert info.value.code == code and text in info.value.message
    assert len(log) == 1 and sleeps == []  # only rate limits are retried


def test_no_results_from_ddgs_is_an_empty_answer():
    backend, *_ = scripted_backend([DDGSException("No results found.")])
    result = web_search(WebSearchInput(query="zzzz"), backend=backend)
    assert result.results == [] and result.note


def test_a_hanging_client_is_abandoned_at_the_deadline():
    release = threading.Event()

    class Hanging:
        def text(self, query, **kwargs):
            release.wait(30)
            return [HIT]

    backend = DuckDuckGoBackend(timeout=0.2, retries=2, client_factory=lambda timeout: Hanging(), sleep=lambda s: None)
    started = time.perf_counter()
    try:
        with pytest.raises(ToolError) as info:
            backend.search("q", max_results=5, region="wt-wt", safesearch="moderate", time_range=None)
    finally:
        release.set()
    assert info.value.code == "timeout"
    assert time.perf_counter() - started < backend.attempt_seconds + 1


# --- as a tool ---------------------------------------------------------------------


def test_spec_metadata_and_langchain_tool():
    backend = DuckDuckGoBackend(timeout=5, retries=2)
    spec = web_search_spec(backend=backend, default_region="us-en")
    assert spec.name == "web_search"
    assert (spec.hints.read_only, spec.hints.idempotent, spec.hints.open_world) == (True, False, True)
    assert spec.hints.timeout is not None and spec.hints.timeout >= backend.max_total_seconds
    schema = WebSearchInput.model_json_schema()["properties"]
    assert schema["safesearch"]["enum"] == ["on", "moderate", "off"] and schema["max_results"]["maximum"] == 20

    tool = web_search_spec(backend=FakeBackend([HIT]), default_region="us-en").as_langchain()
    data = json.loads(tool.invoke({"query": "python", "max_results": 2}))
    assert data["untrusted"] is True and data["region"] == "us-en" and data["results"][0]["url"] == HIT["href"]
