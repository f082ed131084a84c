"""Calls on reused threads: a hand-off, not a thread start; abandoned calls keep their thread, never block others."""

from __future__ import annotations

import os
import threading
import time

import pytest

from graphs import background


def _ident() -> threading.Thread:
    """The thread running the call (the object, so a new thread never looks like an old one)."""
    return threading.current_thread()


def test_consecutive_calls_reuse_one_thread():
    first = background.wait(background.start(_ident), 5)
    again = [background.wait(background.start(_ident), 5) for _ in range(20)]
    assert first is not threading.current_thread()
    assert all(t is first for t in again)  # the idle thread took every call; no new thread was started


def test_a_call_left_running_keeps_its_thread_and_later_calls_get_another():
    release = threading.Event()
    stuck = background.start(lambda: (release.wait(10), _ident())[1])
    with pytest.raises(TimeoutError):  # concurrent.futures.TimeoutError is TimeoutError on 3.11
        background.wait(stuck, 0.05)
    others = {background.wait(background.start(_ident), 5) for _ in range(5)}
    release.set()
    stuck_thread = background.wait(stuck, 5)
    assert stuck_thread not in others  # the abandoned call's thread was never handed another call
    deadline = time.monotonic() + 5
    seen: set[int] = set()
    while stuck_thread not in seen and time.monotonic() < deadline:  # once free, it serves calls again
        seen |= {background.wait(background.start(_ident), 5) for _ in range(3)}
        release.wait(0.01)
    assert stuck_thread in seen, "the freed thread never came back"


def test_the_pool_refuses_past_max_threads(monkeypatch):
    pool = background._Pool()
    monkeypatch.setattr(background, "MAX_THREADS", 2)
    release = threading.Event()
    held = [pool.submit(release.wait, (10,)) for _ in range(2)]
    assert all(f is not None for f in held)
    assert pool.submit(_ident, ()) is None  # every thread is busy: the caller runs the call itself
    release.set()
    for future in held:
        assert future is not None and future.result(5) is True
    deadline = time.monotonic() + 5
    while len(pool.idle) < 2 and time.monotonic() < deadline:
        release.wait(0.01)
    assert pool.submit(_ident, ()) is not None  # a thread came back


def test_errors_reach_the_caller_and_the_thread_survives():
    def boom() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        background.wait(background.start(boom), 5)
    assert background.wait(background.start(lambda: 42), 5) == 42


def test_idle_threads_end(monkeypatch):
    monkeypatch.setattr(background, "IDLE_SECONDS", 0.05)
    pool = background._Pool()
    futures = [pool.submit(time.sleep, (0.05,)) for _ in range(3)]
    for future in futures:
        assert future is not None
        future.result(5)
    deadline = time.monotonic() + 10
    while pool.alive and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.alive == 0 and not pool.idle


def test_stop_ends_a_wait_at_once():
    release = threading.Event()
    future = background.start(release.wait, 10)
    background.STOP.set()
    try:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            background.wait(future, 30)
        assert time.monotonic() - started < 5
    finally:
        background.STOP.clear()
        release.set()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_forked_child_starts_its_own_threads():
    background.wait(background.start(_ident), 5)  # the parent has an idle thread now
    pid = os.fork()
    if pid == 0:  # the child: the parent's idle thread does not exist here
        code = 1
        try:
            future = background.start(lambda: 7)
            code = 0 if future is not None and background.wait(future, 5) == 7 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
