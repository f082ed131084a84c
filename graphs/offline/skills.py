"""What the offline model does for each kind of intent: the calls it needs, in order, and the answer.

One row per kind in :data:`SKILLS`: a title (for plans and failures), the plan
steps, and ``run(ctx, intent) -> answer line``, a straight-line function that
asks ``ctx`` for each tool result it needs (see :mod:`graphs.offline.steps`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import graphs.offline.answers as answers
from graphs.offline.numbers import integer
from graphs.offline.steps import Ctx
from graphs.offline.tables import quote, resolve
from graphs.offline.understand import Intent, is_pronoun


class NotInteger(Exception):  # noqa: N818
    """An expression that should name a whole number does not."""


def whole_number(ctx: Ctx, expression: str) -> tuple[str, str]:
    """The integer an expression names (the calculator evaluates it first), and a lead-in naming it."""
    if (plain := integer(expression)) is not None:
        return plain, ""
    data = ctx.need("calculator", {"expression": expression})
    if not data.get("is_integer") or data.get("exact") is None:
        value = data.get("exact") or data.get("decimal") or ""
        raise NotInteger(
            answers.say(
                ctx.zh, f"{expression} = {value}, which is not a whole number.", f"{expression} = {value}，不是整数。"
            )
        )
    return str(data["exact"]), f"{expression} = {data['exact']}. "


def _prime(ctx: Ctx, intent: Intent) -> str:
    n, lead = whole_number(ctx, intent.subject)
    return lead + answers.primality(n, ctx.need("prime_check", {"n": n, "factorize": True}), ctx.zh)


def _factor(ctx: Ctx, intent: Intent) -> str:
    n, lead = whole_number(ctx, intent.subject)
    return lead + answers.factorisation(n, ctx.need("prime_check", {"n": n, "factorize": True}), ctx.zh)


def _neighbour(key: str) -> Callable[[Ctx, Intent], str]:
    def run(ctx: Ctx, intent: Intent) -> str:
        n, lead = whole_number(ctx, intent.subject)
        data = ctx.need("prime_check", {"n": n, "factorize": False, key: True})
        return lead + answers.neighbour(n, data, ctx.zh, key)

    return run


def _calc(ctx: Ctx, intent: Intent) -> str:
    args: dict[str, Any] = {"expression": intent.subject}
    if intent.other:
        args["precision"] = int(intent.other)
    return answers.calculation(intent.subject, ctx.need("calculator", args), ctx.zh)


def _tables(ctx: Ctx, intent: Intent) -> str:
    return answers.table_list(ctx.need("db_list_tables", {}), ctx.zh)


class NoTable(Exception):  # noqa: N818
    """The word names no table; the message lists the tables there are."""


def table_named(ctx: Ctx, word: str) -> str:
    """The real table a word names ("it": the table named last), checked against ``db_list_tables``."""
    if is_pronoun(word):
        if ctx.last_table is None:
            raise NoTable(
                answers.say(
                    ctx.zh,
                    f"I do not know which table '{word}' means: name the table.",
                    f"不清楚“{word}”指哪张表：请写出表名。",
                )
            )
        word = ctx.last_table
    listing = ctx.need("db_list_tables", {})
    names = [str(t.get("name")) for t in listing.get("tables") or []]
    found = resolve(word, names)
    if found is None:
        raise NoTable(answers.no_table(word, names, ctx.zh))
    ctx.last_table = found
    return found


def _count(ctx: Ctx, intent: Intent) -> str:
    table = table_named(ctx, intent.subject)
    data = ctx.need("db_query", {"sql": f"SELECT COUNT(*) AS row_count FROM {quote(table)}"})
    return answers.row_count(table, data, ctx.zh)


def _describe(ctx: Ctx, intent: Intent) -> str:
    table = table_named(ctx, intent.subject)
    return answers.description(ctx.need("db_describe_table", {"table": table}), ctx.zh)


def _label_column(description: dict[str, Any], fallback: str) -> str:
    """The column that names a row: Name, Title, or the first text column."""
    columns = description.get("columns") or []
    for column in columns:
        if str(column.get("name", "")).lower() in ("name", "title", "fullname", "full_name"):
            return str(column["name"])
    text = [c for c in columns if "char" in str(c.get("type", "")).lower() or "text" in str(c.get("type", "")).lower()]
    return str(text[0]["name"]) if text else fallback


def _top(ctx: Ctx, intent: Intent) -> str:
    owner, counted = table_named(ctx, intent.subject), table_named(ctx, intent.other)
    owner_info, counted_info = ctx.need_all(
        [("db_describe_table", {"table": owner}), ("db_describe_table", {"table": counted})]
    )
    link = next((fk for fk in counted_info.get("foreign_keys") or [] if fk.get("references_table") == owner), None)
    if link is None or not link.get("columns"):
        return answers.say(
            ctx.zh,
            f"Table {counted} has no foreign key to {owner}, so I cannot tell which {owner} has the most.",
            f"表 {counted} 没有指向 {owner} 的外键，无法判断。",
        )
    key, ref = link["columns"][0], (link.get("references_columns") or [link["columns"][0]])[0]
    label = _label_column(owner_info, ref)
    sql = (
        f"SELECT o.{quote(label)}, COUNT(*) AS n FROM {quote(counted)} c JOIN {quote(owner)} o "
        f"ON c.{quote(key)} = o.{quote(ref)} GROUP BY o.{quote(ref)}, o.{quote(label)} ORDER BY n DESC LIMIT 5"
    )
    return answers.top(owner, counted, intent.other, ctx.need("db_query", {"sql": sql}), ctx.zh)


def _search(ctx: Ctx, intent: Intent) -> str:
    return answers.search(intent.subject, ctx.need("web_search", {"query": intent.subject}), ctx.zh)


@dataclass(frozen=True)
class Skill:
    title: str  # "{s}" is the subject, "{o}" the other word
    title_zh: str
    steps: tuple[tuple[str, str | None], ...]  # (description, tool), for plans
    run: Callable[[Ctx, Intent], str]


_EVAL = ("Evaluate {s} with the calculator", "calculator")
_PRIME_STEP = (("Check whether {s} is prime", "prime_check"),)
_FIND = ("Find the table named like '{s}'", "db_list_tables")
_TOP_STEPS = (
    ("Find the tables named like '{s}' and '{o}'", "db_list_tables"),
    ("Read how they are linked", "db_describe_table"),
    ("Count and rank", "db_query"),
)
SKILLS: dict[str, Skill] = {
    "prime": Skill("Check whether {s} is prime", "判断 {s} 是否为素数", _PRIME_STEP, _prime),
    "factor": Skill("Factorise {s}", "分解 {s}", (("Factorise {s}", "prime_check"),), _factor),
    "next_prime": Skill(
        "Find the next prime after {s}",
        "求 {s} 之后的下一个素数",
        (("Find the next prime after {s}", "prime_check"),),
        _neighbour("next_prime"),
    ),
    "previous_prime": Skill(
        "Find the previous prime before {s}",
        "求 {s} 之前的上一个素数",
        (("Find the previous prime before {s}", "prime_check"),),
        _neighbour("previous_prime"),
    ),
    "calc": Skill("Calculate {s}", "计算 {s}", (("Calculate {s}", "calculator"),), _calc),
    "tables": Skill("List the tables", "列出数据表", (("List the tables", "db_list_tables"),), _tables),
    "count": Skill("Count the rows of {s}", "统计 {s} 的行数", (_FIND, ("Count its rows", "db_query")), _count),
    "describe": Skill("Describe table {s}", "描述表 {s}", (_FIND, ("Describe it", "db_describe_table")), _describe),
    "top": Skill("Find which {s} has the most {o}", "找出 {o} 最多的 {s}", _TOP_STEPS, _top),
    "search": Skill("Search the web for {s}", "在网上搜索 {s}", (("Search the web for {s}", "web_search"),), _search),
}
NUMBER_KINDS = frozenset({"prime", "factor", "next_prime", "previous_prime"})


def title(intent: Intent, zh: bool) -> str:
    skill = SKILLS[intent.kind]
    return (skill.title_zh if zh else skill.title).format(s=intent.subject, o=intent.other)


def plan_steps(intent: Intent) -> list[tuple[str, str | None]]:
    """The plan steps of one intent; an expression is evaluated by the calculator first."""
    steps = list(SKILLS[intent.kind].steps)
    if intent.kind in NUMBER_KINDS and integer(intent.subject) is None:
        steps.insert(0, _EVAL)
    return [(description.format(s=intent.subject, o=intent.other), tool) for description, tool in steps]


__all__ = ["NUMBER_KINDS", "SKILLS", "NoTable", "NotInteger", "Skill", "plan_steps", "title"]
