"""A small PostgreSQL lexer: how many statements, which command, which functions.

It exists to give a model a clear message *before* a statement reaches the
server; it is not the safety boundary.  The boundary is the server itself:
statements are sent with the extended query protocol (which refuses more than
one statement) inside a ``READ ONLY`` transaction with a statement timeout.
What the lexer adds on top is refusing what a read-only transaction does not
stop: ``COPY ... TO PROGRAM`` / ``TO 'file'``, session and transaction
control, and server functions that act outside the transaction (server files,
other backends, configuration, dblink) or run SQL given as a string.

It knows quoted identifiers, ``'...'`` strings (with ``''``), ``E'...'``
strings (with backslash escapes), dollar quoting (``$tag$...$tag$``), ``--``
comments and nested ``/* */`` comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from tools.base import ToolError
from tools.db.common import one_statement_error, writes_refused

QUERY_COMMANDS = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN"})
WRITE_COMMANDS = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE",
        "COMMENT", "REINDEX", "VACUUM", "ANALYZE", "ANALYSE", "CLUSTER", "REFRESH", "LOCK", "SECURITY",
        "CALL", "DO", "IMPORT", "REASSIGN",
    }
)  # fmt: skip
SESSION_COMMANDS = frozenset(
    {
        "SET", "RESET", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE",
        "PREPARE", "EXECUTE", "DEALLOCATE", "DISCARD", "LISTEN", "UNLISTEN", "NOTIFY", "LOAD", "CHECKPOINT",
        "DECLARE", "FETCH", "MOVE", "CLOSE",
    }
)  # fmt: skip
DENIED_FUNCTIONS = frozenset(
    {
        # server files and programs
        "lo_import", "lo_export", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file",
        "pg_ls_logdir", "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir", "pg_file_write",
        "pg_file_rename", "pg_file_unlink", "pg_file_sync", "pg_logdir_ls",
        # other sessions, configuration, the cluster: not undone by a rollback
        "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
        "pg_switch_wal", "pg_create_restore_point", "pg_backup_start", "pg_backup_stop", "pg_start_backup",
        "pg_stop_backup", "set_config", "pg_logical_emit_message", "pg_create_logical_replication_slot",
        "pg_create_physical_replication_slot", "pg_drop_replication_slot", "pg_replication_origin_create",
        # other databases, or SQL given as a string (which the checks above cannot see)
        "dblink", "dblink_exec", "dblink_connect", "dblink_connect_u", "dblink_send_query", "dblink_open",
        "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml",
        "cursor_to_xmlschema", "ts_stat",
    }
)  # fmt: skip

_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*")

Kind = Literal["word", "quoted", "string", "number", "param", "punct", "semicolon"]


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # a word as written, a quoted identifier's content, a punctuation character


def _unterminated(what: str) -> ToolError:
    return ToolError(f"the SQL has an unterminated {what}", code="invalid_input")


def _skip_quoted(sql: str, start: int, quote: str, *, backslash: bool) -> tuple[int, str]:
    """Index after the closing quote of the literal opening at ``start``, and its content."""
    i, n, out = start + 1, len(sql), []
    while i < n:
        c = sql[i]
        if backslash and c == "\\" and i + 1 < n:
            out.append(sql[i : i + 2])
            i += 2
            continue
        if c == quote:
            if i + 1 < n and sql[i + 1] == quote:
                out.append(quote)
                i += 2
                continue
            return i + 1, "".join(out)
        out.append(c)
        i += 1
    raise _unterminated("quoted identifier" if quote == '"' else "string")


def tokenize(sql: str) -> list[Token]:  # noqa: C901 - a lexer: one loop, one branch per token kind
    """The tokens of ``sql``, without whitespace and comments."""
    tokens: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if sql.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif sql.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            if depth:
                raise _unterminated("/* comment")
        elif c == "'":
            i, text = _skip_quoted(sql, i, "'", backslash=False)
            tokens.append(Token("string", text))
        elif c == '"':
            i, text = _skip_quoted(sql, i, '"', backslash=False)
            tokens.append(Token("quoted", text))
        elif c in "eE" and i + 1 < n and sql[i + 1] == "'":
            i, text = _skip_quoted(sql, i + 1, "'", backslash=True)
            tokens.append(Token("string", text))
        elif c == "$":
            if i + 1 < n and sql[i + 1].isdigit():
                m = _NUMBER.match(sql, i + 1)
                assert m is not None
                tokens.append(Token("param", sql[i : m.end()]))
                i = m.end()
                continue
            m = _DOLLAR_TAG.match(sql, i)
            if m is None:
                tokens.append(Token("punct", c))
                i += 1
                continue
            end = sql.find(m.group(0), m.end())
            if end < 0:
                raise _unterminated("dollar-quoted string")
            tokens.append(Token("string", sql[m.end() : end]))
            i = end + len(m.group(0))
        elif m := _WORD.match(sql, i):
            tokens.append(Token("word", m.group(0)))
            i = m.end()
        elif m := _NUMBER.match(sql, i):
            tokens.append(Token("number", m.group(0)))
            i = m.end()
        elif c == ";":
            tokens.append(Token("semicolon", c))
            i += 1
        else:
            tokens.append(Token("punct", c))
            i += 1
    return tokens


@dataclass
class Analysis:
    statements: int
    command: str | None  # the first keyword, upper case
    atomic_body: bool  # CREATE FUNCTION ... BEGIN ATOMIC ... END has top-level semicolons
    functions: list[str] = field(default_factory=list)  # names called, lower case


def analyse(sql: str) -> Analysis:
    tokens = tokenize(sql)
    statements, current = 0, 0
    for tok in tokens:
        if tok.kind == "semicolon":
            statements += current > 0
            current = 0
        else:
            current += 1
    statements += current > 0
    command = None
    for tok in tokens:
        if tok.kind == "punct" and tok.text == "(":
            continue
        command = tok.text.upper() if tok.kind == "word" else None
        break
    words = [t.text.upper() for t in tokens if t.kind == "word"]
    atomic = any(a == "BEGIN" and b == "ATOMIC" for a, b in pairwise(words))
    functions = [
        tok.text.lower()
        for tok, nxt in pairwise(tokens)
        if tok.kind in ("word", "quoted") and nxt.kind == "punct" and nxt.text == "("
    ]
    return Analysis(statements=statements, command=command, atomic_body=atomic, functions=functions)


def _common_checks(info: Analysis) -> None:
    if info.statements == 0:
        raise ToolError("the SQL is empty (only whitespace or comments)", code="invalid_input")
    if info.statements > 1 and not info.atomic_body:
        raise one_statement_error(info.statements)
    if info.command == "COPY":
        raise ToolError(
            "COPY is not allowed: it reads and writes server files and runs server programs. "
            "Use SELECT to read data (and INSERT to add it, when writes are enabled)",
            code="refused",
        )
    if info.command in SESSION_COMMANDS:
        raise ToolError(
            f"{info.command} is not allowed: session and transaction control is managed by the tool "
            "(each call runs in its own transaction with its own time limit)",
            code="refused",
        )
    denied = next((f for f in info.functions if f in DENIED_FUNCTIONS), None)
    if denied:
        raise ToolError(
            f"the function {denied}() is not allowed: it acts outside the database's data "
            "(server files, other sessions, configuration) or runs SQL given as a string",
            code="refused",
        )


def check_query(sql: str, *, writes_enabled: bool) -> None:
    """Refuse, with a clear message, what ``db_query`` must not send to the server."""
    info = analyse(sql)
    _common_checks(info)
    if info.command in WRITE_COMMANDS:
        raise writes_refused(writes_enabled)
    if info.command not in QUERY_COMMANDS:
        shown = info.command or "this statement"
        raise ToolError(
            f"{shown} is not a query; db_query accepts SELECT, WITH, VALUES, TABLE, SHOW and EXPLAIN",
            code="refused",
        )


def check_execute(sql: str) -> None:
    """Refuse, with a clear message, what ``db_execute`` must not send to the server."""
    _common_checks(analyse(sql))


__all__ = ["Analysis", "Token", "analyse", "check_execute", "check_query", "tokenize"]
