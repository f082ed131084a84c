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

import shlex
import sys

import pytest
from mcp_conformance import counts, problems, run_client_scenarios, run_server_suite
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


CLIENT = f"{shlex.quote(sys.executable)} -m agent.mcp.conformance"
# the core scenarios, and client credentials (an extension): the machine-to-machine grant of our OAuth client
CLIENT_SCENARIOS = [
    "initialize",
    "tools_call",
    "elicitation-sep1034-client-defaults",
    "sse-retry",
    "auth/client-credentials-basic",
]


@pytest.mark.parametrize("scenario", CLIENT_SCENARIOS)
def test_our_client_passes_the_core_client_scenarios(scenario, tmp_path):
    results, output = run_client_scenarios(CLIENT, tmp_path / "results", scenario=scenario)
    assert scenario in results, output[-3000:]
    assert problems(results) == [], output[-3000:]
    assert "CLIENT EXITED WITH ERROR" not in output and "OVERALL: PASSED" in output, output[-3000:]
    assert sum(c["status"] == "SUCCESS" for c in results[scenario]) >= 1


def test_our_client_passes_the_whole_auth_suite(tmp_path):
    results, output = run_client_scenarios(CLIENT, tmp_path / "results", suite_name="auth")
    auth = {name for name in results if name.startswith("auth/")}
    assert len(auth) >= 14, output[-3000:]
    assert problems(results) == [], output[-3000:]
    assert "0 failed, 0 warnings" in output, output[-3000:]
