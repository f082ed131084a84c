"""The sandbox's workers never outlive their purpose: no runaway computation is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

JOBS = str(Path(__file__).with_name("sandbox_jobs.py"))


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_busy_worker_stops_at_its_budget_when_its_caller_died(tmp_path):
    """The caller (2 s timeout) dies before it can kill the worker; the CPU limit ends the work anyway."""
    marker = tmp_path / "worker.pid"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(JOBS).parent), *sys.path])}
    subprocess.run([sys.executable, JOBS, str(marker)], env=env, timeout=60, check=True)
    pid = int(marker.read_text())
    deadline = time.time() + 20
    while running(pid) and time.time() < deadline:
        time.sleep(0.1)
    if running(pid):
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the worker kept computing past its budget after its caller died")


def test_a_job_past_its_cpu_budget_is_killed_even_without_a_caller():
    code = "from tools.sandbox import _cpu_budget\n_cpu_budget(1)\nwhile True:\n    pass\n"
    result = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert result.returncode == -signal.SIGXCPU
