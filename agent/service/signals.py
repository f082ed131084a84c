"""Nudges between replicas over Redis pub/sub: "a run was created" and "a run should stop".

The run records stay the truth (a replica that misses a nudge finds the same
thing at its next poll or lease renewal, within a second); pub/sub only makes
replicas act at once.  Without Redis every method is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
WAKE, CANCEL = "agent:runs:wake", "agent:runs:cancel"


class Signals:
    """``origin`` names this replica: its own wake-ups come back to it on the channel and are ignored
    (its executor was woken directly)."""

    def __init__(self, redis_url: str | None, origin: str = "") -> None:
        self.redis: Any = None
        self.origin = origin
        if redis_url:
            import redis.asyncio as redis

            self.redis = redis.from_url(redis_url)
        self._task: asyncio.Task[None] | None = None

    async def wake(self) -> None:
        await self._publish(WAKE, self.origin)

    async def cancel(self, run_id: str) -> None:
        await self._publish(CANCEL, run_id)

    async def _publish(self, channel: str, message: str) -> None:
        if self.redis is None:
            return
        try:
            await self.redis.publish(channel, message)
        except Exception:  # the records carry the request anyway: polling will see it
            log.warning("publishing on %s failed; replicas will notice at their next poll", channel, exc_info=True)

    def listen(self, on_wake: Callable[[], None], on_cancel: Callable[[str], None]) -> None:
        if self.redis is not None:
            self._task = asyncio.create_task(self._listen(on_wake, on_cancel), name="agent-signals")

    async def _listen(self, on_wake: Callable[[], None], on_cancel: Callable[[str], None]) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(WAKE, CANCEL)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        if message["channel"].decode() == WAKE:
                            if not self.origin or message["data"].decode() != self.origin:
                                on_wake()
                        else:
                            on_cancel(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: polling carries on; listen again shortly
                log.warning("listening for run signals failed; retrying", exc_info=True)
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.redis is not None:
            await self.redis.aclose()


__all__ = ["Signals"]
