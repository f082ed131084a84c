"""LangGraph's own checkpointers, opened as its documentation shows (no wrapper of ours).

SQLite: ``SqliteSaver`` on a ``sqlite3`` connection to a file; PostgreSQL:
``PostgresSaver.from_conn_string`` then ``setup()``.  The exit stack closes them.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from bench.anchors import need


def open_saver(kind: str, stack: contextlib.ExitStack, *, path: Path | None = None, url: str | None = None) -> Any:
    """``None`` for ``none``; a SQLite saver on ``path``; a PostgreSQL saver on ``url``."""
    if kind == "none":
        return None
    if kind == "sqlite":
        import sqlite3

        from langgraph.checkpoint.sqlite import SqliteSaver

        assert path is not None
        conn = sqlite3.connect(str(path), check_same_thread=False)
        stack.callback(conn.close)
        return SqliteSaver(conn)
    if kind == "postgres":
        postgres = need("langgraph.checkpoint.postgres")
        assert url is not None
        saver = stack.enter_context(postgres.PostgresSaver.from_conn_string(url))
        saver.setup()
        return saver
    raise ValueError(f"unknown checkpointer kind {kind!r}: none, sqlite or postgres")


__all__ = ["open_saver"]
