"""The calculator tool: exact and decimal arithmetic and one-variable algebra with sympy.

The expression is never run as code: :mod:`tools.calc_parse` parses it with
:mod:`ast` against a whitelist and builds the sympy objects itself.  The
caller's process only checks the text (fast, no sympy import); the sympy work
runs in a :mod:`tools.sandbox` worker with a wall-clock and a memory limit, so
a legal but hopeless request (``sqrt(10**9999+1)``, a hard integral) ends with
a ``timeout`` error instead of a stuck agent.
"""

from __future__ import annotations

import math
import sys
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.base import ToolError, ToolHints, ToolSpec
from tools.calc_parse import (
    ALLOWED,
    CONSTANTS,
    MAX_LENGTH,
    VARIABLE_PATTERN,
    ParsedExpression,
    parse_expression,
    to_sympy,
)
from tools.sandbox import Sandbox, shared_sandbox

Operation = Literal["evaluate", "simplify", "solve", "diff", "integrate"]
Kind = Literal["integer", "rational", "real", "complex", "symbolic", "solutions"]

MAX_EXACT_CHARS = 10_000  # longer exact forms are left out of the result (see exact_chars)
MAX_SOLUTIONS = 50
_INT_STR_DIGITS = 250_000  # the worker's int<->str limit while computing (Python's default is 4300)

EXPRESSION_HELP = (
    "The math expression, in Python-like syntax: numbers (2, 0.5, 1e-3; decimals are approximate, "
    "write 1/10 for an exact tenth), + - * / ** (or ^) % (modulo) // (floor division), parentheses, "
    "postfix n! and n!!, degrees with 30° or 30*deg. Constants: pi, e (or E), tau, I (imaginary unit), "
    "deg (pi/180). Functions: sqrt, cbrt, root(x, n), exp, log(x) (natural), log(x, base), ln, log10, "
    "log2, sin cos tan cot sec csc (radians), sind cosd tand (degrees), asin acos atan acot (also "
    "arcsin...), atan2(y, x), sinh cosh tanh asinh acosh atanh, degrees(radians), radians(degrees), abs, "
    "sign, floor, ceil, round(x, n), factorial, factorial2, gamma, binomial(n, k), gcd, lcm, max, min. "
    "Variables: one letter, optionally with digits (x, y, t1, x_2). For operation='solve' write an "
    f"equation with one '=' (x^2 = 4) or an expression meaning '= 0'. At most {MAX_LENGTH} characters; "
    "exact integers are limited to 100000 digits."
)

DESCRIPTION = (
    "Calculator for exact and high-precision arithmetic and one-variable algebra (sympy). Use it "
    "instead of mental arithmetic. Returns the exact result (e.g. 'sqrt(2)*pi', '1/3', a big integer "
    "in full) and its decimal value to `precision` significant digits. Operations: evaluate "
    "(default), simplify, solve (an equation like 'x^2 - 2 = 0' -> solutions), diff (derivative), "
    "integrate (indefinite), with `variable` (default: the expression's only variable, else x). "
    "Trigonometric functions take radians: write sin(30°), sin(30*deg) or sind(30) for degrees. "
    "Errors: invalid_input (fix the expression), too_large (a number or the input is too big), "
    "timeout (the computation took too long; simplify the request)."
)


class CalculatorInput(BaseModel):
    """What the model asks the calculator."""

    model_config = ConfigDict(extra="forbid")

    expression: str = Field(description=EXPRESSION_HELP, examples=["sqrt(2)*pi", "2^100", "sin(30°)", "x^2 - 2 = 0"])
    precision: int = Field(default=15, ge=1, le=1000, description="Significant digits of the decimal value.")
    operation: Operation = Field(
        default="evaluate",
        description="evaluate (compute the value), simplify, solve (an equation for `variable`), "
        "diff (derivative by `variable`), integrate (indefinite integral by `variable`).",
    )
    variable: str | None = Field(
        default=None,
        pattern=VARIABLE_PATTERN,
        description="The variable for solve, diff and integrate, e.g. 'x'. Default: the expression's "
        "only variable, or x.",
    )

    @field_validator("variable")
    @classmethod
    def _not_a_constant(cls, value: str | None) -> str | None:
        if value in CONSTANTS:
            raise ValueError(f"{value} is a constant, not a variable; use a letter such as x")
        return value


class Solution(BaseModel):
    exact: str | None = Field(description="The solution in exact sympy form.")
    decimal: str | None = Field(description="Its decimal value, None if it contains other variables.")


class CalculatorResult(BaseModel):
    """The calculator's answer. ``exact`` is sympy's form, ``decimal`` the rounded value."""

    operation: Operation
    expression: str = Field(description="The input as understood, in Python syntax (2^10 -> 2 ** 10).")
    variable: str | None = Field(description="The variable used by solve, diff and integrate.")
    exact: str | None = Field(
        description="The exact result in sympy syntax, e.g. sqrt(2)*pi; "
        f"None when longer than {MAX_EXACT_CHARS} characters."
    )
    exact_chars: int = Field(description="Length of the exact form (the number of digits for an integer).")
    decimal: str | None = Field(description="The value to `precision` significant digits; None if not a number.")
    kind: Kind = Field(description="integer, rational, real, complex, symbolic (contains variables) or solutions.")
    is_integer: bool = Field(description="True when the exact result is an integer.")
    digits: int | None = Field(default=None, description="For an integer result: its number of decimal digits.")
    free_symbols: list[str] = Field(default_factory=list, description="Variables left in the result.")
    solutions: list[Solution] | None = Field(default=None, description="For solve: every solution found.")


def _prepare(expression: str, operation: str) -> ParsedExpression:
    parsed = parse_expression(expression)
    if parsed.rhs is not None and operation != "solve":
        raise ToolError(f"an equation ('=') only makes sense with operation='solve', not '{operation}'")
    return parsed


def calculate(inp: CalculatorInput, *, timeout: float = 3.0, sandbox: Sandbox | None = None) -> CalculatorResult:
    """Compute ``inp`` safely. Raises :class:`ToolError` (invalid_input, too_large, timeout)."""
    _prepare(inp.expression, inp.operation)  # refuse bad input here, without starting a worker
    box = sandbox if sandbox is not None else shared_sandbox()
    data = box.run(
        _compute, inp.expression, inp.precision, inp.operation, inp.variable, timeout=timeout, what="the calculation"
    )
    return CalculatorResult.model_validate(data)


def calculator_spec(*, timeout: float) -> ToolSpec[CalculatorInput, CalculatorResult]:
    """The calculator tool; ``timeout`` bounds one calculation in its worker process."""
    return ToolSpec(
        name="calculator",
        description=DESCRIPTION,
        input_model=CalculatorInput,
        output_model=CalculatorResult,
        func=partial(calculate, timeout=timeout),
        hints=ToolHints(
            read_only=True,
            destructive=False,
            idempotent=True,
            open_world=False,
            title="Calculator",
            timeout=timeout + 2.0,  # a cold worker start costs up to a second or two
        ),
    )


# --- inside the sandbox worker ----------------------------------------------


def _compute(expression: str, precision: int, operation: str, variable: str | None) -> dict[str, Any]:
    """Parse, translate and compute in the worker; a JSON-ready dict or a :class:`ToolError`."""
    from sympy.core.cache import clear_cache
    from sympy.polys.polyerrors import PolynomialError

    old_limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(_INT_STR_DIGITS)
    try:
        return _compute_checked(expression, precision, operation, variable)
    except (ToolError, MemoryError, RecursionError):
        raise  # the sandbox reports these with their own codes
    except ZeroDivisionError:
        raise ToolError("division by zero: the result is undefined") from None
    except OverflowError as err:
        raise ToolError(f"a number became too large to handle: {err}", code="too_large") from None
    except (NotImplementedError, PolynomialError) as err:
        raise ToolError(f"sympy cannot {operation} this expression in closed form ({err})") from None
    except Exception as err:  # noqa: BLE001 - sympy refused the input (TypeError, ValueError...)
        raise ToolError(f"could not {operation} the expression: {type(err).__name__}: {err}") from None
    finally:
        sys.set_int_max_str_digits(old_limit)
        clear_cache()  # big numbers must not linger in a shared worker


def _compute_checked(expression: str, precision: int, operation: str, variable: str | None) -> dict[str, Any]:
    import sympy as sp

    parsed = _prepare(expression, operation)
    lhs, rhs = to_sympy(parsed, dps=max(precision, 15))
    var = None
    if operation == "solve":
        equation = lhs if rhs is None else lhs - rhs
        var = _pick_variable(equation, variable, operation)
        if var not in equation.free_symbols:
            state = "true for every value" if equation == 0 else "never true"
            raise ToolError(f"the equation does not depend on {var} (it is {state}); nothing to solve for")
        found = sp.solve(equation, var)
        if len(found) > MAX_SOLUTIONS:
            raise ToolError(f"sympy found {len(found)} solutions, more than {MAX_SOLUTIONS}", code="too_large")
        solutions = [_describe(s, precision) for s in found]
        exact = "[" + ", ".join(str(s["exact"]) for s in solutions) + "]"
        return {
            "operation": operation,
            "expression": parsed.text,
            "variable": str(var),
            "exact": exact if len(exact) <= MAX_EXACT_CHARS else None,
            "exact_chars": len(exact),
            "decimal": None,
            "kind": "solutions",
            "is_integer": False,
            "free_symbols": sorted(str(s) for s in equation.free_symbols),
            "solutions": [{"exact": s["exact"], "decimal": s["decimal"]} for s in solutions],
        }
    if operation == "evaluate":
        result = lhs
    elif operation == "simplify":
        result = sp.simplify(lhs)
    else:
        var = _pick_variable(lhs, variable, operation)
        result = sp.diff(lhs, var) if operation == "diff" else sp.integrate(lhs, var)
    return {
        "operation": operation,
        "expression": parsed.text,
        "variable": None if var is None else str(var),
        **_describe(result, precision),
    }


def _pick_variable(expr: Any, variable: str | None, operation: str) -> Any:
    import sympy as sp

    if variable is not None:
        return sp.Symbol(variable)
    symbols = sorted(expr.free_symbols, key=str)
    if len(symbols) > 1:
        names = ", ".join(map(str, symbols))
        raise ToolError(f"the expression has several variables ({names}); set `variable` to the one to {operation} for")
    return symbols[0] if symbols else sp.Symbol("x")


def _describe(value: Any, precision: int) -> dict[str, Any]:
    """exact, decimal, kind... of one sympy value."""
    import sympy as sp

    if value.has(sp.zoo):
        raise ToolError("the result is undefined: complex infinity (zoo), e.g. from x/0, log(0) or tan(pi/2)")
    if value.has(sp.nan):
        raise ToolError("the result is undefined (nan), e.g. from 0/0 or oo - oo")
    if value.has(sp.oo, -sp.oo):
        raise ToolError("the result is infinite (oo); an infinite value has no decimal form")
    free = sorted(str(s) for s in value.free_symbols)
    out: dict[str, Any] = {"is_integer": bool(value.is_Integer), "free_symbols": free, "digits": None}
    if value.is_Integer:
        n = abs(int(value))
        digits = _int_digits(n)
        out.update(kind="integer", digits=digits, exact_chars=digits + (1 if value.is_negative else 0))
        exact = str(value) if digits <= MAX_EXACT_CHARS else None
        decimal = exact if exact is not None and digits <= precision else _decimal(value, precision)[0]
        return {**out, "exact": exact, "decimal": decimal}
    exact = str(value)
    out.update(exact=exact if len(exact) <= MAX_EXACT_CHARS else None, exact_chars=len(exact))
    if free:
        return {**out, "kind": "symbolic", "decimal": None}
    decimal, is_complex = _decimal(value, precision)
    kind = "rational" if value.is_Rational else ("complex" if is_complex else "real")
    return {**out, "kind": kind, "decimal": decimal}


def _int_digits(n: int) -> int:
    """Decimal digits of ``n >= 0`` without converting it to a string."""
    if n < 10**15:
        return len(str(n))
    guess = int(n.bit_length() * math.log10(2))
    return guess + (n >= 10**guess)


def _decimal(value: Any, precision: int) -> tuple[str | None, bool]:
    """``value`` to ``precision`` significant digits ('a + b*I' when complex) and whether complex."""
    import sympy as sp

    approx = sp.N(value, precision)
    parts = approx.as_real_imag()
    if not all(p.is_number and p.is_real is not False for p in parts):
        return None, False
    re_part, im_part = (sp.Float(p, precision) for p in parts)
    if not (re_part.is_Float and im_part.is_Float):
        return None, False
    real = _fmt(re_part, precision)
    if im_part.is_zero:
        return real, False
    imag = _fmt(abs(im_part), precision)
    if re_part.is_zero:
        return f"{'-' if im_part.is_negative else ''}{imag}*I", True
    return f"{real} {'-' if im_part.is_negative else '+'} {imag}*I", True


def _fmt(number: Any, precision: int) -> str:
    """A sympy Float as decimal text: 3.5, 1.60693804425899e+60, 2 (not 2.0)."""
    from mpmath.libmp import to_str

    text = to_str(number._mpf_, precision)
    return text.removesuffix(".0")


def from_settings(settings: Any) -> list[ToolSpec]:
    """The registry's builder: this family's tools, configured from the tool settings."""
    return [calculator_spec(timeout=settings.calc_timeout)]


__all__ = [
    "ALLOWED",
    "DESCRIPTION",
    "CalculatorInput",
    "CalculatorResult",
    "Solution",
    "calculate",
    "calculator_spec",
    "from_settings",
]
