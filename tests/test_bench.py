"""The benchmarks run from a clone: every one prints a table or a skip line with its reason, and never a traceback.

No figure is checked against a target here (timings belong to the benchmark's
own report); what is checked is that each benchmark measured something real,
saved it, and that a missing library or database is a skip line, not a crash.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = ("loop", "mcp", "storage", "retention", "startup", "memory", "service")
PLACEHOLDERS: dict[str, str] = {}  # a benchmark not built yet: name -> the start of its one skip line

BLOCKER = """
import importlib.abc, runpy, sys
BLOCKED = {BLOCKED!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name.split(".")[0])
        return None
sys.meta_path.insert(0, Block())
sys.argv = ["bench", *{ARGS!r}]
runpy.run_module("bench", run_name="__main__", alter_sys=True)
"""
OPTIONAL = ["langchain", "matplotlib", "pyinstrument", "psycopg", "psycopg_pool", "langgraph.checkpoint.postgres"]


def bench(
    *args: str, timeout: float = 280, blocked: list[str] | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m bench ARGS`` from the repository root (optionally with some libraries made unimportable)."""
    argv = [sys.executable, "-m", "bench", *args]
    if blocked is not None:
        argv = [sys.executable, "-c", BLOCKER.format(BLOCKED=blocked, ARGS=list(args))]
    environment = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=environment)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_quick_run_measures_every_benchmark_and_saves_the_figures(tmp_path):
    out = tmp_path / "results.json"
    done = bench("--quick", "--json", str(out))
    both = done.stdout + done.stderr
    assert done.returncode == 0, both[-4000:]
    assert "Traceback" not in both, both[-4000:]
    data = json.loads(out.read_text())
    assert data["quick"] is True
    header = data["header"]
    assert header["cores"] >= 1 and header["date"] and header["python"]
    assert set(header["versions"]) == {"langgraph", "langchain-core", "langchain", "mcp", "ours"}
    assert list(data["benchmarks"]) == list(BENCHMARKS)
    for name in BENCHMARKS:
        result = data["benchmarks"][name]
        assert result["crashed"] is None, (name, result["crashed"])
        assert f"== {name}: " in done.stdout
        skips = [line for line in result["skips"] if line.split(": ", 1)[-1].strip()]
        assert result["tables"] or skips, f"{name} printed neither a table nor a skip line with a reason"
        for line in result["skips"]:
            assert line in done.stdout
        if name in PLACEHOLDERS and not result["tables"]:
            assert any(line.startswith(PLACEHOLDERS[name]) for line in result["skips"])

    def figures(name: str, contender: str) -> list[float]:
        measures = data["benchmarks"][name]["measures"]
        return [m["stat"]["median"] for m in measures if m["contender"] == contender and m["stat"]]

    assert figures("loop", "ours") and all(v > 0 for v in figures("loop", "ours"))
    assert figures("loop", "bare loop")
    assert all(v > 0 for v in figures("storage", "ours"))
    assert figures("mcp", "raw mcp 2.x Client.call_tool") and figures("mcp", "ours: MCPToolbox.acall")
    assert figures("startup", "python -m agent --help")
    assert figures("memory", "ours")
    served = [m for m in data["benchmarks"]["service"]["measures"] if m["contender"] == "ours: SQLite, one process"]
    rates = [m["stat"]["median"] for m in served if m["unit"] == "runs/s"]  # at 1, 10 and 50 threads
    assert len(rates) == 3 and all(v > 0 for v in rates), served
    assert [m["runs"] for m in served if m["unit"] == "MiB"][-1] >= 200  # its memory after the quick run's runs
    pruned = data["benchmarks"]["retention"]["tables"][0]["rows"]
    assert pruned and all(row[-1] == "answered" and float(row[4].rstrip("%")) < 50 for row in pruned), pruned
    loop_targets = data["benchmarks"]["loop"]["targets"]
    assert {t["name"] for t in loop_targets} >= {"ours ÷ create_agent, K=10, SQLite"}
    assert all(t["met"] in (True, False, None) for t in loop_targets)

    plotted = bench("--plot", str(out), timeout=120)
    assert plotted.returncode == 0, plotted.stdout + plotted.stderr
    if "matplotlib is not installed" not in plotted.stdout:
        pngs = sorted(p.name for p in tmp_path.glob("results-*.png"))
        assert {"results-loop.png", "results-storage.png", "results-mcp.png"} <= set(pngs)
        assert all((tmp_path / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)

    readme = tmp_path / "README.md"  # the README's figures, generated from the saved run
    readme.write_text(
        "# x\n\n## Performance\n<!-- bench:start -->\nSTALE-FIGURES\n<!-- bench:end -->\n\nWhy: people.\n"
    )
    done = subprocess.run([sys.executable, "-m", "bench.readme", str(out), str(readme)], cwd=REPO, timeout=60)
    assert done.returncode == 0
    text = readme.read_text()
    assert "STALE-FIGURES" not in text and text.endswith("<!-- bench:end -->\n\nWhy: people.\n")
    assert f"commit {data['header']['commit']}" in text
    for name in BENCHMARKS:
        assert f"#### {name}: " in text
    assert "ours (build_agent)" in text and ("  PASS  " in text or "  MISS  " in text)


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_missing_anchor_library_and_database_are_skip_lines_not_tracebacks():
    done = bench("loop", "--quick", blocked=["langchain"], BENCH_POSTGRES="postgresql://postgres@127.0.0.1:1/postgres")
    both = done.stdout + done.stderr
    assert done.returncode == 0, both[-4000:]
    assert "Traceback" not in both
    assert "create_agent (K=10, SQLite): skipped: langchain is not installed: pip install -e '.[bench]'" in done.stdout
    assert "K=10, PostgreSQL: skipped: PostgreSQL is not reachable at 127.0.0.1:1" in done.stdout
    assert "ours (build_agent)" in done.stdout and "create_react_agent" in done.stdout
    assert "not measured (see skips)" in done.stdout  # the create_agent target cannot be judged


def test_every_module_imports_without_the_optional_libraries():
    script = (
        "import importlib, pkgutil, bench\n"
        "skip = {'bench.__main__', 'bench.anchors.minimal_server'}\n"
        "for m in pkgutil.walk_packages(bench.__path__, 'bench.'):\n"
        "    if m.name not in skip:\n"
        "        importlib.import_module(m.name)\n"
        "import sys\n"
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {OPTIONAL!r}))\n"
    )
    blocker = BLOCKER.split("sys.argv")[0].format(BLOCKED=OPTIONAL)
    done = subprocess.run(
        [sys.executable, "-c", blocker + script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


def test_plot_without_matplotlib_says_so_in_one_line(tmp_path):
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps({"header": {"date": "2026-01-01", "cores": 2}, "benchmarks": {}}))
    done = bench("--plot", str(saved), blocked=["matplotlib"], timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "plot: skipped: matplotlib is not installed: pip install -e '.[bench]'"


def test_unknown_benchmark_is_one_line_naming_the_known_ones():
    done = bench("nosuch", timeout=60)
    assert done.returncode == 2
    assert "unknown benchmark nosuch; known: loop, mcp, storage, retention, startup, memory, service" in done.stderr
    assert "Traceback" not in done.stderr
