"""The calculator: right answers (checked against Python's own math), and refusals.

Expected values come from :mod:`math`, :mod:`fractions`, :mod:`decimal` or
known constants, never from sympy evaluating the same expression again.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import tokenize
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest

from tools.base import ToolError
from tools.calc_parse import FUNCTIONS, MAX_DIGITS, MAX_LENGTH, parse_expression
from tools.calculator import CalculatorInput, CalculatorResult, calculate, calculator_spec

PI_50 = "3.1415926535897932384626433832795028841971693993751"  # 50 significant digits
E_30 = "2.71828182845904523536028747135"


def calc(expression: str, **kwargs) -> CalculatorResult:
    timeout = kwargs.pop("timeout", 10.0)  # generous: a cold worker imports sympy first
    return calculate(CalculatorInput(expression=expression, **kwargs), timeout=timeout)


def refused(expression: str, **kwargs) -> tuple[ToolError, float]:
    start = time.monotonic()
    with pytest.raises(ToolError) as info:
        calc(expression, **kwargs)
    return info.value, time.monotonic() - start


def close(decimal: str | None, expected: float, rel: float = 1e-14) -> bool:
    assert decimal is not None
    return math.isclose(float(Decimal(decimal)), expected, rel_tol=rel)


# --- ordinary arithmetic ----------------------------------------------------


def test_sqrt2_pi_exact_and_decimal():
    r = calc("sqrt(2)*pi")
    assert r.exact == "sqrt(2)*pi"
    assert r.kind == "real" and not r.is_integer
    assert close(r.decimal, math.sqrt(2) * math.pi)
    assert len(r.decimal.replace(".", "")) == 15  # 15 significant digits


def test_high_precision_constants():
    assert calc("pi", precision=50).decimal == PI_50
    assert calc("e", precision=30).decimal == E_30
    assert calc("E", precision=30).decimal == E_30


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2^10", 2**10),
        ("2**10", 2**10),
        ("2^3+1", 9),  # ^ is a power with the power's precedence
        ("2^3^2", 2**3**2),
        ("-2^2", -(2**2)),
        ("7%3", 7 % 3),
        ("-7 % 3", -7 % 3),
        ("7//2", 7 // 2),
        ("5!", math.factorial(5)),
        ("3!^2", math.factorial(3) ** 2),
        ("2^3!", 2 ** math.factorial(3)),
        ("10!/(3!*7!)", math.comb(10, 3)),
        ("9!!", 9 * 7 * 5 * 3 * 1),
        ("gcd(12, 18)", math.gcd(12, 18)),
        ("gcd(12, 18, 8)", math.gcd(12, 18, 8)),
        ("lcm(4, 6)", math.lcm(4, 6)),
        ("binomial(10, 3)", 120),
        ("comb(52, 5)", math.comb(52, 5)),
        ("factorial(20)", math.factorial(20)),
        ("gamma(6)", math.factorial(5)),
        ("log(8, 2)", 3),
        ("log10(1000)", 3),
        ("log2(1024)", 10),
        ("ln(e)", 1),
        ("abs(-3)", 3),
        ("floor(-2.5)", math.floor(-2.5)),
        ("ceil(2.1)", math.ceil(2.1)),
        ("round(2.5)", round(2.5)),
        ("round(3.5)", round(3.5)),
        ("max(1, 5, 3)", 5),
        ("min(4, -2)", -2),
        ("cbrt(-8)", -2),
        ("degrees(pi)", 180),
        ("1+2+3+4+5+6+7+8+9+10", 55),
    ],
)
def test_integer_results(expression, expected):
    r = calc(expression)
    assert r.kind == "integer" and r.is_integer
    assert r.exact == str(expected)
    assert r.digits == len(str(abs(expected)))
    if r.digits <= 15:  # the default precision
        assert r.decimal == str(expected)
    else:  # rounded to 15 significant digits
        assert close(r.decimal, expected) and "e+" in r.decimal


def test_big_exact_integers_match_python():
    r = calc("2**200")
    assert r.exact == str(2**200)
    assert r.digits == len(str(2**200))
    assert close(r.decimal, float(2**200))
    r = calc("factorial(1000)")
    assert r.exact == str(math.factorial(1000))


def test_integer_too_long_to_print_still_gives_size_and_decimal():
    r = calc("factorial(20000)")
    digits = math.floor(math.lgamma(20001) / math.log(10)) + 1
    assert r.exact is None and r.digits == digits and r.exact_chars == digits
    mantissa = 10 ** (math.lgamma(20001) / math.log(10) - (digits - 1))
    assert r.decimal.endswith(f"e+{digits - 1}")
    assert math.isclose(float(r.decimal.split("e")[0]), mantissa, rel_tol=1e-9)


def test_rationals_and_decimals():
    r = calc("1/3")
    assert r.exact == "1/3" and r.kind == "rational"
    assert Fraction(r.exact) == Fraction(1, 3)
    assert r.decimal == "0.333333333333333"
    with localcontext() as ctx:
        ctx.prec = 40
        assert calc("1/7", precision=40).decimal == str(Decimal(1) / Decimal(7))
        assert calc("0.1 + 0.2", precision=40).decimal == str(Decimal("0.1") + Decimal("0.2"))
    assert calc("2**-3").exact == "1/8"
    assert calc("round(pi, 3)").decimal == "3.142"


@pytest.mark.parametrize(
    ("expression", "exact", "value"),
    [
        ("sin(30°)", "1/2", 0.5),
        ("sin(30*deg)", "1/2", 0.5),
        ("sind(30)", "1/2", 0.5),
        ("cos(60°)", "1/2", 0.5),
        ("tan(45°)", "1", 1.0),
        ("cosd(0)", "1", 1.0),
        ("radians(180)", "pi", math.pi),
        ("atan2(1, 1)", "pi/4", math.atan2(1, 1)),
        ("asin(1)", "pi/2", math.asin(1)),
        ("arctan(1)", "pi/4", math.atan(1)),
    ],
)
def test_trigonometry_and_degrees(expression, exact, value):
    r = calc(expression)
    assert r.exact == exact
    assert close(r.decimal, value)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("sin(1)", math.sin(1)),
        ("cosh(2)", math.cosh(2)),
        ("tanh(0.5)", math.tanh(0.5)),
        ("log(2)", math.log(2)),
        ("exp(2.5)", math.exp(2.5)),
        ("sqrt(3) + cbrt(2)", math.sqrt(3) + 2 ** (1 / 3)),
        ("2^0.5", math.sqrt(2)),
        ("gamma(0.5)", math.gamma(0.5)),
        ("sin(1)^2 + cos(1)^2", 1.0),
    ],
)
def test_functions_against_math(expression, value):
    assert close(calc(expression).decimal, value, rel=1e-13)


def test_complex_results():
    r = calc("sqrt(-4)")
    assert r.exact == "2*I" and r.kind == "complex" and r.decimal == "2*I"
    r = calc("(-8)^(1/3)")
    z = complex(-8) ** (1 / 3)
    real, imag = r.decimal.split(" + ")
    assert close(real, z.real) and close(imag.removesuffix("*I"), z.imag)


def test_decimal_base_gives_approximate_huge_power():
    r = calc("2.0**(2**64)")
    with localcontext() as ctx:
        ctx.prec = 60
        log = Decimal(2).log10() * (2**64)
    exponent = int(log)
    mantissa = 10 ** float(log - exponent)
    text, _, exp = r.decimal.partition("e+")
    assert int(exp) == exponent and math.isclose(float(text), mantissa, rel_tol=1e-12)


def test_normalised_expression():
    assert calc("2^10").expression == "2 ** 10"
    assert calc("5!").expression == "factorial(5)"
    assert calc("sin(30°)").expression == "sin(30 * deg)"
    assert calc("3 × 4 ÷ 2").exact == "6"
    assert calc("π").exact == "pi"


# --- symbolic operations ----------------------------------------------------


def test_solve():
    r = calc("x^2 = 4", operation="solve")
    assert r.kind == "solutions" and r.variable == "x"
    assert sorted(int(s.exact) for s in r.solutions) == [-2, 2]
    r = calc("x^2 - 2", operation="solve")
    assert sorted(float(s.decimal) for s in r.solutions) == pytest.approx([-math.sqrt(2), math.sqrt(2)], rel=1e-14)
    r = calc("a*x + b = 0", operation="solve", variable="x")
    assert [s.exact for s in r.solutions] == ["-b/a"] and r.solutions[0].decimal is None


def test_diff_integrate_simplify():
    assert calc("x^3", operation="diff").exact == "3*x**2"
    assert calc("sin(t)*t", operation="diff").exact == "t*cos(t) + sin(t)"
    r = calc("x^2", operation="integrate")
    assert r.exact == "x**3/3" and r.kind == "symbolic" and r.free_symbols == ["x"]
    assert calc("sin(x)^2 + cos(x)^2", operation="simplify").exact == "1"
    assert calc("x*y", operation="diff", variable="y").exact == "x"


@pytest.mark.parametrize(
    ("expression", "operation", "needle"),
    [
        ("x*y", "diff", "several variables"),
        ("x = x", "solve", "does not depend on x"),
        ("x = 2", "evaluate", "only makes sense with operation='solve'"),
        ("x < 2", "solve", "comparison"),
    ],
)
def test_symbolic_misuse_is_explained(expression, operation, needle):
    err, _ = refused(expression, operation=operation)
    assert err.code == "invalid_input" and needle in err.message


# --- undefined results ------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "needle"),
    [("1/0", "division by zero"), ("5 % 0", "division by zero"), ("0/0", "division by zero"),
     ("log(0)", "complex infinity"), ("tan(pi/2)", "complex infinity"), ("0^-1", "complex infinity")],
)  # fmt: skip
def test_undefined_results_are_errors(expression, needle):
    err, _ = refused(expression)
    assert err.code == "invalid_input" and needle in err.message


# --- hostile and oversized input --------------------------------------------


@pytest.mark.parametrize(
    ("expression", "needle"),
    [
        ("(1).__class__", "attribute"),
        ("().__class__.__bases__", "attribute"),
        ("(1).real", "attribute"),
        ("lambda: 1", "lambda"),
        ("(lambda x: x)(1)", "lambda"),
        ("[1, 2][0]", "indexing"),
        ("[1, 2]", "list"),
        ("x[0]", "indexing"),
        ("'abc'", "string"),
        ('"a" * 3', "string"),
        ("f'{1+1}'", "f-string"),
        ("sin(x=1)", "keyword"),
        ("sin(*[1])", "starred"),
        ("open('x')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("exec(1)", "unknown function 'exec'"),
        ("os", "unknown name 'os'"),
        ("os.system", "attribute"),
        ("__builtins__", "'_'"),
        ("_x", "'_'"),
        ("5[_fact_]", "'_'"),
        ("[x for x in (1, 2)]", "comprehension"),
        ("sum(x for x in (1, 2))", "unknown function"),
        ("(x for x in (1,))", "generator"),
        ("1 if 1 else 2", "conditional"),
        ("1 and 2", "and/or"),
        ("(y := 2)", "assignment"),
        ("1 << 2", "operators"),
        ("~1", "operators"),
        ("not 1", "not"),
        ("{1: 2}", "dict"),
        ("{1}", "set"),
        ("1, 2", "tuple"),
        ("2j", "imaginary"),
        ("True", "True"),
        ("None", "None"),
        ("sin", "is a function"),
        ("x(2)", "not a function"),
        ("2x", "2*x"),
        ("", "empty"),
        ("sqrt()", "takes 1 argument"),
        ("log(1, 2, 3)", "takes 1 to 2"),
    ],
)
def test_hostile_or_malformed_input_is_refused(expression, needle):
    err, elapsed = refused(expression)
    assert err.code == "invalid_input"
    assert needle in err.message
    assert elapsed < 2


def test_import_payload_does_nothing(tmp_path: Path):
    marker = tmp_path / "pwned"
    for payload in (
        f"__import__('os').system('touch {marker}')",
        f"eval(\"__import__('os').system('touch {marker}')\")",
        f"(lambda: __import__('os').system('touch {marker}'))()",
        "().__class__.__base__.__subclasses__()",
    ):
        err, elapsed = refused(payload)
        assert err.code == "invalid_input" and elapsed < 2
    assert not marker.exists()


def test_every_refusal_names_what_is_allowed():
    err, _ = refused("open('x')")
    assert "Allowed:" in err.message and "sqrt" in err.message


@pytest.mark.parametrize(
    "expression",
    [
        "9**9**9**9",
        "10**10**10",
        "factorial(10**9)",
        "(10**9)!",
        "2**(2**64)",
        "factorial(5000)**factorial(300)",
        "2^(3^(4^5))",
    ],
)
def test_astronomical_numbers_are_refused_before_any_work(expression):
    err, elapsed = refused(expression)
    assert err.code == "too_large" and "digits" in err.message
    assert elapsed < 0.5


@pytest.mark.parametrize(
    ("expression", "needle"),
    [
        ("2**(10**6)", "3.01e+05 digits"),  # past the exact limit
        ("10**99999 * 10**99999", "2e+05 digits"),  # each factor allowed, the product not
        ("(2*x)**(10**10)", "digits"),  # sympy would expand 2**(10**10)
        ("sqrt(2)**(10**10)", "digits"),  # = 2**(5*10**9)
        ("(1/3)**(10**6)", "digits"),
        ("binomial(10**10, 10**9)", "digits"),
        ("floor(exp(10**6))", "digits"),
        ("factorial(floor(1e7))", "digits"),
        ("binomial(-1, 10**9)", "|k| <= 10000"),
        ("root(2, 1/10**9)", "digits"),  # = 2**(10**9)  # sympy would multiply 10**9 factors
    ],
)
def test_exact_bounds_in_the_worker(expression, needle):
    err, elapsed = refused(expression)
    assert err.code == "too_large" and needle in err.message
    assert "|k|" in needle or f"the {MAX_DIGITS} allowed" in err.message
    assert elapsed < 2


def test_largest_allowed_power_is_computed():
    r = calc("10**99999 + 1")
    assert r.digits == 100_000 and r.exact is None


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("2**(1/10**400)", 1.0),  # a huge denominator is a tiny exponent, not a huge one
        ("(10**99999)**(1/2) / 10**49999", math.sqrt(10)),
        ("1.5**(10**6) / 1.5**(10**6)", 1.0),  # decimal bases are never exact: no limit
        ("I**(10**99999)", 1.0),
    ],
)
def test_large_looking_but_cheap_expressions_are_computed(expression, value):
    assert close(calc(expression).decimal, value)


@pytest.mark.parametrize(
    "expression",
    [
        "1+" * (MAX_LENGTH // 2) + "1",
        "(" * 500 + "1" + ")" * 500,
        "sin(" * 150 + "1" + ")" * 150,
        "-" * 600 + "1",
        "1" + "**1" * 300,
    ],
)
def test_oversized_input_is_refused(expression):
    err, elapsed = refused(expression)
    assert err.code == "too_large"
    assert elapsed < 2


def test_timeout_really_interrupts():
    calc("1+1")  # a warm worker, so the timeout measures the work itself
    start = time.monotonic()
    with pytest.raises(ToolError) as info:
        calc("sqrt(10**9999 + 1)", timeout=0.5)  # legal, but sympy needs many seconds
    assert info.value.code == "timeout"
    assert time.monotonic() - start < 3
    assert calc("2+2").exact == "4"  # the killed worker was replaced


def test_parser_needs_no_sympy_and_never_evaluates():
    code = (
        "import sys; from tools.calculator import calculator_spec; from tools.calc_parse import parse_expression;"
        "parse_expression('sqrt(2)*x^2 + 5!'); assert 'sympy' not in sys.modules, 'sympy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    import tools.calc_parse
    import tools.calculator

    for module in (tools.calc_parse, tools.calculator):
        with open(module.__file__, encoding="utf-8") as source:
            names = {tok.string for tok in tokenize.generate_tokens(source.readline) if tok.type == tokenize.NAME}
        assert not names & {"eval", "exec", "sympify", "parse_expr", "__import__", "S"}, module.__name__


def test_function_table_matches_translator():
    import sympy  # noqa: F401 - the translator needs it

    from tools.calc_parse import _Translator

    assert set(_Translator(15).functions) == set(FUNCTIONS)
    assert parse_expression("x_1 + t2").names == {"x_1", "t2"}


# --- the tool as the graph sees it --------------------------------------------


def test_spec():
    spec = calculator_spec(timeout=2.0)
    assert spec.name == "calculator"
    assert spec.hints.read_only and not spec.hints.destructive and spec.hints.idempotent and not spec.hints.open_world
    assert spec.hints.timeout is not None and spec.hints.timeout > 2.0
    assert "sqrt(2)*pi" in spec.description


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "expression"),
        ({"expression": 5}, "expression"),
        ({"expression": ["1"]}, "expression"),
        ({"expression": "1", "precision": "high"}, "precision"),
        ({"expression": "1", "precision": 0}, "precision"),
        ({"expression": "1", "precision": 10_000}, "precision"),
        ({"expression": "1", "operation": "factor"}, "operation"),
        ({"expression": "1", "variable": "os.path"}, "variable"),
        ({"expression": "1", "variable": "e"}, "constant"),
        ({"expression": "1", "code": "print(1)"}, "code"),
    ],
)
def test_bad_arguments_give_error_dicts(arguments, field):
    out = calculator_spec(timeout=5.0).run(arguments)
    assert out["ok"] is False and out["error"] == "invalid_input"
    assert field in out["message"]


def test_run_returns_json_ready_dicts():
    spec = calculator_spec(timeout=5.0)
    out = spec.run({"expression": "2^10"})
    assert out["ok"] is True and out["exact"] == "1024" and out["decimal"] == "1024"
    out = spec.run({"expression": "9**9**9**9"})
    assert out == {"ok": False, "error": "too_large", "message": out["message"]}
    json.dumps(spec.run({"expression": "x^2 = 2", "operation": "solve"}))


def test_langchain_tool_end_to_end():
    tool = calculator_spec(timeout=5.0).as_langchain()
    data = json.loads(tool.invoke({"expression": "sqrt(2)*pi", "precision": 20}))
    assert data["exact"] == "sqrt(2)*pi"
    assert close(data["decimal"], math.sqrt(2) * math.pi)
    error = json.loads(tool.invoke({"expression": "__import__('os')"}))
    assert error["ok"] is False and error["error"] == "invalid_input"
    assert tool.args_schema.model_json_schema()["properties"]["expression"]["description"]


def test_registry_builds_the_calculator():
    from tools.registry import tools_by_name

    assert tools_by_name(families=["calculator"])["calculator"].name == "calculator"
