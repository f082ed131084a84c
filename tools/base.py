"""What every tool is made of: an input model, a pure function, an output model.

A :class:`ToolSpec` is the single description of a tool.  The LangChain tool
the graph binds and the MCP tool our servers publish are both generated from
it, so the schema a model reads, the validation the graph runs and the
annotations an MCP client sees cannot drift apart.

Tool functions signal refusal with :class:`ToolError` (a message that tells
the caller what to do next); everything else that escapes a tool is a bug and
is reported as an ``internal`` error rather than crashing the run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

ErrorCode = Literal[
    "invalid_input",  # the arguments are wrong: fix them and call again
    "too_large",  # the input or the result passes a size bound
    "timeout",  # the work passed its time limit
    "unavailable",  # a dependency (network, database) cannot be reached
    "refused",  # the request is not allowed (e.g. a write on a read-only database)
    "not_found",  # the named object does not exist
    "internal",  # a bug in the tool; the message says what happened
]

log = logging.getLogger(__name__)

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


class ToolError(Exception):
    """A tool refused its input or could not finish; ``str(err)`` is for the model."""

    def __init__(self, message: str, *, code: ErrorCode = "invalid_input") -> None:
        super().__init__(message)
        self.code: ErrorCode = code

    @property
    def message(self) -> str:
        return str(self.args[0])

    def to_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, "message": self.message}

    def __reduce__(self):  # keeps ``code`` across process boundaries
        return (_rebuild_tool_error, (self.message, self.code))


def _rebuild_tool_error(message: str, code: ErrorCode) -> ToolError:
    return ToolError(message, code=code)


@dataclass(frozen=True)
class ToolHints:
    """A tool's policy, typed once: what it does to the world, how long it may take, what it is called.

    The same hints become MCP annotations on our servers, LangChain tool metadata
    for the graph (:meth:`to_metadata` / :func:`hints_of`), and are read back from
    an MCP server's annotations by our client.
    """

    read_only: bool = True
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False
    timeout: float | None = None  # seconds the graph waits for one call; None: the run's default
    title: str | None = None

    @property
    def needs_approval(self) -> bool:
        """Destructive and not read-only: a person approves each call (annotations are only hints)."""
        return self.destructive and not self.read_only

    def to_metadata(self) -> dict[str, Any]:
        return {
            "read_only": self.read_only,
            "destructive": self.destructive,
            "idempotent": self.idempotent,
            "open_world": self.open_world,
            "timeout": self.timeout,
            "title": self.title,
        }

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any] | None) -> ToolHints:
        """Hints from LangChain tool metadata; a tool with none is taken as read-only, like plain functions."""
        data = metadata or {}
        destructive = bool(data.get("destructive"))
        timeout = data.get("timeout")
        return cls(
            read_only=bool(data.get("read_only", not destructive)),
            destructive=destructive,
            idempotent=bool(data.get("idempotent", not destructive)),
            open_world=bool(data.get("open_world", False)),
            timeout=float(timeout) if timeout else None,
            title=data.get("title"),
        )


_HINTS: dict[int, tuple[dict[str, Any], dict[str, Any], ToolHints]] = {}  # id(metadata) -> (it, a copy, hints)
_HINTS_KEPT = 512
_NO_HINTS = ToolHints.from_metadata(None)  # a tool without metadata (frozen, so shared)


def hints_of(tool: Any) -> ToolHints:
    """The hints of a LangChain tool (read from its metadata).

    Asked several times per call (timeout, approval), so the reading is kept per
    metadata dict (held, so its id stays its own) for as long as the dict is unchanged.
    """
    metadata = getattr(tool, "metadata", None)
    if not metadata:
        return _NO_HINTS
    if not isinstance(metadata, dict):
        return ToolHints.from_metadata(metadata)
    kept = _HINTS.get(id(metadata))
    if kept is not None and kept[0] is metadata and kept[1] == metadata:
        return kept[2]
    hints = ToolHints.from_metadata(metadata)
    if len(_HINTS) >= _HINTS_KEPT:
        _HINTS.clear()
    _HINTS[id(metadata)] = (metadata, dict(metadata), hints)
    return hints


def describe_validation_error(err: ValidationError, template: str = "{where}: {msg}", whole: str = "arguments") -> str:
    """One line per problem, naming the field: what a person or a model needs to fix."""
    lines = []
    for problem in err.errors(include_url=False):
        where = ".".join(str(p) for p in problem["loc"]) or whole
        lines.append(template.format(where=where, msg=problem["msg"]))
    return "; ".join(lines)


@dataclass(frozen=True)
class ToolSpec(Generic[In, Out]):
    """One tool: name, description, typed input and output, the function, its hints."""

    name: str
    description: str
    input_model: type[In]
    output_model: type[Out]
    func: Callable[[In], Out]
    hints: ToolHints = field(default_factory=ToolHints)

    def parse(self, arguments: dict[str, Any]) -> In:
        """Validate raw arguments against the input model, as a :class:`ToolError`."""
        try:
            return self.input_model.model_validate(arguments)
        except ValidationError as err:
            raise ToolError(f"invalid arguments for {self.name}: {describe_validation_error(err)}") from None

    def call(self, arguments: dict[str, Any]) -> Out:
        """Parse and run. Raises :class:`ToolError` only, whatever went wrong."""
        parsed = self.parse(arguments)
        try:
            return self.func(parsed)
        except ToolError:
            raise
        except Exception:  # a bug: logged with its traceback, reported without internal detail
            log.exception("tool %s failed unexpectedly", self.name)
            raise ToolError(
                f"{self.name} failed with an internal error (logged for the developers); "
                "try other arguments or another way",
                code="internal",
            ) from None

    def run(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Like :meth:`call` but never raises: a JSON-ready dict, ``ok`` tells which."""
        try:
            return {"ok": True, **self.call(arguments).model_dump(mode="json")}
        except ToolError as err:
            return err.to_dict()

    def as_langchain(self) -> BaseTool:
        """The LangChain tool the graph binds: JSON content, the dict as artifact."""
        from langchain_core.tools import StructuredTool, ToolException

        def invoke(**kwargs: Any) -> tuple[str, dict[str, Any]]:
            try:
                data = self.call(kwargs).model_dump(mode="json")
            except ToolError as err:
                raise ToolException(json.dumps(err.to_dict(), ensure_ascii=False)) from None
            return json.dumps(data, ensure_ascii=False), data

        invoke.__annotations__ = {}  # LangChain evaluates a tool function's type hints (strings here) at every call
        return StructuredTool.from_function(
            func=invoke,
            name=self.name,
            description=self.description,
            args_schema=self.input_model,
            infer_schema=False,
            response_format="content_and_artifact",
            handle_tool_error=True,
            handle_validation_error=lambda err: json.dumps(
                ToolError(f"invalid arguments for {self.name}: {describe_validation_error(err)}").to_dict()
            ),
            metadata=self.hints.to_metadata(),
        )


__all__ = ["ErrorCode", "ToolError", "ToolHints", "ToolSpec", "describe_validation_error", "hints_of"]
