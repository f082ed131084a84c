"""`agent chat` on a real pseudo-terminal: unknown commands, Ctrl-C at the prompt, Ctrl-D."""

# ruff: noqa: F811 - the fixtures imported from cli_helpers are arguments of the tests

from __future__ import annotations

import time
from pathlib import Path

from cli_helpers import Pty, env  # noqa: F401 - pytest fixtures, used as arguments


def blocked(chat: Pty, timeout: float = 30) -> None:
    """Wait until the chat's main thread sleeps in the kernel (readline waiting on the terminal): CPython misses
    a signal that comes between writing the prompt and blocking, a window a busy machine can hold open."""
    stat = Path(f"/proc/{chat.proc.pid}/stat")
    deadline = time.monotonic() + timeout
    asleep = 0
    while asleep < 3 and time.monotonic() < deadline:  # three looks in a row, 20 ms apart
        state = stat.read_text().rpartition(")")[2].split()[0] if stat.exists() else "S"
        asleep = asleep + 1 if state == "S" else 0
        time.sleep(0.02)


def at_prompt(chat: Pty, keys: bytes) -> None:
    """Type once the prompt is really waiting."""
    chat.read_until(b"you> ")
    blocked(chat)
    chat.write(keys)


def test_unknown_command_then_ctrl_c_clears_and_twice_leaves(env):
    chat = Pty(["chat", "--thread", "p1"], env)
    at_prompt(chat, b"/bogus\n")
    chat.read_until(b"unknown command /bogus")
    chat.read_until(b"commands: /new")
    at_prompt(chat, b"what is 1+")  # half a line, then Ctrl-C: the line is dropped
    chat.read_until(b"1+")
    blocked(chat)
    chat.write(b"\x03")
    chat.read_until(b"(Ctrl-C again or Ctrl-D to leave)")
    at_prompt(chat, b"what is 6*7\n")  # a Ctrl-C followed by a line: the next Ctrl-C is the first again
    chat.read_until(b"6*7 = 42")
    chat.read_until(b"model offline")  # the closing line: the run is over
    mark = len(chat.seen)
    at_prompt(chat, b"\x03")
    chat.read_until(b"(Ctrl-C again or Ctrl-D to leave)")
    at_prompt(chat, b"\x03")
    assert chat.wait() == 0
    after = chat.seen[mark:].decode()
    assert after.count("(Ctrl-C again") == 1 and "Traceback" not in chat.text
    assert "unknown command what" not in chat.text and "1+ =" not in chat.text  # the cleared half line never ran


def test_ctrl_d_leaves_with_0(env):
    chat = Pty(["chat"], env)
    at_prompt(chat, b"\x04")
    assert chat.wait() == 0
    assert "Traceback" not in chat.text and "interrupted" not in chat.text
