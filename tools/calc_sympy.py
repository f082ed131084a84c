"""Translation of a checked expression into sympy objects, in the sandbox worker.

The translator builds every sympy object itself from the whitelisted tree
(nothing is parsed by sympy).  Before every power, factorial, binomial, gamma,
floor and round, and after every exact intermediate, it checks the exact
operands against :data:`~tools.calc_rules.MAX_DIGITS`, so no legal input can
make sympy build a number of millions of digits.  sympy is imported only when
a translator is made, so the caller's process never loads it.
"""

from __future__ import annotations

import ast
import math
from typing import TYPE_CHECKING, Any

from tools.base import ToolError
from tools.calc_bounds import LN10, LOG10_2, lgamma10
from tools.calc_rules import MAX_BINOMIAL_K, MAX_DIGITS, MAX_ROUND_DIGITS, chain, chain_class, too_large

if TYPE_CHECKING:
    from tools.calc_parse import ParsedExpression


def _rational_digits(r: Any) -> float:
    """log10 of the larger of |numerator| and denominator of a sympy Rational (0 for 0, 1, -1)."""
    big = max(abs(int(r.p)), int(r.q))
    return math.log10(big) if big > 1 else 0.0


def _short(value: Any) -> str:
    """A short description of a sympy value for a message."""
    if value.is_Rational and _rational_digits(value) > 40:
        return f"<a {_rational_digits(value):.0f}-digit number>"
    text = str(value)
    text = text if len(text) <= 40 else f"{text[:37]}..."
    return text if value.is_Symbol or (value.is_Integer and value >= 0) else f"({text})"


def to_sympy(parsed: ParsedExpression, *, dps: int = 15) -> tuple[Any, Any]:
    """Build ``(lhs, rhs)`` as sympy objects; decimal literals get ``dps`` digits."""
    translator = _Translator(dps)
    return translator.expr(parsed.lhs), (None if parsed.rhs is None else translator.expr(parsed.rhs))


class _Translator:
    def __init__(self, dps: int) -> None:
        import sympy as sp

        self.sp, self.dps = sp, dps
        d2r = sp.pi / 180
        self.constants = {"pi": sp.pi, "e": sp.E, "E": sp.E, "tau": 2 * sp.pi, "I": sp.I, "deg": d2r}
        self.functions = {
            "sqrt": sp.sqrt, "cbrt": lambda a: sp.real_root(a, 3), "root": sp.real_root, "exp": sp.exp,
            "log": sp.log, "ln": sp.log, "log10": lambda a: sp.log(a, 10), "log2": lambda a: sp.log(a, 2),
            "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "cot": sp.cot, "sec": sp.sec, "csc": sp.csc,
            "sind": lambda a: sp.sin(a * d2r), "cosd": lambda a: sp.cos(a * d2r), "tand": lambda a: sp.tan(a * d2r),
            "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "acot": sp.acot,
            "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "atan2": sp.atan2, "arctan2": sp.atan2,
            "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "asinh": sp.asinh, "acosh": sp.acosh, "atanh": sp.atanh,
            "degrees": lambda a: a / d2r, "radians": lambda a: a * d2r,
            "abs": sp.Abs, "sign": sp.sign, "floor": sp.floor, "ceil": sp.ceiling, "ceiling": sp.ceiling,
            "round": self._round, "factorial": sp.factorial, "factorial2": sp.factorial2, "gamma": sp.gamma,
            "binomial": sp.binomial, "comb": sp.binomial, "max": sp.Max, "min": sp.Min,
            "gcd": lambda *a: self._fold(sp.gcd, a), "lcm": lambda *a: self._fold(sp.lcm, a),
        }  # fmt: skip

    def expr(self, node: ast.expr) -> Any:
        sp = self.sp
        if isinstance(node, ast.Constant):
            if isinstance(node.value, int):
                return sp.Integer(node.value)
            return sp.Float(getattr(node.value, "literal", repr(node.value)), self.dps)
        if isinstance(node, ast.Name):
            return self.constants[node.id] if node.id in self.constants else sp.Symbol(node.id)
        if isinstance(node, ast.UnaryOp):
            value = self.expr(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            if chain_class(node):
                first, items = chain(node)
                result = self.expr(first)
                for op, operand in items:
                    result = self._binop(op, result, self.expr(operand))
                return result
            return self._binop(node.op, self.expr(node.left), self.expr(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [self.expr(arg) for arg in node.args]
            self._check_call(node.func.id, args)
            return self._check_size(self.functions[node.func.id](*args))
        raise ToolError(f"internal: unexpected {type(node).__name__} after checking", code="internal")

    def _binop(self, op: ast.operator, a: Any, b: Any) -> Any:
        sp = self.sp
        if isinstance(op, (ast.Div, ast.Mod, ast.FloorDiv)) and b.is_zero:
            raise ToolError("division by zero: the result is undefined (x/0, x % 0 and x // 0 are not numbers)")
        if isinstance(op, ast.Pow):
            self._check_pow(a, b)
            result = a**b
        elif isinstance(op, ast.Add):
            result = a + b
        elif isinstance(op, ast.Sub):
            result = a - b
        elif isinstance(op, ast.Mult):
            result = a * b
        elif isinstance(op, ast.Div):
            result = a / b
        elif isinstance(op, ast.Mod):
            result = sp.Mod(a, b)
        else:
            result = sp.floor(a / b)
        return self._check_size(result)

    def _check_size(self, value: Any) -> Any:
        atoms = (value,) if value.is_Rational else value.atoms(self.sp.Rational)
        for atom in atoms:
            digits = _rational_digits(atom)
            if digits > MAX_DIGITS:
                raise too_large("an intermediate result", digits)
        return value

    def _check_pow(self, base: Any, exponent: Any) -> None:
        """Refuse a power whose exact evaluation by sympy would build a huge number."""
        if not exponent.is_Rational:
            return  # decimal or symbolic exponent: nothing exact is built
        factors = base.args if base.is_Mul else (base,)
        size = 0.0  # log10-size of the part of the base sympy raises exactly
        for f in factors:
            if f.is_Rational:
                size += _rational_digits(f)
            elif f.is_Pow and f.base.is_Rational and f.exp.is_Rational:
                size += _rational_digits(f.base) * abs(float(f.exp))
        if size:
            magnitude = (abs(int(exponent.p)).bit_length() - int(exponent.q).bit_length()) * LOG10_2
            digits = math.inf if magnitude > 300 else size * abs(float(exponent))
            if digits > MAX_DIGITS:
                raise too_large(f"the power {_short(base)}**{_short(exponent)}", digits)

    def _check_call(self, name: str, args: list[Any]) -> None:
        sp, arg = self.sp, args[0]
        digits = 0.0
        if name in ("factorial", "factorial2") and arg.is_Integer and arg > 0:
            digits = lgamma10(float(arg) + 1) if _rational_digits(arg) < 300 else math.inf
            digits /= 2 if name == "factorial2" else 1
        elif name == "gamma" and arg.is_Rational:
            digits = lgamma10(abs(float(arg)) + 1) if _rational_digits(arg) < 300 else math.inf
        elif name == "root" and args[1].is_Rational and not args[1].is_zero:
            self._check_pow(arg, 1 / args[1])  # root(x, 1/10**9) is x**(10**9)
        elif name in ("binomial", "comb") and args[1].is_Integer:
            digits = self._binomial_digits(arg, args[1])
        elif name in ("floor", "ceil", "ceiling", "round") and arg.is_number and not arg.is_Rational:
            approx = sp.N(arg, 15)
            for part in approx.as_real_imag():
                if part.is_Float and part != 0:
                    digits = max(digits, (part._mpf_[2] + part._mpf_[3]) * LOG10_2)
        if digits > MAX_DIGITS:
            raise too_large(f"{name}({', '.join(_short(a) for a in args)})", digits)

    def _binomial_digits(self, n: Any, k: Any) -> float:
        if not (n.is_Integer and n >= 0) and abs(int(k)) > MAX_BINOMIAL_K:  # sympy multiplies k factors
            raise ToolError(
                f"binomial(n, k) with n not a non-negative integer needs |k| <= {MAX_BINOMIAL_K}", code="too_large"
            )
        if n.is_Integer:  # exact: about log10(binomial(N, m)) with N >= 0
            n_, k_ = int(n), int(k)
            big_n, m = (n_, min(k_, n_ - k_)) if n_ >= 0 else (k_ - n_ - 1, min(k_, -n_ - 1))
            if m <= 0:
                return 0.0
            if big_n < 10**15:
                return (math.lgamma(big_n + 1) - math.lgamma(m + 1) - math.lgamma(big_n - m + 1)) / LN10
            return m * (big_n.bit_length() * LOG10_2 + 0.44 - math.log10(m))
        return _rational_digits(n) * abs(int(k)) if n.is_Rational else 0.0

    def _round(self, x: Any, digits: Any = None) -> Any:
        if not x.is_number:
            raise ToolError("round() needs a number, not a symbolic expression")
        if digits is None:
            return x.round()
        if not digits.is_Integer or abs(digits) > MAX_ROUND_DIGITS:
            raise ToolError(f"round(x, n) needs an integer n between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}")
        scale = self.sp.Integer(10) ** digits  # exact: round(pi, 3) is 3142/1000, not a 3.142 float
        return (x * scale).round() / scale

    def _fold(self, fn: Any, args: tuple[Any, ...]) -> Any:
        result = args[0]
        for arg in args[1:]:
            result = self._check_size(fn(result, arg))
        return result


__all__ = ["to_sympy"]
