"""The command line: pick benchmarks, run them in an isolated home, print the tables, save JSON, plot.

    python -m bench                    # everything (several minutes)
    python -m bench loop storage       # some
    python -m bench --quick            # small sizes, under a minute: CI runs this
    python -m bench --json out.json    # also save every figure
    python -m bench --plot [out.json]  # PNGs from a saved run (needs matplotlib)
    python -m bench loop --profile     # where our loop spends its time

Exit status 0 unless a benchmark crashed (its traceback goes to stderr); a
missed target or a skipped anchor is reported, never a failure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.report import Outcome

# name -> (title, module); each module has ``run(quick, workdir, outcome)``.
BENCHMARKS: dict[str, tuple[str, str]] = {
    "loop": ("framework overhead per tool turn (zero-latency model)", "bench.loop"),
    "mcp": ("MCP tool call latency", "bench.mcp_latency"),
    "storage": ("checkpoint storage per byte of conversation", "bench.storage"),
    "retention": ("pruning old checkpoints", "bench.retention"),
    "startup": ("start-up time", "bench.startup"),
    "memory": ("peak memory", "bench.memory"),
    "service": ("the service under load", "bench.service"),
}
DEFAULT_JSON = "bench-results.json"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run ({', '.join(BENCHMARKS)})")
    parser.add_argument("--quick", action="store_true", help="small sizes and few runs (under a minute)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write every figure to PATH")
    parser.add_argument(
        "--plot",
        metavar="PATH",
        nargs="?",
        const=Path(DEFAULT_JSON),
        type=Path,
        help=f"draw the results saved in PATH (default {DEFAULT_JSON}) as PNGs beside it, and exit",
    )
    parser.add_argument("--profile", action="store_true", help="with loop: profile our agent's loop instead")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.profile and any(n != "loop" for n in args.names):
        parser.error("--profile goes with the loop benchmark only: python -m bench loop --profile")
    return args


def run_one(name: str, quick: bool, workdir: Path) -> Outcome:
    """One benchmark; an exception is reported as a crash with its traceback on stderr."""
    title, module = BENCHMARKS[name]
    outcome = Outcome(name, title)
    started = time.perf_counter()
    where = workdir / name
    where.mkdir(parents=True, exist_ok=True)
    try:
        importlib.import_module(module).run(quick, where, outcome)
    except Exception as err:  # noqa: BLE001 - a crashed benchmark is reported, and the others still run
        print(f"\n{name} crashed:", file=sys.stderr)
        traceback.print_exc()
        outcome.crashed = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    outcome.seconds = time.perf_counter() - started
    return outcome


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.plot is not None:
        from bench.plot import plot

        return plot(args.plot.resolve())
    json_path = args.json.resolve() if args.json else None
    from bench.env import header, isolate, render_header

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        isolate(workdir)
        if args.profile:
            from bench.profiling import profile_loop

            print(profile_loop(args.quick, workdir), flush=True)
            return 0
        info = header()
        print(render_header(info, args.quick), flush=True)
        outcomes = []
        for name in args.names or list(BENCHMARKS):
            outcome = run_one(name, args.quick, workdir)
            print("\n" + outcome.render(), flush=True)
            outcomes.append(outcome)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if json_path is not None:
        data = {"header": info, "quick": args.quick, "benchmarks": {o.name: o.to_json() for o in outcomes}}
        json_path.write_text(json.dumps(data, indent=1, ensure_ascii=False))
        print(f"\nresults written to {json_path}")
    crashed = [o.name for o in outcomes if o.crashed]
    if crashed:
        print(f"\ncrashed: {', '.join(crashed)} (tracebacks above, on stderr)")
        return 1
    return 0


__all__ = ["BENCHMARKS", "main", "run_one"]
