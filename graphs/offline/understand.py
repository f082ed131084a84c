"""What a task asks, clause by clause: a table of intents, each a trigger and a vocabulary.

A clause is understood when an intent's trigger matches *and* every other word
of the clause belongs to that intent's vocabulary (or to the few words any
request uses).  So "what is the 10th prime" is not read as "is 10 prime": the
offline model answers exactly what was asked, or names what it could not work
out.  Every pattern is linear (no nested quantifiers) on text already capped
by :func:`graphs.offline.text.normalise`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from graphs.offline.numbers import integer, is_expression, number_expression, with_operators
from graphs.offline.tables import PRONOUNS
from graphs.offline.text import clauses


@dataclass(frozen=True)
class Intent:
    kind: str
    subject: str = ""  # the number expression, table word, query
    other: str = ""  # top: the counted table's word; calc: the precision
    clause: str = ""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    """Chinese phrases, longest first so that a long phrase is removed before its parts."""
    return tuple(sorted(text.split(), key=len, reverse=True))


COMMON = _words(
    "please can could would you tell me i we want to know like the a an is are it of and so now also just "
    "what whats what's hey hi hello kindly quickly"
)
COMMON_ZH = _phrases("请问 请 帮我 帮忙 一下 吗 呢 啊 吧 了 你 我想知道 告诉我 能否 可以")
_WORDS = re.compile(r"[a-z][a-z']*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_IDENT = r"([A-Za-z_][A-Za-z0-9_]*)"


def _only(clause: str, words: frozenset[str], phrases: tuple[str, ...], remove: tuple[str, ...] = ()) -> bool:
    """Every word of the clause, once ``remove`` is taken out, is in the vocabulary."""
    text = clause
    for part in remove:
        if part:
            text = text.replace(part, " ")
    for phrase in (*phrases, *COMMON_ZH):
        text = text.replace(phrase, " ")
    if _CJK.search(text):
        return False
    return all(w in words or w in COMMON for w in _WORDS.findall(text.lower()))


# --- numbers: primality, factors, neighbouring primes ---------------------------------------------
_PRIME_ZH = " 素数 质数"
_NUMBER_INTENTS: list[tuple[str, re.Pattern[str], frozenset[str], tuple[str, ...]]] = [
    (
        "next_prime",
        re.compile(
            r"\b(?:next|smallest|first) prime\b|\bprimes? (?:after|greater than|above|bigger than|larger than|over)\b"
            r"|下一个 ?(?:素数|质数)|大于",
            re.I,
        ),
        _words("next smallest first prime number after greater bigger larger than above over that comes following"),
        _phrases("之后 后面 以后 的 下一个 大于 最小 是多少 是什么 是 求 找出" + _PRIME_ZH),
    ),
    (
        "previous_prime",
        re.compile(
            r"\b(?:previous|largest|last|biggest) prime\b|\bprimes? (?:before|below|less than|under|smaller than)\b"
            r"|上一个 ?(?:素数|质数)|小于",
            re.I,
        ),
        _words("previous largest last biggest prime number before below less smaller than under that comes"),
        _phrases("之前 前面 以前 的 上一个 小于 最大 是多少 是什么 是 求 找出" + _PRIME_ZH),
    ),
    (
        "factor",
        re.compile(r"\bfactori[sz](?:e|ation)\b|\bfactors?\b|\bdecompose\b|分解|因数|因式|因子", re.I),
        _words(
            "factor factors factorise factorize factorisation factorization prime primes into decompose list all its"
        ),
        _phrases("质因数分解 因数分解 因式分解 分解质因数 分解 质因数 因数 因式 因子 的 求 把 将 成 对 进行 做"),
    ),
    (
        "prime",
        re.compile(r"\bprime\b|\bprimality\b|素数|质数", re.I),
        _words("prime number check whether if test determine primality or not really actually"),
        _phrases("是不是 是否是 是否为 是否 判断 一个 是 为 检查 检验" + _PRIME_ZH),
    ),
]
_FIND = _words("find give number")


class Unclear(Exception):  # noqa: N818 - control flow
    """The clause is about what an intent does, but not in a way it can serve: no other intent may take it."""


def _number_intent(clause: str) -> Intent | None:
    for kind, trigger, words, phrases in _NUMBER_INTENTS:
        if not trigger.search(clause):
            continue
        expression = number_expression(clause)
        operators = with_operators(clause)
        if expression is not None and _only(operators, words | _FIND, phrases, remove=(expression,)):
            return Intent(kind, integer(expression) or expression, clause=clause)
        raise Unclear(clause)  # "is the number of albums prime": about primes, but of no number we can read
    return None


# --- the database -----------------------------------------------------------------------------------
_TABLES = re.compile(r"\btables\b|哪些(?:数据)?表|所有的?表|列出.{0,12}表|数据库.{0,12}表", re.I)
_TABLES_WORDS = _words("list show name which are tables in database there all give do have does how many our this db")
_TABLES_ZH = _phrases("哪些 数据 数据库 所有 列出 有 表 的 里 中 都 张 多少 几张 一共")
_TOP = [
    re.compile(
        rf"\bwhich {_IDENT} (?:has|have|had) (?:the )?(?:most|highest number of|largest number of|greatest number of)"
        rf" {_IDENT}(?: {_IDENT})?",
        re.I,
    ),
    re.compile(rf"哪个 ?{_IDENT} ?的? ?{_IDENT} ?最多"),
]
_TOP_WORDS = _words("which has have had the most highest largest greatest number of")
_TABLE_OF = r"(?:the )?(?:table )?" + _IDENT
_COUNT = [
    re.compile(rf"\bhow many (?:rows|records|entries|lines) (?:are )?(?:there )?(?:in|does|do) {_TABLE_OF}", re.I),
    re.compile(rf"\b(?:count|number of) (?:the |all |all the )?(?:rows|records) (?:of|in) {_TABLE_OF}", re.I),
    re.compile(rf"\bhow many {_IDENT}(?: {_IDENT})?(?: are| do| does| exist|$)", re.I),
    re.compile(rf"\bcount (?:the |all |all the )?{_IDENT}(?: {_IDENT})?", re.I),
    re.compile(rf"\bnumber of {_IDENT}(?: {_IDENT})?", re.I),
    re.compile(rf"{_IDENT} ?表 ?(?:里|中|里面)? ?(?:一共|总共)? ?有 ?多少"),
    re.compile(rf"统计 ?{_IDENT} ?表"),
    re.compile(rf"有多少 ?(?:个|条|位|张|名)? ?{_IDENT}"),
    re.compile(r"(它|这张表|那张表|该表|这个表) ?(?:一共|总共)? ?有 ?多少"),
]
_COUNT_WORDS = _words(
    "how many rows records entries lines are there in the table does do have has count number of total we exist "
    "stored all it its"
)
_COUNT_ZH = _phrases(
    "表 里面 里 中 一共 总共 有 多少 行 条 记录 统计 的 行数 记录数 条数 个 位 张 名 数据 它 这张表 那张表 该表 这个表"
)
_DESCRIBE = [
    re.compile(rf"\bdescribe {_TABLE_OF}", re.I),
    re.compile(rf"\b(?:columns|schema|structure|fields) (?:of|in) {_TABLE_OF}", re.I),
    re.compile(rf"\bwhat columns does {_TABLE_OF}", re.I),
    re.compile(rf"(?:描述|查看|介绍|说明) ?(?:一下)? ?{_IDENT} ?表"),
    re.compile(rf"{_IDENT} ?表 ?的? ?(?:结构|字段|列)"),
]
_DESCRIBE_WORDS = _words("describe the table columns schema structure fields of in are does have show about its")
_DESCRIBE_ZH = _phrases("描述 查看 介绍 说明 表 的 结构 字段 列 有哪些 是什么")


Vocabulary = tuple[frozenset[str], tuple[str, ...]]


def _table_intent(kind: str, match: re.Match[str], clause: str, vocabulary: Vocabulary) -> Intent | None:
    groups = [g for g in match.groups() if g]
    subject = " ".join(groups) if kind == "count" else groups[0]
    if not _only(clause, *vocabulary, remove=tuple(groups)):
        return None
    return Intent(kind, subject, clause=clause)


def _database_intent(clause: str) -> Intent | None:
    if _TABLES.search(clause):
        return Intent("tables", clause=clause) if _only(clause, _TABLES_WORDS, _TABLES_ZH) else None
    for pattern in _TOP:
        if match := pattern.search(clause):
            owner, counted = match.group(1), " ".join(g for g in match.groups()[1:] if g)
            if _only(clause, _TOP_WORDS, ("哪个", "的", "最多"), remove=(owner, counted)):
                return Intent("top", owner, counted, clause=clause)
            return None
    for kind, patterns, vocabulary in (
        ("describe", _DESCRIBE, (_DESCRIBE_WORDS, _DESCRIBE_ZH)),
        ("count", _COUNT, (_COUNT_WORDS, _COUNT_ZH)),
    ):
        for pattern in patterns:
            if match := pattern.search(clause):
                return _table_intent(kind, match, clause, vocabulary)
    return None


# --- web search and arithmetic --------------------------------------------------------------------
_SEARCH = [
    re.compile(r"\b(?:search|look up|google)(?: (?:the web|the internet|online))?(?: (?:for|about))? (.+)", re.I),
    re.compile(r"\bfind (?:on the web|online) (.+)", re.I),
    re.compile(r"\bweb search:? (?:for )?(.+)", re.I),
    re.compile(r"(?:在网上|上网|网上)?(?:搜索|搜一下|搜一搜|检索)(?:一下)? ?[:：]? ?(.+)"),
]
_CALC_LEAD = re.compile(
    r"^(?:please )?(?:what is|what's|whats|calculate|compute|evaluate|work out|solve|how much is|"
    r"请?计算(?:一下)?|算一下|求)[:：]? ?",
    re.I,
)
_CALC_TAIL = re.compile(r" ?(?:= ?\??|等于多少|等于几|是多少|的值|的结果)$")
_PRECISION = re.compile(
    r" ?(?:to|with|at) (\d{1,4}) (?:significant )?(?:digits|decimal places|places)\b"
    r"|保留 ?(\d{1,4}) ?位(?:小数|有效数字)?",
    re.I,
)


def _search(clause: str) -> Intent | None:
    for pattern in _SEARCH:
        if match := pattern.search(clause):
            query = match.group(1).strip().strip("\"'。.?？")
            return Intent("search", query[:300], clause=clause) if query else None
    return None


def _calc(clause: str) -> Intent | None:
    text, precision = clause, ""
    if match := _PRECISION.search(text):
        precision = match.group(1) or match.group(2)
        text = text[: match.start()] + text[match.end() :]
    text = with_operators(_CALC_TAIL.sub("", _CALC_LEAD.sub("", text.strip())).strip().rstrip("?.")).strip()
    return Intent("calc", text, precision, clause=clause) if is_expression(text) else None


DETECTORS: list[Callable[[str], Intent | None]] = [_search, _number_intent, _database_intent, _calc]
FILLER = re.compile(r"(?:thanks|thank you|please|ok|okay|hi|hello|hey|谢谢|你好|请)[ !.,]*", re.I)


def understand_clause(clause: str) -> Intent | None:
    try:
        return next((intent for detect in DETECTORS if (intent := detect(clause)) is not None), None)
    except Unclear:
        return None


def understand(task: str) -> tuple[list[Intent], list[str]]:
    """The intents of a task in the order written (duplicates dropped), and the clauses not understood."""
    intents: list[Intent] = []
    unknown: list[str] = []
    for clause in clauses(task):
        intent = understand_clause(clause)
        if intent is None:
            if not FILLER.fullmatch(clause):
                unknown.append(clause)
        elif all((intent.kind, intent.subject, intent.other) != (i.kind, i.subject, i.other) for i in intents):
            intents.append(intent)
    return intents, unknown


def is_pronoun(word: str) -> bool:
    return word.lower() in PRONOUNS


__all__ = ["Intent", "is_pronoun", "understand", "understand_clause"]
