"""Running ``python -m agent`` in real subprocesses: a clean environment, the fake model server, a pty."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest
from fake_openai import FakeOpenAI

SECRET = "sk-test-VERYSECRET-0123"


@pytest.fixture
def env(tmp_path):
    """No developer keys or AGENT_* settings; a private AGENT_HOME."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AGENT_", "OPENAI_", "DASHSCOPE_", "DEEPSEEK_", "LANGSMITH_", "LANGCHAIN_"))
    }
    clean.update(
        {
            "AGENT_HOME": str(tmp_path / "home"),
            "AGENT_SEARCH_TIMEOUT": "2",
            "AGENT_SEARCH_RETRIES": "0",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    return clean


@pytest.fixture
def server():
    with FakeOpenAI() as srv:
        yield srv


def with_server(env: dict[str, str], server: FakeOpenAI) -> dict[str, str]:
    return {**env, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": SECRET, "AGENT_MODEL": "test-model"}


def agent(env, *args, stdin: str | None = "", cwd=None) -> subprocess.CompletedProcess[str]:
    """``python -m agent ARGS``; stdin is an empty pipe (not a terminal) unless given."""
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        input=stdin,
        cwd=cwd,
    )


def controlling_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty, so Ctrl-C sends SIGINT."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Pty:
    """A process on a pseudo-terminal: write keys, read until a marker appears."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import pty

        self.main, secondary = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent", *args],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env={**env, "TERM": "dumb"},
            close_fds=True,
            preexec_fn=controlling_terminal,
        )
        os.close(secondary)
        self.seen = b""
        self.pos = 0  # where the next read_until looks from

    def read_until(self, marker: bytes, timeout: float = 30) -> None:
        """Wait for ``marker`` after what earlier calls matched."""
        deadline = time.time() + timeout
        while marker not in self.seen[self.pos :] and time.time() < deadline:
            if select.select([self.main], [], [], 0.2)[0]:
                try:
                    self.seen += os.read(self.main, 4096)
                except OSError:  # the process ended and the pty closed
                    break
        found = self.seen.find(marker, self.pos)
        assert found >= 0, self.seen.decode(errors="replace")[-2000:]
        self.pos = found + len(marker)

    def write(self, keys: bytes) -> None:
        os.write(self.main, keys)

    def wait(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout=timeout)
        try:  # what it wrote last
            while select.select([self.main], [], [], 0.1)[0]:
                chunk = os.read(self.main, 4096)
                if not chunk:
                    break
                self.seen += chunk
        except OSError:
            pass
        os.close(self.main)
        return code

    @property
    def text(self) -> str:
        return self.seen.decode("utf-8", "replace")
