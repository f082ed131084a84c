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
import collections
import contextlib
import logging
import os
import socket
import uuid
from typing import Any

from agent.mcp.questions import RUN_SETTING as MCP_QUESTIONS
from agent.service.events import EventLog
from agent.service.records import Records
from agent.service.streaming import Converter, graph_modes

log = logging.getLogger(__name__)
STATUS_ON_CANCEL = {"interrupt": "interrupted", "rollback": "interrupted"}
FOLLOW = "follow the event log"  # a watcher's answer when this replica cannot give the result itself
ENDED_KEPT = 1024  # runs remembered as ended here, for watchers that come just after the end


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
        self.saturated = False  # the last claim filled every slot: a run ending should claim the next at once
        self.watchers: dict[str, list[asyncio.Future[Any]]] = {}  # run id -> who waits for its result here
        self.ended: collections.deque[str] = collections.deque()
        self.ended_set: set[str] = set()
        self.nudged: dict[str, asyncio.Event] = {}  # a running run's "look at your record now" (a cancel request)

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
        if run_id in self.nudged:
            self.nudged[run_id].set()

    # --- results, handed to waiters in this process ------------------------------------
    def watch(self, run_id: str) -> asyncio.Future[Any]:
        """A future for the run's result, set when it ends here; :data:`FOLLOW` when it ended before
        (or stopped here to go on elsewhere): the event log has the answer then."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if run_id in self.ended_set:
            future.set_result(FOLLOW)
        else:
            self.watchers.setdefault(run_id, []).append(future)
        return future

    def unwatch(self, run_id: str, future: asyncio.Future[Any]) -> None:
        waiting = self.watchers.get(run_id, [])
        if future in waiting:
            waiting.remove(future)
        if not waiting:
            self.watchers.pop(run_id, None)

    def _tell(self, run_id: str, result: Any) -> None:
        for future in self.watchers.pop(run_id, []):
            if not future.done():
                future.set_result(result)
        if result is FOLLOW:
            return
        self.ended.append(run_id)
        self.ended_set.add(run_id)
        if len(self.ended) > ENDED_KEPT:
            self.ended_set.discard(self.ended.popleft())

    async def _loop(self) -> None:
        while True:
            self.wakeup.clear()  # before claiming: a run created meanwhile wakes the next round at once
            try:
                while (room := self.max_runs - len(self.running)) > 0:
                    claimed = await asyncio.to_thread(self.records.claim, self.worker, self.lease, room)
                    for run in claimed:
                        self.nudged[run["run_id"]] = asyncio.Event()
                        task = asyncio.create_task(self._execute(run), name=f"run-{run['run_id']}")
                        task.add_done_callback(_report)
                        self.running[run["run_id"]] = task
                    self.saturated = len(claimed) == room  # runs may be waiting for a free slot
                    if not self.saturated:  # nothing more is runnable now
                        break
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop the replica from serving
                log.exception("claiming runs failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.poll)

    # --- one run ----------------------------------------------------------------------
    async def _execute(self, run: dict[str, Any]) -> None:
        run_id = run["run_id"]
        task = asyncio.current_task()
        keeper = asyncio.create_task(self._keep(run_id, task))
        status, error = "success", None
        final: dict[str, Any] | None = None  # the graph's last values, when it ran to its end here
        try:
            graph = self.graphs[run["assistant_id"]]
            config = self._config(run)
            await self.events.append(run_id, "metadata", {"run_id": run_id, "attempt": run["attempt"]})
            final = await self._stream(graph, run, config)
        except asyncio.CancelledError:
            why = self.stopping.get(run_id, "shutdown")
            if why in ("lost", "shutdown"):  # not ours to finish: another replica resumes it
                keeper.cancel()
                self.running.pop(run_id, None)
                self.nudged.pop(run_id, None)
                self._tell(run_id, FOLLOW)
                return
            status = STATUS_ON_CANCEL[why]
            if why == "rollback":
                try:
                    await self._rollback(run)
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
        waiting = False
        try:  # records first: a client woken by the last events must find the run and thread settled
            result, idle = await self._ending(run, final, error)
            removed = self.stopping.get(run_id) == "rollback"
            waiting = await self._settle(run, None if removed else status, idle, error)
            await self.events.append(run_id, "__result__", result)
            await self.events.append(run_id, "end", None)
            self._tell(run_id, result)
        finally:
            self._tell(run_id, FOLLOW)  # if the result could not be told (the ending failed), the log says
            self.running.pop(run_id, None)
            self.stopping.pop(run_id, None)
            self.nudged.pop(run_id, None)
            if waiting or self.saturated:  # the next run of this thread, or one waiting for a slot
                self.wake()

    def _config(self, run: dict[str, Any]) -> dict[str, Any]:
        kwargs = run["kwargs"]
        given = kwargs.get("config") or {}
        configurable = {**(given.get("configurable") or {}), "thread_id": run["thread_id"]}
        if configurable.get(MCP_QUESTIONS) != "decline":  # no terminal here: a server's question pauses the run
            configurable[MCP_QUESTIONS] = "interrupt"
        if kwargs.get("checkpoint_id"):
            configurable["checkpoint_id"] = kwargs["checkpoint_id"]
        if kwargs.get("checkpoint"):
            configurable.update({k: v for k, v in kwargs["checkpoint"].items() if k != "thread_id"})
        metadata = {**(given.get("metadata") or {}), **run["metadata"], "run_id": run["run_id"]}
        config = {**given, "configurable": configurable, "metadata": metadata}
        if run["attempt"] == 1:
            config["run_id"] = uuid.UUID(run["run_id"])
        return config

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

    async def _ending(
        self, run: dict[str, Any], final: dict[str, Any] | None, error: dict[str, Any] | None
    ) -> tuple[Any, str]:
        """What ``/wait`` and ``/join`` answer (the final values, with ``__interrupt__`` when paused, or
        ``__error__``) and the thread's status when no other run waits (idle, interrupted, error).

        A graph that ran to its end here left its state in its last values (an interrupt included):
        the thread is read again only after a cancel, or with breakpoints (paused without an interrupt).
        """
        if error is not None:
            return {"__error__": error}, "error"
        from agent.service.serde import plain

        kwargs = run["kwargs"]
        if final is not None and not kwargs.get("interrupt_before") and not kwargs.get("interrupt_after"):
            values = plain(final) or {}
            return values, "interrupted" if values.get("__interrupt__") else "idle"
        config = {"configurable": {"thread_id": run["thread_id"]}}
        state = await self.graphs[run["assistant_id"]].aget_state(config)
        values = plain(state.values) or {}
        if state.interrupts:
            values["__interrupt__"] = plain(list(state.interrupts))
        return values, "interrupted" if state.interrupts or state.next else "idle"

    async def _stream(self, graph: Any, run: dict[str, Any], config: dict[str, Any]) -> dict[str, Any] | None:
        """Run the graph, its chunks to the event log; its last values when ``values`` was asked for (the
        default; None otherwise, and the thread is read instead: asking LangGraph for values for our own use
        changed the timing of the web page's stream, whose test saw a plan step skip its pending state)."""
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
            return None
        final = None
        async for chunk in graph.astream(source, config, **options):
            namespace, (mode, data) = (chunk[0], chunk[1:]) if options["subgraphs"] else ((), chunk)
            if mode == "values" and not namespace:
                final = data
            for event, payload in converter.convert(mode, data, tuple(namespace)):
                await self.events.append(run_id, event, payload)
        return final

    async def _emit(self, converter: Converter, run_id: str, chunk: Any, subgraphs: bool) -> None:
        namespace, (mode, data) = (chunk[0], chunk[1:]) if subgraphs else ((), chunk)
        for event, payload in converter.convert(mode, data, tuple(namespace)):
            await self.events.append(run_id, event, payload)

    async def _keep(self, run_id: str, task: asyncio.Task[Any] | None) -> None:
        """Renew the lease; stop the task when a cancel is requested or the run is no longer ours."""
        interval = max(0.2, min(1.0, self.lease / 3))
        nudged = self.nudged.get(run_id) or asyncio.Event()
        while True:
            with contextlib.suppress(TimeoutError):  # a nudged cancel is looked at at once
                await asyncio.wait_for(nudged.wait(), interval)
            nudged.clear()
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

    async def _rollback(self, run: dict[str, Any]) -> None:
        """Remove what the run wrote: every checkpoint after the one it started from, and its record."""
        from graphs.memory import delete_checkpoints_after

        graph = self.graphs[run["assistant_id"]]
        wrote, start = await _start_of(graph.checkpointer, run)
        if wrote:
            await asyncio.to_thread(delete_checkpoints_after, graph.checkpointer, run["thread_id"], start)
        await asyncio.to_thread(self.records.delete_run, run["run_id"])

    async def _settle(self, run: dict[str, Any], status: str | None, idle: str, error: dict[str, Any] | None) -> bool:
        """The run's status (``None``: it was rolled back and removed) and its thread's, in one transaction:
        busy (more runs) or ``idle`` (idle, interrupted, error); a stateless run's thread is deleted
        (unless it asked ``on_completion: keep``).  True when more runs of the thread wait."""
        thread_id = run["thread_id"]
        if run.get("temporary"):
            if status is not None:
                await asyncio.to_thread(self.records.finish, run["run_id"], self.worker, status)
            if run["kwargs"].get("on_completion", "delete") != "keep":
                graph = self.graphs[run["assistant_id"]]
                await asyncio.to_thread(graph.checkpointer.delete_thread, thread_id)
                await asyncio.to_thread(self.records.delete_thread, thread_id)
            return False
        reason = None if error is None else str(error)
        return await asyncio.to_thread(self.records.settle, run["run_id"], self.worker, status, thread_id, idle, reason)


async def _start_of(saver: Any, run: dict[str, Any]) -> tuple[bool, str | None]:
    """(whether the run wrote checkpoints, the checkpoint it started from: the parent of its first one).

    Every checkpoint of a run carries its ``run_id`` in its metadata (the run's config puts it there).
    """
    config = {"configurable": {"thread_id": run["thread_id"], "checkpoint_ns": ""}}
    first = None
    async for item in saver.alist(config, filter={"run_id": run["run_id"]}):
        first = item  # newest first: the last is the run's first
    if first is None:
        return False, None
    parent = (first.parent_config or {}).get("configurable") or {}
    return True, parent.get("checkpoint_id")


__all__ = ["FOLLOW", "Executor"]
