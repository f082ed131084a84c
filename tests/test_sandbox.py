"""The sandbox works from any host, bounds every job, and never leaves a worker behind.

Hosts are real subprocesses: a script without a main guard, the same script on
stdin and through ``-c``, and exec'd code in a thread (a notebook's way).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sandbox_jobs as jobs

from tools.base import ToolError
from tools.calculator import CalculatorInput, calculate
from tools.primes import PrimeInput, check_prime
from tools.sandbox import SHARED_PRELOAD, Sandbox

TESTS = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}

# No main guard on purpose; a forkserver or spawn child would run all of this again.
SCRIPT = """\
print("MARKER: imported")
from tools.calculator import CalculatorInput, calculate
from tools.primes import PrimeInput, check_prime
from tools.primes import prime_spec
print("RESULT", calculate(CalculatorInput(expression="2**64 + 1"), timeout=20).exact)
found = prime_spec(max_digits=100, factor_timeout=20).run({"n": "1000000000000000000000000000000000000001"})
print("FACTORS", found["factorization_complete"], " ".join(f["prime"] for f in found["factors"]))
"""
EXEC_IN_A_THREAD = """\
import sys, threading
source = sys.stdin.read()
cell = threading.Thread(target=lambda: exec(compile(source, "<cell>", "exec"), {"__name__": "__main__"}))
cell.start()
cell.join()
"""


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def wait_for_file(path: Path, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path.name} was never written"
        time.sleep(0.05)
    return path.read_text()


def host(args: list[str], tmp_path: Path, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, *args], input=stdin, env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("how", ["script", "stdin", "dash_c", "exec_in_thread"])
def test_any_host_gets_its_answers_and_runs_once(how, tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text(SCRIPT)
    out = {
        "script": lambda: host([str(script)], tmp_path),
        "stdin": lambda: host(["-"], tmp_path, stdin=SCRIPT),
        "dash_c": lambda: host(["-c", SCRIPT], tmp_path),
        "exec_in_thread": lambda: host(["-c", EXEC_IN_A_THREAD], tmp_path, stdin=SCRIPT),
    }[how]()
    assert out.count("MARKER: imported") == 1
    assert "RESULT 18446744073709551617" in out
    assert "FACTORS True 7 11 13 157 859 6397 216451 1058313049 388847808493" in out


def test_a_function_from_main_is_refused_with_a_clear_error(tmp_path):
    code = (
        "from tools.sandbox import Sandbox\nfrom tools.base import ToolError\n"
        "def double(x):\n    return 2 * x\n"
        "try:\n    Sandbox().run(double, 2, timeout=5)\nexcept ToolError as err:\n    print(err.code, err)\n"
    )
    out = host(["-c", code], tmp_path)
    assert out.startswith("internal ") and "double is defined in __main__" in out and "importable module" in out


@pytest.fixture
def box():
    sandbox = Sandbox(memory_mb=512, preload=SHARED_PRELOAD)
    yield sandbox
    sandbox.close()


def test_200_concurrent_calculations_all_succeed(box):
    def one(_: int) -> str:
        return calculate(CalculatorInput(expression="1+1"), timeout=3.0, sandbox=box).exact

    with ThreadPoolExecutor(200) as pool:
        results = list(pool.map(one, range(200)))
    assert results == ["2"] * 200


def test_workers_are_capped_and_reused(box):
    with ThreadPoolExecutor(50) as pool:
        pids = set(pool.map(lambda _: box.run(jobs.pid, timeout=10), range(200)))
    assert 1 <= len(pids) <= box.max_workers


def test_a_runaway_job_is_killed_at_its_timeout(box, tmp_path):
    marker = tmp_path / "worker.pid"
    started = time.monotonic()
    with pytest.raises(ToolError) as info:
        box.run(jobs.spin_after_writing_pid, str(marker), timeout=1.0, what="the spin")
    assert info.value.code == "timeout" and "the spin took longer than 1 s" in info.value.message
    assert time.monotonic() - started < 15
    assert not running(int(marker.read_text()))
    assert box.run(jobs.add, 2, 3, timeout=10) == 5  # a fresh worker takes its place


def test_a_runaway_calculation_is_a_timeout(box):
    with pytest.raises(ToolError) as info:
        calculate(CalculatorInput(expression="sqrt(10**9999 + 1)"), timeout=0.5, sandbox=box)  # seconds of sympy
    assert info.value.code == "timeout"
    assert calculate(CalculatorInput(expression="6*7"), timeout=10, sandbox=box).exact == "42"


def test_the_memory_limit_is_a_too_large_error(box):
    with pytest.raises(ToolError) as info:
        box.run(jobs.allocate, 1024, timeout=10)
    assert info.value.code == "too_large"
    assert box.run(jobs.allocate, 16, timeout=10) == 16 * 1024 * 1024


def test_a_worker_that_dies_is_an_error_naming_its_exit(box):
    with pytest.raises(ToolError) as info:
        box.run(jobs.exit_now, 3, timeout=10, what="the job")
    assert info.value.code == "internal" and "exit status 3" in info.value.message


def test_calls_queue_for_a_busy_worker_and_the_wait_counts(tmp_path):
    single = Sandbox(max_workers=1)
    marker = tmp_path / "napper.pid"
    try:
        napper = threading.Thread(
            target=single.run, args=(jobs.nap_after_writing_pid, str(marker), 2.0), kwargs={"timeout": 30}
        )
        napper.start()
        wait_for_file(marker)
        with pytest.raises(ToolError) as info:
            single.run(jobs.add, 1, 1, timeout=0.3)
        assert info.value.code == "timeout" and "busy" in info.value.message
        assert single.run(jobs.add, 1, 1, timeout=30) == 2  # queued behind the nap, not refused
        napper.join(timeout=30)
    finally:
        single.close()


def test_starting_a_worker_is_not_charged_to_the_call():
    cold = Sandbox(preload=SHARED_PRELOAD)  # its zygote imports sympy: longer than the limit below
    try:
        assert cold.run(jobs.add, 20, 22, timeout=0.25) == 42
    finally:
        cold.close()


def test_workers_die_with_a_killed_caller(tmp_path):
    marker = tmp_path / "worker.pid"
    code = (
        "import sys\nfrom tools.sandbox import Sandbox\nfrom sandbox_jobs import spin_after_writing_pid\n"
        "Sandbox().run(spin_after_writing_pid, sys.argv[1], timeout=300)\n"
    )
    caller = subprocess.Popen([sys.executable, "-c", code, str(marker)], env=ENV, cwd=tmp_path)
    try:
        worker = int(wait_for_file(marker))
        zygote = parent_of(worker)
        assert zygote != caller.pid and running(zygote)
    finally:
        caller.kill()
        caller.wait()
    deadline = time.monotonic() + 5
    while (running(worker) or running(zygote)) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in (worker, zygote) if running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "the zygote or its worker outlived the caller"


def test_a_forked_caller_gets_its_own_workers(tmp_path):
    code = (
        "import os\nfrom tools.sandbox import Sandbox\nfrom sandbox_jobs import add, pid\n"
        "box = Sandbox()\nparent_worker = box.run(pid, timeout=20)\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    print('child', box.run(add, 1, 2, timeout=20), box.run(pid, timeout=20) != parent_worker, flush=True)\n"
        "    os._exit(0)\n"
        "os.waitpid(child, 0)\nprint('parent', box.run(add, 2, 2, timeout=20), flush=True)\n"
    )
    out = host(["-c", code], tmp_path)
    assert "child 3 True" in out and "parent 4" in out


def test_factoring_with_no_worker_is_an_error_not_fewer_factors(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    broken = Sandbox()
    with pytest.raises(ToolError) as info:
        check_prime(PrimeInput(n="1000000000000000000000000000000000000001"), sandbox=broken)
    assert info.value.code == "unavailable" and "could not start a sandbox worker" in info.value.message


def test_factoring_out_of_time_is_a_clear_partial_result(box):
    result = check_prime(PrimeInput(n=str(7 * 11 * (2**89 - 1) * (2**107 - 1))), factor_timeout=0.2, sandbox=box)
    assert [f.prime for f in result.factors] == ["7", "11"] and result.factorization_complete is False
    assert result.unfactored == str((2**89 - 1) * (2**107 - 1))
    assert "factoring stopped after 0.2 s" in result.notes[0] and "left unfactored" in result.notes[0]


def test_a_job_past_its_cpu_budget_is_killed_even_without_a_caller():
    code = "from tools.worker import cpu_budget\ncpu_budget(1)\nwhile True:\n    pass\n"
    result = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert result.returncode == -signal.SIGXCPU
