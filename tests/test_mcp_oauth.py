"""OAuth end to end: a real OAuth-protected MCP server process (tests/mcp_oauth_server.py, the SDK's own
authorization-server routes), our client logging in once through ``python -m agent.mcp_cli mcp login`` with
the browser step driven by httpx, then using the tools with the stored token, refreshing it, logging out.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest
from mcp_helpers import wait_for_line

from agent.mcp.client import MCPToolbox
from agent.mcp.config import ServerConfig
from agent.mcp.conformance import follow_redirects
from agent.mcp.oauth import token_path

SERVER = Path(__file__).with_name("mcp_oauth_server.py")
AGENT_CLI = [sys.executable, "-m", "agent.mcp_cli", "mcp"]


class OAuthServer:
    def __init__(self, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log, self.args, self.env = log, args, env
        self.url = ""
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> OAuthServer:
        with self.log.open("w") as out:
            command = [sys.executable, str(SERVER), *self.args]
            self.process = subprocess.Popen(command, stdout=out, stderr=out, stdin=subprocess.DEVNULL, env=self.env)
        self.url = wait_for_line(self.log, r"listening on (http://\S+/mcp)", process=self.process).group(1)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.log.read_text()))


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    return {**env, "AGENT_HOME": str(home), "PYTHONUNBUFFERED": "1", **extra}


def write_config(home: Path, entry: dict) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "mcp.json").write_text(json.dumps({"mcpServers": {"secure": entry}}))


def cli_login(home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``mcp login secure --no-browser``, with this test as the browser: read the printed address, fetch it."""
    process = subprocess.Popen(
        [*AGENT_CLI, "login", "secure", "--no-browser"],
        env=env or cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.strip().startswith("http://"):
            anyio.run(follow_redirects, line.strip())
            break
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, "".join(seen) + err)


def toolbox(home: Path, url: str, **entry: object) -> MCPToolbox:
    return MCPToolbox({"secure": ServerConfig(url=url, **entry)}, home=home, log_dir=home / "logs", startup_timeout=20)


def test_login_once_then_tools_with_the_stored_token_refreshed_and_never_printed(tmp_path):
    home = tmp_path / "home"
    with OAuthServer(tmp_path / "oauth.log", "--ttl", "3") as server:
        write_config(home, {"url": server.url})
        with toolbox(home, server.url) as box:  # a run never opens a browser: it says what to run
            assert box.errors == {"secure": "it needs a login: run `python -m agent mcp login secure`"}

        login = cli_login(home)
        assert login.returncode == 0, login.stderr
        assert re.search(r"logged in to MCP server 'secure' at http://127\.0\.0\.1:\d+ \(1 tools\)", login.stdout)
        path = token_path(home, "secure", server.url)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        stored = json.loads(path.read_text())
        tokens = stored["issuers"][stored["current"]]["tokens"]
        assert server.count("authorized client") == 1

        with toolbox(home, server.url) as box:  # later runs: the stored token, no browser
            assert box.errors == {}
            assert box.call("secure", "prime_check", {"n": 97}).structured_content["is_prime"] is True
        time.sleep(3.5)  # the access token expires; the refresh token is used, at the right token endpoint
        with toolbox(home, server.url) as box:
            assert box.call("secure", "prime_check", {"n": 91}).structured_content["is_prime"] is False
        assert server.count("refreshed tokens") == 1 and server.count("authorized client") == 1

        status = subprocess.run([*AGENT_CLI, "status"], env=cli_env(home), capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and "OAuth: logged in at http://127.0.0.1" in status.stdout
        fresh = json.loads(path.read_text())["issuers"][stored["current"]]["tokens"]
        secrets = {tokens["access_token"], tokens["refresh_token"], fresh["access_token"], fresh["refresh_token"]}
        outputs = login.stdout + login.stderr + status.stdout + status.stderr
        logs = "".join(p.read_text() for p in (home / "logs").glob("*.log"))
        assert not any(secret in outputs or secret in logs for secret in secrets)

        logout = subprocess.run([*AGENT_CLI, "logout", "secure"], env=cli_env(home), capture_output=True, text=True)
        assert logout.returncode == 0 and "forgot the stored tokens" in logout.stdout and not path.exists()
        with toolbox(home, server.url) as box:
            assert "needs a login" in box.errors["secure"]


def test_an_authorization_response_from_the_wrong_issuer_is_refused(tmp_path):
    home = tmp_path / "home"
    with OAuthServer(tmp_path / "oauth.log", "--bad-iss") as server:
        write_config(home, {"url": server.url})
        login = cli_login(home)
    assert login.returncode == 1
    assert "iss mismatch" in login.stderr and "https://evil.example" in login.stderr
    assert "Traceback" not in login.stderr


def test_a_pre_registered_client_logs_in_with_its_secret_from_the_environment(tmp_path):
    home = tmp_path / "home"
    secret = "s3cret-" + os.urandom(8).hex()
    env = {**os.environ, "TEST_CLIENT_SECRET": secret}
    with OAuthServer(tmp_path / "oauth.log", "--client", "agent-test:TEST_CLIENT_SECRET", env=env) as server:
        write_config(
            home,
            {
                "url": server.url,
                "client_id": "agent-test",
                "client_secret": "${TEST_CLIENT_SECRET}",
                "redirect_uri": "http://127.0.0.1:33419/callback",
            },
        )
        login = cli_login(home, cli_env(home, TEST_CLIENT_SECRET=secret))
        assert login.returncode == 0, login.stderr
        assert server.count("registered client") == 0 and server.count("issued tokens to client agent-test") == 1
        path = token_path(home, "secure", server.url)
        assert secret not in path.read_text() and secret not in login.stdout + login.stderr
        with toolbox(home, server.url, client_id="agent-test", client_secret=secret) as box:
            assert box.call("secure", "prime_check", {"n": 7}).structured_content["is_prime"] is True


def test_the_loopback_listener_takes_only_its_own_redirect(tmp_path):
    from agent.mcp.loopback import LoginError, LoopbackCallback

    async def check() -> None:
        callback = LoopbackCallback()
        async with callback.listening():
            callback.expect("https://as.example/authorize?state=abc&client_id=x")
            async with httpx.AsyncClient() as http:
                assert (await http.get(f"http://127.0.0.1:{callback.port}/other")).status_code == 404
                assert (await http.get(f"{callback.redirect_uri}?code=x&state=forged")).status_code == 400
                answered = await http.get(f"{callback.redirect_uri}?code=c0de&state=abc&iss=https://as.example")
                assert answered.status_code == 200 and "close this window" in answered.text
            result = await callback.wait(5)
            assert (result.code, result.state, result.iss) == ("c0de", "abc", "https://as.example")
            callback.expect("https://as.example/authorize?state=def")
            async with httpx.AsyncClient() as http:
                await http.get(f"{callback.redirect_uri}?error=access_denied&state=def")
            with pytest.raises(LoginError, match="refused the login: access_denied"):
                await callback.wait(5)

    anyio.run(check)


def test_a_run_through_a_logged_in_server_leaves_its_tokens_in_no_output_trace_or_checkpoint(tmp_path):
    from fake_openai import FakeOpenAI, Reply
    from test_tracing import LangSmithStub

    home = tmp_path / "home"
    stub = LangSmithStub()
    with OAuthServer(tmp_path / "oauth.log") as server:
        write_config(home, {"url": server.url})
        assert cli_login(home).returncode == 0
        stored = json.loads(token_path(home, "secure", server.url).read_text())
        tokens = stored["issuers"][stored["current"]]["tokens"]
        env = cli_env(home, LANGSMITH_TRACING="true", LANGSMITH_API_KEY="ls-key", LANGSMITH_ENDPOINT=stub.url)
        listed = subprocess.run([sys.executable, "-m", "agent", "tools", "--json"], env=env, capture_output=True)
        name = next(t["name"] for t in json.loads(listed.stdout) if t["source"] != "built-in" and "prime" in t["name"])
        with FakeOpenAI() as model:
            model.queue(Reply(tool_calls=[(name, '{"n": 97}')]), Reply(content="97 is prime."))
            run = subprocess.run(
                [sys.executable, "-m", "agent", "run", "Is 97 prime?", "--json", "--planning", "off"],
                env={**env, "OPENAI_BASE_URL": model.url, "OPENAI_API_KEY": "sk-x", "AGENT_MODEL": "m"},
                capture_output=True,
                timeout=90,
            )
    assert run.returncode == 0, run.stderr.decode()
    assert [c["name"] for c in json.loads(run.stdout)["tool_calls"]] == [name]
    assert json.loads(run.stdout)["tool_calls"][0]["ok"] is True
    assert any(part for _, part in stub.parts)  # the run was traced
    kept = [p.read_bytes() for p in home.rglob("*") if p.is_file() and "mcp-auth" not in p.parts]
    everything = b"".join([run.stdout, run.stderr, listed.stdout, listed.stderr, *kept, *(b for _, b in stub.parts)])
    assert any(p.name == "checkpoints.sqlite" for p in home.rglob("*"))
    for secret in (tokens["access_token"], tokens["refresh_token"]):
        assert secret.encode() not in everything
