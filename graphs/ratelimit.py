"""Client-side rate limits: requests and tokens per minute, one limiter per endpoint and model, per process.

Providers count requests and tokens per minute (the model file's ``rpm`` and ``tpm``)
and many enforce it over shorter slices of the minute, so a burst of a minute's
worth at once is refused.  Each limit is a token bucket that refills at its
per-minute rate and holds one second's worth: 50 threads of a service starting at
once go out at the configured pace instead of in one storm of 429s.

A request needs one request slot and, for tokens, its estimated size (the prompt and
``max_tokens``; the bucket may go into debt for a request larger than a second's
worth, which the following requests then wait out).  When the answer comes, :meth:`Slot.settle`
charges the tokens the provider really counted (input and output).

Waits are in slices: a sync wait gives up when :data:`graphs.background.STOP` is set
(Ctrl-C); an async wait is cancellable like any other.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

SLICE = 0.05  # seconds between looks at the buckets while waiting


@dataclass
class Bucket:
    """``rate`` units per second, at most ``capacity`` saved up; the level may go below zero (debt)."""

    rate: float
    capacity: float
    level: float
    stamp: float

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, need: float) -> float:
        """Seconds until ``need`` units are there (0 when they are)."""
        need = min(need, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate


def _bucket(per_minute: int, now: float) -> Bucket:
    rate = per_minute / 60.0
    capacity = max(1.0, rate)  # one second's worth, at least one unit
    return Bucket(rate=rate, capacity=capacity, level=capacity, stamp=now)


class Slot:
    """A granted request: :meth:`settle` charges what the provider counted instead of the estimate."""

    def __init__(self, limiter: RateLimiter | None, estimate: int) -> None:
        self.limiter, self.estimate, self.settled = limiter, estimate, False

    def settle(self, actual: int | None) -> None:
        if self.settled or self.limiter is None or actual is None:
            return
        self.settled = True
        self.limiter.charge(actual - self.estimate)


class RateLimiter:
    """Requests and tokens per minute for one endpoint and model; thread-safe, usable sync and async."""

    def __init__(self, rpm: int | None = None, tpm: int | None = None) -> None:
        self._lock = threading.Lock()
        self.rpm: int | None = None
        self.tpm: int | None = None
        self._requests: Bucket | None = None
        self._tokens: Bucket | None = None
        self.configure(rpm, tpm)

    def configure(self, rpm: int | None, tpm: int | None) -> None:
        with self._lock:
            now = time.monotonic()
            if rpm != self.rpm:
                self._requests = _bucket(rpm, now) if rpm else None
            if tpm != self.tpm:
                self._tokens = _bucket(tpm, now) if tpm else None
            self.rpm, self.tpm = rpm, tpm

    def _try(self, tokens: int) -> float:
        """Take a slot now and return 0, or return how long to wait before trying again."""
        with self._lock:
            now = time.monotonic()
            waits = []
            for bucket, need in ((self._requests, 1), (self._tokens, tokens)):
                if bucket is not None:
                    bucket.refill(now)
                    waits.append(bucket.wait_for(need))
            wait = max(waits, default=0.0)
            if wait > 0:
                return wait
            if self._requests is not None:
                self._requests.level -= 1
            if self._tokens is not None:
                self._tokens.level -= tokens
            return 0.0

    def charge(self, tokens: int) -> None:
        """Correct the token bucket by ``tokens`` (negative: give back an overestimate)."""
        with self._lock:
            if self._tokens is not None:
                self._tokens.refill(time.monotonic())
                self._tokens.level = min(self._tokens.capacity, self._tokens.level - tokens)

    def acquire(self, tokens: int = 0) -> Slot:
        """Wait (blocking) for a request slot and ``tokens``; KeyboardInterrupt when the run is stopped."""
        from graphs.background import STOP

        waited = 0.0
        while (wait := self._try(tokens)) > 0:
            if STOP.wait(min(wait, SLICE)):
                raise KeyboardInterrupt("stopped")
            waited += min(wait, SLICE)
        if waited > 1:
            log.info("rate limit (rpm %s, tpm %s): waited %.1fs for a request slot", self.rpm, self.tpm, waited)
        return Slot(self, tokens)

    async def aacquire(self, tokens: int = 0) -> Slot:
        """Wait on the event loop for a request slot and ``tokens``."""
        while (wait := self._try(tokens)) > 0:
            await asyncio.sleep(min(wait, SLICE))
        return Slot(self, tokens)


_LIMITERS: dict[tuple[str, str], RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(endpoint: str, model: str, rpm: int | None, tpm: int | None) -> RateLimiter | None:
    """The process-wide limiter of ``endpoint`` + ``model`` (None when neither limit is set).

    Models built later with other limits for the same endpoint and model change them for all.
    """
    if not rpm and not tpm:
        return None
    key = (endpoint.rstrip("/"), model)
    with _registry_lock:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(rpm, tpm)
    if (limiter.rpm, limiter.tpm) != (rpm, tpm):
        limiter.configure(rpm, tpm)
    return limiter


__all__ = ["RateLimiter", "Slot", "limiter_for"]
