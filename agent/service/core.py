"""What one replica of the service holds: the graphs it serves, the records, the event log, the executor.

Errors a client can fix are :class:`ApiError` (a status and one sentence); the
app turns them into JSON bodies as LangGraph's server does (``{"detail": ...}``).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from agent.service.events import EventLog
from agent.service.executor import Executor
from agent.service.records import Records
from agent.service.serde import plain

NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")  # as LangGraph's server names default assistants


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class Assistant:
    graph_id: str
    graph: Any
    created_at: str

    @property
    def assistant_id(self) -> str:
        return str(uuid.uuid5(NAMESPACE_GRAPH, self.graph_id))

    def to_json(self) -> dict[str, Any]:
        return {
            "assistant_id": self.assistant_id,
            "graph_id": self.graph_id,
            "config": {},
            "context": {},
            "metadata": {"created_by": "system"},
            "name": self.graph_id,
            "description": None,
            "version": 1,
            "created_at": self.created_at,
            "updated_at": self.created_at,
        }


@dataclass
class Service:
    records: Records
    events: EventLog
    assistants: dict[str, Assistant]  # by assistant id
    store: Any
    executor: Executor
    max_body: int = 1_000_000
    token: str | None = None
    temporary: set[str] = field(default_factory=set)
    model_info: dict[str, Any] = field(default_factory=dict)  # the model in use: provider, name, offline
    signals: Any = None  # agent.service.signals.Signals: nudges between replicas (no-op without Redis)

    async def nudge_wake(self) -> None:
        self.executor.wake()
        if self.signals is not None:
            await self.signals.wake()

    async def nudge_cancel(self, run_id: str) -> None:
        self.executor.nudge_cancel(run_id)
        if self.signals is not None:
            await self.signals.cancel(run_id)

    def assistant(self, assistant_id: str) -> Assistant:
        """By its id, or by its graph id (``agent``), as LangGraph's clients use either."""
        if assistant_id in self.assistants:
            return self.assistants[assistant_id]
        for assistant in self.assistants.values():
            if assistant.graph_id == assistant_id:
                return assistant
        raise ApiError(404, f"assistant {assistant_id} not found")

    def any_graph(self) -> Any:
        return next(iter(self.assistants.values())).graph

    async def thread_or_404(self, thread_id: str) -> dict[str, Any]:
        found = await asyncio.to_thread(self.records.thread, thread_id)
        if found is None:
            raise ApiError(404, f"thread {thread_id} not found")
        return found

    async def thread_json(self, row: dict[str, Any], *, with_values: bool = True) -> dict[str, Any]:
        values: Any = None
        interrupts: dict[str, Any] = {}
        if with_values:
            state = await self.any_graph().aget_state({"configurable": {"thread_id": row["thread_id"]}})
            values = plain(state.values) if state.values else None
            for task in state.tasks:
                if task.interrupts:
                    interrupts[task.id] = plain(list(task.interrupts))
        return {
            "thread_id": row["thread_id"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "metadata": row["metadata"],
            "status": row["status"],
            "values": values,
            "interrupts": interrupts,
        }


def run_json(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run["run_id"],
        "thread_id": run["thread_id"],
        "assistant_id": run["assistant_id"],
        "created_at": run["created_at"],
        "updated_at": run["updated_at"],
        "status": run["status"],
        "metadata": run["metadata"],
        "multitask_strategy": run["multitask_strategy"],
        "kwargs": run["kwargs"],
        "cancel_reason": run.get("cancel_reason"),
    }


__all__ = ["NAMESPACE_GRAPH", "ApiError", "Assistant", "Service", "run_json"]
