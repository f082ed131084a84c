"""What a benchmark hands back, and how it is printed and saved.

Each benchmark returns an :class:`Outcome`: tables to print (ours, each anchor
and the ratio), skip lines with their reason, targets (met or missed: a
missed target never fails the run) and the raw figures (:class:`Measure`) that
go to ``--json`` for plotting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.stats import Stat


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def render(self) -> str:
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]

        def line(cells: list[str]) -> str:
            parts = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))]
            return "  " + "  ".join(parts).rstrip()

        return "\n".join([self.title, line(self.columns), *(line(r) for r in self.rows)])

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows}


@dataclass
class Target:
    """A figure against its limit: ``value <= limit`` is met; no value (not measured) is neither."""

    name: str
    value: float | None
    limit: float
    unit: str = "x"
    note: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value <= self.limit

    def render(self) -> str:
        mark = {True: "PASS", False: "MISS", None: "n/a "}[self.met]
        limit = f"target <= {self.limit:g}{self.unit}"
        if self.value is None:
            return f"  {mark}  {self.name}: {self.note or 'not measured'} ({limit})"
        note = f"  ({self.note})" if self.note else ""
        return f"  {mark}  {self.name}: {self.value:.2f}{self.unit} ({limit}){note}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "met": self.met,
            "note": self.note,
        }


@dataclass
class Measure:
    """One contender's figure in one case, e.g. ours, K=10 with SQLite: milliseconds per run."""

    case: str
    contender: str
    unit: str
    stat: Stat | None = None
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "contender": self.contender,
            "unit": self.unit,
            "stat": self.stat.to_json() if self.stat else None,
            "skipped": self.skipped,
            **self.extra,
        }


@dataclass
class Outcome:
    name: str
    title: str
    tables: list[Table] = field(default_factory=list)
    skips: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    crashed: str | None = None
    seconds: float = 0.0

    def skip(self, what: str, reason: str) -> None:
        """A line ``WHAT: skipped: REASON`` (an optional library or service is missing)."""
        self.skips.append(f"{what}: skipped: {reason}")

    def render(self) -> str:
        parts = [f"== {self.name}: {self.title} =="]
        parts += [table.render() for table in self.tables]
        parts += self.skips
        parts += self.notes
        if self.targets:
            parts.append("targets:\n" + "\n".join(t.render() for t in self.targets))
        if self.crashed:
            parts.append(f"{self.name}: CRASHED: {self.crashed}")
        parts.append(f"({self.seconds:.1f} s)")
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "tables": [t.to_json() for t in self.tables],
            "skips": self.skips,
            "notes": self.notes,
            "targets": [t.to_json() for t in self.targets],
            "measures": [m.to_json() for m in self.measures],
            "crashed": self.crashed,
            "seconds": round(self.seconds, 2),
        }


def ms(stat: Stat | None) -> str:
    return "-" if stat is None else f"{stat.median * 1000:.2f}"


def ms_spread(stat: Stat | None) -> str:
    return "-" if stat is None else stat.scaled(1000).spread()


def times(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


__all__ = ["Measure", "Outcome", "Table", "Target", "ms", "ms_spread", "times"]
