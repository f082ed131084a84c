"""Child processes timed like hyperfine does it: a warm-up, then the median of N; and their peak memory.

The wall time runs from spawn to exit; the peak resident set comes from the
child's own resource usage (``wait4``'s ``ru_maxrss``).  Both are taken by a
small middleman process (:mod:`bench.measure_child`), because a child forked
straight from this large process would report this process's peak as its own.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.stats import Stat

RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
MIDDLEMAN = Path(__file__).with_name("measure_child.py")


class ChildFailed(RuntimeError):
    """A measured command did not exit 0; the message has the end of its output."""


@dataclass(frozen=True)
class Exited:
    seconds: float
    peak_rss: int  # bytes
    code: int


def run_once(argv: Sequence[str], env: dict[str, str], cwd: Path, timeout: float = 300.0) -> Exited:
    """Run ``argv`` to completion through :mod:`bench.measure_child`; its wall time and its own peak RSS.

    Raises :class:`ChildFailed` on a non-zero exit or a timeout.
    """
    log, result = cwd / "child-output.log", cwd / "child-result.json"
    result.unlink(missing_ok=True)
    with log.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-S", str(MIDDLEMAN), str(result), str(timeout), *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=env,
            cwd=cwd,
            timeout=timeout + 30,
        )
    if done.returncode != 0 or not result.exists():
        raise ChildFailed(f"measuring {' '.join(argv[:4])} ... failed:\n{log.read_text(errors='replace')[-1500:]}")
    found = json.loads(result.read_text())
    if found["code"] != 0:
        why = f"was killed after {timeout:g} s" if found["code"] == -signal.SIGKILL else f"exited {found['code']}"
        tail = log.read_text(errors="replace")[-1500:]
        raise ChildFailed(f"{' '.join(argv[:4])} ... {why}:\n{tail}")
    return Exited(found["seconds"], found["maxrss"] * RSS_UNIT, found["code"])


def repeated(argv: Sequence[str], env: dict[str, str], cwd: Path, runs: int, warmup: int = 1) -> list[Exited]:
    """``warmup`` unmeasured runs, then ``runs`` measured ones."""
    for _ in range(warmup):
        run_once(argv, env, cwd)
    return [run_once(argv, env, cwd) for _ in range(runs)]


def interleaved_runs(
    commands: dict[str, Sequence[str]], env: dict[str, str], cwd: Path, runs: int, warmup: int = 1
) -> dict[str, list[Exited]]:
    """Each command ``runs`` times after ``warmup`` unmeasured rounds, taking turns in a rotating order."""
    names = list(commands)
    found: dict[str, list[Exited]] = {name: [] for name in names}
    for round_no in range(warmup + runs):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            exited = run_once(commands[name], env, cwd)
            if round_no >= warmup:
                found[name].append(exited)
    return found


def seconds(results: Sequence[Exited]) -> Stat:
    return Stat.of([r.seconds for r in results])


def peak_mib(results: Sequence[Exited]) -> Stat:
    return Stat.of([r.peak_rss / 2**20 for r in results])


def rss_now(pid: int) -> tuple[int, int] | None:
    """(current, peak) resident set in bytes of a live process, from /proc; None where there is no /proc."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    try:
        return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024
    except (KeyError, ValueError, IndexError):
        return None


__all__ = ["ChildFailed", "Exited", "interleaved_runs", "peak_mib", "repeated", "rss_now", "run_once", "seconds"]
