"""Checkpointers and stores from one URL setting.

``memory:`` keeps threads in this process; a SQLite path (the default, a file
in ``AGENT_HOME``) keeps them across processes on one machine;
``postgresql://...`` lets several processes or hosts share them.

The savers returned here work under both ``invoke`` and ``ainvoke``: the
SQLite and PostgreSQL savers of LangGraph are either sync or async, so their
sync versions get async methods that run them on a worker thread.  A service
with many concurrent runs on PostgreSQL may pass LangGraph's
``AsyncPostgresSaver`` to ``build_agent`` instead.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.store.base import BaseStore


class ThreadedAsync:
    """Async methods for a sync saver, each running the sync one on a thread; compact channel versions.

    LangGraph's SQL savers write versions as 32 digits, a dot and a random fraction
    (``00000000000000000000000000000021.0.7686107574933373``), and every checkpoint
    repeats one per channel and per node that saw it: about a kilobyte a step.
    Ten digits order the same way, compare greater than the long form of any
    earlier version (so threads written before keep working), and parse the same.
    """

    def get_next_version(self, current: str | int | None, channel: None) -> str:
        if current is None:
            number = 0
        elif isinstance(current, int):
            number = current
        else:
            number = int(current.split(".")[0])
        return f"{number + 1:010}"

    async def aget_tuple(self, config):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(self.get_tuple, config)  # type: ignore[attr-defined]

    async def alist(self, config, *, filter=None, before=None, limit=None) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
        items = await asyncio.to_thread(
            lambda: list(self.list(config, filter=filter, before=before, limit=limit))  # type: ignore[attr-defined]
        )
        for item in items:
            yield item

    async def aput(self, config, checkpoint, metadata, new_versions):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)  # type: ignore[attr-defined]

    async def aput_writes(self, config, writes, task_id, task_path=""):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)  # type: ignore[attr-defined]

    async def adelete_thread(self, thread_id: str) -> None:
        return await asyncio.to_thread(self.delete_thread, thread_id)  # type: ignore[attr-defined]

    async def aget_delta_channel_history(self, *, config, channels: Sequence[str]):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(
            lambda: self.get_delta_channel_history(config=config, channels=channels)  # type: ignore[attr-defined]
        )


class ThreadedSqliteSaver(ThreadedAsync, SqliteSaver):
    """LangGraph's SqliteSaver, usable from ``ainvoke`` too."""


@cache
def _threaded_postgres_saver() -> type:
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError:
        raise CheckpointerError("a PostgreSQL URL needs the 'postgres' extra: pip install -e '.[postgres]'") from None

    class ThreadedPostgresSaver(ThreadedAsync, PostgresSaver):
        """LangGraph's PostgresSaver, usable from ``ainvoke`` too."""

    return ThreadedPostgresSaver


class CheckpointerError(ValueError):
    """The checkpointer URL cannot be used; the message says what to write instead."""


FORMS = "memory:, a SQLite path or sqlite:///PATH, or postgresql://USER@HOST/DB"


def _sqlite_path(url: str) -> Path:
    """The file a SQLite URL or plain path names; any other scheme is refused (no ``./bogus:/x`` files)."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
    elif url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:")
    elif "://" in url or (":" in url.split("/")[0] and len(url.split(":")[0]) > 1):
        scheme = url.split(":", 1)[0]
        raise CheckpointerError(f"unknown scheme {scheme!r}: use {FORMS}")
    else:
        path = url
    if not path.strip():
        raise CheckpointerError(f"no file named: use {FORMS}")
    return Path(path).expanduser()


def _sqlite_connection(url: str, **options: Any) -> sqlite3.Connection:
    path = _sqlite_path(url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(str(path), check_same_thread=False, **options)
    except (OSError, sqlite3.Error) as err:
        raise CheckpointerError(f"cannot open the SQLite file {path}: {err}") from None


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def _pg_pool(url: str, max_size: int = 8, *, commit_without_flush: bool = False) -> Any:
    try:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool
    except ImportError:  # the optional extra
        raise CheckpointerError("a PostgreSQL URL needs the 'postgres' extra: pip install -e '.[postgres]'") from None
    import psycopg

    url = url.replace("postgresql+psycopg://", "postgresql://")
    try:  # one plain connection first: a clear error instead of a pool retrying in the background
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as err:
        where = urlsplit(url)
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointerError(
            f"cannot connect to PostgreSQL at {where.hostname}:{where.port or 5432}{where.path}: {reason}"
        ) from None
    return ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        open=True,
        timeout=10,
        kwargs={
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            "connect_timeout": 5,
            **({"options": "-c synchronous_commit=off"} if commit_without_flush else {}),
        },
    )


def open_checkpointer(url: str) -> BaseCheckpointSaver:
    """A saver for ``memory:``, a SQLite path / ``sqlite:///`` URL, or ``postgresql://``."""
    if url in ("memory", "memory:", ":memory:"):
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()
    if is_postgres(url):
        saver = _threaded_postgres_saver()(_pg_pool(url, commit_without_flush=True))
        saver.setup()
        return saver
    saver = ThreadedSqliteSaver(_sqlite_connection(url))
    try:
        saver.setup()
        _commit_without_sync(saver.conn)
    except sqlite3.Error as err:  # not a database, read-only, locked for good
        raise CheckpointerError(f"cannot use {_sqlite_path(url)} as a checkpoint database: {err}") from None
    return saver


# PostgreSQL's counterpart of SQLite's NORMAL (below): ``synchronous_commit=off`` on the saver's
# connections.  A commit is atomic and visible at once and survives this process being killed; only a
# crash of the server itself may lose the last fraction of a second of steps (never corrupting anything).
# The ledger and the run locks' holder rows use their own connections; the ledger keeps the server's
# setting, and its flush makes every earlier step durable too.


def _commit_without_sync(conn: sqlite3.Connection) -> None:
    """``synchronous=NORMAL`` on the saver's connection, when the file is in WAL mode (``setup`` asks for it).

    Every step commits a checkpoint and its writes, and with SQLite's default (``FULL``)
    each commit waits for the disk: that wait was most of a run's time.  In WAL mode,
    ``NORMAL`` keeps every commit atomic and durable when the process is killed (the
    crash-resume promise) and the file consistent through a power loss, which may
    only lose the last steps.  The destructive-call ledger has its own connection and
    keeps ``FULL``: its commit also makes every earlier step's commit durable.
    """
    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        conn.execute("PRAGMA synchronous=NORMAL")


def open_store(url: str, index: dict[str, Any] | None = None) -> BaseStore:
    """A store beside the checkpointer, for recall. ``index`` only where the store can embed."""
    if url in ("memory", "memory:", ":memory:"):
        from langgraph.store.memory import InMemoryStore

        return InMemoryStore(index=index)  # type: ignore[arg-type]
    if is_postgres(url):
        from langgraph.store.postgres import PostgresStore

        store = PostgresStore(_pg_pool(url))  # no pgvector needed: recall ranks itself
        store.setup()
        return store
    from langgraph.store.sqlite import SqliteStore

    store = SqliteStore(_sqlite_connection(url, isolation_level=None))
    store.setup()
    return store


def delete_checkpoints_after(saver: BaseCheckpointSaver, thread_id: str, checkpoint_id: str | None) -> None:
    """Remove the checkpoints (and their writes) a thread gained after ``checkpoint_id``: a rolled-back run.

    ``None`` means the thread had none before: it is emptied.  Checkpoint ids are
    time-ordered (uuid6), so "after" is a comparison of ids.
    """
    if checkpoint_id is None:
        saver.delete_thread(thread_id)
        return
    from langgraph.checkpoint.memory import InMemorySaver

    if isinstance(saver, InMemorySaver):
        for namespace in saver.storage.get(thread_id, {}).values():
            for key in [k for k in namespace if k > checkpoint_id]:
                del namespace[key]
        for key in [k for k in saver.writes if k[0] == thread_id and k[2] > checkpoint_id]:
            del saver.writes[key]
        return
    postgres = is_postgres_saver(saver)
    tables, mark = (("checkpoints", "checkpoint_writes"), "%s") if postgres else (("checkpoints", "writes"), "?")
    opened = saver._cursor() if postgres else saver.cursor()  # type: ignore[attr-defined]  # the savers' own
    with opened as cur:
        for table in tables:
            cur.execute(
                f"DELETE FROM {table} WHERE thread_id = {mark} AND checkpoint_id > {mark}", (thread_id, checkpoint_id)
            )


def is_postgres_saver(saver: Any) -> bool:
    return any(base.__module__.startswith("langgraph.checkpoint.postgres") for base in type(saver).__mro__)


__all__ = [
    "CheckpointerError",
    "delete_checkpoints_after",
    "is_postgres_saver",
    "ThreadedAsync",
    "ThreadedSqliteSaver",
    "is_postgres",
    "open_checkpointer",
    "open_store",
]
