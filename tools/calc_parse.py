"""The calculator's safe parser: text -> checked syntax tree -> sympy objects.

Nothing here runs its input as code: no ``eval``, no ``sympify`` or
``parse_expr`` on the text.  The text is parsed with :mod:`ast`
(``mode="eval"``), every node is checked against a whitelist, and the
translator builds the sympy objects itself, node by node.

Before parsing, the text is rewritten in a few places (outside the parser,
because Python has no such operators or gives them the wrong precedence):

* ``^`` becomes ``**``.  Done on the text, not on the parsed ``BitXor`` node,
  because Python's ``^`` binds looser than ``+``: ``2^3+1`` must be 9, not 16.
* postfix ``!``, ``!!`` and ``°`` become subscripts with reserved marker names
  (``5!`` -> ``5[_fact_]``), which bind as tightly as a postfix operator should;
  the checker turns them into ``factorial(5)``, ``factorial2(5)`` and ``5*deg``.
  Any other subscript, and any name starting with ``_``, is refused.
* a single ``=`` outside parentheses becomes ``==``: an equation, accepted only
  at the top level (inside a call it stays ``=``, refused as a keyword argument).
* ``π × · ÷ − ² ³`` become ``pi * * / - **2 **3``.

Sizes are bounded twice.  :func:`parse_expression` (plain Python, runs in the
caller) bounds length, nesting and node count, and estimates from the literals
the size of integer powers, factorials and gamma values, refusing at once
``9**9**9**9``, ``2**(2**64)`` or ``factorial(10**9)``.  :func:`to_sympy` (runs in
the sandbox worker) checks the exact operands before every power, factorial,
binomial, gamma, floor and round, and every exact intermediate, against
:data:`MAX_DIGITS`.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Any, NamedTuple, Self

from tools.base import ToolError

MAX_LENGTH = 1000  # characters of input
MAX_DEPTH = 100  # nested operations/calls (a flat chain like 1+2+3+... counts once)
MAX_NODES = 500  # syntax tree nodes
MAX_DIGITS = 100_000  # digits of any exact number built while computing
STATIC_DIGITS = 1_000_000  # the caller's quick estimate refuses beyond this (loose bounds)
MAX_ROUND_DIGITS = 1000  # round(x, n): |n| at most this
MAX_BINOMIAL_K = 10_000  # binomial(n, k) with n not a non-negative integer multiplies k factors

LOG10_2 = math.log10(2)
LN10 = math.log(10)

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
_VARIABLE = re.compile(VARIABLE_PATTERN)
_MARKERS = {"_fact_": "factorial", "_fact2_": "factorial2", "_deg_": "deg"}
_UNICODE = {"π": "pi", "×": "*", "·": "*", "÷": "/", "−": "-", "²": "**2", "³": "**3"}

ALLOWED = (
    "Allowed: numbers, + - * / ** (or ^) % //, postfix ! (factorial) and ° (degrees), parentheses, "
    f"the constants {', '.join(CONSTANTS)}, calls of the functions {', '.join(FUNCTIONS)} "
    "with positional arguments, and variables named by one letter (x, y, t1, x_2)."
)

_DESCRIBE: dict[type, str] = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "indexing or slicing (a[i])",
    ast.Lambda: "lambda",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.List: "a list",
    ast.Tuple: "a tuple or several comma-separated expressions",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.BoolOp: "and/or",
    ast.IfExp: "a conditional expression (a if c else b)",
    ast.NamedExpr: "assignment (:=)",
    ast.Starred: "a starred argument (*a)",
    ast.Compare: "a comparison (only a single '=' for an equation is allowed)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.FloorDiv)


def _refuse(what: str) -> ToolError:
    return ToolError(f"{what} is not allowed in a calculator expression. {ALLOWED}")


def _too_large(what: str, digits: float) -> ToolError:
    size = "astronomically many" if digits == math.inf else f"about {digits:.3g}"
    return ToolError(
        f"{what} is too large: its exact value would have {size} digits, more than the "
        f"{MAX_DIGITS} allowed. For an approximate value use a decimal number "
        "(2.0**n, factorial(1e9)), or compute its size with logarithms.",
        code="too_large",
    )


def _snippet(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


class _Decimal(float):
    """A float literal that keeps its text: 0.1000000000000000000001 stays exact to its digits."""

    def __new__(cls, value: float, literal: str) -> Self:
        self = super().__new__(cls, value)
        self.literal = literal
        return self

    def __repr__(self) -> str:  # what ast.unparse writes
        return self.literal


@dataclass(frozen=True)
class ParsedExpression:
    """A checked expression: ``lhs`` (and ``rhs`` for an equation ``lhs = rhs``)."""

    lhs: ast.expr
    rhs: ast.expr | None
    names: frozenset[str]  # the variables used

    @property
    def text(self) -> str:
        """The normalised form, e.g. ``2 ** 10`` for ``2^10``, ``factorial(5)`` for ``5!``."""
        left = ast.unparse(self.lhs)
        return left if self.rhs is None else f"{left} = {ast.unparse(self.rhs)}"


def _rewrite(text: str) -> str:
    out: list[str] = []
    i, n, depth = 0, len(text), 0
    while i < n:
        c, nxt = text[i], text[i + 1 : i + 2]
        depth += (c in "([{") - (c in ")]}")
        if c == "^":
            out.append("**")
        elif c == "!" and nxt == "=":
            out.append("!=")
            i += 1
        elif c == "!" and nxt == "!":
            out.append("[_fact2_]")
            i += 1
        elif c == "!":
            out.append("[_fact_]")
        elif c == "°":
            out.append("[_deg_]")
        elif c == "=" and nxt == "=":
            out.append("==")
            i += 1
        elif c == "=":  # an equation at the top level; inside a call it stays a keyword argument
            out.append("=" if depth or text[i - 1 : i] in ("<", ">", ":") else "==")
        else:
            out.append(_UNICODE.get(c, c))
        i += 1
    return "".join(out)


def parse_expression(text: str) -> ParsedExpression:
    """Check ``text`` and return its cleaned tree; :class:`ToolError` if refused. No sympy."""
    if len(text) > MAX_LENGTH:
        raise ToolError(
            f"the expression has {len(text)} characters, more than the {MAX_LENGTH} allowed", code="too_large"
        )
    if not text.strip():
        raise ToolError("the expression is empty; write something to compute, e.g. 2*(3+4)")
    if any(marker in text for marker in _MARKERS):
        raise _refuse("a name starting with '_'")
    source = _rewrite(text.strip())
    depth = deepest = 0
    for c in source:
        depth += c in "([{"
        depth -= c in ")]}"
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise ToolError(f"the expression nests parentheses more than {MAX_DEPTH} deep", code="too_large")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ToolError(
            f"could not parse the expression ({err.msg}). Write it like Python arithmetic: "
            "2*x not 2x, ** or ^ for powers, sqrt(2) for calls, one '=' for an equation."
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ToolError("could not parse the expression (null bytes or far too complex)") from None
    _check_shape(tree.body)
    checker = _Checker(source)
    body = tree.body
    if isinstance(body, ast.Compare):
        if len(body.ops) != 1 or not isinstance(body.ops[0], ast.Eq):
            raise _refuse("a comparison (<, >, !=, chained =)")
        lhs, rhs = checker.clean(body.left)[0], checker.clean(body.comparators[0])[0]
        return ParsedExpression(lhs, rhs, frozenset(checker.names))
    return ParsedExpression(checker.clean(body)[0], None, frozenset(checker.names))


def _chain_class(node: ast.AST) -> int:
    """1 for + -, 2 for * / % //, else 0: operators of one class form a flat chain."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return 1
        if isinstance(node.op, (ast.Mult, ast.Div, ast.Mod, ast.FloorDiv)):
            return 2
    return 0


def _chain(node: ast.BinOp) -> tuple[ast.expr, list[tuple[ast.operator, ast.expr]]]:
    """``a - b + c`` as ``(a, [(Sub, b), (Add, c)])``, without recursion."""
    cls, items = _chain_class(node), []
    current: ast.expr = node
    while _chain_class(current) == cls:
        assert isinstance(current, ast.BinOp)
        items.append((current.op, current.right))
        current = current.left
    items.reverse()
    return current, items


def _check_shape(root: ast.AST) -> None:
    """Depth and node count, iteratively, before anything recurses over the tree."""
    count, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            count += 1
        if count > MAX_NODES:
            raise ToolError(f"the expression has more than {MAX_NODES} parts", code="too_large")
        if depth > MAX_DEPTH:
            raise ToolError(f"the expression nests operations more than {MAX_DEPTH} deep", code="too_large")
        cls = _chain_class(node)
        for child in ast.iter_child_nodes(node):
            same = cls and child is getattr(node, "left", None) and _chain_class(child) == cls
            stack.append((child, depth if same else depth + 1))


# --- static size estimate ---------------------------------------------------
# For a subtree made only of exact numbers, a _Size; None when unknown (a variable,
# a decimal, an irrational constant or function): the worker's exact checks decide.


class _Size(NamedTuple):
    height: float  # >= log10 of the larger of |numerator| and denominator
    magnitude: float  # >= log10 |value|
    is_int: bool  # known to be an integer
    nonneg: bool  # known to be >= 0


Estimate = _Size | None


def _lgamma10(x: float) -> float:
    """log10(gamma(x)), inf when x is astronomically large."""
    return math.inf if x > 1e300 else math.lgamma(max(x, 1.0)) / LN10


def _estimate_binop(op: ast.operator, a: Estimate, b: Estimate, node: ast.AST) -> Estimate:
    if a is None or b is None:
        return None
    if isinstance(op, (ast.Add, ast.Sub)):
        both, nonneg = a.is_int and b.is_int, isinstance(op, ast.Add) and a.nonneg and b.nonneg
        height = max(a.height, b.height) if both else a.height + b.height
        return _Size(height + LOG10_2, max(a.magnitude, b.magnitude) + LOG10_2, both, nonneg)
    nonneg = a.nonneg and b.nonneg
    if isinstance(op, ast.Mult):
        return _Size(a.height + b.height, a.magnitude + b.magnitude, a.is_int and b.is_int, nonneg)
    if isinstance(op, (ast.Mod, ast.FloorDiv)) and a.is_int and b.is_int:
        return _Size(max(a.height, b.height), max(a.magnitude, b.magnitude), True, nonneg)
    if not isinstance(op, ast.Pow):  # |a / b| <= |a| * 10**height(b), and <= |a| for an integer b
        return _Size(a.height + b.height, a.magnitude + (0.0 if b.is_int else b.height), False, nonneg)
    if a.height == 0:  # 0, 1 or -1 to any power
        return _Size(0.0, 0.0, False, False)
    exponent = math.inf if b.magnitude > 300 else 10.0**b.magnitude  # >= |b|
    digits = a.height * exponent
    if digits > STATIC_DIGITS:
        raise _too_large(_snippet(node), digits)
    if not b.is_int:
        return None  # a root: not rational in general
    return _Size(digits, a.magnitude * exponent, a.is_int and b.nonneg, a.nonneg)


class _Checker:
    """Whitelist check of a parsed tree; returns a cleaned copy and a size estimate."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.names: set[str] = set()

    def clean(self, node: ast.expr) -> tuple[ast.expr, Estimate]:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node), None
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _refuse("the operators 'not' and '~'")
            operand, est = self.clean(node.operand)
            if est is not None and isinstance(node.op, ast.USub):
                est = est._replace(nonneg=False)
            return ast.UnaryOp(op=node.op, operand=operand), est
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name) and node.slice.id in _MARKERS:
            operand, est = self.clean(node.value)
            marker = _MARKERS[node.slice.id]
            if marker == "deg":
                return ast.BinOp(left=operand, op=ast.Mult(), right=ast.Name(id="deg", ctx=ast.Load())), None
            return self._function(marker, [operand], [est])
        raise _refuse(_DESCRIBE.get(type(node), f"{type(node).__name__} syntax"))

    def _constant(self, node: ast.Constant) -> tuple[ast.expr, Estimate]:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
            raise _refuse("a string" if isinstance(value, (str, bytes)) else repr(value))
        if isinstance(value, complex):
            raise _refuse("an imaginary literal like 2j (write 2*I)")
        if isinstance(value, int):
            size = math.log10(abs(value)) if abs(value) > 1 else 0.0
            return ast.Constant(value=value), _Size(size, size, True, value >= 0)
        literal = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
        return ast.Constant(value=_Decimal(value, literal)), None

    def _name(self, node: ast.Name) -> ast.expr:
        name = node.id
        if name.startswith("_"):
            raise _refuse("a name starting with '_'")
        if name in FUNCTIONS:
            raise ToolError(f"{name} is a function: call it with parentheses, e.g. {name}(x)")
        if name not in CONSTANTS:
            if not _VARIABLE.match(name):
                raise _refuse(f"the unknown name '{name}'")
            self.names.add(name)
        return ast.Name(id=name, ctx=ast.Load())

    def _binop(self, node: ast.BinOp) -> tuple[ast.expr, Estimate]:
        if not isinstance(node.op, _BINOPS):
            raise _refuse("the operators & | << >> @")
        if _chain_class(node):
            first, items = _chain(node)
            result, est = self.clean(first)
            for op, operand in items:  # chain operators are all allowed ones
                right, right_est = self.clean(operand)
                result = ast.BinOp(left=result, op=op, right=right)
                est = _estimate_binop(op, est, right_est, result)
            return result, est
        (left, a), (right, b) = self.clean(node.left), self.clean(node.right)
        result = ast.BinOp(left=left, op=node.op, right=right)
        return result, _estimate_binop(node.op, a, b, result)

    def _call(self, node: ast.Call) -> tuple[ast.expr, Estimate]:
        func = node.func
        if not isinstance(func, ast.Name):
            raise _refuse(_DESCRIBE.get(type(func), "calling the result of an expression"))
        if func.id.startswith("_"):
            raise _refuse("a name starting with '_'")
        if func.id not in FUNCTIONS:
            if func.id in CONSTANTS or _VARIABLE.match(func.id):
                raise ToolError(f"{func.id} is not a function; write {func.id}*(...) to multiply")
            raise _refuse(f"the unknown function '{func.id}'")
        if node.keywords:
            raise _refuse("a keyword argument (name=value)")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise _refuse("a starred argument (*a)")
        cleaned = [self.clean(arg) for arg in node.args]
        return self._function(func.id, [c[0] for c in cleaned], [c[1] for c in cleaned])

    def _function(self, name: str, args: list[ast.expr], ests: list[Estimate]) -> tuple[ast.expr, Estimate]:
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            count = str(low) if low == high else f"{low} to {high}" if high else f"at least {low}"
            raise ToolError(f"{name}() takes {count} argument(s), got {len(args)}")
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
        est = ests[0] if ests else None
        if name in ("factorial", "factorial2", "gamma") and est is not None:
            digits = _lgamma10(10.0**est.magnitude + 1) if est.magnitude < 300 else math.inf
            if digits > STATIC_DIGITS:
                raise _too_large(_snippet(call), digits)
            return call, (_Size(digits, digits, True, True) if est.is_int else None)
        if name in ("abs", "floor", "ceil", "ceiling") and est is not None:
            return call, est._replace(nonneg=est.nonneg or name == "abs")
        return call, None


# --- translation into sympy (runs in the sandbox worker) -------------------


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
            if _chain_class(node):
                first, items = _chain(node)
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
                raise _too_large("an intermediate result", digits)
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
                raise _too_large(f"the power {_short(base)}**{_short(exponent)}", digits)

    def _check_call(self, name: str, args: list[Any]) -> None:
        sp, arg = self.sp, args[0]
        digits = 0.0
        if name in ("factorial", "factorial2") and arg.is_Integer and arg > 0:
            digits = _lgamma10(float(arg) + 1) if _rational_digits(arg) < 300 else math.inf
            digits /= 2 if name == "factorial2" else 1
        elif name == "gamma" and arg.is_Rational:
            digits = _lgamma10(abs(float(arg)) + 1) if _rational_digits(arg) < 300 else math.inf
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
            raise _too_large(f"{name}({', '.join(_short(a) for a in args)})", digits)

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


__all__ = [
    "ALLOWED",
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "ParsedExpression",
    "parse_expression",
    "to_sympy",
]
