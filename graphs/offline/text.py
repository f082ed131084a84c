"""Reading a task: a bounded, normalised text split into clauses.

Everything here runs in time linear in the text: the task is cut to
``MAX_TASK_CHARS`` before any pattern sees it, whitespace runs are collapsed,
and no pattern nests quantifiers (``tests/test_offline_fuzz.py`` holds each
parser to a time limit on hostile input).
"""

from __future__ import annotations

import re

MAX_TASK_CHARS = 2000
CJK = re.compile(r"[\u3400-\u9fff]")

_FULLWIDTH = str.maketrans(
    {
        "×": "*",
        "÷": "/",
        "（": "(",
        "）": ")",
        "－": "-",
        "＋": "+",
        "＊": "*",
        "／": "/",
        "＾": "^",
        "＝": "=",
        "π": "pi",
        "√": "sqrt",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
    }
)

# Clause boundaries: sentence punctuation ('!' only after a letter: '10!' is a factorial), and
# connectives followed by a new request.
_REQUEST = (
    r"(?:is|are|was|what|what's|whats|which|who|how|calculate|compute|evaluate|search|look|list|show|describe|"
    r"count|factor|factori[sz]e|find|tell|give|check|get)\b"
)
_SPLIT = re.compile(
    r"[;；。?？！]"
    r"|(?<=[A-Za-z\u3400-\u9fff])!"
    r"|(?<=[A-Za-z])\.(?= |$)"
    r"|,? (?:and then|then|also|after that|plus) (?=" + _REQUEST + r")"
    r"|, and (?:then )?"
    r"| and (?=" + _REQUEST + r")"
    r"|, (?=" + _REQUEST + r")"
    r"|[，,] ?(?:然后|并且|同时|以及|另外|再|并)"
    r"|(?:然后|并且|同时|以及|另外)"
    r"|[，,] ?(?=[计判搜列描统查分求算哪])",
    re.IGNORECASE,
)


def normalise(task: str) -> str:
    """The task cut to size, full-width symbols made ASCII, whitespace runs collapsed."""
    return " ".join(task[:MAX_TASK_CHARS].translate(_FULLWIDTH).split())


def clauses(task: str) -> list[str]:
    """The parts of a task that may each ask for something, in the order written."""
    return [part.strip(" ,，") for part in _SPLIT.split(normalise(task)) if part and part.strip(" ,，")]


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text[:MAX_TASK_CHARS]))


__all__ = ["MAX_TASK_CHARS", "clauses", "is_chinese", "normalise"]
