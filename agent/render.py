"""Showing a run as it happens: plain text for pipes, rich output on a terminal.

The runner calls these hooks in order; a renderer decides how they look.
Reasoning text is shown apart from the answer (dimmed on a terminal, marked
in plain text) and is never part of the answer.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from rich.text import Text

MAX_ARGS = 200
MAX_RESULT = 160


def short(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def usage_line(usage: dict[str, Any], elapsed: float, ttft: float | None = None, thread: str = "") -> str:
    line = (f"thread {thread} · " if thread else "") + (
        f"model calls {usage['model_calls']} · tool calls {usage['tool_calls']} · tokens "
        f"{usage['total_tokens']:,} (in {usage['input_tokens']:,} / out {usage['output_tokens']:,}) · "
        f"cost {usage['cost']:.6f} · {elapsed:.2f}s"
    )
    return line + (f" · first token {ttft:.2f}s" if ttft is not None else "")


class Renderer:
    """Plain text: one line per event, answer tokens as they arrive."""

    def __init__(self, out: TextIO | None = None, verbose: bool = False) -> None:
        self.out = out or sys.stdout
        self.verbose = verbose
        self.in_text = False  # in the middle of streamed answer text
        self.in_reasoning = False
        self.streamed = ""  # answer text streamed since the last tool event
        self.first_token: float | None = None
        self.waiting_since = time.perf_counter()

    # --- hooks -------------------------------------------------------------------
    def plan(self, steps: list[dict[str, Any]]) -> None:
        self._end_text()
        self._line("plan:")
        for index, step in enumerate(steps, 1):
            tool = f" [{step['tool']}]" if step.get("tool") else ""
            self._line(f"  {index}. ({step['status']}) {step['description']}{tool}")

    def tool_start(self, event: dict[str, Any]) -> None:
        self._end_text()
        self._line(f"→ {event['name']}({short(event['args'], MAX_ARGS)})")

    def tool_end(self, event: dict[str, Any]) -> None:
        self._end_text()
        mark = "ok" if event["ok"] else "error"
        self._line(f"← {event['name']} {mark} ({event['seconds']:.2f}s): {short(event['result'], MAX_RESULT)}")
        self._reset_wait()

    def rejected(self, event: dict[str, Any]) -> None:
        self._end_text()
        self._line(f"✗ {event['name']} rejected: {short(event['error'], MAX_RESULT)}")

    def reasoning(self, text: str) -> None:
        self._mark_first_token()
        if not self.in_reasoning:
            self._end_text()
            self.out.write("[reasoning] ")
            self.in_reasoning = True
        self.out.write(text)
        self.out.flush()

    def token(self, text: str) -> None:
        self._mark_first_token()
        if self.in_reasoning:
            self.out.write("\n")
            self.in_reasoning = False
        self.in_text = True
        self.streamed += text
        self.out.write(text)
        self.out.flush()

    def answer(self, answer: str) -> None:
        """The final answer: print whatever of it was not streamed."""
        streamed = self.streamed.strip()
        if streamed and answer.startswith(streamed):
            rest = answer[len(streamed) :]
            if rest.strip():
                self.out.write(rest)
        else:
            self._end_text()
            self.out.write(answer)
        self.out.write("\n")
        self.in_text = False
        self.out.flush()

    def summary(self, usage: dict[str, Any], stop_reason: str, elapsed: float, thread: str = "") -> None:
        ttft = self.first_token if self.verbose else None
        note = "" if stop_reason == "answered" else f" · stopped: {stop_reason}"
        self._line(usage_line(usage, elapsed, ttft, thread) + note)

    def notice(self, text: str) -> None:
        self._end_text()
        self._line(text)

    # --- helpers -----------------------------------------------------------------
    def _mark_first_token(self) -> None:
        if self.first_token is None:
            self.first_token = time.perf_counter() - self.waiting_since

    def _reset_wait(self) -> None:
        self.streamed = ""
        self.waiting_since = time.perf_counter()

    def _end_text(self) -> None:
        if self.in_text or self.in_reasoning:
            self.out.write("\n")
            self.in_text = self.in_reasoning = False

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def close(self) -> None:
        self._end_text()


class RichRenderer(Renderer):
    """Colours, dimmed reasoning, and a progress line (spinner, elapsed time) while waiting."""

    def __init__(self, verbose: bool = False, console: Any = None) -> None:
        from rich.console import Console

        self.console = console or Console(highlight=False)
        super().__init__(self.console.file, verbose)
        self._status: Any = None
        self._running: dict[str, str] = {}  # tool call id -> name
        self._wait("thinking…")

    def _wait(self, label: str) -> None:
        """A transient line: spinner, what we wait for, seconds elapsed (for long tool calls)."""
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._stop()
        self._status = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=self.console, transient=True
        )
        self._status.add_task(label)
        self._status.start()

    def _wait_for_tools(self) -> None:
        names = ", ".join(sorted(set(self._running.values())))
        self._wait(f"running {names}…" if names else "thinking…")

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def plan(self, steps: list[dict[str, Any]]) -> None:
        self._stop()
        self._end_text()
        self.console.print(Text("plan", style="bold"))
        for index, step in enumerate(steps, 1):
            style = {"done": "green", "failed": "red", "skipped": "dim"}.get(step["status"], "")
            line = Text.assemble(f"  {index}. ", (f"({step['status']}) {step['description']}", style))
            if step.get("tool"):
                line.append(f" [{step['tool']}]", style="cyan")
            self.console.print(line)
        self._wait("thinking…")

    def tool_start(self, event: dict[str, Any]) -> None:
        self._stop()
        self._end_text()
        self.console.print(
            Text.assemble((f"→ {event['name']}", "cyan"), "(", (short(event["args"], MAX_ARGS), "dim"), ")")
        )
        self._running[event["id"]] = event["name"]
        self._wait_for_tools()

    def tool_end(self, event: dict[str, Any]) -> None:
        self._stop()
        self._end_text()
        mark = ("ok", "green") if event["ok"] else ("error", "red")
        self.console.print(
            Text.assemble(
                (f"← {event['name']} ", "cyan"),
                mark,
                (f" ({event['seconds']:.2f}s) ", "dim"),
                short(event["result"], MAX_RESULT),
            )
        )
        self._running.pop(event["id"], None)
        self._reset_wait()
        self._wait_for_tools()

    def rejected(self, event: dict[str, Any]) -> None:
        self._stop()
        self._end_text()
        reason = short(event["error"], MAX_RESULT)
        self.console.print(Text.assemble((f"✗ {event['name']} rejected: ", "yellow"), reason))
        self._wait("thinking…")

    def reasoning(self, text: str) -> None:
        self._stop()
        self._mark_first_token()
        self.in_reasoning = True
        self.console.print(text, style="dim italic", end="", markup=False)

    def token(self, text: str) -> None:
        self._stop()
        if self.in_reasoning:
            self.console.print()
            self.in_reasoning = False
        self._mark_first_token()
        self.in_text = True
        self.streamed += text
        self.console.print(text, end="", markup=False)

    def answer(self, answer: str) -> None:
        self._stop()
        super().answer(answer)

    def summary(self, usage: dict[str, Any], stop_reason: str, elapsed: float, thread: str = "") -> None:
        self._stop()
        ttft = self.first_token if self.verbose else None
        line = Text(usage_line(usage, elapsed, ttft, thread), style="dim")
        if stop_reason != "answered":
            line.append(f" · stopped: {stop_reason}", style="yellow")
        self.console.print(line)

    def notice(self, text: str) -> None:
        self._stop()
        self._end_text()
        self.console.print(text, style="yellow", markup=False)

    def close(self) -> None:
        self._stop()
        super().close()


class QuietRenderer(Renderer):
    """Only the answer."""

    def plan(self, steps: list[dict[str, Any]]) -> None: ...
    def tool_start(self, event: dict[str, Any]) -> None: ...
    def tool_end(self, event: dict[str, Any]) -> None: ...
    def rejected(self, event: dict[str, Any]) -> None: ...
    def reasoning(self, text: str) -> None: ...
    def token(self, text: str) -> None: ...
    def summary(self, usage: dict[str, Any], stop_reason: str, elapsed: float, thread: str = "") -> None: ...
    def notice(self, text: str) -> None: ...


def make_renderer(*, quiet: bool = False, verbose: bool = False, out: TextIO | None = None) -> Renderer:
    if quiet:
        return QuietRenderer(out)
    stream = out or sys.stdout
    if stream.isatty():
        return RichRenderer(verbose)
    return Renderer(stream, verbose)


__all__ = ["QuietRenderer", "Renderer", "RichRenderer", "make_renderer", "short", "usage_line"]
