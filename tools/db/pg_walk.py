"""Walk a PostgreSQL parse tree and refuse every call that is not on the allow-list.

The tree is libpg_query's JSON (``pglast.parser.parse_sql_json``): PostgreSQL's
own grammar, so identifiers arrive decoded (``U&"pg\\005fread\\005ffile"`` is
``pg_read_file``, ``"Lower"`` stays ``Lower``) and nothing a lexer could miss
is left.  A node is a one-key object ``{"FuncCall": {...}}``; every object and
list is visited with an explicit stack, so no depth of nesting recurses here.

What can make PostgreSQL run a function, and how each is checked:

* a call, ``f(...)``, also when the grammar makes one (``EXTRACT``,
  ``SUBSTRING``, ``AT TIME ZONE``...): ``FuncCall``, by its decoded name,
  unqualified or ``pg_catalog.``-qualified, against the allow-list;
* an operator: ``A_Expr``, ``SubLink`` (``= ANY (SELECT ...)``) and
  ``ORDER BY ... USING``, by symbol (:data:`~tools.db.pg_allow.OPERATORS`);
* column notation, ``t.f`` or ``(expr).f``, which PostgreSQL reads as
  ``f(t)`` when ``f`` is not a field: every such name that is not an allowed
  function is returned as a *candidate*; the caller asks the database whether
  a function of that name exists and refuses the query if so;
* overloads: an allowed name called unqualified is resolved by the server
  along the search path, where another schema may define a function of the
  same name; such names are returned as *called*, and the caller refuses the
  query if any schema on the path but ``pg_catalog`` has one (a
  ``pg_catalog.``-qualified call is exact);
* ``TABLESAMPLE method``: only ``bernoulli`` and ``system``.

For ``db_query`` only the node types listed in :data:`QUERY_NODES` may occur
at all (no ``SELECT INTO``, no ``FOR UPDATE``, no data-modifying ``WITH``, no
SQL/JSON syntax whose meaning differs between server versions).  For
``db_execute`` the statement types are restricted instead, and calls are
checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tools.base import ToolError
from tools.db.common import writes_refused
from tools.db.pg_allow import BETWEEN_NAMES, OPERATORS, TABLESAMPLE_METHODS, WRITING_FUNCTIONS, words

QUERY_NODES = words(
    """
    SelectStmt ResTarget ColumnRef A_Star A_Const Integer Float Boolean String BitString List ParamRef
    FuncCall A_Expr BoolExpr NullTest BooleanTest SubLink CaseExpr CaseWhen CoalesceExpr MinMaxExpr
    SQLValueFunction TypeCast TypeName CollateClause A_ArrayExpr A_Indirection A_Indices RowExpr
    GroupingFunc GroupingSet SortBy WindowDef RangeVar RangeSubselect RangeFunction JoinExpr Alias
    CommonTableExpr CTESearchClause CTECycleClause WithClause RangeTableSample RangeTableFunc
    RangeTableFuncCol ColumnDef XmlExpr XmlSerialize
    """
)
"""Node types a read-only query may contain (the rest of the grammar is refused)."""

_DML = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})
_FUNCTIONS_HINT = (
    "allowed: PostgreSQL's built-in functions without side effects (aggregates, window, string, math, "
    "date/time, JSON and array functions)"
)


@dataclass
class Rules:
    """What one tool accepts: its functions, and which node or statement types may occur."""

    functions: frozenset[str]  # unqualified or pg_catalog-qualified names
    extra: frozenset[str] = frozenset()  # user-allowed names: "name" or "schema.name"
    query: bool = True  # db_query: QUERY_NODES only; db_execute: statement types only
    statements: frozenset[str] = frozenset()  # nested statement types allowed (db_execute)
    writes_enabled: bool = False  # only for the wording of a refusal


@dataclass
class Findings:
    """What the database must still be asked about the names in a query.

    ``called``: allowed names called unqualified (or by column notation); the
    server resolves them along the search path, so a function of the same
    name in another schema on it (an overload) could be reached instead of
    the built-in.  ``candidates``: names column notation could turn into a
    call although they are not allowed; fine only if no function has them.
    """

    called: set[str] = field(default_factory=set)
    candidates: set[str] = field(default_factory=set)


def _strings(items: Iterable[Any]) -> list[str]:
    """The text of a list of ``String`` nodes (``A_Star`` and others give ``*``)."""
    out = []
    for item in items or ():
        if isinstance(item, dict) and "String" in item:
            out.append(str(item["String"].get("sval", "")))
        else:
            out.append("*")
    return out


def _shown(parts: list[str]) -> str:
    return ".".join(parts)


def check_function(parts: list[str], rules: Rules, found: Findings) -> None:
    """Refuse a call of ``parts`` (its decoded, possibly qualified name) unless allowed."""
    name = parts[-1]
    schema = parts[-2] if len(parts) >= 2 else None
    if len(parts) <= 2:
        if (schema is None and name in rules.extra) or (schema is not None and f"{schema}.{name}" in rules.extra):
            return
        if schema in (None, "pg_catalog") and name in rules.functions:
            if schema is None:
                found.called.add(name)
            return
    if rules.query and schema in (None, "pg_catalog") and name in WRITING_FUNCTIONS:
        raise writes_refused(rules.writes_enabled)
    where = "read-only queries" if rules.query else "db_execute statements"
    if schema not in (None, "pg_catalog"):
        raise ToolError(
            f"the function {_shown(parts)}() is not allowed in {where}: a function outside pg_catalog can do "
            f"anything; {_FUNCTIONS_HINT}",
            code="refused",
        )
    raise ToolError(f"the function {_shown(parts)}() is not allowed in {where}; {_FUNCTIONS_HINT}", code="refused")


def _check_operator(parts: list[str]) -> None:
    builtin = len(parts) == 1 or (len(parts) == 2 and parts[0] == "pg_catalog")
    if builtin and (parts[-1] in OPERATORS or parts[-1] in BETWEEN_NAMES):
        return
    raise ToolError(
        f"the operator {_shown(parts)} is not allowed: only PostgreSQL's built-in operator symbols are "
        "(unqualified or pg_catalog-qualified)",
        code="refused",
    )


def _refuse_node(kind: str, rules: Rules) -> ToolError:
    if kind in _DML:
        return writes_refused(rules.writes_enabled)  # a data-modifying WITH, or DML in a subquery
    if kind == "LockingClause":
        return ToolError(
            "FOR UPDATE/SHARE is not allowed: it locks rows, which a read-only query must not", code="refused"
        )
    if kind.startswith("Json"):
        return ToolError(
            "SQL/JSON syntax (JSON_OBJECT, JSON_TABLE, IS JSON, ...) is not supported here; use the json/jsonb "
            "functions (jsonb_build_object, json_agg, jsonb_path_query, jsonb_to_recordset, ...)",
            code="refused",
        )
    return ToolError(f"{kind} is not allowed in a read-only query", code="refused")


def _visit(kind: str, node: dict[str, Any], rules: Rules, found: Findings) -> None:
    """The checks for one node of type ``kind`` (its children are walked by the caller)."""
    if rules.query and kind not in QUERY_NODES:
        raise _refuse_node(kind, rules)
    if not rules.query and kind.endswith("Stmt") and kind not in rules.statements:
        raise ToolError(f"a nested {kind} is not allowed in db_execute statements", code="refused")
    check = _CHECKS.get(kind)
    if check is not None:
        check(node, rules, found)


def _func_call(node: dict[str, Any], rules: Rules, found: Findings) -> None:
    check_function(_strings(node.get("funcname")), rules, found)


def _operator(field_name: str) -> Callable[[dict[str, Any], Rules, Findings], None]:
    def check(node: dict[str, Any], rules: Rules, found: Findings) -> None:
        if node.get(field_name):
            _check_operator(_strings(node[field_name]))

    return check


def _tablesample(node: dict[str, Any], rules: Rules, found: Findings) -> None:
    method = _strings(node.get("method"))
    if not (method and method[-1] in TABLESAMPLE_METHODS and (len(method) == 1 or method[0] == "pg_catalog")):
        raise ToolError(f"TABLESAMPLE {_shown(method)} is not allowed; use BERNOULLI or SYSTEM", code="refused")


def _column_ref(node: dict[str, Any], rules: Rules, found: Findings) -> None:
    for name in _strings(node.get("fields"))[1:]:  # t.f, s.t.f, t.c.f: any but the first may be a call
        if name != "*":
            _candidate(name, rules, found)


def _indirection(node: dict[str, Any], rules: Rules, found: Findings) -> None:
    for part in node.get("indirection") or ():
        if isinstance(part, dict) and "String" in part:  # (expr).f
            _candidate(str(part["String"].get("sval", "")), rules, found)


def _select(node: dict[str, Any], rules: Rules, found: Findings) -> None:
    if not rules.query:
        return
    if node.get("intoClause"):
        raise writes_refused(rules.writes_enabled)  # SELECT ... INTO creates a table
    if node.get("lockingClause"):
        raise _refuse_node("LockingClause", rules)


_CHECKS: dict[str, Callable[[dict[str, Any], Rules, Findings], None]] = {
    "FuncCall": _func_call,
    "A_Expr": _operator("name"),
    "SubLink": _operator("operName"),
    "SortBy": _operator("useOp"),
    "RangeTableSample": _tablesample,
    "ColumnRef": _column_ref,
    "A_Indirection": _indirection,
    "SelectStmt": _select,
}


def _candidate(name: str, rules: Rules, found: Findings) -> None:
    if name in rules.extra:
        return
    (found.called if name in rules.functions else found.candidates).add(name)


def walk(tree: Any, rules: Rules) -> Findings:
    """Check every node under ``tree``; the names the database must still rule out as functions."""
    found = Findings()
    stack = [tree]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, child in value.items():
                if key[:1].isupper():  # a node: {"Type": {fields}}; field names start in lower case
                    _visit(key, child if isinstance(child, dict) else {}, rules, found)
                if isinstance(child, (dict, list)):
                    stack.append(child)
    return found


__all__ = ["QUERY_NODES", "Findings", "Rules", "check_function", "walk"]
