"""The calculator's safe parser: text -> checked syntax tree (no sympy here).

Nothing here runs its input as code: no ``eval``, no ``sympify`` or
``parse_expr`` on the text.  The text is parsed with :mod:`ast`
(``mode="eval"``), every node is checked against the whitelist of
:mod:`tools.calc_rules`, and a cleaned copy of the tree is returned;
:func:`to_sympy` (:mod:`tools.calc_sympy`, in the sandbox worker) turns it
into sympy objects node by node.

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

Sizes are bounded here by length, nesting and node count, and by the quick
estimate of :mod:`tools.calc_bounds`; the worker checks the exact values.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from typing import Self

from tools.base import ToolError
from tools.calc_bounds import Estimate, estimate_binop, estimate_call, literal_size
from tools.calc_rules import (
    ALLOWED,
    CONSTANTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_LENGTH,
    MAX_NODES,
    VARIABLE,
    VARIABLE_PATTERN,
    chain,
    chain_class,
    refuse,
)
from tools.calc_sympy import _Translator as _Translator  # re-exported: tests compare its table
from tools.calc_sympy import to_sympy

_MARKERS = {"_fact_": "factorial", "_fact2_": "factorial2", "_deg_": "deg"}
_UNICODE = {"π": "pi", "×": "*", "·": "*", "÷": "/", "−": "-", "²": "**2", "³": "**3"}

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
    """The text in Python spelling: ``^``, postfix ``!``/``°``, ``=`` and unicode symbols (see above)."""
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
    source = _prepare(text)
    body = _parse_tree(source)
    checker = _Checker(source)
    if isinstance(body, ast.Compare):
        if len(body.ops) != 1 or not isinstance(body.ops[0], ast.Eq):
            raise refuse("a comparison (<, >, !=, chained =)")
        lhs, rhs = checker.clean(body.left)[0], checker.clean(body.comparators[0])[0]
        return ParsedExpression(lhs, rhs, frozenset(checker.names))
    return ParsedExpression(checker.clean(body)[0], None, frozenset(checker.names))


def _prepare(text: str) -> str:
    """The rewritten text, after the checks that need no parsing (length, markers, brackets)."""
    if len(text) > MAX_LENGTH:
        raise ToolError(
            f"the expression has {len(text)} characters, more than the {MAX_LENGTH} allowed", code="too_large"
        )
    if not text.strip():
        raise ToolError("the expression is empty; write something to compute, e.g. 2*(3+4)")
    if any(marker in text for marker in _MARKERS):
        raise refuse("a name starting with '_'")
    source = _rewrite(text.strip())
    depth = deepest = 0
    for c in source:
        depth += c in "([{"
        depth -= c in ")]}"
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise ToolError(f"the expression nests parentheses more than {MAX_DEPTH} deep", code="too_large")
    return source


def _parse_tree(source: str) -> ast.expr:
    """The body of ``source`` parsed as one expression, its shape bounded before any recursion."""
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like become the error below
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ToolError(
            f"could not parse the expression ({err.msg}). Write it like Python arithmetic: "
            "2*x not 2x, ** or ^ for powers, sqrt(2) for calls, one '=' for an equation."
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ToolError("could not parse the expression (null bytes or far too complex)") from None
    _check_shape(tree.body)
    return tree.body


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
        cls = chain_class(node)
        for child in ast.iter_child_nodes(node):
            same = cls and child is getattr(node, "left", None) and chain_class(child) == cls
            stack.append((child, depth if same else depth + 1))


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
                raise refuse("the operators 'not' and '~'")
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
        raise refuse(_DESCRIBE.get(type(node), f"{type(node).__name__} syntax"))

    def _constant(self, node: ast.Constant) -> tuple[ast.expr, Estimate]:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
            raise refuse("a string" if isinstance(value, (str, bytes)) else repr(value))
        if isinstance(value, complex):
            raise refuse("an imaginary literal like 2j (write 2*I)")
        if isinstance(value, int):
            return ast.Constant(value=value), literal_size(value)
        literal = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
        return ast.Constant(value=_Decimal(value, literal)), None

    def _name(self, node: ast.Name) -> ast.expr:
        name = node.id
        if name.startswith("_"):
            raise refuse("a name starting with '_'")
        if name in FUNCTIONS:
            raise ToolError(f"{name} is a function: call it with parentheses, e.g. {name}(x)")
        if name not in CONSTANTS:
            if not VARIABLE.match(name):
                raise refuse(f"the unknown name '{name}'")
            self.names.add(name)
        return ast.Name(id=name, ctx=ast.Load())

    def _binop(self, node: ast.BinOp) -> tuple[ast.expr, Estimate]:
        if not isinstance(node.op, _BINOPS):
            raise refuse("the operators & | << >> @")
        if chain_class(node):
            first, items = chain(node)
            result, est = self.clean(first)
            for op, operand in items:  # chain operators are all allowed ones
                right, right_est = self.clean(operand)
                result = ast.BinOp(left=result, op=op, right=right)
                est = estimate_binop(op, est, right_est, result)
            return result, est
        (left, a), (right, b) = self.clean(node.left), self.clean(node.right)
        result = ast.BinOp(left=left, op=node.op, right=right)
        return result, estimate_binop(node.op, a, b, result)

    def _call(self, node: ast.Call) -> tuple[ast.expr, Estimate]:
        func = node.func
        if not isinstance(func, ast.Name):
            raise refuse(_DESCRIBE.get(type(func), "calling the result of an expression"))
        if func.id.startswith("_"):
            raise refuse("a name starting with '_'")
        if func.id not in FUNCTIONS:
            if func.id in CONSTANTS or VARIABLE.match(func.id):
                raise ToolError(f"{func.id} is not a function; write {func.id}*(...) to multiply")
            raise refuse(f"the unknown function '{func.id}'")
        if node.keywords:
            raise refuse("a keyword argument (name=value)")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise refuse("a starred argument (*a)")
        cleaned = [self.clean(arg) for arg in node.args]
        return self._function(func.id, [c[0] for c in cleaned], [c[1] for c in cleaned])

    def _function(self, name: str, args: list[ast.expr], ests: list[Estimate]) -> tuple[ast.expr, Estimate]:
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            count = str(low) if low == high else f"{low} to {high}" if high else f"at least {low}"
            raise ToolError(f"{name}() takes {count} argument(s), got {len(args)}")
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
        return call, estimate_call(name, ests[0] if ests else None, call)


__all__ = [
    "ALLOWED",
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "VARIABLE_PATTERN",
    "ParsedExpression",
    "parse_expression",
    "to_sympy",
]
