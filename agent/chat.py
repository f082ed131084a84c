"""``agent chat``: a conversation on one thread, kept across runs and Ctrl-C."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from typing import Any

from agent.render import make_renderer
from agent.runner import run_task

HELP = "commands: /new (a new thread), /thread [ID] (show or switch), /exit (or Ctrl-D)"


def chat_loop(graph: Any, args: argparse.Namespace, approver: Callable[..., Any], callbacks: list[Any]) -> int:
    thread = args.thread or uuid.uuid4().hex[:12]
    print(f"thread {thread} · {HELP}")
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            continue
        if not line:
            continue
        if line.startswith("/"):
            command, _, rest = line.partition(" ")
            if command in ("/exit", "/quit"):
                return 0
            if command == "/new":
                thread = uuid.uuid4().hex[:12]
                print(f"thread {thread}")
            elif command == "/thread":
                thread = rest.strip() or thread
                print(f"thread {thread}")
            else:
                print(HELP)
            continue
        renderer = make_renderer(verbose=args.verbose)
        try:
            run_task(graph, line, thread, renderer, approver(args, renderer), callbacks)
        except KeyboardInterrupt:
            renderer.close()
            print("\n(stopped; the thread is kept — ask again or go on)")
