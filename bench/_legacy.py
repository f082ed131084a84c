"""A cached side virtualenv with the mcp 1.x SDK, for what cannot share ours (mcp 2.x).

mcp-server-time and langchain-mcp-adapters 0.3 require ``mcp<2``; older MCP
clients (Claude Desktop's era) speak revision 2025-11-25 through it.  The
tests and the benchmarks use the same environment, built once per machine:
aside, then moved into place, so a concurrent run never sees half of it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

LEGACY_PACKAGES = ("mcp>=1.29,<2", "mcp-server-time==2026.10.10", "langchain-mcp-adapters>=0.3,<0.4")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "langgraph-mcp-agent-tests"


class LegacyEnvError(RuntimeError):
    pass


def legacy_python(packages: tuple[str, ...] = LEGACY_PACKAGES) -> str:
    """The python of the side virtualenv, building it first if needed."""
    key = hashlib.sha256(f"{' '.join(packages)}|{sys.version_info[:2]}".encode()).hexdigest()[:12]
    venv = CACHE / f"legacy-mcp-{key}"
    python = venv / "bin" / "python"
    if (venv / ".complete").exists() and python.exists():
        return str(python)
    CACHE.mkdir(parents=True, exist_ok=True)
    building = venv.with_name(f"{venv.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [base, "-m", "venv", str(building)],
        [str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            raise LegacyEnvError(
                f"could not build a virtualenv with {', '.join(packages)}: {(result.stderr or result.stdout)[-500:]}"
            )
    (building / ".complete").write_text(" ".join(packages))
    shutil.rmtree(venv, ignore_errors=True)
    try:
        building.rename(venv)
    except OSError:  # another run finished first: use theirs
        shutil.rmtree(building, ignore_errors=True)
    return str(python)
