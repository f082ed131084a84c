"""LangSmith tracing, when the user turns it on (``LANGSMITH_TRACING=true``).

LangChain would trace by itself; we hand it our own client so that (1) no
secret we know of reaches LangSmith, and (2) an unreachable endpoint costs a
second at exit, not the default retries' dozen.

Scrubbing uses two of the client's own hooks: the anonymizer (inputs, outputs,
metadata and errors, before anything is queued) and ``process_buffered_run_ops``,
which sees every whole run dict about to be sent, created or updated, so that
fields no anonymizer covers (``serialized`` model parameters such as a base URL
with a password, ``events``, ``extra``) are scrubbed too.
Every run carries the thread id and the task as metadata (see the runner).
"""

from __future__ import annotations

import os
from typing import Any

from tools.redact import redact

RETRIES = 1
TIMEOUT_MS = (2000, 5000)  # connect, read


def tracing_enabled() -> bool:
    return any(os.environ.get(name, "").lower() == "true" for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"))


def scrubber(secrets: list[str]) -> Any:
    """A LangSmith anonymizer replacing each known secret, and URL passwords, in any string of a payload."""

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, secrets)
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [scrub(v) for v in value]
        return value

    return scrub


def run_ops_scrubber(secrets: list[str]) -> Any:
    """The ``process_buffered_run_ops`` hook: every field of every run, scrubbed, ids kept."""
    scrub = scrubber(secrets)

    def process(runs: Any) -> list[dict[str, Any]]:
        return [
            {key: value if key in ("id", "trace_id") else scrub(value) for key, value in run.items()} for run in runs
        ]

    return process


def tracing_callbacks(settings: Any) -> list[Any]:
    """A LangChain tracer with our client, or nothing when tracing is off."""
    if not tracing_enabled():
        return []
    from langchain_core.tracers.langchain import LangChainTracer
    from langsmith import Client
    from urllib3.util.retry import Retry

    from agent.config_view import secret_values

    secrets = secret_values(settings)
    client = Client(
        retry_config=Retry(total=RETRIES, backoff_factor=0.2, allowed_methods=None),
        timeout_ms=TIMEOUT_MS,
        anonymizer=scrubber(secrets),
        process_buffered_run_ops=run_ops_scrubber(secrets),
        run_ops_buffer_size=1,  # scrub and send each run at once, not in batches
    )
    return [LangChainTracer(client=client)]


__all__ = ["run_ops_scrubber", "scrubber", "tracing_callbacks", "tracing_enabled"]
