"""The events of each run, kept so that any client, on any replica, can follow a run or rejoin it.

Every event a client sees gets the next number of its run (the SSE ``id``); a
client that reconnects with ``Last-Event-ID`` gets every event after it.  Events
the server keeps for itself (``__result__``) take no number of their own, so
the numbers a client sees have no gaps.  Three backends
with one interface: in the process (one replica), Redis Streams (replicas; a
reader blocks on ``XREAD`` and sees events as another replica writes them), and
a PostgreSQL table polled by readers (replicas without Redis).  A run's events
end with ``end``; they are kept for a while after (``KEEP_SECONDS``); in the
process, also at most ``KEEP_BYTES`` of ended runs' events (the oldest go first),
so a busy single-process service does not grow with every run of the last hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.service.serde import dumps

KEEP_SECONDS = 3600
KEEP_BYTES = 32 * 2**20  # ended runs' events kept in the process, at most
POLL_SECONDS = 0.2
TERMINAL = ("end",)


def internal(event: str) -> bool:
    return event.startswith("__")


Event = tuple[int, str, bytes]  # number, name, JSON data


class EventLog(Protocol):
    async def append(self, run_id: str, event: str, data: Any) -> int: ...
    def follow(self, run_id: str, after: int = 0) -> AsyncIterator[Event]: ...
    async def close(self) -> None: ...


@dataclass
class _RunEvents:
    items: list[Event] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ended_at: float | None = None
    size: int = 0  # bytes of event data
    followers: int = 0


class MemoryEvents:
    """One process: events in memory, readers woken as events arrive."""

    def __init__(self, keep_bytes: int = KEEP_BYTES) -> None:
        self.runs: dict[str, _RunEvents] = {}
        self.ended: dict[str, _RunEvents] = {}  # ended runs, oldest first
        self.ended_bytes, self.keep_bytes = 0, keep_bytes

    def _of(self, run_id: str) -> _RunEvents:
        return self.runs.setdefault(run_id, _RunEvents())

    def _forget_old(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        while self.ended:
            run_id, run = next(iter(self.ended.items()))
            if self.ended_bytes <= self.keep_bytes and (run.ended_at or 0) >= cutoff:
                return
            del self.ended[run_id]
            self.runs.pop(run_id, None)
            self.ended_bytes -= run.size

    async def append(self, run_id: str, event: str, data: Any) -> int:
        run = self._of(run_id)
        number = (run.items[-1][0] if run.items else 0) + (0 if internal(event) else 1)
        body = data if isinstance(data, bytes) else dumps(data)
        run.items.append((number, event, body))
        run.size += len(body)
        if event in TERMINAL and run.ended_at is None:
            run.ended_at = time.time()
            self.ended[run_id] = run
            self.ended_bytes += run.size
        self._forget_old()
        run.changed.set()
        run.changed = asyncio.Event()
        return number

    async def follow(self, run_id: str, after: int = 0) -> AsyncIterator[Event]:
        run = self._of(run_id)
        run.followers += 1
        try:
            position = next((i for i, item in enumerate(run.items) if item[0] > after), len(run.items))
            while True:
                changed = run.changed
                while position < len(run.items):
                    item = run.items[position]
                    position += 1
                    yield item
                    if item[1] in TERMINAL:
                        return
                await changed.wait()
        finally:
            run.followers -= 1
            if not run.followers and not run.items and self.runs.get(run_id) is run:  # nothing came: forget it
                del self.runs[run_id]

    async def close(self) -> None:
        self.runs.clear()


# One round trip per event: number it (internal events take the current number), add it, and set both
# keys to expire with the run's first event and again with its last.
_APPEND = """
local n
if ARGV[3] == '1' then n = tonumber(redis.call('GET', KEYS[2]) or '0') else n = redis.call('INCR', KEYS[2]) end
redis.call('XADD', KEYS[1], '*', 'n', n, 'e', ARGV[1], 'd', ARGV[2])
if ARGV[4] == '1' or n == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
return n
"""


class RedisEvents:
    """Redis Streams: ``agent:run:<id>:events``; the entry's ``n`` field is the event number.

    Appends wait for Redis; those made while a round trip is under way (other runs' events) go
    together in the next one, as one pipeline: many runs at once cost few round trips.
    """

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.redis = redis.from_url(url)
        self._sha: str | None = None  # the append script, loaded into Redis once (again if Redis forgot it)
        self._queue: list[tuple[list[str], list[Any], asyncio.Future[int]]] = []
        self._writer: asyncio.Task[None] | None = None

    @staticmethod
    def key(run_id: str) -> str:
        return f"agent:run:{run_id}:events"

    async def append(self, run_id: str, event: str, data: Any) -> int:
        body = data if isinstance(data, bytes) else dumps(data)
        key = self.key(run_id)
        flags = ("1" if internal(event) else "0", "1" if event in TERMINAL else "0", str(KEEP_SECONDS))
        written: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append(([key, key + ":n"], [event, body, *flags], written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="agent-events-writer")
        return await written

    async def _write(self) -> None:
        """Send what is queued, one pipeline per round trip, until nothing is left."""
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                numbers = await self._send(batch)
            except Exception as err:  # each waiting append raises it: the run reports the failure
                numbers = [err] * len(batch)
            for (*_, written), number in zip(batch, numbers, strict=True):
                if written.done():
                    continue
                if isinstance(number, BaseException):
                    written.set_exception(number)
                else:
                    written.set_result(int(number))

    async def _send(self, batch: list[tuple[list[str], list[Any], asyncio.Future[int]]]) -> list[Any]:
        """Each queued append's number, or its error; a script Redis forgot (restarted, flushed) is loaded
        again and the appends it refused are sent again (a refused script wrote nothing)."""
        from redis.exceptions import NoScriptError

        if self._sha is None:
            self._sha = await self.redis.script_load(_APPEND)
        found = await self._pipeline(batch)
        refused = [i for i, number in enumerate(found) if isinstance(number, NoScriptError)]
        if refused:
            self._sha = await self.redis.script_load(_APPEND)
            for i, number in zip(refused, await self._pipeline([batch[i] for i in refused]), strict=True):
                found[i] = number
        return found

    async def _pipeline(self, batch: list[tuple[list[str], list[Any], asyncio.Future[int]]]) -> list[Any]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for keys, args, _ in batch:
                pipe.evalsha(self._sha, len(keys), *keys, *args)
            return list(await pipe.execute(raise_on_error=False))

    async def follow(self, run_id: str, after: int = 0) -> AsyncIterator[Event]:
        key, cursor = self.key(run_id), "0-0"
        while True:
            found = await self.redis.xread({key: cursor}, count=500, block=int(POLL_SECONDS * 5000))
            for _, entries in found or []:
                for entry_id, fields in entries:
                    cursor = entry_id
                    number, event = int(fields[b"n"]), fields[b"e"].decode()
                    if number <= after and not (after == 0 and internal(event)):
                        continue
                    yield number, event, fields[b"d"]
                    if event in TERMINAL:
                        return

    async def close(self) -> None:
        if self._writer is not None and not self._writer.done():  # what the stopped runs said last
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer, 5.0)
        await self.redis.aclose()


class TableEvents:
    """PostgreSQL without Redis: an events table, polled by readers."""

    def __init__(self, records: Any) -> None:
        self.records = records
        self.records._rows(
            "CREATE TABLE IF NOT EXISTS agent_run_events (run_id TEXT NOT NULL, pos INTEGER NOT NULL, "
            "n INTEGER NOT NULL, event TEXT NOT NULL, data TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, "
            "PRIMARY KEY (run_id, pos))"
        )

    async def append(self, run_id: str, event: str, data: Any) -> int:
        body = (data if isinstance(data, bytes) else dumps(data)).decode()

        def insert() -> int:
            if event in TERMINAL:
                self.records._rows("DELETE FROM agent_run_events WHERE at < ?", (time.time() - KEEP_SECONDS,))
            step = 0 if internal(event) else 1
            rows = self.records._rows(
                "INSERT INTO agent_run_events (run_id, pos, n, event, data, at) VALUES (?, "
                "(SELECT COALESCE(MAX(pos), 0) + 1 FROM agent_run_events WHERE run_id = ?), "
                f"(SELECT COALESCE(MAX(n), 0) + {step} FROM agent_run_events WHERE run_id = ?), ?, ?, ?) RETURNING n",
                (run_id, run_id, run_id, event, body, time.time()),
            )
            return int(rows[0]["n"])

        return await asyncio.to_thread(insert)

    async def follow(self, run_id: str, after: int = 0) -> AsyncIterator[Event]:
        position = 0
        if after:  # skip every event the client has (those numbered up to ``after``)
            rows = await asyncio.to_thread(
                self.records._rows,
                "SELECT COALESCE(MAX(pos), 0) AS pos FROM agent_run_events WHERE run_id = ? AND n <= ?",
                (run_id, after),
            )
            position = int(rows[0]["pos"] or 0)
        while True:
            rows = await asyncio.to_thread(
                self.records._rows,
                "SELECT pos, n, event, data FROM agent_run_events WHERE run_id = ? AND pos > ? ORDER BY pos",
                (run_id, position),
            )
            for row in rows:
                position = int(row["pos"])
                yield int(row["n"]), row["event"], row["data"].encode()
                if row["event"] in TERMINAL:
                    return
            await asyncio.sleep(POLL_SECONDS)

    async def close(self) -> None:
        return None


def event_log(records: Any, redis_url: str | None) -> EventLog:
    if redis_url:
        return RedisEvents(redis_url)
    if records.dialect == "postgres":
        return TableEvents(records)
    return MemoryEvents()


def loads(data: bytes) -> Any:
    return json.loads(data)


__all__ = ["Event", "EventLog", "MemoryEvents", "RedisEvents", "TableEvents", "event_log"]
