"""Anchors: other Agent Protocol servers serving the benchmark graph, each from its own side virtualenv.

* LangGraph's own ``langgraph dev`` (``langgraph-cli[inmem]``): the in-memory
  runtime, threads and runs in the process.  As started (one job at a time: the
  dev command's own default) and with ``--n-jobs-per-worker 10`` (the value its
  help gives as the default): its queue looks for new runs every half second
  when a slot is free, so more slots help many clients and hurt few.
* Aegra (``aegra-api`` from PyPI, the open-source Agent Protocol server on
  PostgreSQL): its FastAPI app under uvicorn, one process, on a temporary
  database of its own on the same PostgreSQL server as ours.

Both load ``bench/anchors/service_graph.py:graph`` (the compiled graph without a
checkpointer; each server gives it its own) from a ``langgraph.json``-shaped
file, with this repository on ``PYTHONPATH``.  The side environments hold the
server and this project's dependencies, built once per machine and cached
(``bench/_legacy.py``); a failed build raises :class:`LegacyEnvError` with pip's
own words, which the benchmark prints as a skip line.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from bench.env import REPO, child_env
from bench.service_procs import GRAPH_MODULE, HttpServer, free_port

LANGGRAPH_CLI = "langgraph-cli[inmem]>=0.4"
AEGRA = ("aegra-api>=0.6", "sqlalchemy[asyncio]>=2.0", "psycopg[binary]>=3.2.9")  # 0.6 lacks greenlet for SQLAlchemy


def project_dependencies() -> tuple[str, ...]:
    return tuple(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])


def langgraph_dev_python() -> str:
    """The side environment with ``langgraph-cli[inmem]`` (the one tests/test_langgraph_dev.py uses)."""
    from bench._legacy import legacy_python

    return legacy_python((LANGGRAPH_CLI, *project_dependencies()))


def aegra_python() -> str:
    from bench._legacy import legacy_python

    return legacy_python((*AEGRA, *project_dependencies()))


def versions(python: str, distributions: tuple[str, ...]) -> str:
    """``name version, ...`` as installed in a side environment."""
    import subprocess

    code = "import importlib.metadata as m, sys\nprint(', '.join(f'{d} {m.version(d)}' for d in sys.argv[1:]))"
    done = subprocess.run([python, "-c", code, *distributions], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() or "versions unknown"


def _config(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    path = where / "langgraph.json"
    path.write_text(json.dumps({"dependencies": [str(REPO)], "graphs": {"agent": f"{GRAPH_MODULE}:graph"}}))
    return path


def langgraph_dev(python: str, workdir: Path, name: str, jobs: int | None = None) -> HttpServer:
    """``langgraph dev`` on our graph; ``jobs``: its ``--n-jobs-per-worker`` (None: as it starts by default)."""
    where = workdir / ("langgraph-dev" if jobs is None else f"langgraph-dev-{jobs}-jobs")
    config = _config(where)
    port = free_port()
    argv = [python, "-c", "from langgraph_cli.cli import cli; cli()", "dev", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--no-browser", "--no-reload", "--config", str(config), "--server-log-level", "warning"]
    argv += [] if jobs is None else ["--n-jobs-per-worker", str(jobs)]
    env = child_env(where / "home", LANGGRAPH_NO_VERSION_CHECK="true", LANGSMITH_TRACING="false")
    return HttpServer(name, argv, env, where, port)


def aegra(python: str, workdir: Path, database_url: str) -> HttpServer:
    where = workdir / "aegra"
    config = _config(where)
    port = free_port()
    argv = [python, "-m", "uvicorn", "aegra_api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--log-level", "warning"]
    env = child_env(
        where / "home", DATABASE_URL=database_url, AEGRA_CONFIG=str(config), LOG_LEVEL="WARNING", OTEL_TARGETS=""
    )
    return HttpServer("Aegra", argv, env, where, port, ready_path="/health")


__all__ = ["aegra", "aegra_python", "langgraph_dev", "langgraph_dev_python", "versions"]
