"""The caller's quick size estimate of exact numbers, from the literals alone.

Plain Python, no sympy: it lets :func:`tools.calc_parse.parse_expression`
refuse ``9**9**9**9``, ``2**(2**64)`` or ``factorial(10**9)`` at once instead
of sending them to the worker.  The bounds are loose (refusing beyond
:data:`STATIC_DIGITS`); the worker's exact checks against ``MAX_DIGITS`` in
:mod:`tools.calc_sympy` decide the rest.

For a subtree made only of exact numbers the estimate is a :class:`Size`;
``None`` when unknown (a variable, a decimal, an irrational constant or
function).
"""

from __future__ import annotations

import ast
import math
from typing import NamedTuple

from tools.calc_rules import STATIC_DIGITS, snippet, too_large

LOG10_2 = math.log10(2)
LN10 = math.log(10)


class Size(NamedTuple):
    height: float  # >= log10 of the larger of |numerator| and denominator
    magnitude: float  # >= log10 |value|
    is_int: bool  # known to be an integer
    nonneg: bool  # known to be >= 0


Estimate = Size | None


def lgamma10(x: float) -> float:
    """log10(gamma(x)), inf when x is astronomically large."""
    return math.inf if x > 1e300 else math.lgamma(max(x, 1.0)) / LN10


def literal_size(value: int) -> Size:
    """The size of an integer literal."""
    size = math.log10(abs(value)) if abs(value) > 1 else 0.0
    return Size(size, size, True, value >= 0)


def estimate_binop(op: ast.operator, a: Estimate, b: Estimate, node: ast.AST) -> Estimate:
    """The size of ``a op b``; refuses a power far too large to build."""
    if a is None or b is None:
        return None
    if isinstance(op, (ast.Add, ast.Sub)):
        both, nonneg = a.is_int and b.is_int, isinstance(op, ast.Add) and a.nonneg and b.nonneg
        height = max(a.height, b.height) if both else a.height + b.height
        return Size(height + LOG10_2, max(a.magnitude, b.magnitude) + LOG10_2, both, nonneg)
    nonneg = a.nonneg and b.nonneg
    if isinstance(op, ast.Mult):
        return Size(a.height + b.height, a.magnitude + b.magnitude, a.is_int and b.is_int, nonneg)
    if isinstance(op, (ast.Mod, ast.FloorDiv)) and a.is_int and b.is_int:
        return Size(max(a.height, b.height), max(a.magnitude, b.magnitude), True, nonneg)
    if not isinstance(op, ast.Pow):  # |a / b| <= |a| * 10**height(b), and <= |a| for an integer b
        return Size(a.height + b.height, a.magnitude + (0.0 if b.is_int else b.height), False, nonneg)
    return _estimate_pow(a, b, node)


def _estimate_pow(a: Size, b: Size, node: ast.AST) -> Estimate:
    if a.height == 0:  # 0, 1 or -1 to any power
        return Size(0.0, 0.0, False, False)
    exponent = math.inf if b.magnitude > 300 else 10.0**b.magnitude  # >= |b|
    digits = a.height * exponent
    if digits > STATIC_DIGITS:
        raise too_large(snippet(node), digits)
    if not b.is_int:
        return None  # a root: not rational in general
    return Size(digits, a.magnitude * exponent, a.is_int and b.nonneg, a.nonneg)


def estimate_call(name: str, est: Estimate, call: ast.Call) -> Estimate:
    """The size of ``name(arg)`` from its first argument's; refuses a huge factorial or gamma."""
    if est is None:
        return None
    if name in ("factorial", "factorial2", "gamma"):
        digits = lgamma10(10.0**est.magnitude + 1) if est.magnitude < 300 else math.inf
        if digits > STATIC_DIGITS:
            raise too_large(snippet(call), digits)
        return Size(digits, digits, True, True) if est.is_int else None
    if name in ("abs", "floor", "ceil", "ceiling"):
        return est._replace(nonneg=est.nonneg or name == "abs")
    return None
