"""LangSmith tracing with LangSmith's real client against a local endpoint."""

from __future__ import annotations

import email.parser
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fake_openai import FakeOpenAI, Reply

LS_KEY = "lsv2_pt_TESTKEY_0123456789"
OPENAI_KEY = "sk-test-TRACE-SECRET-42"


class LangSmithStub:
    """Accepts what the LangSmith client sends and keeps every multipart part."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, bytes]] = []
        self.headers: list[dict[str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self):  # noqa: N802
                self._reply()

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.headers.append({k.lower(): v for k, v in self.headers.items()})
                if self.headers.get("Content-Type", "").startswith("multipart/"):
                    head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                    message = email.parser.BytesParser().parsebytes(head + body)
                    for part in message.get_payload():
                        stub.parts.append(
                            (part.get_param("name", header="content-disposition"), part.get_payload(decode=True))
                        )
                self._reply()

            do_PATCH = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def runs(self) -> list[dict]:
        """Each posted run, with its separately sent parts (``extra``, ``inputs``...) merged in."""
        runs: dict[str, dict] = {}
        for name, body in self.parts:
            kind, run_id, *field = name.split(".")
            if kind == "post":
                run = runs.setdefault(run_id, {})
                if field:
                    run[field[0]] = json.loads(body)
                else:
                    run.update(json.loads(body))
        return list(runs.values())


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "OPENAI_", "LANGSMITH_", "LANGCHAIN_"))}
    return {**clean, "AGENT_HOME": str(tmp_path / "home"), "LANGSMITH_TRACING": "true", "LANGSMITH_API_KEY": LS_KEY}


def test_runs_reach_langsmith_with_thread_and_task_and_no_secrets(env):
    stub = LangSmithStub()
    with FakeOpenAI() as model_server:
        model_server.queue(
            Reply(tool_calls=[("prime_check", '{"n": "97"}')]),
            Reply(content=f"97 is prime. (not a leak: {OPENAI_KEY})"),
        )
        result = subprocess.run(
            [sys.executable, "-m", "agent", "run", "Is 97 prime?", "--thread", "trace-1", "--planning", "off"],
            env={
                **env,
                "LANGSMITH_ENDPOINT": stub.url,
                "OPENAI_BASE_URL": model_server.url,
                "OPENAI_API_KEY": OPENAI_KEY,
                "AGENT_MODEL": "m",
            },
            capture_output=True,
            text=True,
            timeout=90,
        )
    assert result.returncode == 0, result.stderr
    runs = stub.runs()
    names = {run["name"] for run in runs}
    assert {"agent", "model", "tools", "prime_check"} <= names
    assert any(run["run_type"] == "llm" for run in runs)
    for run in runs:
        metadata = run.get("extra", {}).get("metadata", {})
        assert metadata.get("thread_id") == "trace-1", run["name"]
        assert metadata.get("task") == "Is 97 prime?"
    payload = b"".join(body for _, body in stub.parts)
    assert OPENAI_KEY.encode() not in payload and LS_KEY.encode() not in payload
    assert b"97 is prime. (not a leak: ***)" in payload  # the answer itself was scrubbed
    assert stub.headers[0]["x-api-key"] == LS_KEY  # the key travels only where it belongs


def test_tracing_without_a_reachable_endpoint_does_not_fail_the_run(env):
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "agent", "run", "Is 97 prime?", "--json"],
        env={**env, "LANGSMITH_ENDPOINT": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["stop_reason"] == "answered"
    assert LS_KEY not in result.stderr
    assert time.monotonic() - started < 30


def test_a_password_in_the_model_url_reaches_no_field_of_any_run(env):
    """The model's base URL travels in ``serialized`` (no anonymizer covers it): every byte is checked."""
    stub = LangSmithStub()
    password = "PASSW0RD-in-the-URL-77"
    with FakeOpenAI() as model_server:
        model_server.queue(Reply(tool_calls=[("prime_check", '{"n": "97"}')]), Reply(content="97 is prime."))
        url = model_server.url.replace("http://", f"http://user:{password}@")
        result = subprocess.run(
            [sys.executable, "-m", "agent", "run", "Is 97 prime?", "--planning", "off"],
            env={**env, "LANGSMITH_ENDPOINT": stub.url, "AGENT_PROVIDER": url, "AGENT_MODEL": "m"},
            capture_output=True,
            text=True,
            timeout=90,
        )
        auth = model_server.headers[0].get("authorization", "")
    assert result.returncode == 0, result.stderr
    runs = stub.runs()
    assert any(run.get("serialized") for run in runs), "an llm run with its serialized parameters was sent"
    captured = b"".join(body for _, body in stub.parts)
    assert password.encode() not in captured
    assert b"user:***@" in captured  # the URL is still recognisable, its password gone
    assert password not in result.stdout + result.stderr
    # The URL's credentials replaced the API key on the wire: the user is told once, by setting name.
    assert auth.startswith("Basic ")
    assert result.stderr.count("AGENT_PROVIDER") == 1 and "Basic" in result.stderr
