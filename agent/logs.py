"""Where the CLI's log records go: one plain line on stderr, the whole record in a file.

A warning or error reaches the terminal as ``agent: warning: <message>`` with no
traceback; the traceback, and INFO records, go to ``AGENT_HOME/logs/agent.log``
so that nothing fails silently and the terminal stays readable.  Secrets are
masked by the code that logs (URLs are logged masked), and once more here.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("agent", "graphs", "tools", "mcp_servers")
# Warnings the terminal renderer shows as events of the run (graphs.nodes: ``fallback``, ``degraded``).
SHOWN_AS_EVENTS = (
    "the model at %s failed (%s); the fallback model at %s answers",
    "the %s step went without the model",
)
_FILE_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


class OneLine(logging.Formatter):
    """``agent: warning: message``; the traceback is left to the log file."""

    def format(self, record: logging.LogRecord) -> str:
        from tools.redact import redact

        text = " ".join(record.getMessage().split())
        return f"agent: {record.levelname.lower()}: {redact(text, ())}"


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (tests and the terminal renderer replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def _attach(handler: logging.Handler) -> None:
    """Add ``handler`` to each package logger, replacing one of the same kind (the CLI may run twice)."""
    for name in PACKAGES:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if type(h) is type(handler)]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)


def configure_stderr(level: int = logging.WARNING) -> None:
    """One-line warnings on stderr for our packages (called first thing by the CLI)."""
    handler = _Stderr()
    handler.setFormatter(OneLine())
    handler.setLevel(level)
    _attach(handler)
    for name in PACKAGES:
        logging.getLogger(name).setLevel(logging.INFO)
        logging.getLogger(name).propagate = False


class _ShownAsEvents(logging.Filter):
    """Keeps off stderr the warnings a renderer already shows; the log file still gets them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(SHOWN_AS_EVENTS))


@contextlib.contextmanager
def events_on_stdout() -> Iterator[None]:
    """While a renderer shows the run's fallback and degraded events, stderr does not repeat them."""
    handlers = {h for name in PACKAGES for h in logging.getLogger(name).handlers if isinstance(h, _Stderr)}
    shown = _ShownAsEvents()
    for handler in handlers:
        handler.addFilter(shown)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(shown)


def configure_file(home: Path) -> Path | None:
    """Also keep every record, with tracebacks, in ``home/logs/agent.log``; None if it cannot be written."""
    path = home / "logs" / "agent.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(_FILE_FORMAT))
    handler.setLevel(logging.INFO)
    _attach(handler)
    return path


__all__ = ["OneLine", "configure_file", "configure_stderr", "events_on_stdout"]
