"""Run one command from a small process and report its wall time and its own peak memory.

    python -S bench/measure_child.py RESULT_JSON TIMEOUT COMMAND [ARG ...]

Why a middleman: on Linux a process's peak resident set (``ru_maxrss``) starts at
the high-water mark of the process it was forked from, carried over ``exec``.
Spawned straight from the benchmark (a few hundred MiB after the storage runs)
every child would report at least that.  Spawned from this script, which
imports only ``os``, ``sys``, ``time`` and ``json`` (a few MiB), the figure is the
command's own.  Wall time is measured here too, from spawn to exit.  A command
still running after TIMEOUT seconds is killed (exit code -9).
"""

import json
import os
import signal
import sys
import time


def main() -> None:
    result_path, timeout, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    started = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, dict(os.environ))
    signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
    signal.setitimer(signal.ITIMER_REAL, timeout)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    signal.setitimer(signal.ITIMER_REAL, 0)
    with open(result_path, "w") as out:
        json.dump({"seconds": elapsed, "maxrss": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}, out)


if __name__ == "__main__":
    main()
