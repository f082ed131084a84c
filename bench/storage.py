"""Checkpoint storage: bytes kept per byte of conversation text as one thread grows.

One thread, T user turns; each turn is a 200-character question, one tool call
and a ~1 KB answer (pseudo-random words, so nothing compresses them away).
After 1, 10, 50, 200 and 1,000 turns the database is measured: the SQLite
file (after folding its WAL in) or every table of a temporary PostgreSQL
database, everything the framework keeps included.  The anchor is LangGraph's
prebuilt agent with its default message channel, which stores the whole
message list again at every step, so it grows with the square of the turns:
it stops at 200 turns (some 300 MB on SQLite) and its 1,000-turn size is a
projection, marked as such.  A framework that stores each message once grows by
the same amount every turn: the last segment's growth per turn against the
first's says whether ours does.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import ours, pg
from bench.anchors import AnchorMissing
from bench.anchors.scripted import ConversationModel, add, question, text_bytes_per_turn
from bench.report import Measure, Outcome, Table, Target
from bench.stats import Stat

FULL_MARKS = (1, 10, 50, 200, 1000)
QUICK_MARKS = (1, 10, 50)
ANCHOR_MAX_TURNS = 200
RATIO_LIMIT = 5.0
FLAT_LIMIT = 1.2
ANCHOR = "create_react_agent"


def conversation(
    contender: str, kind: str, stack: contextlib.ExitStack, *, path: Path | None = None, url: str | None = None
) -> tuple[Any, Callable[[int], Any], Any]:
    """(saver, a function playing user turn n on one thread, the graph) for ``ours`` or the anchor."""
    from langchain_core.messages import HumanMessage

    model = ConversationModel()
    config: dict[str, Any] = {"configurable": {"thread_id": "bench-thread"}}
    if contender == "ours":
        saver = ours.open_saver(kind, stack, path=path, url=url)
        graph = ours.build(model, [add], saver, k=1)
    else:
        from bench.anchors import langgraph_savers, prebuilt_agent

        saver = langgraph_savers.open_saver(kind, stack, path=path, url=url)
        graph = prebuilt_agent.build(model, [add], checkpointer=saver)

    def turn(n: int) -> Any:
        out = graph.invoke({"messages": [HumanMessage(question(n))]}, config)
        if contender == "ours" and out.get("stop_reason") != "answered":
            raise RuntimeError(f"turn {n} stopped with {out.get('stop_reason')!r}")
        return out

    return saver, turn, graph


def stored_bytes(kind: str, saver: Any, path: Path | None, url: str | None) -> int:
    if kind == "postgres":
        assert url is not None
        return pg.database_bytes(url)
    assert path is not None
    saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if os.path.exists(p))


def grow(contender: str, kind: str, marks: tuple[int, ...], workdir: Path) -> dict[int, int]:
    """Bytes stored after each of ``marks`` turns."""
    sizes: dict[int, int] = {}
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(pg.temporary_database("storage")) if kind == "postgres" else None
        path = workdir / f"{contender}-{kind}.sqlite"
        saver, turn, _ = conversation(contender, kind, stack, path=path, url=url)
        for n in range(1, marks[-1] + 1):
            turn(n)
            if n in marks:
                sizes[n] = stored_bytes(kind, saver, path, url)
    return sizes


def text_bytes(turns: int) -> int:
    return sum(text_bytes_per_turn(n) for n in range(1, turns + 1))


def per_turn(sizes: dict[int, int], a: int, b: int) -> float:
    return (sizes[b] - sizes[a]) / (b - a)


def projected(sizes: dict[int, int], turns: int) -> float | None:
    """The size at ``turns`` from a quadratic through the last three measured marks (an estimate, not a figure)."""
    if len(sizes) < 3:
        return None
    (x1, y1), (x2, y2), (x3, y3) = sorted(sizes.items())[-3:]
    a = ((y3 - y1) / (x3 - x1) - (y2 - y1) / (x2 - x1)) / (x3 - x2)
    b = (y2 - y1) / (x2 - x1) - a * (x1 + x2)
    return a * turns**2 + b * turns + (y1 - a * x1**2 - b * x1)


def _table(kind: str, mine: dict[int, int], theirs: dict[int, int], marks: tuple[int, ...]) -> Table:
    table = Table(
        f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}: bytes stored after T turns, per byte of conversation text",
        ["turns", "text KB", "ours KB", "ours B/B", f"{ANCHOR} KB", "its B/B", "ours ÷ this"],
    )
    for t in marks:
        text = text_bytes(t)
        if t in theirs:
            cells = [f"{theirs[t] / 1e3:.0f}", f"{theirs[t] / text:.1f}", f"{mine[t] / theirs[t]:.3f}x"]
        else:
            guess = projected(theirs, t)
            cells = (
                [f"not run (~{guess / 1e3:,.0f} projected)", f"~{guess / text:.0f}", "-"] if guess else ["not run"] * 3
            )
        table.add(t, f"{text / 1e3:.1f}", f"{mine[t] / 1e3:.0f}", f"{mine[t] / text:.1f}", *cells)
    return table


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    marks = QUICK_MARKS if quick else FULL_MARKS
    for kind in ("sqlite", "postgres"):
        if kind == "postgres" and (why := pg.unavailable()):
            outcome.skip("storage on PostgreSQL", why)
            continue
        mine = grow("ours", kind, marks, workdir)
        try:
            theirs = grow(ANCHOR, kind, tuple(m for m in marks if m <= ANCHOR_MAX_TURNS), workdir)
        except AnchorMissing as err:
            outcome.skip(f"{ANCHOR} on {kind}", str(err))
            theirs = {}
        outcome.tables.append(_table(kind, mine, theirs, marks))
        if theirs and marks[-1] > ANCHOR_MAX_TURNS:
            outcome.notes.append(
                f"{ANCHOR} on {kind} stops at {ANCHOR_MAX_TURNS} turns: it stores the whole message list again at "
                "every step, so its size grows with the square of the turns; its 1,000-turn size is a quadratic "
                "projection from its last three measured sizes, not a measurement"
            )
        for contender, sizes in (("ours", mine), (ANCHOR, theirs)):
            for t, size in sizes.items():
                outcome.measures.append(
                    Measure(
                        f"{kind} {t} turns",
                        contender,
                        "bytes",
                        Stat.of([size]),
                        extra={"saver": kind, "turns": t, "text_bytes": text_bytes(t)},
                    )
                )
        first, last = per_turn(mine, marks[0], marks[1]), per_turn(mine, marks[-2], marks[-1])
        outcome.notes.append(
            f"ours on {kind}: {first / 1e3:.1f} KB per turn over turns {marks[0]}→{marks[1]}, "
            f"{last / 1e3:.1f} KB per turn over {marks[-2]}→{marks[-1]} (a flat store grows alike)"
        )
        if len(theirs) >= 3:
            shown = sorted(theirs)
            outcome.notes.append(
                f"{ANCHOR} on {kind}: {per_turn(theirs, shown[0], shown[1]) / 1e3:.1f} KB per turn over turns "
                f"{shown[0]}→{shown[1]}, {per_turn(theirs, shown[-2], shown[-1]) / 1e3:.1f} over "
                f"{shown[-2]}→{shown[-1]}"
            )
        for t in (200, 1000):
            value = mine[t] / text_bytes(t) if t in mine else None
            outcome.targets.append(
                Target(
                    f"ours bytes per text byte, {kind}, {t} turns",
                    value,
                    RATIO_LIMIT,
                    unit="",
                    note="" if value is not None else "not run with --quick",
                )
            )
        outcome.targets.append(
            Target(f"ours growth per turn, last segment ÷ first, {kind} (flat)", last / first, FLAT_LIMIT)
        )


__all__ = ["conversation", "grow", "run", "stored_bytes"]
