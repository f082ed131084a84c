"""Temporary PostgreSQL databases on the local server, created for a benchmark and dropped after it.

The server is ``BENCH_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``,
trust authentication).  When it cannot be reached, or psycopg is missing, the
PostgreSQL cases are skipped with the reason; the URL is never printed with a
password.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

ADMIN_URL = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
_reason: list[str | None] = []


def _where(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}"


def unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can (asked once per run)."""
    if _reason:
        return _reason[0]
    try:
        import psycopg
    except ImportError:
        reason: str | None = "psycopg is not installed: pip install -e '.[bench]'"
    else:
        try:
            with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            reason = None
        except psycopg.Error as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            reason = f"PostgreSQL is not reachable at {_where(ADMIN_URL)}: {first}"
    if reason is None:
        try:
            import langgraph.checkpoint.postgres  # noqa: F401
        except ImportError:
            reason = "langgraph-checkpoint-postgres is not installed: pip install -e '.[bench]'"
    _reason.append(reason)
    return reason


@contextlib.contextmanager
def temporary_database(label: str) -> Iterator[str]:
    """A new empty database; yields its URL and drops it (closing any connection left) afterwards."""
    import psycopg

    name = f"bench_{label}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = ADMIN_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_bytes(url: str) -> int:
    """Bytes of every table in the database's public schema, indexes and TOAST included."""
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ).fetchone()
    return int(row[0]) if row else 0


__all__ = ["ADMIN_URL", "database_bytes", "temporary_database", "unavailable"]
