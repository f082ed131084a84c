"""How the SQLite checkpointer commits: atomic and kill-safe without waiting for the disk; the ledger still waits."""

from __future__ import annotations

import sqlite3

from graphs.ledger import SqlLedger
from graphs.memory import open_checkpointer
from graphs.saver_target import target_of

NORMAL, FULL = 1, 2  # PRAGMA synchronous values


def test_the_saver_commits_in_wal_mode_without_a_disk_wait(tmp_path):
    saver = open_checkpointer(str(tmp_path / "c.sqlite"))
    try:
        assert saver.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        assert saver.conn.execute("PRAGMA synchronous").fetchone()[0] == NORMAL
    finally:
        saver.conn.close()


def test_the_ledger_keeps_full_commits(tmp_path):
    saver = open_checkpointer(str(tmp_path / "c.sqlite"))
    try:
        ledger = SqlLedger(target_of(saver))
        conn = ledger._connect()
        try:
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == FULL
        finally:
            conn.close()
        ledger.start("t", "call-1", "db_execute", {"sql": "DELETE FROM x"})
        assert ledger.entry("t", "call-1").status == "started"
    finally:
        saver.conn.close()


def test_a_file_not_in_wal_mode_keeps_full_commits(tmp_path):
    from graphs.memory import _commit_without_sync

    conn = sqlite3.connect(tmp_path / "rollback.sqlite")
    try:
        assert conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0].lower() == "delete"
        _commit_without_sync(conn)  # NORMAL without WAL could corrupt the file on a power loss: left alone
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == FULL
    finally:
        conn.close()


def test_postgres_checkpoints_commit_without_a_flush_wait_and_the_ledger_keeps_it(pg_database):
    saver = open_checkpointer(pg_database)
    try:
        with saver.conn.connection() as conn:
            assert conn.execute("SHOW synchronous_commit").fetchone()["synchronous_commit"] == "off"
        ledger = SqlLedger(target_of(saver))
        conn = ledger._connect()
        try:
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
        finally:
            conn.close()
    finally:
        saver.conn.close()
