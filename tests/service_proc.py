"""Start the service in a real process on 127.0.0.1 and talk to it with the official langgraph-sdk client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ask(text: str) -> dict:
    """A run's input: one user message."""
    return {"messages": [{"role": "user", "content": text}]}


def graphs_file(tmp: Path) -> Path:
    path = tmp / "graphs.json"
    path.write_text(json.dumps({"graphs": {"agent": str(HERE / "service_graphs.py") + ":make"}}))
    return path


class ServiceProcess:
    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent.service", "--port", "0", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = self._wait_for_url()

    def _wait_for_url(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"the service exited: {self.proc.stderr.read()[-3000:]}")
            if match := re.search(r"serving (http://\S+)", line):
                return match.group(1)
        raise RuntimeError("the service did not start in time")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def service_env(tmp: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "OPENAI_", "LANGSMITH_"))}
    env = {**clean, "AGENT_HOME": str(tmp / "home"), "AGENT_SERVICE_GRAPHS": str(graphs_file(tmp))}
    env.update(extra)
    return env


def mcp_service_env(tmp: Path, servers: dict, **extra: str) -> dict[str, str]:
    """``service_env`` for the ``make_mcp`` graph of service_graphs.py, with these ``mcpServers`` entries."""
    config = tmp / "mcp.json"
    config.write_text(json.dumps({"mcpServers": servers}))
    graphs = tmp / "mcp-graphs.json"
    graphs.write_text(json.dumps({"graphs": {"agent": str(HERE / "service_graphs.py") + ":make_mcp"}}))
    return service_env(tmp, AGENT_SERVICE_GRAPHS=str(graphs), AGENT_MCP_CONFIG=str(config), **extra)
