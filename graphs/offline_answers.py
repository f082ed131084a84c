"""Sentences the offline model writes from tool results, in English or Chinese."""

from __future__ import annotations

from typing import Any

from graphs.offline_intents import Intent

MAX_ITEMS = 12


def _factors(data: dict[str, Any]) -> str:
    parts = []
    for factor in data.get("factors") or []:
        prime, exponent = factor.get("prime"), factor.get("exponent", 1)
        parts.append(f"{prime}^{exponent}" if exponent and int(exponent) > 1 else str(prime))
    return " × ".join(parts)


def _prime(intent: Intent, data: dict[str, Any], zh: bool) -> str:
    n = data.get("n", intent.subject)
    if intent.kind == "next_prime":
        return (
            f"{n} 之后的下一个素数是 {data.get('next_prime')}。"
            if zh
            else f"The next prime after {n} is {data.get('next_prime')}."
        )
    if intent.kind == "previous_prime":
        prev = data.get("previous_prime")
        if prev is None:
            return f"{n} 之前没有素数。" if zh else f"There is no prime before {n}."
        return f"{n} 之前的上一个素数是 {prev}。" if zh else f"The previous prime before {n} is {prev}."
    if data.get("is_prime"):
        return f"{n} 是素数。" if zh else f"{n} is prime."
    factors = _factors(data)
    if factors and data.get("factorization_complete", True):
        return f"{n} 不是素数：{n} = {factors}。" if zh else f"{n} is not prime: {n} = {factors}."
    reason = data.get("reason") or ""
    return f"{n} 不是素数。{reason}" if zh else f"{n} is not prime. {reason}".strip()


def _calc(intent: Intent, data: dict[str, Any], zh: bool) -> str:
    expression = data.get("expression", intent.subject)
    exact, decimal = data.get("exact"), data.get("decimal")
    if data.get("solutions") is not None:
        value = ", ".join(map(str, data["solutions"]))
    elif decimal and exact and str(decimal) != str(exact):
        value = f"{exact} ≈ {decimal}"
    else:
        value = str(exact if exact is not None else decimal)
    return f"{expression} = {value}"


def _tables(data: dict[str, Any], zh: bool) -> str:
    tables = data.get("tables") or []
    names = []
    for table in tables[: MAX_ITEMS * 3]:
        count = table.get("row_count")
        names.append(
            f"{table.get('name')} ({count} 行)"
            if zh and count is not None
            else f"{table.get('name')} ({count} rows)"
            if count is not None
            else str(table.get("name"))
        )
    more = len(tables) - len(names)
    listing = ", ".join(names) + (f", … (+{more})" if more > 0 else "")
    return f"数据库中有 {len(tables)} 张表：{listing}。" if zh else f"The database has {len(tables)} tables: {listing}."


def _describe(data: dict[str, Any], zh: bool) -> str:
    columns = data.get("columns") or []
    cols = ", ".join(
        f"{c.get('name')} {c.get('type') or ''}".strip() + (" PK" if c.get("primary_key") else "")
        for c in columns[: MAX_ITEMS * 2]
    )
    fks = "; ".join(
        f"{', '.join(fk.get('columns', []))} → {fk.get('references_table')}" for fk in data.get("foreign_keys") or []
    )
    rows = data.get("row_count")
    if zh:
        text = f"表 {data.get('name')} 有 {len(columns)} 列：{cols}。"
        text += f" 外键：{fks}。" if fks else ""
        return text + (f" 共 {rows} 行。" if rows is not None else "")
    text = f"Table {data.get('name')} has {len(columns)} columns: {cols}."
    text += f" Foreign keys: {fks}." if fks else ""
    return text + (f" It has {rows} rows." if rows is not None else "")


def _count(intent: Intent, data: dict[str, Any], zh: bool) -> str:
    rows = data.get("rows") or [[None]]
    count = rows[0][0] if rows and rows[0] else None
    return f"表 {intent.subject} 共有 {count} 行。" if zh else f"Table {intent.subject} has {count} rows."


def _search(intent: Intent, data: dict[str, Any], zh: bool) -> str:
    hits = data.get("results") or []
    if not hits:
        return (
            f"没有找到关于“{intent.subject}”的网页结果。"
            if zh
            else f"The web search for '{intent.subject}' found nothing."
        )
    lines = [
        f"关于“{intent.subject}”的网页结果（外部内容，未经核实）："
        if zh
        else f"Web results for '{intent.subject}' (external content, unverified):"
    ]
    lines += [f"- {h.get('title')} — {h.get('url')}" for h in hits[:5]]
    return "\n".join(lines)


def render(intent: Intent, data: Any, zh: bool) -> str:
    """One answer line (or a few) for one intent's tool result."""
    if not isinstance(data, dict):
        return str(data)
    if intent.tool == "prime_check":
        return _prime(intent, data, zh)
    if intent.kind == "calc":
        return _calc(intent, data, zh)
    if intent.kind == "tables":
        return _tables(data, zh)
    if intent.kind == "describe":
        return _describe(data, zh)
    if intent.kind == "count":
        return _count(intent, data, zh)
    return _search(intent, data, zh)


__all__ = ["render"]
