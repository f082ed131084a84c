"""Server-sent events as ``langgraph-sdk`` parses them: ``event:``, ``data:`` (JSON), ``id:`` when resumable.

Each event is flushed as it is produced (no buffering: set ``proxy_buffering off``
on nginx), with a heartbeat comment every few seconds so proxies and clients
know the stream is alive while a tool runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

from agent.service.serde import dumps

HEARTBEAT_SECONDS = 5.0


def encode(event: str, data: Any, event_id: str | None = None) -> bytes:
    clean = event.replace("\r", "").replace("\n", "")
    body = data if isinstance(data, bytes) else dumps(data)
    out = b"event: " + clean.encode() + b"\r\ndata: " + body + b"\r\n"
    if event_id is not None:
        out += b"id: " + event_id.encode() + b"\r\n"
    return out + b"\r\n"


async def with_heartbeats(events: AsyncIterator[bytes], seconds: float = HEARTBEAT_SECONDS) -> AsyncIterator[bytes]:
    """The events, and a ``: heartbeat`` comment whenever none came for ``seconds``."""
    iterator = events.__aiter__()
    pending: asyncio.Task[bytes] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=seconds)
            if not done:
                yield b": heartbeat\r\n\r\n"
                continue
            try:
                chunk = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            yield chunk
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, Exception):
                await pending
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def sse_response(events: AsyncIterator[bytes], headers: dict[str, str] | None = None) -> StreamingResponse:
    return StreamingResponse(
        with_heartbeats(events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **(headers or {})},
    )


__all__ = ["HEARTBEAT_SECONDS", "encode", "sse_response", "with_heartbeats"]
