"""Child processes timed like hyperfine does it: a warm-up, then the median of N; and their peak memory.

The wall time runs from spawn to exit; the peak resident set comes from the
child's own resource usage (``wait4``'s ``ru_maxrss``), so it is the child's
peak, not ours.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.stats import Stat

RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux


class ChildFailed(RuntimeError):
    """A measured command did not exit 0; the message has the end of its output."""


@dataclass(frozen=True)
class Exited:
    seconds: float
    peak_rss: int  # bytes
    code: int


def run_once(argv: Sequence[str], env: dict[str, str], cwd: Path, timeout: float = 300.0) -> Exited:
    """Run ``argv`` to completion; its wall time and peak RSS. Raises :class:`ChildFailed` on a non-zero exit."""
    log = cwd / "child-output.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, cwd=cwd)
        guard = threading.Timer(timeout, proc.kill)  # a hang is killed; the blocking wait4 then returns
        guard.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            guard.cancel()
        elapsed = time.perf_counter() - started
    if elapsed >= timeout:
        raise ChildFailed(f"{' '.join(argv[:4])} ... took longer than {timeout:g} s and was killed")
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-1500:]
        raise ChildFailed(f"{' '.join(argv[:4])} ... exited {proc.returncode}:\n{tail}")
    return Exited(elapsed, usage.ru_maxrss * RSS_UNIT, proc.returncode)


def repeated(argv: Sequence[str], env: dict[str, str], cwd: Path, runs: int, warmup: int = 1) -> list[Exited]:
    """``warmup`` unmeasured runs, then ``runs`` measured ones."""
    for _ in range(warmup):
        run_once(argv, env, cwd)
    return [run_once(argv, env, cwd) for _ in range(runs)]


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


__all__ = ["ChildFailed", "Exited", "peak_mib", "repeated", "rss_now", "run_once", "seconds"]
