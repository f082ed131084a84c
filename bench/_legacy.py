"""A cached side virtualenv with the mcp 1.x SDK, for what cannot share ours (mcp 2.x).

mcp-server-time and langchain-mcp-adapters 0.3 require ``mcp<2``; older MCP
clients (Claude Desktop's era) speak revision 2025-11-25 through it.  The
tests and the benchmarks use the same environment, built once per machine.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

LEGACY_PACKAGES = ("mcp>=1.29,<2", "mcp-server-time==2026.10.10", "langchain-mcp-adapters>=0.3,<0.4")


class LegacyEnvError(RuntimeError):
    pass


def legacy_python(packages: tuple[str, ...] = LEGACY_PACKAGES) -> str:
    """The python of the side virtualenv, building it first if needed."""
    key = hashlib.sha256(" ".join(packages).encode()).hexdigest()[:10]
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "langgraph-mcp-agent-tests"
    venv = root / f"legacy-mcp-{key}"
    python = venv / "bin" / "python"
    if not (venv / ".complete").exists():
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=120)
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *packages], capture_output=True, text=True, timeout=900
        )
        if result.returncode != 0:
            raise LegacyEnvError(f"could not install {', '.join(packages)}: {result.stderr[-500:]}")
        (venv / ".complete").write_text("ok")
    return str(python)
