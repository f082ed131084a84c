"""Fit a long conversation into the model's context window: one strategy object per way of doing it.

The thread keeps every message (it is the record a user reads back); only the
*prompt* is cut.  The unit of cutting is the round — a user message and
everything up to the next one — so a tool call is never separated from its
result.  A strategy does three things (:class:`ContextStrategy`):

* ``prompt``: the messages of the next model call, under budget;
* ``compaction``: when the thread needs folding before that call, the request
  whose answer becomes the new summary (the ``compact`` node makes the call);
* ``remember``: note a finished round (for strategies that recall).

Strategies are registered by name in :data:`STRATEGIES`, which the builder and
the CLI both read.  Adding one is its class and one line there.  This module
imports no LangChain at import time: the CLI reads the table to build ``--help``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.messages import AnyMessage, SystemMessage
    from langchain_core.runnables import RunnableConfig

    from graphs.state import AgentState

STRATEGIES: dict[str, str] = {
    "all": "graphs.context:AllRounds",
    "last_rounds": "graphs.context:LastRounds",
    "summary": "graphs.summary:Summary",
    "recall": "graphs.recall:Recall",
}
INTERRUPTED = (
    "No result: the run was interrupted before this call's result was recorded, "
    "so it may or may not have run. Check before repeating anything it changes."
)


TAIL_NOTE = "agent_note"  # marks the trailing note in additional_kwargs (never sent; models may skip it)


def tail_note(parts: Sequence[str]) -> SystemMessage:
    """The note after the conversation: a system message marked as ours, so no model reads it as the task."""
    from langchain_core.messages import SystemMessage

    return SystemMessage("\n\n".join(parts), additional_kwargs={TAIL_NOTE: True})


def strategy_class(name: str) -> type[ContextStrategy]:
    """The class registered under ``name``; a ValueError naming the known ones otherwise."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown context strategy {name!r}; known: {', '.join(STRATEGIES)}")
    module, _, attr = STRATEGIES[name].partition(":")
    return getattr(import_module(module), attr)


def count_tokens(messages: Sequence[AnyMessage]) -> int:
    from graphs.estimate import estimate_tokens

    return estimate_tokens(messages) if messages else 0


def split_rounds(messages: Sequence[AnyMessage]) -> list[list[AnyMessage]]:
    """Rounds start at each human message; anything before the first is its own round."""
    starts = [i for i, message in enumerate(messages) if message.type == "human"]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ends = [*starts[1:], len(messages)]
    return [list(messages[a:b]) for a, b in zip(starts, ends, strict=True) if b > a]


def flatten(rounds: Sequence[Sequence[AnyMessage]]) -> list[AnyMessage]:
    return [m for r in rounds for m in r]


def fit_rounds(rounds: list[list[AnyMessage]], budget: int, fixed_tokens: int = 0) -> list[list[AnyMessage]]:
    """Drop the oldest rounds until the prompt fits; the last round always stays."""
    kept = list(rounds)
    while len(kept) > 1 and fixed_tokens + count_tokens(flatten(kept)) > budget:
        kept.pop(0)
    return kept


def _has_open_calls(messages: Sequence[AnyMessage]) -> bool:
    """Whether some tool call is not answered by the tool messages right after its model message."""
    open_ids: set[str] = set()
    for message in messages:
        if message.type == "tool":
            if open_ids:
                open_ids.discard(message.tool_call_id)  # type: ignore[attr-defined]
            continue
        if open_ids:
            return True
        if message.type == "ai" and (calls := getattr(message, "tool_calls", None)):
            open_ids = {c["id"] for c in calls}
    return bool(open_ids)


def close_open_calls(messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    """The prompt with an "outcome unknown" result after every tool call left unanswered.

    A run stopped from outside (Ctrl-C, a killed process) can leave a call
    without its result in the thread; providers refuse such a history.  The
    stored thread keeps what really happened; only the prompt is completed.
    """
    from langchain_core.messages import ToolMessage

    if not _has_open_calls(messages):  # the usual case: one cheap pass, no new list built message by message
        return list(messages)
    out: list[AnyMessage] = []
    open_calls: list[dict] = []

    def close() -> None:
        out.extend(
            ToolMessage(content=INTERRUPTED, tool_call_id=c["id"], name=c["name"], status="error") for c in open_calls
        )
        open_calls.clear()

    for message in messages:
        if message.type == "tool":
            open_calls[:] = [c for c in open_calls if c["id"] != message.tool_call_id]  # type: ignore[attr-defined]
        else:
            close()
            open_calls.extend(getattr(message, "tool_calls", None) or [])
        out.append(message)
    close()
    return out


class ContextStrategy:
    """Every round since the last summary, cut to the budget only when over it (the base behaviour).

    Subclasses change which rounds are kept (:meth:`select`), what the system
    message carries (:meth:`system_notes`), whether the thread needs folding
    (:meth:`compaction`) and what is kept of a finished round (:meth:`remember`).
    """

    name = "base"
    fits = True  # cut the oldest rounds when the prompt passes the budget

    def __init__(self, *, window: int = 32_000, threshold: float = 0.7, rounds: int = 8, **_: Any) -> None:
        self.window, self.threshold, self.rounds = window, threshold, rounds

    @classmethod
    def from_settings(cls, settings: Any, **resources: Any) -> ContextStrategy:
        return cls(window=settings.context_window, threshold=settings.summary_threshold, rounds=settings.context_rounds)

    @property
    def budget(self) -> int:
        return int(self.window * self.threshold)

    @property
    def store(self) -> Any:
        """A LangGraph store the graph must be compiled with, if the strategy keeps one."""
        return None

    def select(self, rounds: list[list[AnyMessage]]) -> list[list[AnyMessage]]:
        return rounds

    def system_notes(self, state: AgentState, config: RunnableConfig, kept: set[str]) -> list[str]:
        return []

    def prompt(
        self, state: AgentState, config: RunnableConfig, system_parts: list[str], tail: Sequence[str] = ()
    ) -> list[AnyMessage]:
        """The system message (the given parts, then this strategy's notes), the rounds kept, then the tail.

        The order is for providers' prompt caches, which reuse the longest prefix a request shares
        with an earlier one: what stays the same from call to call (system prompt, tools, summary)
        comes first; what changes at every step (``tail``: the plan's statuses) comes last, as a
        system note after the conversation (:func:`tail_note`), never as a user message.
        """

        rounds = self.select(split_rounds(state.get("messages", [])[state.get("summary_upto", 0) :]))
        kept = {r[0].id for r in rounds if r and r[0].type == "human" and r[0].id}
        system = self._system_message("\n\n".join([*system_parts, *self.system_notes(state, config, kept)]))
        tail = [*tail, *self.tail_notes(state, config, kept)]
        notes = [tail_note(tail)] if tail else []
        if self.fits:
            rounds = fit_rounds(rounds, self.budget, count_tokens([system, *notes]))
        return [system, *close_open_calls(flatten(rounds)), *notes]

    def _system_message(self, text: str) -> SystemMessage:
        """The head of the prompt, the same object while its text is unchanged (token estimates reuse
        the count of a prompt's unchanged beginning: graphs.estimate)."""
        from langchain_core.messages import SystemMessage

        last = getattr(self, "_system", None)
        if last is None or last.content != text:
            last = self._system = SystemMessage(text)
        return last

    def tail_notes(self, state: AgentState, config: RunnableConfig, kept: set[str]) -> list[str]:
        """What this strategy adds that changes from turn to turn: after the conversation, not in the head."""
        return []

    def compaction(self, state: AgentState, system_parts: list[str]) -> tuple[int, list[AnyMessage]] | None:
        """Where to fold the thread and the request that writes the summary, or None."""
        return None

    def remember(self, state: AgentState, config: RunnableConfig, answer: str) -> None:
        return None


class AllRounds(ContextStrategy):
    """``all``: every round since the last summary, never cut."""

    name = "all"
    fits = False


class LastRounds(ContextStrategy):
    """``last_rounds``: the last N rounds, cut further to the budget if needed."""

    name = "last_rounds"

    def select(self, rounds: list[list[AnyMessage]]) -> list[list[AnyMessage]]:
        return rounds[-self.rounds :]


__all__ = [
    "INTERRUPTED",
    "STRATEGIES",
    "TAIL_NOTE",
    "AllRounds",
    "ContextStrategy",
    "LastRounds",
    "close_open_calls",
    "count_tokens",
    "fit_rounds",
    "flatten",
    "split_rounds",
    "strategy_class",
    "tail_note",
]
