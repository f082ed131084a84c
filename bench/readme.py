"""``python -m bench.readme RESULTS.json [README.md]``: the README's Performance figures from one saved run.

The section between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` is
replaced by what the run printed: its header (date, commit, cores, load,
versions), every benchmark's tables, skip lines and PASS/MISS target lines,
and the plots drawn by ``python -m bench --plot`` (copied beside the README
under ``bench/results/``).  Nothing in it is typed by hand, so the README
cannot quote a figure the run did not measure; the explanations of the misses
live after the markers and are written by people.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.report import Table, Target

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PLOTS = Path("bench") / "results"


def section(data: dict[str, Any], saved: Path, root: Path) -> str:
    """The markdown between the markers, with the plots copied to ``root / bench/results``."""
    head = data["header"]
    versions = ", ".join(f"{name} {version}" for name, version in head["versions"].items())
    lines = [
        f"Measured by `python -m bench --json results.json` on {head['date'][:10]}, commit {head['commit']}: "
        f"{head['cores']} cores, load {head['load_1min']} at start, Python {head['python']}; {versions}. "
        "Ratios are ours ÷ the anchor, all measured in that run (below 1 is faster or smaller).",
        "",
    ]
    for name, result in data["benchmarks"].items():
        lines += [f"#### {name}: {result['title']}", "", "```text"]
        lines += [Table(t["title"], t["columns"], t["rows"]).render() for t in result["tables"]]
        lines += result["skips"] + result["notes"]
        if result["targets"]:
            lines.append("targets:")
            lines += [_target(t).render() for t in result["targets"]]
        if result["crashed"]:
            lines.append(f"CRASHED: {result['crashed']}")
        lines += ["```", ""]
        plot = saved.with_name(f"{saved.stem}-{name}.png")
        if plot.is_file():
            (root / PLOTS).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(plot, root / PLOTS / f"{name}.png")
            lines += [f"![{name}]({(PLOTS / f'{name}.png').as_posix()})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _target(raw: dict[str, Any]) -> Target:
    return Target(raw["name"], raw["value"], raw["limit"], raw.get("unit", "x"), raw.get("note", ""))


def write(results: Path, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: add the lines {START} and {END} where the figures go")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    body = section(json.loads(results.read_text(encoding="utf-8")), results, readme.parent)
    readme.write_text(f"{before}{START}\n{body}{END}{after}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        print("usage: python -m bench.readme RESULTS.json [README.md]", file=sys.stderr)
        return 2
    write(Path(args[0]), Path(args[1] if len(args) > 1 else "README.md"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
