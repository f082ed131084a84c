"""Shared fixtures. Every test runs with a private AGENT_HOME and no real model keys."""

from __future__ import annotations

import os

import pytest

_SECRET_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DASHSCOPE_API_KEY", "DEEPSEEK_API_KEY", "LANGSMITH_API_KEY")


@pytest.fixture(autouse=True, scope="session")
def _no_real_models():
    """No test reaches a real model provider: only endpoints on this machine can be built."""
    import graphs.llm

    graphs.llm.ALLOW_REMOTE_MODELS = False
    yield
    graphs.llm.ALLOW_REMOTE_MODELS = True


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test reads the developer's settings, keys or data directory."""
    for name in list(os.environ):
        if name.startswith("AGENT_") or name.startswith("LANGSMITH_") or name.startswith("LANGCHAIN_"):
            monkeypatch.delenv(name, raising=False)
    for name in _SECRET_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # so a developer's .env is not read


@pytest.fixture(autouse=True)
def _scripts_used_up(request, monkeypatch):
    """A scripted model whose replies a test did not use fails that test: a script longer than the run is a
    test that no longer checks what it says.  Scripts meant to be cut short say so: ``leftover=True``."""
    from graphs.testing import ScriptedModel

    made: list[ScriptedModel] = []
    original = ScriptedModel.__init__

    def recording(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(ScriptedModel, "__init__", recording)
    yield
    unused = [(len(m.replies) - m.calls_made, m.calls_made) for m in made if not (m.cycle or m.leftover)]
    unused = [(left, used) for left, used in unused if left > 0]
    if unused and getattr(request.node, "rep_call_passed", False):
        pytest.fail(f"scripted replies left unused (left, used): {unused}", pytrace=False)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call_passed = report.passed
    return report


# Modules that start processes (the CLI, MCP servers, the service, a browser, Node.js), servers or the benchmarks:
# all of their tests are "slow", so `python -m pytest -m "not slow"` is the quick in-process loop (about two minutes).
SLOW_MODULES = frozenset(
    [
        "bench",
        "cli",
        "cli_chat",
        "cli_config",
        "cli_pipes",
        "cli_runs",
        "costs",
        "langgraph_dev",
        "mcp_cli_commands",
        "mcp_client",
        "mcp_client_cli",
        "mcp_client_hostile",
        "mcp_conformance",
        "mcp_http_limits",
        "mcp_http_sessions",
        "mcp_inspector",
        "mcp_interact",
        "mcp_oauth",
        "mcp_server_features",
        "mcp_servers",
        "memory",
        "models",
        "pg_memory",
        "providers",
        "readme",
        "service",
        "service_mcp",
        "service_replicas",
        "thread_runs",
        "web_mcp",
        "web_page",
    ]
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.stem.removeprefix("test_") in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


POSTGRES_DSN = os.environ.get("AGENT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The local PostgreSQL server, or a skip saying why it is absent."""
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as err:  # noqa: BLE001 - any failure means: no server here
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_DSN}: {err}")
    return POSTGRES_DSN


@pytest.fixture
def pg_database(postgres_dsn):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards. Yields its URL."""
    import uuid

    import psycopg

    name = f"agent_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_dsn.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def legacy_mcp_python() -> str:
    """A Python with the mcp 1.x SDK, mcp-server-time and langchain-mcp-adapters (bench/_legacy.py).

    mcp-server-time and older clients such as Claude Desktop's speak the
    2025-11-25 revision through the 1.x SDK, which cannot share an environment
    with our mcp 2.x.  Built once per machine, reused after.
    """
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "_legacy.py"
    spec = importlib.util.spec_from_file_location("_legacy", path)
    legacy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(legacy)
    try:
        return legacy.legacy_python()
    except legacy.LegacyEnvError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (the browser tests')."""
    from web_browser import launch, sync_playwright_or_skip

    sync_playwright = sync_playwright_or_skip()
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; a script error in it fails the test."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert errors == [], f"errors in the page: {errors}"
