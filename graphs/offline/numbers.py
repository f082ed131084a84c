"""Numbers and arithmetic as people write them, turned into calculator expressions.

``97 squared``, ``2 to the power of 10``, ``10 factorial``, ``97的平方`` and
``10的阶乘`` become ``97^2``, ``2^10``, ``10!``; an expression such as
``2^64+1`` is left for the calculator to evaluate first.  Linear time: each
pattern is a fixed phrase or a single character-class run.
"""

from __future__ import annotations

import re

_OPERATOR_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bfactorial of (\d+)", re.I), r"\1!"),
    (re.compile(r"(\d+) ?factorial\b", re.I), r"\1!"),
    (re.compile(r"(\d+) ?的 ?阶乘"), r"\1!"),
    (re.compile(r"阶乘 ?(\d+)"), r"\1!"),
    (re.compile(r" ?\b(?:to the power of|to the power|raised to the power of|raised to)\b ?", re.I), "^"),
    (re.compile(r" ?\bsquared\b", re.I), "^2"),
    (re.compile(r" ?\bcubed\b", re.I), "^3"),
    (re.compile(r" ?的 ?平方"), "^2"),
    (re.compile(r" ?的 ?立方"), "^3"),
    (re.compile(r" ?的 ?(\d+) ?次(?:方|幂)"), r"^\1"),
    (re.compile(r" ?\bplus\b ?", re.I), "+"),
    (re.compile(r" ?\bminus\b ?", re.I), "-"),
    (re.compile(r" ?\b(?:times|multiplied by)\b ?", re.I), "*"),
    (re.compile(r" ?\bdivided by\b ?", re.I), "/"),
    (re.compile(r" ?\bmod(?:ulo)?\b ?", re.I), "%"),
    (re.compile(r" ?加上? ?"), "+"),
    (re.compile(r" ?减去? ?"), "-"),
    (re.compile(r" ?乘以 ?"), "*"),
    (re.compile(r" ?除以 ?"), "/"),
]
_FUNCTION_NAMES = (
    "sqrt cbrt exp ln log log10 log2 sin cos tan asin acos atan arcsin arccos arctan sinh cosh tanh abs floor "
    "ceil ceiling round factorial gcd lcm binomial comb max min pi e"
)
FUNCTIONS = frozenset(_FUNCTION_NAMES.split())
_SPAN = re.compile(r"[\d(][\d (),+\-*/^.!%_]*")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+")
_INTEGER = re.compile(r"[+-]?\d+")
_OPERATOR = re.compile(r"[+\-*/^%!(]")
_WORD = re.compile(r"[A-Za-z_]+")


def with_operators(text: str) -> str:
    """Operator words replaced by symbols."""
    for pattern, symbol in _OPERATOR_WORDS:
        text = pattern.sub(symbol, text)
    return text


def integer(text: str) -> str | None:
    """A plain integer as decimal digits (``3,214,567`` and ``1_000`` accepted), else None."""
    text = text.strip()
    if _THOUSANDS.fullmatch(text):
        return text.replace(",", "")
    text = text.replace("_", "")
    return text.lstrip("+") if _INTEGER.fullmatch(text) else None


def number_expression(clause: str) -> str | None:
    """The number or arithmetic expression a clause is about: the longest run of digits and operators."""
    best = ""
    for match in _SPAN.finditer(with_operators(clause)):
        span = match.group().strip(" ,.")
        while span and span[-1] in "+-*/^(%":
            span = span[:-1].rstrip()
        if any(c.isdigit() for c in span) and len(span) > len(best) and span.count("(") == span.count(")"):
            best = span
    return best or None


def needs_calculator(expression: str) -> bool:
    return integer(expression) is None


def is_expression(text: str) -> bool:
    """Arithmetic only: digits, operators and known functions, with at least one operation or function."""
    if not text or len(text) > 500 or not re.fullmatch(r"[\w\s+\-*/^().,%!]+", text, re.ASCII):
        return False
    words = set(_WORD.findall(text))
    if not words <= FUNCTIONS or not (any(c.isdigit() for c in text) or {"pi", "e"} & words):
        return False
    return bool(_OPERATOR.search(text)) or bool(words)


__all__ = ["FUNCTIONS", "integer", "is_expression", "needs_calculator", "number_expression", "with_operators"]
