"""What the calculator accepts, shared by its parser, size bounds and translator.

The limits, the whitelist of constants and functions, the refusal messages,
and the flat walk over ``a + b - c`` chains live here so that the checker (in
the caller) and the translator (in the sandbox worker) agree on them.
"""

from __future__ import annotations

import ast
import math
import re

from tools.base import ToolError

MAX_LENGTH = 1000  # characters of input
MAX_DEPTH = 100  # nested operations/calls (a flat chain like 1+2+3+... counts once)
MAX_NODES = 500  # syntax tree nodes
MAX_DIGITS = 100_000  # digits of any exact number built while computing
STATIC_DIGITS = 1_000_000  # the caller's quick estimate refuses beyond this (loose bounds)
MAX_ROUND_DIGITS = 1000  # round(x, n): |n| at most this
MAX_BINOMIAL_K = 10_000  # binomial(n, k) with n not a non-negative integer multiplies k factors

CONSTANTS = ("pi", "e", "E", "tau", "I", "deg")

#: function name -> (fewest, most) positional arguments; None: no upper bound
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    **dict.fromkeys(("sqrt", "cbrt", "exp", "ln", "log10", "log2"), (1, 1)),
    "root": (2, 2),
    "log": (1, 2),
    **dict.fromkeys(("sin", "cos", "tan", "cot", "sec", "csc", "sind", "cosd", "tand"), (1, 1)),
    **dict.fromkeys(("asin", "acos", "atan", "acot", "arcsin", "arccos", "arctan"), (1, 1)),
    **dict.fromkeys(("atan2", "arctan2"), (2, 2)),
    **dict.fromkeys(("sinh", "cosh", "tanh", "asinh", "acosh", "atanh"), (1, 1)),
    **dict.fromkeys(("degrees", "radians", "abs", "sign", "floor", "ceil", "ceiling"), (1, 1)),
    "round": (1, 2),
    **dict.fromkeys(("factorial", "factorial2", "gamma"), (1, 1)),
    **dict.fromkeys(("binomial", "comb"), (2, 2)),
    **dict.fromkeys(("gcd", "lcm"), (2, None)),
    **dict.fromkeys(("max", "min"), (1, None)),
}

VARIABLE_PATTERN = r"^[A-Za-z](_?[0-9]{1,3})?$"
VARIABLE = re.compile(VARIABLE_PATTERN)

ALLOWED = (
    "Allowed: numbers, + - * / ** (or ^) % //, postfix ! (factorial) and ° (degrees), parentheses, "
    f"the constants {', '.join(CONSTANTS)}, calls of the functions {', '.join(FUNCTIONS)} "
    "with positional arguments, and variables named by one letter (x, y, t1, x_2)."
)


def refuse(what: str) -> ToolError:
    """The refusal of a construct, with the list of what is allowed instead."""
    return ToolError(f"{what} is not allowed in a calculator expression. {ALLOWED}")


def too_large(what: str, digits: float) -> ToolError:
    """The refusal of a number too big to build exactly, with ways around it."""
    size = "astronomically many" if digits == math.inf else f"about {digits:.3g}"
    return ToolError(
        f"{what} is too large: its exact value would have {size} digits, more than the "
        f"{MAX_DIGITS} allowed. For an approximate value use a decimal number "
        "(2.0**n, factorial(1e9)), or compute its size with logarithms.",
        code="too_large",
    )


def snippet(node: ast.AST) -> str:
    """A node as short text for a message."""
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def chain_class(node: ast.AST) -> int:
    """1 for + -, 2 for * / % //, else 0: operators of one class form a flat chain."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return 1
        if isinstance(node.op, (ast.Mult, ast.Div, ast.Mod, ast.FloorDiv)):
            return 2
    return 0


def chain(node: ast.BinOp) -> tuple[ast.expr, list[tuple[ast.operator, ast.expr]]]:
    """``a - b + c`` as ``(a, [(Sub, b), (Add, c)])``, without recursion (long chains stay shallow)."""
    cls, items = chain_class(node), []
    current: ast.expr = node
    while chain_class(current) == cls:
        assert isinstance(current, ast.BinOp)
        items.append((current.op, current.right))
        current = current.left
    items.reverse()
    return current, items
