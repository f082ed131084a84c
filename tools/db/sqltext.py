"""What the PostgreSQL tools send, decided by PostgreSQL's own parser (``pglast``, libpg_query).

:func:`check_query` accepts exactly one ``SELECT`` (also ``VALUES``, ``TABLE``,
``WITH`` of pure ``SELECT``\\ s, set operations), ``SHOW``, or ``EXPLAIN``
without ``ANALYZE`` of such a ``SELECT``; :func:`check_execute` accepts one
data or schema change (``INSERT``, ``UPDATE``, ``DELETE``, ``MERGE``,
``CREATE``/``ALTER``/``DROP`` of tables, views, indexes, sequences, types and
schemas, ...), never ``COPY``, ``DO``, ``CALL``, functions, extensions, roles,
server settings or session control.  In both, every function and operator in
the whole tree is checked against an allow-list (:mod:`tools.db.pg_walk`).

The text checked is the text sent: placeholders are turned into ``$n`` first
(:mod:`tools.db.pg_params`) and the statement goes out unchanged, or wrapped
by :mod:`tools.db.pg_cut` and checked again.  The sender pins what could make
the server read the text differently from libpg_query: UTF-8, and
``standard_conforming_strings`` on (see :mod:`tools.db.pg_conn`).

Parsing is linear-time: the grammar is LALR, and the one superlinear path
of PostgreSQL's scanner (a run of operator characters is rescanned for each
``/*``, ``*/`` or trailing ``+``/``-`` in it, so 100 000 of them take tens of
seconds) is closed by refusing runs longer than :data:`MAX_OPERATOR_RUN`.
The input is bounded first, the parser's own stack-depth check stops deep
nesting, and the tree is walked without recursion.  Any input ends in
acceptance or one :class:`ToolError`; ``tests/pg_fuzz.py`` checks that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from tools.base import ToolError
from tools.db.common import MAX_SQL_CHARS, Params, one_statement_error, writes_refused
from tools.db.pg_allow import READ_FUNCTIONS, SEQUENCE_FUNCTIONS, words
from tools.db.pg_params import to_dollar
from tools.db.pg_walk import Findings, Rules, walk

Kind = Literal["select", "show", "explain", "write"]

EXECUTE_STATEMENTS = words(
    """
    InsertStmt UpdateStmt DeleteStmt MergeStmt SelectStmt CreateStmt CreateTableAsStmt ViewStmt IndexStmt
    AlterTableStmt RenameStmt DropStmt TruncateStmt CommentStmt CreateSeqStmt AlterSeqStmt CreateSchemaStmt
    CreateEnumStmt AlterEnumStmt CompositeTypeStmt CreateDomainStmt AlterDomainStmt RefreshMatViewStmt
    AlterObjectSchemaStmt CreateStatsStmt ReindexStmt ClusterStmt VacuumStmt GrantStmt
    """
)
"""Statement types ``db_execute`` runs: changes to the database's tables, their data and their schema."""

_SESSION = words(
    """
    TransactionStmt VariableSetStmt DiscardStmt ListenStmt UnlistenStmt NotifyStmt PrepareStmt ExecuteStmt
    DeallocateStmt DeclareCursorStmt FetchStmt ClosePortalStmt LockStmt LoadStmt CheckPointStmt
    ConstraintsSetStmt
    """
)
_COMMANDS = {
    "SelectStmt": "SELECT", "InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE", "CopyStmt": "COPY", "DoStmt": "DO", "CallStmt": "CALL", "VariableSetStmt": "SET",
    "VariableShowStmt": "SHOW", "ExplainStmt": "EXPLAIN", "IndexStmt": "CREATE INDEX", "ViewStmt": "CREATE VIEW",
    "RuleStmt": "CREATE RULE", "CreateStmt": "CREATE TABLE", "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE", "DefineStmt": "CREATE (operator, aggregate or type)",
    "TransactionStmt": "transaction control", "LockStmt": "LOCK", "LoadStmt": "LOAD",
    "DeclareCursorStmt": "DECLARE", "CheckPointStmt": "CHECKPOINT", "AlterSystemStmt": "ALTER SYSTEM",
}  # fmt: skip
_ANALYZE = {"analyze", "analyse"}
_SQL_NUL = "\x00"
MAX_OPERATOR_RUN = 256
_OPERATOR_RUN = re.compile(r"[~!@#^&|`?+\-*/%<>=]+")  # PostgreSQL's op_chars


@dataclass(frozen=True)
class Checked:
    """One statement that passed the checks, ready to send as it is."""

    kind: Kind
    text: str  # the statement alone (no trailing semicolon), placeholders as $n
    args: list[Any] | None  # values for $1, $2, ...; None when the call had no params
    called: frozenset[str] = field(default_factory=frozenset)  # allowed names that must not be shadowed
    candidates: frozenset[str] = field(default_factory=frozenset)  # names that must not be functions at all


def command_name(kind: str) -> str:
    """``CreateFunctionStmt`` -> ``CREATE FUNCTION``: how a refusal names the statement."""
    if kind in _COMMANDS:
        return _COMMANDS[kind]
    return " ".join(re.findall(r"[A-Z][a-z]*", kind.removesuffix("Stmt"))).upper() or kind


def parse(sql: str, *, limit: int = MAX_SQL_CHARS) -> dict[str, Any]:
    """libpg_query's tree of ``sql``, or a :class:`ToolError` naming what to fix."""
    from pglast import parser

    if len(sql) > limit:
        raise ToolError(f"the SQL is {len(sql)} characters long; at most {limit} are accepted", code="too_large")
    if _SQL_NUL in sql:
        raise ToolError("the SQL contains a NUL character, which PostgreSQL does not accept", code="invalid_input")
    longest = max((m.end() - m.start() for m in _OPERATOR_RUN.finditer(sql)), default=0)
    if longest > MAX_OPERATOR_RUN:  # PostgreSQL's scanner rescans such a run once per comment or +/- in it
        raise ToolError(
            f"the SQL has a run of {longest} operator characters (such as - * / = +) in a row; at most "
            f"{MAX_OPERATOR_RUN} are accepted: put spaces between operators, and pass long values in params",
            code="invalid_input",
        )
    try:
        text = parser.parse_sql_json(sql)
    except parser.ParseError as err:
        reason = str(err.args[0]) if err.args else str(err)
        if "stack depth" in reason or "memory exhausted" in reason:
            raise _too_deep() from None
        raise ToolError(f"the SQL does not parse: {reason}", code="invalid_input") from None
    except UnicodeError:
        raise ToolError("the SQL is not valid Unicode text (a lone surrogate?)", code="invalid_input") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise _too_deep() from None


def _too_deep() -> ToolError:
    return ToolError(
        "the SQL is nested too deeply to check (e.g. thousands of chained operators or parentheses); simplify it",
        code="too_large",
    )


def _one_statement(tree: dict[str, Any], sql: str) -> tuple[str, dict[str, Any], str]:
    """The only statement's type, fields and own text; refuses none or several."""
    stmts = tree.get("stmts") or []
    if not stmts:
        raise ToolError("the SQL is empty (only whitespace or comments)", code="invalid_input")
    if len(stmts) > 1:
        raise one_statement_error(len(stmts))
    raw = stmts[0]
    ((kind, node),) = raw["stmt"].items()
    data = sql.encode("utf-8")
    start = int(raw.get("stmt_location", 0))
    length = int(raw.get("stmt_len", 0)) or len(data) - start  # 0: up to the end of the text
    try:
        return kind, node, data[start : start + length].decode("utf-8")
    except UnicodeDecodeError:  # offsets are token boundaries; this would be a parser bug
        raise ToolError("the statement could not be isolated from the SQL text", code="internal") from None


def _refuse_statement(kind: str, *, writes_enabled: bool, query: bool) -> ToolError:
    name = command_name(kind)
    if kind == "CopyStmt":
        return ToolError(
            "COPY is not allowed: it reads and writes server files and runs server programs. "
            "Use SELECT to read data (and INSERT to add it, when writes are enabled)",
            code="refused",
        )
    if kind in _SESSION:
        return ToolError(
            f"{name} is not allowed: session and transaction control is managed by the tool "
            "(each call runs in its own transaction with its own time limit)",
            code="refused",
        )
    if kind in ("DoStmt", "CallStmt"):
        return ToolError(f"{name} is not allowed: it runs procedural code the tool cannot check", code="refused")
    if query and kind not in ("VariableShowStmt", "ExplainStmt"):
        return writes_refused(writes_enabled)
    if query:
        return ToolError(f"{name} is not a query; db_query accepts SELECT, WITH, VALUES, TABLE, SHOW and EXPLAIN",
                         code="refused")  # fmt: skip
    return ToolError(
        f"{name} is not allowed through db_execute: it runs data changes (INSERT, UPDATE, DELETE, MERGE) and "
        "schema changes on tables, views, indexes, sequences, types and schemas; not functions, triggers, "
        "extensions, roles or server settings",
        code="refused",
    )


def _check_explain(node: dict[str, Any], rules: Rules) -> Findings:
    for option in node.get("options") or ():
        name = str(option.get("DefElem", {}).get("defname", "")).lower()
        if name in _ANALYZE:
            raise ToolError(
                "EXPLAIN ANALYZE is not allowed: it runs the statement. Use EXPLAIN without ANALYZE, "
                "or run the SELECT itself",
                code="refused",
            )
    inner = node.get("query") or {}
    if "SelectStmt" not in inner:
        raise ToolError("db_query explains SELECT statements only", code="refused")
    return walk(inner, rules)


def query_rules(writes_enabled: bool, extra_functions: Iterable[str] = ()) -> Rules:
    return Rules(functions=READ_FUNCTIONS, extra=frozenset(extra_functions), writes_enabled=writes_enabled)


def check_query(
    sql: str,
    params: Params = None,
    *,
    writes_enabled: bool,
    extra_functions: Iterable[str] = (),
    limit: int = MAX_SQL_CHARS,
) -> Checked:
    """The statement ``db_query`` may send for ``sql`` and ``params``; :class:`ToolError` otherwise."""
    text, args = to_dollar(sql, params)
    kind, node, own = _one_statement(parse(text, limit=limit), text)
    rules = query_rules(writes_enabled, extra_functions)
    if kind == "SelectStmt":
        found = walk({kind: node}, rules)
        return Checked("select", own, args, frozenset(found.called), frozenset(found.candidates))
    if kind == "VariableShowStmt":
        return Checked("show", own, args)
    if kind == "ExplainStmt":
        found = _check_explain(node, rules)
        return Checked("explain", own, args, frozenset(found.called), frozenset(found.candidates))
    raise _refuse_statement(kind, writes_enabled=writes_enabled, query=True)


def check_execute(sql: str, params: Params = None, *, extra_functions: Iterable[str] = ()) -> Checked:
    """The statement ``db_execute`` may send for ``sql`` and ``params``; :class:`ToolError` otherwise."""
    text, args = to_dollar(sql, params)
    kind, node, own = _one_statement(parse(text), text)
    if kind not in EXECUTE_STATEMENTS:
        raise _refuse_statement(kind, writes_enabled=True, query=False)
    rules = Rules(
        functions=READ_FUNCTIONS | SEQUENCE_FUNCTIONS,
        extra=frozenset(extra_functions),
        query=False,
        statements=EXECUTE_STATEMENTS,
        writes_enabled=True,
    )
    found = walk({kind: node}, rules)
    return Checked("write", own, args, frozenset(found.called), frozenset(found.candidates))


__all__ = ["EXECUTE_STATEMENTS", "Checked", "check_execute", "check_query", "command_name", "parse", "query_rules"]
