"""The official MCP conformance suite against our servers and our client (Node.js 22, cached; see mcp_conformance).

Servers: the fixture server (``python -m mcp_servers.conformance``) must pass
every server scenario of the suite; our real servers must pass every scenario
that needs no fixture (the fixtures are tools, resources and prompts with the
suite's own names, which a real server does not have).

Client: ``python -m agent.mcp.conformance`` (our MCPToolbox underneath) against
the suite's client scenarios: initialize, tools_call, elicitation defaults,
sse-retry and the whole auth suite.
"""

from __future__ import annotations

import pytest
from mcp_conformance import counts, problems, run_server_suite
from mcp_helpers import HttpServer, server_env

pytestmark = pytest.mark.slow

SERVER_SCENARIOS = {
    "server-initialize",
    "logging-set-level",
    "ping",
    "completion-complete",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-mixed-content",
    "tools-call-with-logging",
    "tools-call-error",
    "tools-call-with-progress",
    "tools-call-sampling",
    "tools-call-elicitation",
    "json-schema-2020-12",
    "elicitation-sep1034-defaults",
    "server-sse-polling",
    "server-sse-multiple-streams",
    "elicitation-sep1330-enums",
    "resources-list",
    "resources-read-text",
    "resources-read-binary",
    "resources-templates-read",
    "resources-subscribe",
    "resources-unsubscribe",
    "prompts-list",
    "prompts-get-simple",
    "prompts-get-with-args",
    "prompts-get-embedded-resource",
    "prompts-get-with-image",
    "dns-rebinding-protection",
}
WITHOUT_FIXTURES = {
    "server-initialize",
    "logging-set-level",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
}
# server-sse-polling (a pending scenario in 0.1.16) sends its tools/call with MCP-Protocol-Version 2025-03-26,
# which predates resumable streams, so a conforming server sends no priming event and no retry field on that
# stream; the suite fixed the header later (conformance #366). tests/test_mcp_http_resume.py checks the same
# behaviour with the right header.
KNOWN_WARNINGS = {"server-sse-polling": {"server-sse-priming-event", "server-sse-retry-field"}}


def test_fixture_server_passes_the_whole_server_suite(tmp_path):
    with HttpServer("conformance", tmp_path / "server.log", server_env(tmp_path / "home")) as server:
        results = run_server_suite(server.url, tmp_path / "results")
    assert set(results) == SERVER_SCENARIOS, sorted(set(results) ^ SERVER_SCENARIOS)
    assert problems(results, KNOWN_WARNINGS) == []
    passed = counts(results)
    assert sum(p for p, _ in passed.values()) == sum(n for _, n in passed.values()) >= 44


@pytest.mark.parametrize("name", ["all", "database", "calculator", "primes", "web_search"])
def test_real_servers_pass_every_scenario_that_needs_no_fixture(name, tmp_path):
    with HttpServer(name, tmp_path / "server.log", server_env(tmp_path / "home")) as server:
        results = run_server_suite(server.url, tmp_path / "results", suite_name="active")
    ours = {scenario: checks for scenario, checks in results.items() if scenario in WITHOUT_FIXTURES}
    assert set(ours) == WITHOUT_FIXTURES
    assert problems(ours) == []
    fixture_only = set(results) - WITHOUT_FIXTURES
    assert fixture_only and all(any(c["status"] == "FAILURE" for c in results[s]) for s in fixture_only)
