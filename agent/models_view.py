"""``agent models``: the named profiles of ``AGENT_HOME/models.json``, the price table, and the
command line's per-run model options (``--think`` / ``--no-think``, ``--prefix``).

Keys are never shown: each profile says whether its key is set and where it comes
from (``${VAR}`` in the file, or the provider's variable).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from agent.render_text import printable


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def profile_rows(settings: Any) -> list[dict[str, Any]]:
    """One row per profile: what it names, whether its key is set, its prices, limits and thinking."""
    from graphs.llm import PROVIDERS
    from graphs.providers_files import key_state, raw_profiles, validate_profile
    from tools.redact import mask_url

    in_use = getattr(settings, "model", None) if not getattr(settings, "model_config_path", None) else None
    rows = []
    for name, entry in raw_profiles(settings.home).items():
        server = str(entry.get("server_type", "openai-compatible"))
        known = PROVIDERS.get(server)
        row: dict[str, Any] = {
            "name": name,
            "in_use": name == in_use,
            "server_type": server,
            "model": entry.get("model"),
            "url": mask_url(entry.get("url") or (known.base_url if known else None)),
            "api_key": key_state(entry, known.key_env if known else None, bool(known and known.local)),
        }
        for key in ("pay_in", "pay_out", "pay_cache", "pay_cache_write", "rpm", "tpm", "no_think", "thinking_budget"):
            if entry.get(key) is not None:
                row[key] = entry[key]
        if problem := validate_profile(entry):
            row["error"] = problem
        rows.append(row)
    return rows


def price_rows(settings: Any) -> list[dict[str, Any]]:
    """The price table: built-in estimates and ``prices.json`` rows, with where each comes from."""
    from graphs.pricing import price_table

    return [
        {"model": key, **row.model_dump(), "source": source}
        for key, (row, source) in sorted(price_table(settings.home).items())
    ]


def price_lines(settings: Any) -> list[str]:
    """The price table as text (USD per million tokens for the built-in rows)."""
    from graphs.pricing import PRICES_AS_OF, PRICES_FILE

    lines = [
        f"prices per million tokens (built-in: USD list prices of {PRICES_AS_OF}, estimates; "
        f"{settings.home / PRICES_FILE} or a model file's pay_* override them):"
    ]
    for row in price_rows(settings):
        lines.append(
            f"  {row['model']:32} in {_money(row['pay_in'])} · cached {_money(row['pay_cache'])} · "
            f"cache write {_money(row['pay_cache_write'])} · out {_money(row['pay_out'])}  ({row['source']})"
        )
    return lines


def _profile_line(row: dict[str, Any]) -> str:
    mark = "*" if row["in_use"] else " "
    parts = [f"{mark} {row['name']}: {row['server_type']}:{row.get('model')}", f"key {row['api_key']}"]
    if row.get("url"):
        parts.append(str(row["url"]))
    if "pay_in" in row or "pay_out" in row:
        parts.append(f"in {_money(row.get('pay_in'))} / out {_money(row.get('pay_out'))}")
    if row.get("rpm") or row.get("tpm"):
        parts.append(f"rpm {row.get('rpm', '-')} / tpm {row.get('tpm', '-')}")
    if row.get("no_think"):
        parts.append("no thinking")
    if row.get("error"):
        parts.append(f"INVALID: {row['error']}")
    return printable(" · ".join(parts))


def with_run_options(graph: Any, args: argparse.Namespace, settings: Any) -> Any:
    """The graph with this command line's run options (``--think`` / ``--no-think``, ``--prefix``).

    A prefix the configured model cannot continue is a usage error, before anything runs.
    """
    from graphs.nodes import PREFIX_OPTION, THINK_OPTION

    options: dict[str, Any] = {}
    if getattr(args, "think", None) is not None:
        options[THINK_OPTION] = args.think
        _say_if_no_switch(args.think, settings)
    prefix = getattr(args, "prefix", None)
    if prefix is not None:
        check_prefix(prefix, settings)
        options[PREFIX_OPTION] = prefix
    return graph.with_config(configurable=options) if options else graph


def _say_if_no_switch(think: bool, settings: Any) -> None:
    """``--think`` / ``--no-think`` for a model without a thinking switch: said once, on stderr."""
    import sys

    from agent.cli import configuration
    from graphs.llm import choose_model

    with configuration(settings):
        choice = choose_model(settings)
    if choice is None or choice.features.think == "none":
        who = "the offline model" if choice is None else choice.provider
        flag = "--think" if think else "--no-think"
        print(f"agent: {flag}: {who} has no thinking switch; the model's own behaviour applies", file=sys.stderr)


def check_prefix(prefix: str, settings: Any) -> None:
    from agent.cli import UsageError, configuration
    from graphs.llm import PROVIDERS, choose_model

    if not prefix.strip():
        raise UsageError("--prefix is empty: give the beginning of the answer, e.g. --prefix '```json'")
    with configuration(settings):
        choice = choose_model(settings)
    if choice is None or choice.features.prefix == "none":
        able = ", ".join(name for name, p in PROVIDERS.items() if p.prefix != "none")
        who = "the offline model" if choice is None else choice.provider
        raise UsageError(f"--prefix: {who} cannot continue a given beginning of the answer; providers that can: {able}")


def pricing_in_use(settings: Any) -> dict[str, Any] | None:
    """The configured model's prices (``estimated`` when from the built-in table), or None."""
    from graphs.llm import ModelConfigError, choose_model
    from graphs.pricing import pricing_json

    try:
        choice = choose_model(settings)
    except ModelConfigError:
        return None
    return pricing_json(choice.pricing) if choice is not None else None


def show_models(settings: Any, as_json: bool = False, prices: bool = False) -> int:
    from graphs.providers_files import profiles_path

    rows = profile_rows(settings)
    if as_json:
        data: dict[str, Any] = {"file": str(profiles_path(settings.home)), "profiles": rows}
        if prices:
            data["prices"] = price_rows(settings)
        print(json.dumps(data, ensure_ascii=False, default=str))
        return 0
    if rows:
        print(f"profiles in {profiles_path(settings.home)} (--model NAME or AGENT_MODEL=NAME picks one; * in use):")
        print("\n".join(_profile_line(row) for row in rows))
    else:
        print(f"no profiles: {profiles_path(settings.home)} does not exist (see README, Models)")
    if prices:
        print("\n".join(price_lines(settings)))
    return 0


__all__ = [
    "check_prefix",
    "price_lines",
    "price_rows",
    "pricing_in_use",
    "profile_rows",
    "show_models",
    "with_run_options",
]
