"""Helpers for the MCP server tests: server subprocesses and their logs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

OLD_CLIENT = Path(__file__).with_name("mcp_old_client.py")


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The test's environment without any AGENT_* setting, plus AGENT_HOME and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env.update(AGENT_HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    return env


def stdio_env(home: Path, **extra: str) -> dict[str, str]:
    """Only what a stdio client must add to the SDK's default environment (which drops AGENT_*)."""
    return {"AGENT_HOME": str(home), **extra}


def wait_for_line(
    log: Path, pattern: str, *, after: int = 0, timeout: float = 20.0, process: subprocess.Popen | None = None
) -> re.Match[str]:
    """The first match of ``pattern`` in ``log`` beyond its first ``after`` matches."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text(errors="replace") if log.exists() else ""
        matches = list(re.finditer(pattern, text))
        if len(matches) > after:
            return matches[after]
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{text}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern!r} in the server log within {timeout} s:\n{text}")
        time.sleep(0.05)


def count_lines(log: Path, pattern: str) -> int:
    return len(re.findall(pattern, log.read_text(errors="replace"))) if log.exists() else 0


class HttpServer:
    """``python -m mcp_servers.<name> --http --port 0 ...`` in a subprocess; ``url`` once it listens."""

    def __init__(self, name: str, log: Path, env: dict[str, str], *args: str) -> None:
        self.name, self.log, self.env, self.args = name, log, env, args
        self.url = ""
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> HttpServer:
        with self.log.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"mcp_servers.{self.name}", "--http", "--port", "0", *self.args],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                env=self.env,
            )
        self.url = wait_for_line(self.log, r"listening on (http://\S+/mcp)", process=self.process).group(1)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
