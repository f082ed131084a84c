"""What the offline model understands: tasks its tools can serve, in English or Chinese.

A task is split into clauses at sequencing words and punctuation; each
clause yields at most one :class:`Intent` naming the tool and arguments that
serve it.  Anything else is not understood, and the offline model says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CJK = re.compile(r"[\u3400-\u9fff]")

_SPLIT = re.compile(
    r"\s*[;；。?？!！]\s*"
    r"|\s+(?:and\s+then|then|also|after\s+that)\s+"
    r"|\s*,?\s+and\s+(?=(?:is|are|what|what's|whats|calculate|compute|evaluate|search|look|list|show|describe|"
    r"how|count|factor|factori[sz]e|find|tell|give|check)\b)"
    r"|\s*[,，]\s*(?=(?:is|what|calculate|compute|search|list|describe|how|count|factor|check)\b)"
    r"|\s*[,，]?\s*(?:然后|并且|同时|以及|另外|再)\s*"
    r"|\s*[,，]\s*并\s*(?=[计判搜列描统查分求算])"
    r"|\s*[,，]\s*(?=[计判搜列描统查分求算])",
    re.IGNORECASE,
)

PRIME_WORD = r"(?:素数|质数)"
_INT = r"([+-]?\d[\d_,]*)"

_PRIME = [
    re.compile(rf"\bis\s+{_INT}\s+(?:a\s+)?prime\b", re.I),
    re.compile(rf"\b{_INT}\s+is\s+(?:a\s+)?prime\b", re.I),
    re.compile(rf"\b(?:check|test|determine)\s+(?:if|whether)\s+{_INT}\s+is\s+(?:a\s+)?prime", re.I),
    re.compile(rf"\bprimality\s+of\s+{_INT}", re.I),
    re.compile(rf"{_INT}\s*(?:是不是|是否是|是否为|是)\s*(?:一个)?\s*{PRIME_WORD}"),
    re.compile(rf"判断\s*{_INT}\s*(?:是否|是不是)?\s*(?:是|为)?\s*(?:一个)?\s*{PRIME_WORD}"),
]
_FACTOR = [
    re.compile(rf"\bfactori[sz]e\s+{_INT}", re.I),
    re.compile(rf"\bfactor\s+{_INT}", re.I),
    re.compile(rf"\b(?:prime\s+)?factors?\s+of\s+{_INT}", re.I),
    re.compile(rf"\bfactori[sz]ation\s+of\s+{_INT}", re.I),
    re.compile(rf"(?:分解|因式分解)\s*(?:质因数|因数)?\s*{_INT}"),
    re.compile(rf"{_INT}\s*的?\s*(?:质因数|因数|因式)\s*(?:分解)?"),
]
_NEXT = [
    re.compile(
        rf"\b(?:next|smallest)\s+prime\s+(?:number\s+)?(?:after|greater\s+than|above|bigger\s+than|over)\s+{_INT}", re.I
    ),
    re.compile(rf"\bprime\s+after\s+{_INT}", re.I),
    re.compile(rf"{_INT}\s*(?:之后|后面|以后)?\s*的?\s*下一个\s*{PRIME_WORD}"),
    re.compile(rf"大于\s*{_INT}\s*的\s*(?:最小的?)?\s*{PRIME_WORD}"),
]
_PREVIOUS = [
    re.compile(
        rf"\b(?:previous|largest|last|biggest)\s+prime\s+(?:number\s+)?(?:before|below|less\s+than|under|smaller\s+than)\s+{_INT}",
        re.I,
    ),
    re.compile(rf"\bprime\s+before\s+{_INT}", re.I),
    re.compile(rf"{_INT}\s*(?:之前|前面|以前)?\s*的?\s*上一个\s*{PRIME_WORD}"),
    re.compile(rf"小于\s*{_INT}\s*的\s*(?:最大的?)?\s*{PRIME_WORD}"),
]

_IDENT = r"[`\"'“”‘’]?([A-Za-z_][A-Za-z0-9_]*)[`\"'“”‘’]?"
_TABLES = [
    re.compile(r"\b(?:list|show|name|what\s+are|which\s+are|give\s+me)\b.*\btables\b", re.I),
    re.compile(r"\bwhich\s+tables\b|\bwhat\s+tables\b|\btables\s+(?:are\s+)?in\s+the\s+database", re.I),
    re.compile(r"(?:有)?哪些(?:数据)?表|列出.*表|数据库.*(?:有什么|有哪些)表|所有的?表"),
]
_DESCRIBE = [
    re.compile(rf"\bdescribe\s+(?:the\s+)?(?:table\s+)?{_IDENT}", re.I),
    re.compile(rf"\b(?:columns|schema|structure|fields)\s+of\s+(?:the\s+)?(?:table\s+)?{_IDENT}", re.I),
    re.compile(rf"(?:描述|查看|介绍|说明)\s*(?:一下)?\s*{_IDENT}\s*表"),
    re.compile(rf"{_IDENT}\s*表\s*的?\s*(?:结构|字段|列)"),
]
_COUNT = [
    re.compile(
        rf"\bhow\s+many\s+(?:rows|records|entries|lines)\s+(?:are\s+)?(?:there\s+)?(?:in|does)\s+(?:the\s+)?(?:table\s+)?{_IDENT}",
        re.I,
    ),
    re.compile(rf"\bcount\s+(?:the\s+)?(?:rows|records)\s+(?:of|in)\s+(?:the\s+)?(?:table\s+)?{_IDENT}", re.I),
    re.compile(rf"\b(?:row\s+count|number\s+of\s+rows)\s+(?:of|in)\s+(?:the\s+)?(?:table\s+)?{_IDENT}", re.I),
    re.compile(rf"\bhow\s+many\s+{_IDENT}\s+(?:are\s+there|rows|records|do\s+we\s+have|exist)", re.I),
    re.compile(rf"{_IDENT}\s*表\s*(?:里|中|里面)?\s*(?:一共|总共)?\s*有\s*多少\s*(?:行|条|记录|条记录|行数据)?"),
    re.compile(rf"统计\s*{_IDENT}\s*表\s*的?\s*(?:行数|记录数|条数)"),
]
_SEARCH = [
    re.compile(
        r"\b(?:search|look\s+up|google)\s+(?:the\s+web\s+|the\s+internet\s+|online\s+)?(?:for\s+|about\s+)?(.+)", re.I
    ),
    re.compile(r"\bfind\s+(?:on\s+the\s+web|online)\s+(.+)", re.I),
    re.compile(r"\bweb\s+search\s*:?\s*(?:for\s+)?(.+)", re.I),
    re.compile(r"(?:在网上|上网|网上)?(?:搜索|搜一下|查一下|搜一搜|检索)\s*(?:一下)?\s*[:：]?\s*(.+)"),
]
_CALC_LEAD = re.compile(
    r"^(?:please\s+)?(?:what\s+is|what's|whats|calculate|compute|evaluate|work\s+out|solve|how\s+much\s+is|"
    r"请?计算(?:一下)?|算一下|求)\s*[:：]?\s*",
    re.I,
)
_CALC_TAIL = re.compile(r"\s*(?:=\s*\??|等于多少|等于几|是多少|的值|的结果)\s*$")
_PRECISION = re.compile(
    r"\s*(?:to|with|at)\s+(\d{1,4})\s+(?:significant\s+)?(?:digits|decimal\s+places|places)\b|\s*保留\s*(\d{1,4})\s*位(?:小数|有效数字)?",
    re.I,
)
_FUNCTIONS = {
    "sqrt",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "log",
    "ln",
    "log10",
    "log2",
    "exp",
    "abs",
    "floor",
    "ceil",
    "ceiling",
    "gcd",
    "lcm",
    "binomial",
    "factorial",
    "pi",
    "e",
    "deg",
    "degrees",
    "radians",
    "mod",
}
_EXPR_CHARS = re.compile(r"^[\d\s+\-*/^().,%!a-zA-Z_]+$")
_TRANSLATE = str.maketrans(
    {
        "×": "*",
        "÷": "/",
        "（": "(",
        "）": ")",
        "，": ",",
        "－": "-",
        "＋": "+",
        "＊": "*",
        "／": "/",
        "＾": "^",
        "π": "pi",
        "√": "sqrt",
    }
)


@dataclass
class Intent:
    """One thing to do: a kind, the canonical tool that does it, its arguments."""

    kind: str
    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    subject: str = ""  # what the user named: the number, table, expression or query


def _number(text: str) -> str:
    return text.replace("_", "").replace(",", "")


def _first(patterns: list[re.Pattern[str]], clause: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := p.search(clause))), None)


def _calc(clause: str) -> Intent | None:
    text = clause.strip().translate(_TRANSLATE)
    precision = None
    if match := _PRECISION.search(text):
        precision = int(match.group(1) or match.group(2))
        text = text[: match.start()] + text[match.end() :]
    text = _CALC_TAIL.sub("", _CALC_LEAD.sub("", text)).strip().rstrip("?.")
    if not text or not _EXPR_CHARS.match(text) or not re.search(r"\d|\bpi\b|\be\b", text):
        return None
    words = set(re.findall(r"[a-zA-Z_]+", text))
    if not words <= _FUNCTIONS:
        return None
    if not re.search(r"[+\-*/^%!(]", text) and not words:
        return None  # a bare number is not a calculation
    args: dict[str, Any] = {"expression": text}
    if precision:
        args["precision"] = precision
    return Intent("calc", "calculator", args, text)


def parse_clause(clause: str) -> Intent | None:
    """The first intent a clause expresses, or None."""
    if m := _first(_NEXT, clause):
        n = _number(m.group(1))
        return Intent("next_prime", "prime_check", {"n": n, "factorize": False, "next_prime": True}, n)
    if m := _first(_PREVIOUS, clause):
        n = _number(m.group(1))
        return Intent("previous_prime", "prime_check", {"n": n, "factorize": False, "previous_prime": True}, n)
    if m := _first(_FACTOR, clause):
        n = _number(m.group(1))
        return Intent("factor", "prime_check", {"n": n, "factorize": True}, n)
    if m := _first(_PRIME, clause):
        n = _number(m.group(1))
        return Intent("prime", "prime_check", {"n": n, "factorize": True}, n)
    if _first(_TABLES, clause):
        return Intent("tables", "db_list_tables", {}, "")
    if m := _first(_DESCRIBE, clause):
        return Intent("describe", "db_describe_table", {"table": m.group(1)}, m.group(1))
    if m := _first(_COUNT, clause):
        table = m.group(1)
        quoted = '"' + table.replace('"', '""') + '"'
        return Intent("count", "db_query", {"sql": f"SELECT COUNT(*) AS row_count FROM {quoted}"}, table)
    if m := _first(_SEARCH, clause):
        query = m.group(1).strip().strip("\"'“”。.?？")
        if query:
            return Intent("search", "web_search", {"query": query[:300]}, query)
    return _calc(clause)


def parse_task(task: str) -> list[Intent]:
    """Every intent of a task, in the order written; duplicates dropped."""
    intents: list[Intent] = []
    for clause in _SPLIT.split(task.strip()):
        intent = parse_clause(clause.strip()) if clause and clause.strip() else None
        if intent and all((intent.kind, intent.args) != (i.kind, i.args) for i in intents):
            intents.append(intent)
    return intents


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


__all__ = ["Intent", "is_chinese", "parse_clause", "parse_task"]
