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
        from agent.mcp import serve_sampling

        # As `agent run` does: servers allowed to sample are served (the agent graph's runs lend their own
        # model, within their bounds; this sampler serves the calls of other graphs).
        serve_sampling(settings)
    if graphs is None and settings.service_graphs is not None:
        graphs = load_graphs(settings.service_graphs, checkpointer=saver, store=store, settings=settings)
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
    service.model_info = model_info(settings) if settings.service_graphs is None else {"custom": True}
    from agent.service.signals import Signals

    service.signals = Signals(settings.redis_url, origin=executor.worker)
    service.signals.listen(executor.wake, executor.nudge_cancel)
    executor.start()
    try:
        yield service
    finally:
        await executor.stop()
        await service.signals.close()
        await events.close()


def model_info(settings: Any) -> dict[str, Any]:
    """Which model answers (for the web page and /info): never a key or a URL with a password."""
    from graphs.llm import ModelConfigError, choose_model

    try:
        choice = choose_model(settings)
    except ModelConfigError as err:
        return {"error": str(err)}
    if choice is None:
        return {"provider": "offline", "model": "offline", "offline": True}
    return {"provider": choice.provider, "model": choice.model, "offline": False}


def load_graphs(path: Any, **resources: Any) -> dict[str, Any]:
    """The graphs a ``langgraph.json``-shaped file names (``{"graphs": {"id": "file.py:attr"}}``).

    ``attr`` is a compiled graph (given the service's checkpointer and store) or a
    function called with ``checkpointer``, ``store`` and ``settings`` that returns one.
    A path is relative to the file; ``module.name:attr`` imports a module.
    """
    import importlib
    import importlib.util
    import json
    from pathlib import Path

    spec_file = Path(path)
    graphs: dict[str, Any] = {}
    for graph_id, target in json.loads(spec_file.read_text(encoding="utf-8"))["graphs"].items():
        location, _, attr = target.rpartition(":")
        if location.endswith(".py"):
            file = (spec_file.parent / location).resolve()
            module_spec = importlib.util.spec_from_file_location(f"agent_service_graph_{graph_id}", file)
            module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
            module_spec.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            module = importlib.import_module(location)
        found = getattr(module, attr)
        if hasattr(found, "checkpointer"):  # a compiled graph: ours to give storage
            graphs[graph_id] = found.copy(
                update={"checkpointer": resources["checkpointer"], "store": resources["store"]}
            )
        else:
            graphs[graph_id] = found(**resources)
    return graphs


__all__ = ["load_graphs", "open_service"]
