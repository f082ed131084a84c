"""Where the anchor scripts are, and how to run one and read its output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ANCHORS = Path(os.environ.get("AGENT_ANCHORS", Path(__file__).resolve().parents[2] / "shared" / "anchors"))


def run_anchor(name: str, *args: str, python: str = sys.executable, timeout: float = 1800) -> str:
    """Run ``../shared/anchors/<name>`` and return what it printed."""
    script = ANCHORS / name
    if not script.exists():
        raise SystemExit(f"anchor {script} not found: set AGENT_ANCHORS to the anchors directory")
    result = subprocess.run([python, str(script), *args], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"anchor {name} failed:\n{result.stderr[-2000:]}")
    return result.stdout
