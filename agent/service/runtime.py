"""Opening a replica: the checkpointer, the store, the graphs, the records, the event log, the executor."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from agent.service.core import Assistant, Service
from agent.service.serde import now


@contextlib.asynccontextmanager
async def open_service(settings: Any, graphs: dict[str, Any] | None = None) -> AsyncIterator[Service]:
    """Everything one replica needs, closed again when the app stops.

    ``graphs`` maps graph ids to compiled graphs; by default the agent graph of the settings.
    """
    from agent.service.events import event_log
    from agent.service.executor import Executor
    from agent.service.records import Records
    from graphs.memory import open_checkpointer, open_store

    url = settings.resolved_checkpointer()
    saver = open_checkpointer(url)
    store = open_store(url)
    if graphs is None:
        from agent.mcp import prestart
        from graphs.builder import build_agent

        prestart(settings)
        graphs = {"agent": build_agent(settings=settings, checkpointer=saver, store=store)}
    stamp = now()
    assistants = {a.assistant_id: a for a in (Assistant(gid, g, stamp) for gid, g in graphs.items())}
    records = Records.open(url)
    events = event_log(records, settings.redis_url)
    executor = Executor(
        records,
        events,
        {a.assistant_id: a.graph for a in assistants.values()},
        max_runs=settings.service_max_runs,
        lease=settings.service_lease,
    )
    service = Service(
        records=records,
        events=events,
        assistants=assistants,
        store=store,
        executor=executor,
        max_body=settings.service_max_body_bytes,
        token=settings.api_token.get_secret_value() if settings.api_token else None,
    )
    executor.start()
    try:
        yield service
    finally:
        await executor.stop()
        await events.close()


__all__ = ["open_service"]
