"""Where the benchmarks run: an isolated home, a clean environment, and the header that says on what.

The figures must not depend on the developer's settings: ``AGENT_*`` variables,
model keys and tracing switches are dropped (here and in every child), the
agent's home is a temporary directory, and children start in it, so no
``.env`` is read.  The header records what the figures were measured on.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DASHSCOPE_API_KEY", "DEEPSEEK_API_KEY", "ANTHROPIC_API_KEY")
DROPPED_PREFIXES = ("AGENT_", "LANGSMITH_", "LANGCHAIN_")
CODE = ("agent", "graphs", "tools", "mcp_servers")  # what the figures measure: a change there changes them
LIBRARIES = (
    ("langgraph", "langgraph"),
    ("langchain-core", "langchain-core"),
    ("langchain", "langchain"),
    ("mcp", "mcp"),
    ("ours", "langgraph-mcp-agent"),
)


def _kept(name: str) -> bool:
    return not name.startswith(DROPPED_PREFIXES) and name not in MODEL_KEYS


def isolate(workdir: Path) -> None:
    """This process: no caller settings, keys or tracing; the home and working directory in ``workdir``."""
    for name in [n for n in os.environ if not _kept(n)]:
        del os.environ[name]
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["AGENT_HOME"] = str(home)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.chdir(workdir)


def child_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for a child process: clean, this repository importable, its own home."""
    env = {k: v for k, v in os.environ.items() if _kept(k)}
    paths = [str(REPO), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["AGENT_HOME"] = str(home or Path(tempfile.mkdtemp(prefix="bench-home-")))
    env.update(extra)
    return env


def library_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = out.stdout.strip() or "unknown"
    try:
        status = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", *CODE],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return commit
    return f"{commit} + uncommitted changes" if status.stdout.strip() else commit


def header() -> dict[str, object]:
    """The machine, the libraries and the date, for the report and the JSON."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_1min": None if load is None else round(load, 2),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "versions": {label: library_version(dist) for label, dist in LIBRARIES},
        "commit": _commit(),
    }


def render_header(info: dict[str, object], quick: bool) -> str:
    versions = info["versions"]
    assert isinstance(versions, dict)
    libs = ", ".join(f"{k} {v}" for k, v in versions.items())
    load = info["load_1min"]
    return (
        f"benchmarks{' (--quick: small sizes, few runs)' if quick else ''} · {info['date']} · commit {info['commit']}\n"
        f"machine: {info['cores']} cores, load {load if load is not None else '?'} at start, {info['platform']}, "
        f"Python {info['python']}\n"
        f"libraries: {libs}\n"
        "every figure below was measured in this run, on this machine; ratios are ours ÷ the anchor "
        "(below 1 is faster or smaller); caller's AGENT_* settings, model keys and tracing are ignored"
    )


__all__ = ["REPO", "child_env", "header", "isolate", "library_version", "render_header"]
