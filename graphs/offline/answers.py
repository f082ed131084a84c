"""Sentences the offline model writes from tool results, in English or Chinese.

No sentence is written from a value that is absent: every renderer says what
it has, so ``None`` never reaches an answer.
"""

from __future__ import annotations

from typing import Any

MAX_ITEMS = 36


def say(zh: bool, en: str, chinese: str) -> str:
    return chinese if zh else en


def factors(data: dict[str, Any]) -> str:
    parts = []
    for factor in data.get("factors") or []:
        prime, exponent = factor.get("prime"), int(factor.get("exponent") or 1)
        parts.append(f"{prime}^{exponent}" if exponent > 1 else str(prime))
    return " × ".join(parts)


def primality(n: str, data: dict[str, Any], zh: bool) -> str:
    if data.get("is_prime"):
        return say(zh, f"{n} is prime.", f"{n} 是素数。")
    found = factors(data)
    if found and data.get("factorization_complete"):
        return say(zh, f"{n} is not prime: {n} = {found}.", f"{n} 不是素数：{n} = {found}。")
    if found:
        rest = data.get("unfactored")
        more = (
            say(zh, f" (the part {rest} was not factored in time)", f"（剩余部分 {rest} 未能及时分解）") if rest else ""
        )
        return say(
            zh, f"{n} is not prime; factors found: {found}{more}.", f"{n} 不是素数；已找到的因数：{found}{more}。"
        )
    reason = data.get("reason") or ""
    return say(zh, f"{n} is not prime. {reason}".strip(), f"{n} 不是素数。{reason}".strip())


def factorisation(n: str, data: dict[str, Any], zh: bool) -> str:
    if data.get("is_prime"):
        return say(zh, f"{n} is prime: its only factors are 1 and itself.", f"{n} 是素数：只有 1 和它本身两个因数。")
    return primality(n, data, zh)


def neighbour(n: str, data: dict[str, Any], zh: bool, key: str) -> str:
    value = data.get(key)
    if key == "next_prime":
        if value is None:
            return say(zh, f"I could not find the next prime after {n}.", f"未能找到 {n} 之后的下一个素数。")
        return say(zh, f"The next prime after {n} is {value}.", f"{n} 之后的下一个素数是 {value}。")
    if value is None:
        return say(zh, f"There is no prime before {n}.", f"{n} 之前没有素数。")
    return say(zh, f"The previous prime before {n} is {value}.", f"{n} 之前的上一个素数是 {value}。")


def calculation(expression: str, data: dict[str, Any], zh: bool) -> str:
    exact, decimal = data.get("exact"), data.get("decimal")
    if data.get("solutions") is not None:
        value = ", ".join(map(str, data["solutions"]))
    elif exact is not None and decimal is not None and str(decimal) != str(exact):
        value = f"{exact} ≈ {decimal}"
    elif exact is not None or decimal is not None:
        value = str(exact if exact is not None else decimal)
    else:
        chars = data.get("exact_chars")
        return say(
            zh,
            f"{expression}: the result is too long to show ({chars} characters).",
            f"{expression}：结果太长，无法显示（{chars} 个字符）。",
        )
    return f"{expression} = {value}"


def table_list(data: dict[str, Any], zh: bool) -> str:
    tables = data.get("tables") or []
    names = []
    for table in tables[:MAX_ITEMS]:
        count = table.get("row_count")
        label = str(table.get("name"))
        names.append(label if count is None else say(zh, f"{label} ({count} rows)", f"{label}（{count} 行）"))
    more = len(tables) - len(names)
    listing = ", ".join(names) + (f", … (+{more})" if more > 0 else "")
    return say(zh, f"The database has {len(tables)} tables: {listing}.", f"数据库中有 {len(tables)} 张表：{listing}。")


def no_table(word: str, tables: list[str], zh: bool) -> str:
    listing = ", ".join(tables[:MAX_ITEMS]) or say(zh, "none", "无")
    return say(
        zh,
        f"There is no table like '{word}' in the database; its tables are: {listing}.",
        f"数据库中没有与“{word}”对应的表；现有的表：{listing}。",
    )


def description(data: dict[str, Any], zh: bool) -> str:
    columns = data.get("columns") or []
    cols = ", ".join(
        f"{c.get('name')} {c.get('type') or ''}".strip() + (" PK" if c.get("primary_key") else "")
        for c in columns[:MAX_ITEMS]
    )
    fks = "; ".join(
        f"{', '.join(fk.get('columns', []))} → {fk.get('references_table')}" for fk in data.get("foreign_keys") or []
    )
    rows, name = data.get("row_count"), data.get("name")
    text = say(zh, f"Table {name} has {len(columns)} columns: {cols}.", f"表 {name} 有 {len(columns)} 列：{cols}。")
    if fks:
        text += say(zh, f" Foreign keys: {fks}.", f" 外键：{fks}。")
    if rows is not None:
        text += say(zh, f" It has {rows} rows.", f" 共 {rows} 行。")
    return text


def row_count(table: str, data: dict[str, Any], zh: bool) -> str:
    rows = data.get("rows") or []
    count = rows[0][0] if rows and rows[0] else None
    if count is None:
        return say(zh, f"The count of table {table} came back empty.", f"表 {table} 的计数结果为空。")
    return say(zh, f"Table {table} has {count} rows.", f"表 {table} 共有 {count} 行。")


def top(owner: str, counted: str, word: str, data: dict[str, Any], zh: bool) -> str:
    rows = [r for r in data.get("rows") or [] if len(r) >= 2 and r[1] is not None]
    if not rows:
        return say(zh, f"Table {counted} has no rows linked to {owner}.", f"表 {counted} 中没有与 {owner} 关联的行。")
    best = rows[0][1]
    names = ", ".join(f"'{r[0]}'" for r in rows if r[1] == best)
    tie = say(zh, " (a tie)", "（并列）") if sum(r[1] == best for r in rows) > 1 else ""
    return say(
        zh,
        f"{owner} {names} has the most {word}: {best}{tie} (rows of table {counted} linked to table {owner}).",
        f"{owner} {names} 的 {word} 最多：{best}{tie}（表 {counted} 中与表 {owner} 关联的行）。",
    )


def search(query: str, data: dict[str, Any], zh: bool) -> str:
    hits = data.get("results") or []
    if not hits:
        return say(zh, f"The web search for '{query}' found nothing.", f"没有找到关于“{query}”的网页结果。")
    lines = [
        say(
            zh,
            f"Web results for '{query}' (external content, unverified):",
            f"关于“{query}”的网页结果（外部内容，未经核实）：",
        )
    ]
    lines += [f"- {h.get('title') or h.get('url')} — {h.get('url')}" for h in hits[:5]]
    return "\n".join(lines)


__all__ = [
    "calculation",
    "description",
    "factorisation",
    "neighbour",
    "no_table",
    "primality",
    "row_count",
    "say",
    "search",
    "table_list",
    "top",
]
