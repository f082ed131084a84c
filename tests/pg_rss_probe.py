"""Peak memory of a PostgreSQL query tool call (run by tests/test_pg_memory.py in a subprocess).

``python tests/pg_rss_probe.py URL SQL...`` runs each statement through a
fresh ``PostgresBackend`` with its own sandbox, then prints one JSON line:
each call's outcome, this process's peak RSS and the worker's (the worker
reports its own ``ru_maxrss``), in MB.  This process's peak is its memory's own
high-water mark (``VmHWM``): ``ru_maxrss`` would carry over the peak of the
process that started it (a long pytest session), which survives ``exec``.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.base import ToolError  # noqa: E402
from tools.db.common import parse_database_url  # noqa: E402
from tools.db.postgres import WORKER_MEMORY_MB, PostgresBackend  # noqa: E402
from tools.sandbox import Sandbox  # noqa: E402


def own_peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    url, statements = sys.argv[1], sys.argv[2:]
    box = Sandbox(memory_mb=WORKER_MEMORY_MB, max_idle=1)
    backend = PostgresBackend(parse_database_url(url), timeout=30, writes_enabled=False, sandbox=box)
    outcomes = []
    try:
        for sql in statements:
            try:
                result = backend.query(sql, None, 50)
                cell = result.rows[0][0] if result.rows else None
                outcomes.append({"ok": True, "tail": str(cell)[-60:], "note": result.note})
            except ToolError as err:
                outcomes.append({"ok": False, "code": err.code, "message": err.message[:300]})
        worker = box.run(resource.getrusage, resource.RUSAGE_SELF, timeout=30)
    finally:
        box.close()
    print(
        json.dumps(
            {
                "outcomes": outcomes,
                "tool_mb": own_peak_mb(),
                "worker_mb": worker.ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
