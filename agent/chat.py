"""``agent chat``: a conversation on one thread, kept across runs and Ctrl-C.

At the prompt, Ctrl-C clears the line; a second Ctrl-C in a row, Ctrl-D or
/exit leaves (exit code 0: leaving is what the user asked for).  Ctrl-C while
an answer streams stops that answer and keeps the thread.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import uuid
from collections.abc import Callable
from typing import Any

from agent.render import make_renderer
from agent.runner import run_task

HELP = "commands: /new (a new thread), /thread [ID] (show or switch), /exit (or Ctrl-D, or Ctrl-C twice)"
LEAVE_HINT = "(Ctrl-C again or Ctrl-D to leave)"


def _line_editing() -> None:
    """Arrow keys and history at the prompt, where the platform has readline."""
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - importing it turns line editing on for input()


def read_line(interrupts: int) -> tuple[str | None, int]:
    """The next line and the count of Ctrl-C in a row at the prompt; None when the user leaves."""
    try:
        return input("you> ").strip(), 0
    except EOFError:
        print()
        return None, interrupts
    except KeyboardInterrupt:
        return interrupted(interrupts)


def interrupted(interrupts: int) -> tuple[str | None, int]:
    """Ctrl-C at the prompt: the line is dropped; the second in a row leaves."""
    print()
    if interrupts >= 1:
        return None, interrupts + 1
    print(LEAVE_HINT)
    return "", interrupts + 1


def command(line: str, thread: str) -> tuple[str | None, bool]:
    """A /command: the thread to go on with (None: leave), and whether the line was one."""
    if not line.startswith("/"):
        return thread, False
    name, _, rest = line.partition(" ")
    if name in ("/exit", "/quit"):
        return None, True
    if name == "/new":
        thread = uuid.uuid4().hex[:12]
        print(f"thread {thread}")
    elif name == "/thread":
        thread = rest.strip() or thread
        print(f"thread {thread}")
    elif name == "/help":
        print(HELP)
    else:
        print(f"unknown command {name}\n{HELP}")
    return thread, True


def chat_loop(
    graph: Any,
    args: argparse.Namespace,
    approver: Callable[..., Any],
    callbacks: list[Any],
    models: tuple[str, str] = ("", ""),
) -> int:
    thread: str | None = args.thread or uuid.uuid4().hex[:12]
    _line_editing()
    print(f"thread {thread} · {HELP}")
    interrupts = 0
    while thread is not None:
        try:
            line, interrupts = read_line(interrupts)
            if line is None:
                return 0
            thread, was_command = command(line, thread)
            if was_command or not line or thread is None:
                continue
        except KeyboardInterrupt:  # between the prompt and the next one: as if at the prompt
            line, interrupts = interrupted(interrupts)
            if line is None:
                return 0
            continue
        renderer = make_renderer(verbose=args.verbose)
        try:
            run_task(graph, line, thread, renderer, approver(args, renderer), callbacks, models)
        except KeyboardInterrupt:
            renderer.close()
            print("\n(stopped; the thread is kept — ask again or go on)")
    return 0
