"""SQLite statements that one virtual-machine step, one huge value or one big sort would let escape.

The red team's reproductions run against the real backend in real worker
processes: each must end quickly with ``timeout`` or ``too_large`` (or a cut
result) while the worker stays inside its memory bound, writes no temporary
files, and the test process itself never sees the data.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import time

import pytest
from sqlite_helpers import backend, private_sandbox, snapshot, status

from tools.base import ToolError
from tools.db.sqlite import HARD_MARGIN
from tools.db.sqlite_conn import HEAP_LIMIT_BYTES, MAX_VALUE_BYTES
from tools.db.sqlite_worker import RESULT_BYTE_BUDGET
from tools.sample_db import ensure_sample_database

INSTR = "SELECT instr(printf('%.*c', 3000000, 'a'), printf('%.*c', 1500000, 'a') || 'b')"
NUMBERS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {n}) "
WORKER_PEAK_BOUND_KIB = (HEAP_LIMIT_BYTES // 1024) * 2 + 64 * 1024  # SQLite's heap, Python's copies, the interpreter
PARENT_GROWTH_BOUND_KIB = 64 * 1024


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return ensure_sample_database(tmp_path_factory.mktemp("limits") / "music.sqlite")


@pytest.fixture(scope="module")
def box():
    sandbox = private_sandbox()
    yield sandbox
    sandbox.close()


def _refused(b, sql: str) -> ToolError:
    with pytest.raises(ToolError) as err:
        b.query(sql, None, 10)
    return err.value


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_one_endless_step_is_stopped_by_killing_its_worker(db, box):
    """instr() on two long strings is one VM step that ran 54 s; the progress handler never gets a look."""
    b = backend(db, box, timeout=1.0)
    worker = status(box)["pid"]  # the idle worker the query will run in
    started = time.monotonic()
    err = _refused(b, INSTR)
    elapsed = time.monotonic() - started
    assert err.code in ("timeout", "too_large"), err
    assert "1 s" in err.message or "MiB" in err.message
    assert elapsed < 1.0 + HARD_MARGIN + 5.0  # generous for a loaded machine; the step alone runs for minutes
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
    assert b.query("SELECT count(*) FROM Artist", None, 1).rows == [[275]]  # a fresh worker answers the next call


def test_a_row_of_huge_zeroblobs_is_refused_within_the_memory_bound(db, box):
    b = backend(db, box)
    parent_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before = status(box)
    too_long = _refused(b, "SELECT " + ", ".join(["zeroblob(40000000)"] * 28))  # peaked at 2 GB before
    assert too_long.code == "too_large" and f"{MAX_VALUE_BYTES // 2**20} MiB" in too_long.message
    too_many = _refused(b, "SELECT " + ", ".join(["zeroblob(4000000)"] * 200))  # each under the value limit: 800 MB
    assert too_many.code == "too_large" and "memory" in too_many.message
    after = status(box)
    assert after["pid"] == before["pid"]  # refused by SQLite's limits, not by killing the worker
    assert after["peak_rss_kib"] < WORKER_PEAK_BOUND_KIB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - parent_before < PARENT_GROWTH_BOUND_KIB


@pytest.mark.parametrize(
    "sql",
    [
        NUMBERS.format(n=40) + "SELECT zeroblob(40000000) AS b FROM n ORDER BY random()",  # wrote 3 GB of temp files
        NUMBERS.format(n=400) + "SELECT zeroblob(4000000) || x AS b FROM n ORDER BY random()",
        "SELECT * FROM Track ORDER BY randomblob(1000000)",
    ],
    ids=["40-blobs-of-40MB", "400-blobs-of-4MB", "3500-blobs-of-1MB"],
)
def test_sorting_huge_blobs_is_refused_without_temporary_files(db, box, sql):
    b = backend(db, box)
    before = status(box)
    started = time.monotonic()
    err = _refused(b, sql)
    assert err.code == "too_large", err
    assert time.monotonic() - started < 5.0 + HARD_MARGIN + 5.0
    after = status(box)
    assert after["pid"] == before["pid"]
    assert after["peak_rss_kib"] < WORKER_PEAK_BOUND_KIB
    if before["written_bytes"] >= 0:  # Linux: what the worker wrote, files and sockets alike
        assert after["written_bytes"] - before["written_bytes"] < 1024 * 1024


def test_sqlite_limits_refuse_oversized_statements(db, box):
    b = backend(db, box)
    assert b.query("SELECT printf('%.*c', 5000000, 'a') IS NULL", None, 1).rows == [[1]]  # past the limit: NULL
    assert _refused(b, "SELECT zeroblob(5000000)").code == "too_large"
    assert _refused(b, "SELECT randomblob(5000000)").code == "too_large"
    for sql, word in [
        ("SELECT " + "1 + " * 300 + "1", "nested"),
        (" UNION ALL ".join(["SELECT 1"] * 60), "UNION"),
        ("SELECT " + ", ".join(["1"] * 1001), "columns"),
        ("SELECT 'a' LIKE '" + "%a" * 600 + "'", "LIKE"),
        ("SELECT coalesce(" + ", ".join(["1"] * 101) + ")", "arguments"),
    ]:
        err = _refused(b, sql)
        assert err.code == "too_large" and word in err.message, (sql[:40], err)
    err = _refused(b, "SELECT ?1001")
    assert err.code == "too_large" and "1000" in err.message
    big_param = _refused_params(b, "SELECT length(?)", ["x" * (MAX_VALUE_BYTES + 1)])
    assert big_param.code == "too_large"


def _refused_params(b, sql: str, params) -> ToolError:
    with pytest.raises(ToolError) as err:
        b.query(sql, params, 10)
    return err.value


def test_rows_stop_at_the_byte_budget(db, box):
    rows = RESULT_BYTE_BUDGET // 1_000_000 + 8
    result = backend(db, box).query(NUMBERS.format(n=rows) + "SELECT x, printf('%.*c', 1000000, 'a') FROM n", None, 200)
    assert result.truncated and result.row_count < rows
    assert result.row_count * 1_000_000 > RESULT_BYTE_BUDGET - 1_000_000
    assert "MiB" in result.note and "cut" in result.note


def test_a_write_stopped_in_the_middle_is_rolled_back(db, box, tmp_path, caplog):
    copy = tmp_path / "w" / "music.sqlite"
    copy.parent.mkdir()
    shutil.copyfile(db, copy)
    before = snapshot(copy)
    b = backend(copy, box, timeout=1.0, writes=True)
    long_step = "instr(printf('%.*c', 3000000, 'a'), printf('%.*c', 1500000, 'a') || 'b')"
    sql = (  # 20 MB of new rows (past the page cache: a rollback journal on disk), then a step that never ends
        f"INSERT INTO Genre (Name) SELECT CASE WHEN x <= 20000 THEN printf('%.*c', 1000, 'g') ELSE {long_step} END "
        "FROM (" + NUMBERS.format(n=20001) + "SELECT x FROM n)"
    )
    caplog.set_level(logging.INFO, logger="tools.db.sqlite")
    with pytest.raises(ToolError) as err:
        b.execute(sql, None, 10)
    assert err.value.code in ("timeout", "too_large")
    assert "rolled back an interrupted write" in caplog.text
    assert snapshot(copy) == before  # same bytes, no journal left
    reader = backend(copy, box)
    assert reader.query("SELECT count(*) FROM Genre", None, 1).rows == [[25]]


def test_a_stored_value_past_the_limit_is_refused_but_its_row_stays_readable(tmp_path, box):
    import sqlite3

    path = tmp_path / "big.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE doc (id INTEGER PRIMARY KEY, title TEXT, body TEXT)")
    conn.execute("INSERT INTO doc VALUES (1, 'huge', ?), (2, 'small', 'hello')", ["x" * (MAX_VALUE_BYTES + 1)])
    conn.commit()
    conn.close()
    b = backend(path, box)
    assert b.query("SELECT id, title FROM doc ORDER BY id", None, 10).rows == [[1, "huge"], [2, "small"]]
    assert b.query("SELECT body FROM doc WHERE id = 2", None, 10).rows == [["hello"]]
    err = _refused(b, "SELECT body FROM doc WHERE id = 1")
    assert err.code == "too_large" and "not even" in err.message
