"""What a SQLite statement from the database tools may do, judged by SQLite's authorizer.

The authorizer (``sqlite3_set_authorizer``) is called while a statement is
prepared, for every table read, column written, function called and PRAGMA
run, so the judgement rests on SQLite's own parse of the statement, not on
reading its text.  Everything is an allow-list:

* reading tables, views and the virtual tables ``json_each``/``json_tree``;
* the reading PRAGMAs below, as statements (``PRAGMA table_info(x)``) and as
  table-valued functions (``SELECT * FROM pragma_function_list``);
* every built-in SQL function except the few that reach outside the database;
* writes only for ``db_execute``; never ATTACH/DETACH, transaction control or
  PRAGMA changes.

Eponymous virtual tables (``pragma_*``, ``json_each``, ``dbstat``...) are
created on a connection's first use of each, and creating one looks to the
authorizer like a write to ``sqlite_master``.  :func:`eponymous_tables` lists
them so a connection can create them all before the authorizer is installed;
reading one that is not allowed is then refused under its own name.
"""

from __future__ import annotations

import sqlite3
from functools import cache

from tools.base import ToolError
from tools.db.common import writes_refused

_A = sqlite3
READ_ACTIONS = frozenset({_A.SQLITE_SELECT, _A.SQLITE_READ, _A.SQLITE_RECURSIVE})
WRITE_ACTIONS = frozenset(
    {
        _A.SQLITE_INSERT, _A.SQLITE_UPDATE, _A.SQLITE_DELETE, _A.SQLITE_CREATE_INDEX, _A.SQLITE_CREATE_TABLE,
        _A.SQLITE_CREATE_TEMP_INDEX, _A.SQLITE_CREATE_TEMP_TABLE, _A.SQLITE_CREATE_TEMP_TRIGGER,
        _A.SQLITE_CREATE_TEMP_VIEW, _A.SQLITE_CREATE_TRIGGER, _A.SQLITE_CREATE_VIEW, _A.SQLITE_CREATE_VTABLE,
        _A.SQLITE_DROP_INDEX, _A.SQLITE_DROP_TABLE, _A.SQLITE_DROP_TEMP_INDEX, _A.SQLITE_DROP_TEMP_TABLE,
        _A.SQLITE_DROP_TEMP_TRIGGER, _A.SQLITE_DROP_TEMP_VIEW, _A.SQLITE_DROP_TRIGGER, _A.SQLITE_DROP_VIEW,
        _A.SQLITE_DROP_VTABLE, _A.SQLITE_ALTER_TABLE, _A.SQLITE_REINDEX, _A.SQLITE_ANALYZE,
    }
)  # fmt: skip

# PRAGMAs that only read. Those taking an argument take an object name; the
# others are allowed only without an argument (with one, they set a value).
PRAGMAS_WITH_NAME = frozenset(
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
        "foreign_key_list", "foreign_key_check",
    }
)  # fmt: skip
PRAGMAS_READ_VALUE = frozenset(
    {
        "application_id", "auto_vacuum", "collation_list", "compile_options", "data_version", "database_list",
        "encoding", "foreign_keys", "freelist_count", "function_list", "journal_mode", "module_list",
        "page_count", "page_size", "pragma_list", "schema_version", "table_list", "user_version",
    }
)  # fmt: skip
# The same PRAGMAs as table-valued functions; what they run is judged again as a PRAGMA.
TABLE_FUNCTIONS = frozenset(
    {"json_each", "json_tree"} | {f"pragma_{name}" for name in PRAGMAS_WITH_NAME | PRAGMAS_READ_VALUE}
)
DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})

_PRAGMA_EXAMPLES = "table_info, table_xinfo, index_list, index_info, foreign_key_list, function_list, user_version"


@cache
def eponymous_tables() -> tuple[str, ...]:
    """Every eponymous virtual table this SQLite has (``pragma_*``, ``json_each``, ``dbstat``...).

    Found once per process on a private in-memory database: a name is listed
    when ``SELECT * FROM name`` prepares.
    """
    conn = sqlite3.connect(":memory:")
    try:
        pragmas = [f"pragma_{row[0]}" for row in conn.execute("SELECT name FROM pragma_pragma_list")]
        modules = [row[0] for row in conn.execute("SELECT name FROM pragma_module_list")]
        found = []
        for name in dict.fromkeys(pragmas + modules):
            try:
                conn.execute(f'SELECT * FROM "{name}" LIMIT 0')
            except sqlite3.Error:  # a module that needs CREATE VIRTUAL TABLE (fts5, rtree...)
                continue
            found.append(name)
        return tuple(found)
    finally:
        conn.close()


class Authorizer:
    """Allows reading (and, for db_execute, writing); remembers why it denied.

    ``hidden_tables`` are the eponymous virtual tables that may not be read
    (those in :func:`eponymous_tables` but not in :data:`TABLE_FUNCTIONS`,
    minus any real table of the same name).
    """

    def __init__(self, *, allow_write: bool, writes_enabled: bool, hidden_tables: frozenset[str] = frozenset()) -> None:
        self.allow_write = allow_write
        self.writes_enabled = writes_enabled
        self.hidden_tables = hidden_tables
        self.denial: ToolError | None = None

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, db_name: str | None, trigger: str | None
    ) -> int:
        refusal = self.judge(action, arg1, arg2)
        if refusal is None:
            return sqlite3.SQLITE_OK
        if self.denial is None:
            self.denial = refusal
        return sqlite3.SQLITE_DENY

    def judge(self, action: int, arg1: str | None, arg2: str | None) -> ToolError | None:
        if action in READ_ACTIONS:
            return self._read(action, arg1)
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() in DENIED_FUNCTIONS:
                return ToolError(f"the SQL function {arg2}() is not allowed: it reaches outside the database",
                                 code="refused")  # fmt: skip
            return None
        if action in WRITE_ACTIONS:
            return None if self.allow_write else writes_refused(self.writes_enabled)
        if action == sqlite3.SQLITE_PRAGMA:
            return _pragma(arg1, arg2)
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return ToolError(
                "ATTACH, DETACH and VACUUM are not allowed: the tool works on the one configured database file",
                code="refused",
            )
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            return ToolError(
                "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not allowed: "
                "each call runs in its own transaction",
                code="refused",
            )
        return ToolError(f"this kind of statement is not allowed (SQLite authorizer action {action})", code="refused")

    def _read(self, action: int, table: str | None) -> ToolError | None:
        if action != sqlite3.SQLITE_READ or table is None or table.lower() not in self.hidden_tables:
            return None
        name = table.lower()
        if name.startswith("pragma_"):
            return ToolError(
                f"the table-valued pragma {name} is not allowed; allowed are reading pragmas such as "
                + ", ".join(f"pragma_{p}" for p in _PRAGMA_EXAMPLES.split(", ")),
                code="refused",
            )
        return ToolError(
            f"the virtual table {name} is not allowed; read tables and views, json_each/json_tree, "
            "or reading pragmas such as pragma_table_info",
            code="refused",
        )


def _pragma(name_arg: str | None, value: str | None) -> ToolError | None:
    name = (name_arg or "").lower()
    if name in PRAGMAS_WITH_NAME or (name in PRAGMAS_READ_VALUE and value is None):
        return None
    if name in PRAGMAS_READ_VALUE:
        return ToolError(f"PRAGMA {name} = ... changes a setting; only reading PRAGMAs are allowed", code="refused")
    return ToolError(
        f"PRAGMA {name} is not allowed; allowed are reading PRAGMAs such as {_PRAGMA_EXAMPLES}", code="refused"
    )


def hidden_tables(existing: set[str]) -> frozenset[str]:
    """The eponymous virtual tables to refuse, except names the database itself defines (lower case)."""
    return frozenset(n for n in eponymous_tables() if n not in TABLE_FUNCTIONS and n not in existing)


__all__ = [
    "DENIED_FUNCTIONS",
    "PRAGMAS_READ_VALUE",
    "PRAGMAS_WITH_NAME",
    "TABLE_FUNCTIONS",
    "Authorizer",
    "eponymous_tables",
    "hidden_tables",
]
