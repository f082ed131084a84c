"""``python -m bench loop --profile``: where our agent's tool loop spends its time.

Ours runs K tool turns (K=100, or 10 with ``--quick``) on SQLite under a
profiler: pyinstrument (sampling, so small functions are not inflated) when it
is installed, else cProfile.  It prints the top 25 functions by cumulative time,
then our own functions (``graphs``, ``agent``, ``tools``) by self and by
cumulative time, which is the list of what to remove.  Only the main thread is
profiled by pyinstrument: time spent waiting for a call on another thread shows
as that wait, so cProfile then profiles every thread too (the graph runs each
model and tool call on a thread of its own).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.env import REPO

OUR_DIRS = tuple(str(REPO / d) + "/" for d in ("graphs", "agent", "tools", "mcp_servers"))


@dataclass
class Entry:
    function: str
    where: str
    cumulative: float
    own: float

    @property
    def ours(self) -> bool:
        return self.where.startswith(OUR_DIRS)

    def short(self) -> str:
        where = self.where
        if where.startswith(str(REPO)):
            where = where[len(str(REPO)) + 1 :]
        elif "site-packages/" in where:
            where = where.split("site-packages/", 1)[1]
        return f"{self.function} ({where})"


def _with_pyinstrument(work: Callable[[], None]) -> tuple[str, list[Entry]]:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    with profiler:
        work()
    root = profiler.last_session.root_frame() if profiler.last_session else None
    cumulative: dict[tuple[str, str], float] = defaultdict(float)
    own: dict[tuple[str, str], float] = defaultdict(float)

    def walk(frame: Any, active: frozenset[tuple[str, str]]) -> None:
        key = (frame.function or "?", f"{frame.file_path}:{frame.line_no}")
        if key not in active:  # recursion counts once
            cumulative[key] += float(frame.time)
        for child in frame.children:
            if child.is_synthetic:  # pyinstrument's "[self]" / "[await]" leaves: time spent in this frame
                own[key] += float(child.time)
            else:
                walk(child, active | {key})

    if root is not None:
        walk(root, frozenset())
    entries = [Entry(f, w, cumulative[(f, w)], own[(f, w)]) for f, w in cumulative]
    return "pyinstrument (sampling every 0.5 ms)", entries


def _with_cprofile(work: Callable[[], None]) -> tuple[str, list[Entry]]:
    """cProfile in this thread and in every thread started meanwhile (the graph runs calls on threads)."""
    import cProfile
    import pstats
    import threading

    workers: list[cProfile.Profile] = []

    def in_new_thread(*_: Any) -> None:  # the first profile event of a new thread: profile it from here on
        profile = cProfile.Profile()
        workers.append(profile)
        profile.enable()

    main = cProfile.Profile()
    threading.setprofile(in_new_thread)
    try:
        main.runcall(work)
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
    stats = pstats.Stats(main)
    for profile in workers:
        profile.create_stats()
        stats.add(profile)
    entries = [
        Entry(name, f"{file}:{line}", cumulative, own)
        for (file, line, name), (_, _, own, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
    ]
    return (
        f"cProfile, every thread ({len(workers)} worker threads; deterministic, so small functions look "
        "costlier than they are; cumulative times of different threads overlap)",
        entries,
    )


def _lines(entries: Iterable[Entry], key: Callable[[Entry], float], limit: int, runs: int) -> list[str]:
    ranked = sorted(entries, key=key, reverse=True)[:limit]
    return [
        f"  {e.cumulative * 1000 / runs:9.2f} {e.own * 1000 / runs:9.2f}  {'*' if e.ours else ' '} {e.short()}"
        for e in ranked
    ]


def profile_loop(quick: bool, workdir: Path) -> str:
    from bench import ours
    from bench.anchors.scripted import ToolLoopModel, add

    k, runs = (10, 5) if quick else (100, 5)
    with contextlib.ExitStack() as stack:
        saver = ours.open_saver("sqlite", stack, path=workdir / "profile.sqlite")
        run = ours.task_runner(ours.build(ToolLoopModel(k=k), [add], saver, k))
        run()  # warm-up, not profiled

        def work() -> None:
            for _ in range(runs):
                run()

        sections = []
        profilers = [_with_cprofile]
        if importlib.util.find_spec("pyinstrument"):
            profilers.insert(0, _with_pyinstrument)
        for profiler in profilers:
            name, entries = profiler(work)
            sections.append(_section(name, entries, runs))
    intro = f"profile of ours: K={k} tool turns on SQLite, {runs} runs per profiler" + (
        "" if len(sections) > 1 else " (pip install pyinstrument for a sampling view of the main thread)"
    )
    return "\n\n".join([intro, *sections])


def _section(name: str, entries: list[Entry], runs: int) -> str:
    head = "      cum ms   self ms    function (file:line)   [ms per run; * = ours]"
    mine = [e for e in entries if e.ours]
    return "\n".join(
        [
            f"by {name}",
            "top 25 by cumulative time:",
            head,
            *_lines(entries, lambda e: e.cumulative, 25, runs),
            "ours only (graphs/, agent/, tools/), top 10 by self time:",
            head,
            *_lines(mine, lambda e: e.own, 10, runs),
            "ours only, top 10 by cumulative time:",
            head,
            *_lines(mine, lambda e: e.cumulative, 10, runs),
        ]
    )


__all__ = ["profile_loop"]
