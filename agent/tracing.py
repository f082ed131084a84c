"""LangSmith tracing, when the user turns it on (``LANGSMITH_TRACING=true``).

LangChain would trace by itself; we hand it our own client so that (1) no
secret we know of reaches a payload (an anonymizer scrubs them), and (2) an
unreachable endpoint costs a second at exit, not the default retries' dozen.
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
    )
    return [LangChainTracer(client=client)]


__all__ = ["scrubber", "tracing_callbacks", "tracing_enabled"]
