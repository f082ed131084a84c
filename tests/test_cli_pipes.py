"""`agent ... | head -1`: a reader that stops early is normal, so the agent exits 0 and says nothing.

Real pipes and real subprocesses.  Each case makes sure the agent does write
into the closed pipe: the reader closes before the agent writes at all, or the
pipe is made smaller than the output so the agent is still writing when the
reader leaves, or the model answers only after the reader has left.
"""

# ruff: noqa: F811 - the fixtures imported from cli_helpers are arguments of the tests

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
import time

import pytest
from cli_helpers import env, server, with_server  # noqa: F401 - pytest fixtures, used as arguments
from fake_openai import Reply


def start(env: dict[str, str], *args: str, pipe_size: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    read, write = os.pipe()
    if pipe_size:
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, pipe_size)
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", *args],
        stdin=subprocess.DEVNULL,
        stdout=write,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(write)
    return proc, read


def first_line(fd: int, timeout: float = 60) -> bytes:
    """Exactly one line, read byte by byte, so nothing after it leaves the pipe."""
    line, deadline = b"", time.time() + timeout
    while not line.endswith(b"\n") and time.time() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            byte = os.read(fd, 1)
            if not byte:
                break
            line += byte
    return line


def finished(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode("utf-8", "replace")


@pytest.mark.parametrize("buffered", [False, True], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("args", [["config"], ["config", "--json"], ["run", "what is 6*7"]])
def test_a_reader_gone_before_the_first_line(env, args, buffered):
    e = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"} if buffered else {**env, "PYTHONUNBUFFERED": "1"}
    proc, read = start(e, *args)
    os.close(read)  # like `| head -0`, or a head that already quit
    code, err = finished(proc)
    assert (code, err) == (0, "")


def test_tools_piped_to_head_one(env):
    # The pipe holds 4 KiB and the listing is longer: the agent is still writing when the reader leaves.
    proc, read = start(env, "tools", "--allow-write", pipe_size=4096)
    line = first_line(read)
    os.close(read)
    code, err = finished(proc)
    assert line.startswith(b"calculator  (function)")
    assert (code, err) == (0, "")


def test_the_reader_leaves_while_the_run_streams(env, server):
    server.queue(
        Reply(tool_calls=[("calculator", json.dumps({"expression": "6*7"}))]),
        Reply(content="It is forty-two, as the calculator says.", delay=1.5),  # answers after the reader left
    )
    proc, read = start(with_server(env, server), "run", "what is 6*7", "--planning", "off")
    line = first_line(read)
    os.close(read)
    code, err = finished(proc)
    assert line.startswith(b"\xe2\x86\x92 calculator(")  # "→ calculator("
    assert (code, err) == (0, "")  # the tool's line or the answer met the closed pipe, mid-run
