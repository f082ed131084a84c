"""Every parser of untrusted text, fed random and adversarial input under a per-input time limit.

The limit is a hang bound, not a speed target: the inputs below took 10 s to
hours with the earlier backtracking patterns (2k/4k/8k/16k letters: 2.2/2.9/
6.3/20.5 s in the offline model), and take milliseconds now.  Each parser
must return, or raise the error it documents, never anything else.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from graphs.offline import OfflineModel
from graphs.offline.understand import understand
from graphs.repair import ArgumentsError, extract_text_tool_calls, parse_arguments
from tools.base import ToolError
from tools.calc_parse import parse_expression

LIMIT = 3.0  # seconds per input, on a loaded two-core machine
N = 100_000

ADVERSARIAL = [
    "a" * N,
    "Is 97 prime? " + "a" * N,
    "9" * N,
    "1+" * (N // 2),
    "2**" * (N // 3) + "2",
    "(" * N,
    "[" * N,
    "{" * N,
    '{"k":[' * (N // 6),
    '{"name": "x", "arguments": {' * (N // 30),
    "<tool_call>" * (N // 11),
    "<tool_call>" + " " * N + "x",
    "<function=a>" * (N // 12),
    "<function=" + "a" * N,
    "```" + " \n" * (N // 2),
    " " * N,
    ", " * (N // 2),
    " and " * (N // 5),
    " and then is " * (N // 13),
    "how many " * (N // 9),
    "which a has the most " * (N // 21),
    "的" * N,
    "是否是素数" * (N // 5),
    "search " * (N // 7),
    "factorial of " * (N // 13),
    "to the power of " * (N // 16),
    "1," * (N // 2),
    "\u3000" * N,
    "\x00" * N,
    "'" * N,
    '"' * N,
    "\\" * N,
]
ALPHABET = (
    list('{}[]()",:<>/=!?;.,+-*/^%_ \n\t`')
    + list("abnx019")
    + [
        "prime",
        "and ",
        "的",
        "素数",
        "<tool_call>",
        "</tool_call>",
        "<function=x>",
        "</function>",
        "true",
        "null",
        "```json",
    ]
)


def random_texts(count: int, seed: int = 20261201) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 400)))


def within_limit(parse: Callable[[str], Any], text: str, allowed: tuple[type[BaseException], ...]) -> None:
    started = time.monotonic()
    try:
        parse(text)
    except allowed:
        pass
    elapsed = time.monotonic() - started
    assert elapsed < LIMIT, f"{parse.__name__} took {elapsed:.1f} s on {text[:60]!r}… ({len(text)} chars)"


def _extract(text: str) -> Any:
    return extract_text_tool_calls(text, {"x", "a", "prime_check"})


def _understand(text: str) -> Any:
    return understand(text)


_MODEL = OfflineModel()


def _offline_reply(text: str) -> Any:
    from langchain_core.messages import HumanMessage

    return _MODEL.respond([HumanMessage(text)], [], [])


PARSERS: list[tuple[Callable[[str], Any], tuple[type[BaseException], ...]]] = [
    (parse_arguments, (ArgumentsError,)),
    (_extract, ()),
    (_understand, ()),
    (_offline_reply, ()),
    (parse_expression, (ToolError,)),
]


@pytest.mark.parametrize("parse,allowed", PARSERS, ids=lambda p: getattr(p, "__name__", ""))
def test_adversarial_inputs(parse, allowed):
    for text in ADVERSARIAL:
        within_limit(parse, text, allowed)


@pytest.mark.parametrize("parse,allowed", PARSERS, ids=lambda p: getattr(p, "__name__", ""))
def test_random_inputs(parse, allowed):
    for text in random_texts(300):
        within_limit(parse, text, allowed)


def test_the_offline_model_answers_a_long_task_at_once():
    """The red team's task: it hung 541 s; it must now be read (its first 2,000 characters) at once."""
    started = time.monotonic()
    reply = _offline_reply("Is 97 prime? " + "a" * 100_000)
    assert time.monotonic() - started < LIMIT
    assert "Check whether 97 is prime: no result (the prime_check tool is not available)." in reply.text
    assert "I could not work out: 'aaaa" in reply.text and len(reply.text) < 1000
