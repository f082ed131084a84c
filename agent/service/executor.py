"""Runs, executed: claimed from the records, streamed into the event log, leased, cancellable, resumable.

Each replica runs one :class:`Executor`.  It claims runnable runs (at most
``max_runs`` at once), executes each as an asyncio task, and renews the run's
lease while it goes on.  A renewal that finds a cancel request (from any
replica) stops the task: ``interrupt`` keeps what the run did, ``rollback``
removes the checkpoints it wrote and the run itself.  A renewal that finds the
run no longer ours stops the task without a word (the run went to another
replica).  A run claimed again after its worker died resumes from its last
checkpoint: its input is not sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from typing import Any

from agent.service.events import EventLog
from agent.service.records import Records
from agent.service.streaming import Converter, graph_modes

log = logging.getLogger(__name__)
STATUS_ON_CANCEL = {"interrupt": "interrupted", "rollback": "interrupted"}


def _report(task: asyncio.Task[None]) -> None:
    """A run task must never end in an exception nobody sees."""
    if not task.cancelled() and task.exception() is not None:
        log.error("%s ended with an unexpected error", task.get_name(), exc_info=task.exception())


class Executor:
    def __init__(
        self, records: Records, events: EventLog, graphs: dict[str, Any], *, max_runs: int = 16, lease: float = 30.0
    ) -> None:
        self.records, self.events, self.graphs = records, events, graphs
        self.max_runs, self.lease = max_runs, lease
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.running: dict[str, asyncio.Task[None]] = {}
        self.stopping: dict[str, str] = {}  # run id -> why it is being stopped (interrupt, rollback, lost)
        self.wakeup = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self.poll = 0.5
        self.nudged: set[str] = set()  # runs a cancel request was signalled for: check them now

    # --- the claim loop -------------------------------------------------------------
    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="agent-executor")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for run_id, task in list(self.running.items()):
            self.stopping.setdefault(run_id, "shutdown")
            task.cancel()
        if self.running:
            await asyncio.gather(*self.running.values(), return_exceptions=True)

    def wake(self) -> None:
        self.wakeup.set()

    def nudge_cancel(self, run_id: str) -> None:
        """Another replica asked to stop a run: if it is ours, look at its record now, not at the next renewal."""
        if run_id in self.running:
            self.nudged.add(run_id)

    async def _loop(self) -> None:
        while True:
            try:
                while len(self.running) < self.max_runs:
                    run = await asyncio.to_thread(self.records.claim, self.worker, self.lease)
                    if run is None:
                        break
                    task = asyncio.create_task(self._execute(run), name=f"run-{run['run_id']}")
                    task.add_done_callback(_report)
                    self.running[run["run_id"]] = task
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop the replica from serving
                log.exception("claiming runs failed; retrying")
            self.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.poll)

    # --- one run ----------------------------------------------------------------------
    async def _execute(self, run: dict[str, Any]) -> None:
        run_id, thread_id = run["run_id"], run["thread_id"]
        task = asyncio.current_task()
        keeper = asyncio.create_task(self._keep(run_id, task))
        status, error = "success", None
        start_checkpoint: str | None = None
        try:
            graph = self.graphs[run["assistant_id"]]
            config = self._config(run)
            start_checkpoint = await self._head(graph, config)
            await self.events.append(run_id, "metadata", {"run_id": run_id, "attempt": run["attempt"]})
            await self._stream(graph, run, config)
        except asyncio.CancelledError:
            why = self.stopping.get(run_id, "shutdown")
            if why in ("lost", "shutdown"):  # not ours to finish: another replica resumes it
                keeper.cancel()
                self.running.pop(run_id, None)
                return
            status = STATUS_ON_CANCEL[why]
            if why == "rollback":
                try:
                    await self._rollback(run, start_checkpoint)
                except Exception as err:  # the run stops anyway; what could not be undone is said
                    log.error("rolling back run %s failed", run_id, exc_info=True)
                    status, error = "error", {"error": type(err).__name__, "message": f"rollback failed: {err}"}
                    self.stopping[run_id] = "interrupt"
        except Exception as err:  # the run failed: the client gets an error event, the replica goes on
            log.warning("run %s failed: %s", run_id, err, exc_info=True)
            status, error = "error", {"error": type(err).__name__, "message": str(err)[:2000]}
            await self.events.append(run_id, "error", error)
        finally:
            keeper.cancel()
        try:  # records first: a client woken by the last events must find the run and thread settled
            result = await self._result(run, error)
            if self.stopping.get(run_id) != "rollback":
                await asyncio.to_thread(self.records.finish, run_id, self.worker, status)
            await self._settle_thread(thread_id, run, error)
            await self.events.append(run_id, "__result__", result)
            await self.events.append(run_id, "end", None)
        finally:
            self.running.pop(run_id, None)
            self.stopping.pop(run_id, None)

    async def _result(self, run: dict[str, Any], error: dict[str, Any] | None) -> Any:
        """What ``/wait`` and ``/join`` answer: the final values, with ``__interrupt__`` when paused."""
        if error is not None:
            return {"__error__": error}
        from agent.service.serde import plain

        state = await self.graphs[run["assistant_id"]].aget_state({"configurable": {"thread_id": run["thread_id"]}})
        values = plain(state.values) or {}
        if state.interrupts:
            values["__interrupt__"] = plain(list(state.interrupts))
        return values

    def _config(self, run: dict[str, Any]) -> dict[str, Any]:
        kwargs = run["kwargs"]
        given = kwargs.get("config") or {}
        configurable = {**(given.get("configurable") or {}), "thread_id": run["thread_id"]}
        if kwargs.get("checkpoint_id"):
            configurable["checkpoint_id"] = kwargs["checkpoint_id"]
        if kwargs.get("checkpoint"):
            configurable.update({k: v for k, v in kwargs["checkpoint"].items() if k != "thread_id"})
        metadata = {**(given.get("metadata") or {}), **run["metadata"], "run_id": run["run_id"]}
        config = {**given, "configurable": configurable, "metadata": metadata}
        if run["attempt"] == 1:
            config["run_id"] = uuid.UUID(run["run_id"])
        return config

    @staticmethod
    async def _head(graph: Any, config: dict[str, Any]) -> str | None:
        state = await graph.aget_state({"configurable": {"thread_id": config["configurable"]["thread_id"]}})
        return (state.config.get("configurable") or {}).get("checkpoint_id") if state and state.config else None

    async def _input(self, graph: Any, run: dict[str, Any], config: dict[str, Any]) -> Any:
        from langgraph.types import Command

        kwargs = run["kwargs"]
        if run["attempt"] > 1:  # claimed again after a replica died: resume if its input already landed
            state = await graph.aget_state({"configurable": {"thread_id": run["thread_id"]}})
            if state.metadata and state.metadata.get("run_id") == run["run_id"]:
                return None
        if kwargs.get("command"):
            command = kwargs["command"]
            return Command(resume=command.get("resume"), update=command.get("update"), goto=command.get("goto") or ())
        return kwargs.get("input")

    async def _stream(self, graph: Any, run: dict[str, Any], config: dict[str, Any]) -> None:
        kwargs, run_id = run["kwargs"], run["run_id"]
        requested = kwargs.get("stream_mode") or ["values"]
        requested = [requested] if isinstance(requested, str) else list(requested)
        converter = Converter(requested)
        options: dict[str, Any] = {
            "stream_mode": graph_modes(requested),
            "subgraphs": bool(kwargs.get("stream_subgraphs")),
        }
        for name in ("interrupt_before", "interrupt_after", "durability"):
            if kwargs.get(name):
                options[name] = kwargs[name]
        if kwargs.get("context") is not None:
            options["context"] = kwargs["context"]
        source = await self._input(graph, run, config)
        if "events" in requested:
            async for event in graph.astream_events(source, config, version="v2", **options):
                chunk = event.get("data", {}).get("chunk") if event.get("event") == "on_chain_stream" else None
                if chunk is not None and event.get("run_id") == str(config.get("run_id", "")):
                    await self._emit(converter, run_id, chunk, options["subgraphs"])
                await self.events.append(run_id, "events", event)
            return
        async for chunk in graph.astream(source, config, **options):
            await self._emit(converter, run_id, chunk, options["subgraphs"])

    async def _emit(self, converter: Converter, run_id: str, chunk: Any, subgraphs: bool) -> None:
        namespace, (mode, data) = (chunk[0], chunk[1:]) if subgraphs else ((), chunk)
        for event, payload in converter.convert(mode, data, tuple(namespace)):
            await self.events.append(run_id, event, payload)

    async def _keep(self, run_id: str, task: asyncio.Task[Any] | None) -> None:
        """Renew the lease; stop the task when a cancel is requested or the run is no longer ours."""
        interval = max(0.2, min(1.0, self.lease / 3))
        while True:
            for _ in range(int(interval / 0.05)):  # a nudged cancel is looked at within 50 ms
                if run_id in self.nudged:
                    self.nudged.discard(run_id)
                    break
                await asyncio.sleep(0.05)
            try:
                current = await asyncio.to_thread(self.records.renew, run_id, self.worker, self.lease)
            except Exception:  # the database is briefly away: keep running, the lease has slack
                log.warning("renewing the lease of run %s failed", run_id, exc_info=True)
                continue
            why = "lost" if current is None else current.get("cancel")
            if why and task is not None:
                self.stopping[run_id] = why
                task.cancel()
                return

    async def _rollback(self, run: dict[str, Any], start_checkpoint: str | None) -> None:
        from graphs.memory import delete_checkpoints_after

        graph = self.graphs[run["assistant_id"]]
        await asyncio.to_thread(delete_checkpoints_after, graph.checkpointer, run["thread_id"], start_checkpoint)
        await asyncio.to_thread(self.records.delete_run, run["run_id"])

    async def _settle_thread(self, thread_id: str, run: dict[str, Any], error: dict[str, Any] | None) -> None:
        """The thread's status after a run: busy (more runs), error, interrupted, or idle; a stateless
        run's thread is deleted (unless it asked ``on_completion: keep``)."""
        if run.get("temporary"):
            if run["kwargs"].get("on_completion", "delete") != "keep":
                graph = self.graphs[run["assistant_id"]]
                await asyncio.to_thread(graph.checkpointer.delete_thread, thread_id)
                await asyncio.to_thread(self.records.delete_thread, thread_id)
            return
        active = await asyncio.to_thread(self.records.active_runs, thread_id)
        if active:
            status = "busy"
        elif error is not None:
            status = "error"
        else:
            state = await self.graphs[run["assistant_id"]].aget_state({"configurable": {"thread_id": thread_id}})
            status = "interrupted" if state.interrupts or state.next else "idle"
        await asyncio.to_thread(
            self.records.update_thread, thread_id, status=status, error=None if error is None else str(error)
        )


__all__ = ["Executor"]
