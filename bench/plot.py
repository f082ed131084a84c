"""``python -m bench --plot [PATH]``: one PNG per benchmark from a ``--json`` file, beside it.

Figures measured against a size (turns, calls) are drawn as lines; the others
as bars per case and contender with their p25–p75 spread; one panel per unit.  Needs matplotlib
(``pip install -e '.[bench]'``); without it, one line says so.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

X_KEYS = ("turns", "calls")


def _value(m: dict[str, Any], key: str = "median") -> float:
    value = float(m["stat"][key])
    if m["unit"] == "bytes" and m.get("text_bytes"):
        return value / m["text_bytes"]
    return value * 1000 if m["unit"].startswith("s") else value


def _unit(m: dict[str, Any]) -> str:
    if m["unit"] == "bytes":
        return "bytes stored per byte of text"
    return "ms" + m["unit"][1:] if m["unit"].startswith("s") else m["unit"]


def _bars(ax: Any, measures: list[dict[str, Any]]) -> None:
    cases = list(dict.fromkeys(m["case"] for m in measures))
    names = list(dict.fromkeys(m["contender"] for m in measures))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs, ys, low, high = [], [], [], []
        for j, case in enumerate(cases):
            for m in measures:
                if m["case"] == case and m["contender"] == name:
                    y = _value(m)
                    xs.append(j + i * width)
                    ys.append(y)
                    low.append(max(y - _value(m, "p25"), 0))
                    high.append(max(_value(m, "p75") - y, 0))
        ax.bar(xs, ys, width, yerr=[low, high], label=name[:60], capsize=2)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(cases))], cases, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(_unit(measures[0]))
    values = [_value(m) for m in measures if _value(m) > 0]
    if values and max(values) / min(values) > 50:
        ax.set_yscale("log")
    ax.legend(fontsize=7)


def _lines(ax: Any, measures: list[dict[str, Any]]) -> None:
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    key = next(k for k in X_KEYS if k in measures[0])
    for m in measures:
        label = m["contender"] + (f" ({m['saver']})" if "saver" in m else "")
        series[label].append((m[key], _value(m)))
    for label, points in series.items():
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set_xlabel(key)
    ax.set_ylabel(_unit(measures[0]))
    if key == "turns":
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.legend(fontsize=7)


def _by_unit(measures: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """One panel per unit: runs per second and MiB never share an axis."""
    units: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in measures:
        units[_unit(m)].append(m)
    return list(units.values())


def plot(path: Path) -> int:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: skipped: matplotlib is not installed: pip install -e '.[bench]'")
        return 0
    try:
        data = json.loads(path.read_text())
        benchmarks = data["benchmarks"]
    except (OSError, ValueError, KeyError) as err:
        print(f"plot: cannot read {path}: {err} (write it with python -m bench --json {path.name})")
        return 2
    for name, bench in benchmarks.items():
        measures = [m for m in bench.get("measures", []) if m.get("stat")]
        lined = [m for m in measures if any(k in m for k in X_KEYS)]
        barred = [m for m in measures if m not in lined]
        panels = [(group, draw) for kind, draw in ((barred, _bars), (lined, _lines)) for group in _by_unit(kind)]
        if not panels:
            continue
        fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.5), squeeze=False)
        for ax, (group, draw) in zip(axes[0], panels, strict=True):
            draw(ax, group)
        fig.suptitle(f"{name}: {bench['title']} ({data['header']['date'][:10]}, {data['header']['cores']} cores)")
        fig.tight_layout()
        out = path.with_name(f"{path.stem}-{name}.png")
        fig.savefig(out, dpi=110)
        plt.close(fig)
        print(f"wrote {out}")
    return 0


__all__ = ["plot"]
