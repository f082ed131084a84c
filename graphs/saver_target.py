"""Where a checkpointer keeps its threads, so that run locks and the call ledger can sit beside it.

A SQLite saver names a file (its locks are files beside it, its ledger a table
in it); a PostgreSQL saver names a server (advisory locks and a table there);
anything else keeps threads in this process only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SaverTarget:
    kind: Literal["sqlite", "postgres", "process"]
    location: str = ""  # the SQLite file, or the PostgreSQL conninfo (it may hold a password: never print it)


def _sqlite_file(conn: Any) -> str:
    for _, name, path in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(path or "")
    return ""


def _postgres_conninfo(conn: Any) -> str:
    if hasattr(conn, "conninfo"):  # a psycopg_pool pool
        return str(conn.conninfo)
    from psycopg.conninfo import make_conninfo

    info = conn.info
    return make_conninfo(info.dsn, password=info.password) if info.password else info.dsn


def _family(saver: Any) -> str:
    """``sqlite``, ``postgres``, ``memory`` or ``other``, from the LangGraph package the saver comes from."""
    for base in type(saver).__mro__:
        for family in ("sqlite", "postgres", "memory"):
            if base.__module__.startswith(f"langgraph.checkpoint.{family}"):
                return family
    return "other"


def target_of(saver: Any) -> SaverTarget:
    """The target of a LangGraph saver; ``process`` for in-memory and unknown savers."""
    family, conn = _family(saver), getattr(saver, "conn", None)
    try:
        if family == "sqlite" and conn is not None and (path := _sqlite_file(conn)):
            return SaverTarget("sqlite", path)
        if family == "postgres" and conn is not None:
            return SaverTarget("postgres", _postgres_conninfo(conn))
    except Exception:  # noqa: BLE001 - an unusual saver: fall back to this process, loudly
        log.warning(
            "cannot tell where %s keeps threads: runs are serialised in this process only",
            type(saver).__name__,
            exc_info=True,
        )
        return SaverTarget("process")
    if saver is not None and family not in ("memory", "sqlite"):
        log.warning(
            "%s is neither SQLite nor PostgreSQL: runs on one thread are serialised in this process only",
            type(saver).__name__,
        )
    return SaverTarget("process")


__all__ = ["SaverTarget", "target_of"]
