"""The agent's state: messages, plan, run statistics, summary, stop reason.

Messages live in a ``DeltaChannel``: a checkpoint stores only the messages a
step added, with a full snapshot every ``SNAPSHOT_EVERY`` updates, so a
thread's storage grows with the conversation instead of with its square
(LangGraph's default channel stores the whole list again at every step).
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Literal, NotRequired

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage
from langchain_core.messages.utils import convert_to_messages, message_chunk_to_message
from langgraph.channels import DeltaChannel, EphemeralValue
from langgraph.graph.message import add_messages
from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic (JSON schemas of the state) needs this one before 3.12

# A full copy of the history every this many updates bounds the replay on load; snapshots cost the
# history's size each, so rarer ones keep storage linear (folding a replay is linear: fold_messages).
SNAPSHOT_EVERY = 1000


_IDS = uuid.UUID("6f1c2a52-3b7e-4e0a-9c41-0d6a8f5e2b17")
_ID = operator.attrgetter("id")
_WHOLE = frozenset({AIMessage, HumanMessage, SystemMessage, ToolMessage})  # exact types: no chunk, no subclass


def _with_ids(messages: list[AnyMessage], batch: Any) -> list[Any]:
    """The batch as messages, each with an id (derived from where it lands when missing), chunks made whole.

    ``add_messages`` would give a random id, and a ``DeltaChannel`` replays the
    writes at every load: a message stored without an id would get a new one
    each time, and replacing or recalling it by id would silently fail.
    """
    raw = batch if isinstance(batch, list) else [batch]
    whole = all(type(m) in _WHOLE for m in raw)  # the usual batch: messages our nodes made, nothing to convert
    items = raw if whole else convert_to_messages(raw)
    with_ids = [
        m if m.id else m.model_copy(update={"id": str(uuid.uuid5(_IDS, f"{len(messages)}:{i}:{m.type}:{m.text}"))})
        for i, m in enumerate(items)
    ]
    return with_ids if whole else [message_chunk_to_message(m) for m in with_ids]


def fold_messages(messages: list[AnyMessage], batches: Sequence[Any]) -> list[AnyMessage]:
    """``add_messages`` over a batch of writes; folding makes it batching-invariant.

    Linear in the history: a batch of new messages (the usual case) is appended, and
    ``add_messages`` (a pass over the whole list) only runs for a batch that replaces
    or removes messages.  Replaying a thread of N messages stays O(N), not O(N * writes).
    """
    out = list(messages)
    seen = set(map(_ID, out))
    for batch in batches:
        items = _with_ids(out, batch)
        if any(isinstance(m, RemoveMessage) or m.id in seen for m in items):
            out = add_messages(out, items)
            seen = set(map(_ID, out))
        else:
            out.extend(items)
            seen.update(map(_ID, items))
    return out


StepStatus = Literal["pending", "done", "failed", "skipped"]


class PlanStep(BaseModel):
    """One step of a plan, as the model states it."""

    description: str = Field(description="What this step does, in one short sentence.")
    tool: str | None = Field(default=None, description="The tool this step expects to use, if any.")
    status: StepStatus = Field(default="pending", description="Filled in by the agent; leave as pending.")


class Plan(BaseModel):
    """A short plan for a multi-step task: two to six steps, in order."""

    steps: list[PlanStep] = Field(description="The steps, in the order they should run.", max_length=12)


class StepState(TypedDict):
    """A plan step as stored in the state (plain data, so checkpoints stay portable)."""

    description: str
    tool: str | None
    status: StepStatus


class ThreadUsage(TypedDict, total=False):
    """Sums over finished runs of a thread (``agent threads show ID --usage``)."""

    runs: int
    model_calls: int
    tool_calls: int
    input_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost: float
    cost_estimated: bool


class RunStats(TypedDict, total=False):
    """Counters of the current run (reset when a new task arrives); tool counts come from the tool log."""

    started_at: float
    task: str | None  # id of the user message this run serves (a new one starts a new run)
    model_calls: int
    repeats: int
    validation_retries: int
    input_tokens: int
    output_tokens: int
    cost: float
    replans: int
    cut_by: str  # the first bound that refused a call the model asked for
    degraded: int  # steps (plan, compact, finish) that went without the model after a provider error
    fallback_calls: int  # model calls the fallback model answered
    # Token details (graphs.usage): input_tokens counts the whole prompt, cached and written included;
    # output_tokens includes reasoning.
    cached_tokens: int  # input served from the provider's prompt cache
    cache_write_tokens: int  # input written into an explicit cache
    reasoning_tokens: int
    cost_estimated: bool  # some call was priced from the built-in table, not configured prices
    ttft_ms: list[int]  # time to the first token of each timed model call, in order (at most 200 kept)
    model_ms: int  # milliseconds the timed model calls took, first-token wait included
    timed_output_tokens: int  # output tokens of those calls (tokens per second = these / model_ms)
    thread: ThreadUsage  # the thread's earlier runs, summed when this run began


class ToolRecord(TypedDict):
    """One tool call of the run, as reported to callers (``--json``).

    ``approved`` is there for calls that needed approval: False for a denied call, which did not run.
    """

    id: str
    name: str
    args: dict[str, Any]
    ok: bool
    approved: NotRequired[bool]


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], DeltaChannel(fold_messages, snapshot_frequency=SNAPSHOT_EVERY)]
    plan: list[StepState]
    stats: RunStats
    tool_log: list[ToolRecord]
    summary: str
    summary_upto: int  # messages before this index are covered by ``summary``
    stop_reason: str | None
    # The run's answer: in the state the run ends with (and the output of invoke), gone at the next
    # step; it is also the last model message, so checkpoints need not carry it run after run.
    answer: Annotated[str, EphemeralValue(str)]
    error: str  # what failed, in one line, when the model could not be reached


class AgentInput(TypedDict, total=False):
    messages: list[AnyMessage] | list[dict[str, Any]] | str


__all__ = [
    "SNAPSHOT_EVERY",
    "AgentInput",
    "AgentState",
    "Plan",
    "PlanStep",
    "RunStats",
    "StepState",
    "ThreadUsage",
    "ToolRecord",
    "fold_messages",
]
