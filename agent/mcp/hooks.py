"""What one server's connection does besides tools: answer its questions, take its notifications.

* Elicitation (the server asks the user): the run of the call that asks
  decides when it says so (the service's runs: an interrupt,
  :mod:`agent.mcp.questions`; which call asks: :func:`agent.mcp.scope.asking`),
  else the toolbox's elicitation handler (:mod:`agent.mcp.elicitation`), run
  off the event loop when it blocks; while a person answers, the time limits
  of that server's calls are paused.
* Sampling (the server asks for the model): refused, saying how to allow it,
  unless the server's entry says ``"sampling": true``; then served by the
  asking call's run's model, within the run's bounds
  (:func:`~agent.mcp.sampling.serve_in_run`), or else by the toolbox's
  :class:`~agent.mcp.sampling.Sampler`.
* Log notifications: written to the server's own log file
  (``AGENT_HOME/logs/mcp-<name>.log``), never to the terminal, cut to a
  readable length (a server's log is untrusted text).
* ``notifications/tools/list_changed``: the tools are listed again.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from agent.mcp.elicitation import Elicitation, decline, finish, shown
from agent.mcp.sampling import SamplingRefused, refusal, serve_in_run
from agent.mcp.scope import AMBIGUOUS, CallScope, asking, lender
from agent.mcp.transport import SessionOptions, note

if TYPE_CHECKING:
    from agent.mcp.client import MCPToolbox, _Link

log = logging.getLogger("agent.mcp")
MAX_LOG_CHARS = 2000


class LinkHooks:
    """The callbacks of one server's connections (the same object across reconnects)."""

    def __init__(self, toolbox: MCPToolbox, link: _Link) -> None:
        self.toolbox, self.link = toolbox, link

    def options(self, auth: Any) -> SessionOptions:
        return SessionOptions(
            auth=auth,
            elicitation_callback=self.elicit,
            sampling_callback=self.sample,
            logging_callback=self.log,
            message_handler=self.message,
        )

    @contextmanager
    def paused(self) -> Iterator[None]:
        """A person is answering: the server's calls do not time out meanwhile (their remaining time resumes)."""
        loop = asyncio.get_running_loop()
        paused = {scope: scope.deadline - loop.time() for scope in list(self.link.deadlines)}
        for scope in paused:
            scope.deadline = math.inf
        self.link.waiting += 1
        started = time.monotonic()
        try:
            yield
        finally:
            self.link.waiting -= 1
            self.link.paused_seconds += time.monotonic() - started
            for scope, remaining in paused.items():
                scope.deadline = loop.time() + max(remaining, 0.0)

    async def elicit(self, context: Any, params: Any) -> Any:
        from mcp import types

        request = Elicitation(
            server=self.link.name,
            message=str(getattr(params, "message", "")),
            mode="url" if getattr(params, "mode", "form") == "url" else "form",
            schema=dict(getattr(params, "requested_schema", None) or {}),
            url=getattr(params, "url", None),
        )
        scope = asking(self.link.calls.values())
        if scope is AMBIGUOUS:
            why = "several calls are in flight on this session and the server's request does not say which one asks"
            note(self.toolbox._log(self.link), f"declined a question ({why}): it may be another run's")
            log.warning("MCP server '%s': declined a question: %s", self.link.name, why)
            return decline(request)
        if isinstance(scope, CallScope) and scope.decline:
            return decline(request)
        if isinstance(scope, CallScope) and scope.questions is not None:
            try:
                with self.paused():
                    return await scope.questions.ask(request)  # the run's node answers (agent.mcp.questions)
            except Exception:
                log.warning("MCP server '%s': putting its question to the run failed; the request is cancelled",
                            self.link.name, exc_info=True)  # fmt: skip
                return types.ElicitResult(action="cancel")
        handler = self.toolbox.elicitation_handler or decline
        try:
            with self.paused():
                if inspect.iscoroutinefunction(handler):
                    result = await handler(request)
                else:
                    result = await asyncio.to_thread(handler, request)
                    if inspect.isawaitable(result):
                        result = await result
            return finish(request, types.ElicitResult.model_validate(result, from_attributes=True))
        except Exception:
            log.warning("MCP server '%s': the elicitation handler failed; the request is cancelled",
                        self.link.name, exc_info=True)  # fmt: skip
            return types.ElicitResult(action="cancel")

    async def sample(self, context: Any, params: Any) -> Any:
        from mcp import types

        sampler = self.toolbox.sampler
        model = lender(self.link.calls.values()) if self.link.config.sampling else None
        scope = asking(self.link.calls.values())
        why = None
        if not self.link.config.sampling:
            why = refusal(self.link.name)
        elif model is AMBIGUOUS:
            why = "calls of several runs are in flight on this session and the request does not say whose it is"
        elif model is None and sampler is None:
            why = "this client has no model for sampling"
        if why is not None:
            note(self.toolbox._log(self.link), f"refused a sampling request: {why}")
            return types.ErrorData(code=types.INVALID_REQUEST, message=why)
        try:
            if model is not None:  # the run's own model, within its bounds (graphs.run_model)
                return await serve_in_run(self.link.name, params, model)
            run = scope.run_key if isinstance(scope, CallScope) else None
            return await sampler.serve(self.link.name, params, run)
        except SamplingRefused as err:
            note(self.toolbox._log(self.link), f"refused a sampling request: {err}")
            return types.ErrorData(code=types.INVALID_REQUEST, message=str(err))
        except Exception:
            log.warning("MCP server '%s': serving its sampling request failed", self.link.name, exc_info=True)
            return types.ErrorData(code=types.INTERNAL_ERROR, message="the client's model failed on this request")

    async def log(self, params: Any) -> None:
        data = params.data if isinstance(params.data, str) else json.dumps(params.data, default=str)
        name = f"{shown(str(params.logger), 100)}: " if params.logger else ""
        note(self.toolbox._log(self.link), f"server {params.level}: {name}{shown(data, MAX_LOG_CHARS)}")

    async def message(self, message: Any) -> None:
        from mcp import types

        if isinstance(message, types.ToolListChangedNotification):
            self.toolbox._relist_soon(self.link)
        elif isinstance(message, Exception):
            log.debug("MCP server '%s': transport error: %s", self.link.name, message)


__all__ = ["LinkHooks"]
