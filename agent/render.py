"""Showing a run as it happens: plain text for pipes, rich output on a terminal.

The runner calls these hooks in order; a renderer decides how they look.
Reasoning text is shown apart from the answer (dimmed on a terminal, marked
in plain text) and is never part of the answer.  Text from tools and models is
made printable first (``agent.render_text``): it is shown, never interpreted.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from rich.text import Text

from agent.render_text import PlanTracker, compact_result, printable, result_object, short, stop_note, usage_line

MAX_ARGS = 200
MAX_RESULT = 160


class Renderer:
    """Plain text: one line per event, answer tokens as they arrive."""

    shows_events = True  # fallback and degraded steps are shown here, not as log lines on stderr

    def __init__(self, out: TextIO | None = None, verbose: bool = False) -> None:
        self.out = out or sys.stdout
        self.verbose = verbose
        self.in_text = False  # in the middle of streamed answer text
        self.in_reasoning = False
        self.streamed = ""  # answer text streamed since the last tool event
        self.first_token: float | None = None
        self.waiting_since = time.perf_counter()
        self._plans = PlanTracker()
        self._closing_plan: list[dict[str, Any]] | None = None  # a plan that came while the answer streamed
        self._results: dict[str, dict[str, Any]] = {}  # tool name -> the last result shown (parsed)
        self._fallback_shown = False

    # --- hooks -------------------------------------------------------------------
    def plan(self, steps: list[dict[str, Any]]) -> None:
        """A plan whose statuses changed; the closing one (after the answer began) waits for the summary."""
        if self.in_text or self.streamed.strip():
            self._closing_plan = steps
            return
        self._show_plan(steps)

    def tool_start(self, event: dict[str, Any]) -> None:
        self._end_text()
        self._line(f"→ {printable(event['name'])}({short(event['args'], MAX_ARGS)})")

    def tool_end(self, event: dict[str, Any]) -> None:
        self._end_text()
        mark = "ok" if event["ok"] else "error"
        self._line(f"← {printable(event['name'])} {mark} ({event['seconds']:.2f}s): {self._result_text(event)}")
        self._reset_wait()

    def rejected(self, event: dict[str, Any]) -> None:
        self._end_text()
        self._line(f"✗ {printable(event['name'])} rejected: {short(event['error'], MAX_RESULT)}")

    def denied(self, event: dict[str, Any]) -> None:
        self._end_text()
        self._line(f"✗ {printable(event['name'])} denied: not run")

    def fallback(self, event: dict[str, Any]) -> None:
        """Once a run: the main model failed and the fallback answers (the closing line counts the calls)."""
        if self._fallback_shown:
            return
        self._fallback_shown = True
        self.notice(fallback_text(event))

    def degraded(self, event: dict[str, Any]) -> None:
        self._end_text()
        self._line(f"({degraded_text(event)})")

    def reasoning(self, text: str) -> None:
        self._mark_first_token()
        if not self.in_reasoning:
            self._end_text()
            self.out.write("[reasoning] ")
            self.in_reasoning = True
        self.out.write(printable(text))
        self.out.flush()

    def token(self, text: str) -> None:
        self._mark_first_token()
        if self.in_reasoning:
            self.out.write("\n")
            self.in_reasoning = False
        self.in_text = True
        self.streamed += text
        self.out.write(printable(text))
        self.out.flush()

    def answer(self, answer: str) -> None:
        """The final answer: print whatever of it was not streamed."""
        streamed = self.streamed.strip()
        if streamed and answer.startswith(streamed):
            rest = answer[len(streamed) :]
            if rest.strip():
                self.out.write(printable(rest))
        else:
            self._end_text()
            self.out.write(printable(answer))
        self.out.write("\n")
        self.in_text = False
        self.out.flush()

    def summary(
        self,
        usage: dict[str, Any],
        stop_reason: str,
        elapsed: float,
        thread: str = "",
        models: tuple[str, str] = ("", ""),
    ) -> None:
        self._show_closing_plan()
        ttft = self.first_token if self.verbose else None
        self._line(printable(usage_line(usage, elapsed, ttft, thread, models)) + stop_note(stop_reason))

    def notice(self, text: str) -> None:
        self._end_text()
        self._line(printable(text))

    # --- helpers -----------------------------------------------------------------
    def _show_plan(self, steps: list[dict[str, Any]], waiting: bool = True) -> None:
        view = self._plans.view(steps)
        if view is not None:
            self._end_text()
            self._print_plan(steps, view, waiting)

    def _show_closing_plan(self) -> None:
        if self._closing_plan is not None:
            steps, self._closing_plan = self._closing_plan, None
            self._show_plan(steps, waiting=False)

    def _print_plan(self, steps: list[dict[str, Any]], view: str, waiting: bool) -> None:
        if view == "done":
            self._line(f"plan: all {len(steps)} steps done")
            return
        self._line("plan:")
        for index, step in enumerate(steps, 1):
            tool = f" [{printable(step['tool'])}]" if step.get("tool") else ""
            self._line(f"  {index}. ({step['status']}) {short(step['description'], 300)}{tool}")

    def _result_text(self, event: dict[str, Any]) -> str:
        """The result, compact; fields that differ from the last result of the same tool come first."""
        name, result = event["name"], event["result"]
        text = short(compact_result(result, self._results.get(name)), MAX_RESULT)
        if isinstance(result, str) and (data := result_object(result)) is not None:
            self._results[name] = data
        return text

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


def fallback_text(event: dict[str, Any]) -> str:
    failed, spare = short(event.get("failed", "?"), 120), short(event.get("model", "?"), 120)
    return f"the model at {failed} failed ({short(event.get('error', ''), 160)}); the fallback model at {spare} answers"


def degraded_text(event: dict[str, Any]) -> str:
    return f"the {short(event.get('step', '?'), 40)} step went without the model: {short(event.get('error', ''), 160)}"


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
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._status.add_task(label)
        self._status.start()

    def _wait_for_tools(self) -> None:
        names = ", ".join(sorted({printable(n) for n in self._running.values()}))
        self._wait(f"running {names}…" if names else "thinking…")

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _print_plan(self, steps: list[dict[str, Any]], view: str, waiting: bool) -> None:
        self._stop()
        if view == "done":
            self.console.print(Text(f"plan: all {len(steps)} steps done", style="green"))
        else:
            self.console.print(Text("plan", style="bold"))
            for index, step in enumerate(steps, 1):
                style = {"done": "green", "failed": "red", "skipped": "dim"}.get(step["status"], "")
                line = Text.assemble(f"  {index}. ", (f"({step['status']}) {short(step['description'], 300)}", style))
                if step.get("tool"):
                    line.append(f" [{printable(step['tool'])}]", style="cyan")
                self.console.print(line)
        if waiting:
            self._wait("thinking…")

    def tool_start(self, event: dict[str, Any]) -> None:
        self._stop()
        self._end_text()
        self.console.print(
            Text.assemble((f"→ {printable(event['name'])}", "cyan"), "(", (short(event["args"], MAX_ARGS), "dim"), ")")
        )
        self._running[event["id"]] = event["name"]
        self._wait_for_tools()

    def tool_end(self, event: dict[str, Any]) -> None:
        self._stop()
        self._end_text()
        mark = ("ok", "green") if event["ok"] else ("error", "red")
        self.console.print(
            Text.assemble(
                (f"← {printable(event['name'])} ", "cyan"),
                mark,
                (f" ({event['seconds']:.2f}s) ", "dim"),
                self._result_text(event),
            )
        )
        self._running.pop(event["id"], None)
        self._reset_wait()
        self._wait_for_tools()

    def rejected(self, event: dict[str, Any]) -> None:
        self._stop()
        self._end_text()
        reason = short(event["error"], MAX_RESULT)
        self.console.print(Text.assemble((f"✗ {printable(event['name'])} rejected: ", "yellow"), reason))
        self._wait("thinking…")

    def denied(self, event: dict[str, Any]) -> None:
        self._stop()
        self._end_text()
        self.console.print(Text.assemble((f"✗ {printable(event['name'])} denied: ", "yellow"), "not run"))
        self._wait("thinking…")

    def degraded(self, event: dict[str, Any]) -> None:
        self._stop()
        self._end_text()
        self.console.print(Text(f"({degraded_text(event)})", style="dim"))
        self._wait("thinking…")

    def reasoning(self, text: str) -> None:
        self._stop()
        self._mark_first_token()
        self.in_reasoning = True
        self.console.print(Text(printable(text), style="dim italic"), end="")

    def token(self, text: str) -> None:
        self._stop()
        if self.in_reasoning:
            self.console.print()
            self.in_reasoning = False
        self._mark_first_token()
        self.in_text = True
        self.streamed += text
        self.console.print(Text(printable(text)), end="")

    def answer(self, answer: str) -> None:
        self._stop()
        super().answer(answer)

    def summary(
        self,
        usage: dict[str, Any],
        stop_reason: str,
        elapsed: float,
        thread: str = "",
        models: tuple[str, str] = ("", ""),
    ) -> None:
        self._stop()
        self._show_closing_plan()
        ttft = self.first_token if self.verbose else None
        line = Text(printable(usage_line(usage, elapsed, ttft, thread, models)), style="dim")
        if note := stop_note(stop_reason):
            line.append(note, style="yellow")
        self.console.print(line)

    def notice(self, text: str) -> None:
        self._stop()
        self._end_text()
        self.console.print(Text(printable(text), style="yellow"))

    def close(self) -> None:
        self._stop()
        super().close()


class QuietRenderer(Renderer):
    """Only the answer (fallback and degraded steps stay log lines on stderr)."""

    shows_events = False

    def plan(self, steps: list[dict[str, Any]]) -> None: ...
    def tool_start(self, event: dict[str, Any]) -> None: ...
    def tool_end(self, event: dict[str, Any]) -> None: ...
    def rejected(self, event: dict[str, Any]) -> None: ...
    def denied(self, event: dict[str, Any]) -> None: ...
    def fallback(self, event: dict[str, Any]) -> None: ...
    def degraded(self, event: dict[str, Any]) -> None: ...
    def reasoning(self, text: str) -> None: ...
    def token(self, text: str) -> None: ...
    def summary(
        self,
        usage: dict[str, Any],
        stop_reason: str,
        elapsed: float,
        thread: str = "",
        models: tuple[str, str] = ("", ""),
    ) -> None: ...
    def notice(self, text: str) -> None: ...


def make_renderer(*, quiet: bool = False, verbose: bool = False, out: TextIO | None = None) -> Renderer:
    if quiet:
        return QuietRenderer(out)
    stream = out or sys.stdout
    if stream.isatty():
        return RichRenderer(verbose)
    return Renderer(stream, verbose)


__all__ = ["QuietRenderer", "Renderer", "RichRenderer", "make_renderer", "short", "usage_line"]
