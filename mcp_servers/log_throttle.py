"""Log lines about abuse at a bounded rate: under a flood, one line per kind every few seconds.

Why: every refused connection, stalled request or evicted session is worth a
line, but a client that makes ten thousand of them must not be able to fill
the disk or drown the other lines.  The lines held back are counted in the
next one of the same kind.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any


class ThrottledLog:
    """At most one line per ``kind`` every ``every`` seconds; the next one says how many were held back."""

    def __init__(
        self, logger: logging.Logger, every: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logger, self.every, self.clock = logger, every, clock
        self._last: dict[str, tuple[float, int]] = {}  # kind -> (when last logged, lines held back since)

    def log(self, level: int, kind: str, message: str, *args: Any) -> None:
        """``kind`` names the reason (a small fixed set), never a client-chosen value."""
        now = self.clock()
        last, held = self._last.get(kind, (-math.inf, 0))
        if now - last < self.every:
            self._last[kind] = (last, held + 1)
            return
        self._last[kind] = (now, 0)
        if held:
            message += " (and %d more like it in the last %.0f s)"
            args = (*args, held, now - last)
        self.logger.log(level, message, *args)


__all__ = ["ThrottledLog"]
