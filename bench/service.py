"""The service benchmark (requests per second and latency of the HTTP service under load).

The service does not exist yet; a later issue adds it and fills this in.  Until
then the benchmark prints one line saying so.
"""

from __future__ import annotations

from pathlib import Path

from bench.report import Outcome


def run(quick: bool, workdir: Path, outcome: Outcome) -> None:
    outcome.skips.append("service: not built yet")


__all__ = ["run"]
