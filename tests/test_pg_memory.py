"""Memory of the PostgreSQL query tool: a huge value or a huge error never lands whole in our processes.

Before the fix, ``SELECT repeat('x', 400000000)`` peaked at about 1.2 GB in the
tool's process and a 300 MB ``string_agg`` at about 0.9 GB.  Now values are
cut on the server and each call runs in a worker limited to 256 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("pg_rss_probe.py")
LIMIT_MB = 256


def probe(url: str, *statements: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(PROBE), url, *statements],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROBE.parents[1],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_huge_values_stay_on_the_server(postgres_dsn):
    report = probe(
        postgres_dsn,
        "SELECT repeat('x', 400000000)",
        "SELECT string_agg(repeat('x', 1000000), '') FROM generate_series(1, 300)",
    )
    big, agg = report["outcomes"]
    assert big["ok"] and big["tail"].endswith("…[truncated: 400000000 chars in total]"), big
    assert agg["ok"] and agg["tail"].endswith("…[truncated: 300000000 chars in total]"), agg
    assert "was cut" in big["note"]
    assert report["tool_mb"] < LIMIT_MB and report["worker_mb"] < LIMIT_MB, report


def test_a_huge_error_message_is_refused_within_the_limit(postgres_dsn):
    """PostgreSQL quotes the whole input in ``invalid input syntax``: only the worker's limit bounds that."""
    report = probe(postgres_dsn, "SELECT repeat('x', 100000000)::int", "SELECT 41 + 1")
    failed, after = report["outcomes"]
    assert not failed["ok"] and failed["code"] == "too_large" and "memory" in failed["message"], failed
    assert after["ok"] and after["tail"] == "42"  # the next call is served
    assert report["tool_mb"] < LIMIT_MB and report["worker_mb"] < LIMIT_MB, report


@pytest.mark.parametrize(
    "sql, shown",
    [
        ("SELECT repeat('é', 3000) AS t", "…[truncated: 3000 chars in total]"),
        ("SELECT repeat('ab', 5000)::bytea AS b", "…[truncated: 10000 bytes in total]"),
        ("SELECT jsonb_build_object('k', repeat('v', 5000)) AS j", "…[truncated: 5009 chars in total]"),
    ],
)
def test_cut_values_look_as_if_cut_here(pg_database, sql, shown):
    from tools.database import database_specs

    q = {spec.name: spec for spec in database_specs(pg_database)}["db_query"]
    result = q.run({"sql": sql})
    assert result["ok"] and result["rows"][0][0].endswith(shown), result
    assert len(result["rows"][0][0]) < 1100
