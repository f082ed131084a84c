"""A server's question during a run's tool call, put to the person as an interrupt of that run.

The service's runs (``configurable.mcp_elicitation = "interrupt"``, which the
service sets) have no terminal to ask at: a server's elicitation pauses the
run instead, with the interrupt value ``{"type": "elicitation", "server",
"tool", "id" (the tool call), "message", "requested_schema", "mode"}`` (the
message is the server's text, cleaned of control characters and cut: show it
as data), and the run resumes with ``Command(resume={"action": "accept",
"content": {...}})``, ``{"action": "decline"}`` or ``{"action": "cancel"}``.

The question arrives on the MCP sessions' event loop; LangGraph's
``interrupt()`` works only in the node's own context.  So the node that made
the call waits on both the call and the call's :class:`Questions`, and takes
each question itself.  LangGraph runs an interrupted node again from its start
when the run resumes, hence:

* first pass: ``interrupt()`` raises; the server is answered ``cancel`` (it
  must not go on with guessed input), the call ends, and the run pauses;
* on resume: the node runs again, the call is made again, the server asks
  again, and ``interrupt()`` now returns the resume value, which is checked
  against the server's form (defaults filled in, types and choices checked,
  as at the terminal) and sent.  An answer that does not fit is not sent: the
  run pauses again with the same question and an ``"error"`` line.

Several calls of one tools step that ask at once are asked one at a time, in
the order their questions arrive, and the answers are matched by that order;
an answer that names a call (``"id"``, as the web page sends it) is given to
that call only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.mcp.elicitation import Elicitation, complete, problem, shown

log = logging.getLogger("agent.mcp")

RUN_SETTING = "mcp_elicitation"
"""The run's ``configurable`` key: ``"interrupt"`` (the service's runs), ``"decline"``; absent: the toolbox's
handler (the terminal when there is one, else decline)."""
ACTIONS = ("accept", "decline", "cancel")
HOW = 'answer with {"action": "accept", "content": {...}}, {"action": "decline"} or {"action": "cancel"}'
END_GRACE = 5.0  # seconds the cancelled call gets to end before it is abandoned


def _result(action: str, content: dict[str, Any] | None = None) -> Any:
    from mcp import types

    return types.ElicitResult(action=action, content=content if action == "accept" else None)


def payload(request: Elicitation, tool: str, call_id: str | None) -> dict[str, Any]:
    """The interrupt value of a question (JSON, no object of ours: it is stored in the checkpoint)."""
    value: dict[str, Any] = {
        "type": "elicitation",
        "server": shown(request.server, 100),
        "tool": shown(tool, 200),
        "id": call_id,
        "message": shown(request.message),
        "requested_schema": request.schema,
        "mode": request.mode,
    }
    if request.mode == "url":
        value["url"] = shown(request.url or "", 2000)
    return value


def read_answer(value: Any, schema: Mapping[str, Any], mode: str = "form") -> tuple[str, dict[str, Any] | None]:
    """``(action, content)`` of a resume value, defaults filled in; ValueError says in one line what is wrong."""
    if isinstance(value, str) and value in ACTIONS:
        value = {"action": value}
    if not isinstance(value, Mapping) or value.get("action") not in ACTIONS:
        raise ValueError(f"an answer to the server's question must be an object: {HOW}")
    action = str(value["action"])
    if action != "accept" or mode != "form":
        return action, None
    content = value.get("content") if value.get("content") is not None else {}
    if not isinstance(content, Mapping):
        raise ValueError("the answer's content must be an object of the form's fields")
    filled = complete(dict(schema), dict(content))
    trouble = problem(dict(schema), filled)
    if trouble is not None:
        raise ValueError(f"the answer does not fit the server's form: {trouble}")
    return action, filled


def check_resume(interrupt_value: Any, resume: Any) -> str | None:
    """What is wrong with ``resume`` as the answer to a pending elicitation interrupt, or None (the service
    refuses such a resume at once, with this line)."""
    if not isinstance(interrupt_value, Mapping) or interrupt_value.get("type") != "elicitation":
        return None
    try:
        read_answer(resume, interrupt_value.get("requested_schema") or {}, str(interrupt_value.get("mode") or "form"))
    except ValueError as err:
        return str(err)
    return None


@dataclass
class Question:
    """One question of a call; ``following`` resolves with the call's next one."""

    request: Elicitation
    answer: concurrent.futures.Future[Any] = field(default_factory=concurrent.futures.Future)
    following: concurrent.futures.Future[Question] = field(default_factory=concurrent.futures.Future)


class Questions:
    """The questions of one tool call, from the sessions' loop to the node that made the call (thread-safe)."""

    def __init__(self, tool: str, call_id: str | None) -> None:
        self.tool, self.call_id = tool, call_id
        self.first: concurrent.futures.Future[Question] = concurrent.futures.Future()
        self._last = self.first
        self._open: list[Question] = []
        self._closed = False
        self._lock = threading.Lock()

    # --- on the sessions' loop ----------------------------------------------------------
    async def ask(self, request: Elicitation) -> Any:
        """Hand the question to the node and wait for its answer (``cancel`` once the call is over)."""
        question = Question(request)
        with self._lock:
            if self._closed:
                return _result("cancel")
            self._open.append(question)
            arrived, self._last = self._last, question.following
        arrived.set_result(question)
        return await asyncio.wrap_future(question.answer)

    def close(self) -> None:
        """No more questions: any still open is answered ``cancel``."""
        with self._lock:
            self._closed = True
            still = [q for q in self._open if not q.answer.done()]
        for question in still:
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                question.answer.set_result(_result("cancel"))

    # --- in the node's context ----------------------------------------------------------
    def take(self, question: Question) -> None:
        """Put the question to the person as an interrupt; send the answer (raises the interrupt on the first pass)."""
        from langgraph.types import interrupt

        asked = payload(question.request, self.tool, self.call_id)
        error: str | None = None
        while True:
            try:
                value = interrupt(asked if error is None else {**asked, "error": error})
            except BaseException:
                self.close()  # the run pauses: the server hears "cancel" and the call ends
                raise
            named = value.get("id") if isinstance(value, Mapping) else None
            if named is not None and named != self.call_id:
                error = f"that answer was for call {shown(str(named), 100)}, not this one"
                continue
            try:
                action, content = read_answer(value, question.request.schema, question.request.mode)
            except ValueError as err:
                error = str(err)
                log.info("MCP server '%s': an answer to its question was not sent: %s", question.request.server, err)
                continue
            question.answer.set_result(_result(action, content))
            return

    async def around(self, call: asyncio.Future[Any]) -> Any:
        """Wait for the call, taking its questions as they come (the async graph)."""
        pending = self.first
        try:
            while True:
                arrived = asyncio.wrap_future(pending)
                done, _ = await asyncio.wait({call, arrived}, return_when=asyncio.FIRST_COMPLETED)
                if call in done:
                    return call.result()
                question = arrived.result()
                try:
                    self.take(question)
                except BaseException:
                    await asyncio.wait({call}, timeout=END_GRACE)
                    raise
                pending = question.following
        finally:
            self.close()
            if not call.done():
                call.cancel()

    def next_or_raise(self, question: Question, call: concurrent.futures.Future[Any]) -> concurrent.futures.Future[Any]:
        """The synchronous twin of a step of :meth:`around`: take ``question``; the future of the next one."""
        try:
            self.take(question)
        except BaseException:
            concurrent.futures.wait([call], timeout=END_GRACE)
            call.cancel()
            raise
        return question.following


__all__ = ["RUN_SETTING", "Question", "Questions", "check_resume", "payload", "read_answer"]
