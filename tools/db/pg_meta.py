"""The PostgreSQL catalogue behind ``db_list_tables`` and ``db_describe_table``.

Only our own SQL runs here, with the user's table and schema names as bound
parameters; it runs in the same kind of read-only, role-bound transaction as a
query (:func:`tools.db.pg_conn.transaction`).
"""

from __future__ import annotations

from typing import Any

from tools.base import ToolError
from tools.db.common import (
    MAX_TABLES_LISTED,
    ColumnInfo,
    Deadline,
    ForeignKeyInfo,
    IndexInfo,
    TableDescription,
    TableInfo,
    TableList,
    join_notes,
    not_found_table,
    quote_identifier,
)
from tools.db.pg_conn import PgCall, import_psycopg, pg_error, set_timeout

KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}
_RELATIONS = """
    SELECT c.oid, n.nspname, c.relname, c.relkind
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%%'
"""
_COLUMNS = """
    SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid)
    FROM pg_catalog.pg_attribute a
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
"""
_CONSTRAINTS = """
    SELECT con.contype,
           ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
           fn.nspname, fc.relname,
           ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord),
           con.confdeltype, con.confupdtype
    FROM pg_catalog.pg_constraint con
    LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
    LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
    WHERE con.conrelid = %s AND con.contype IN ('p', 'f')
    ORDER BY con.contype DESC, con.conname
"""
_INDEXES = """
    SELECT ic.relname, i.indisunique,
           ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
                 FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k)
    FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    WHERE i.indrelid = %s
    ORDER BY ic.relname
"""
_FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def list_tables(cur: Any, call: PgCall, deadline: Deadline, include_row_counts: bool) -> TableList:
    psycopg = import_psycopg()
    try:
        cur.execute(_RELATIONS + " ORDER BY n.nspname, c.relname LIMIT %s", [MAX_TABLES_LISTED + 1])
        relations = cur.fetchall()
    except psycopg.Error as err:
        raise pg_error(call, err) from None
    truncated = len(relations) > MAX_TABLES_LISTED
    relations = relations[:MAX_TABLES_LISTED]
    notes: list[str] = []
    counting = include_row_counts
    tables = []
    for _oid, schema, name, kind in relations:
        count = None
        if counting and kind in ("r", "p", "m"):
            if deadline.expired():
                counting = False
            else:
                try:
                    set_timeout(cur, deadline.remaining())
                    cur.execute(f"SELECT count(*) FROM {quote_identifier(schema)}.{quote_identifier(name)}")
                    count = int(cur.fetchone()[0])
                except psycopg.Error as err:  # the transaction is aborted: no more counts
                    counting = False
                    notes.append(f"Counting rows stopped at {schema}.{name}: {pg_error(call, err).message}")
            if not counting and not any("null" in n for n in notes):
                notes.append("The remaining row counts are null.")
        tables.append(TableInfo(name=name, schema_name=schema, type=KINDS[kind], row_count=count))
    if truncated:
        notes.append(f"Only the first {MAX_TABLES_LISTED} tables and views are listed.")
    return TableList(
        dialect="PostgreSQL", database=call.target.display, tables=tables, truncated=truncated, note=join_notes(notes)
    )


def describe_table(cur: Any, call: PgCall, deadline: Deadline, table: str, schema_name: str | None) -> TableDescription:
    psycopg = import_psycopg()
    try:
        oid, schema, name, kind = _find(cur, table, schema_name)
        cur.execute(_COLUMNS, [oid])
        column_rows = cur.fetchall()
        cur.execute(_CONSTRAINTS, [oid])
        constraints = cur.fetchall()
        cur.execute(_INDEXES, [oid])
        index_rows = cur.fetchall()
    except psycopg.Error as err:
        raise pg_error(call, err) from None
    primary_key, foreign_keys = _keys(constraints, schema)
    columns = [
        ColumnInfo(name=c, type=t, nullable=bool(nullable), default=d, primary_key=c in primary_key)
        for c, t, nullable, d in column_rows
    ]
    indexes = [IndexInfo(name=n, columns=list(cols), unique=bool(u)) for n, u, cols in index_rows]
    row_count, note = None, None
    if kind == "f":
        note = "Rows of a foreign table are not counted."
    else:
        try:
            set_timeout(cur, max(deadline.remaining(), 0.001))
            cur.execute(f"SELECT count(*) FROM {quote_identifier(schema)}.{quote_identifier(name)}")
            row_count = int(cur.fetchone()[0])
        except psycopg.Error as err:  # e.g. the time limit, or no SELECT privilege
            note = f"The rows were not counted: {pg_error(call, err).message}"
    return TableDescription(
        dialect="PostgreSQL",
        name=name,
        schema_name=schema,
        type=KINDS[kind],
        columns=columns,
        primary_key=primary_key,
        foreign_keys=foreign_keys,
        indexes=indexes,
        row_count=row_count,
        note=note,
    )


def _keys(constraints: list[tuple], schema: str) -> tuple[list[str], list[ForeignKeyInfo]]:
    primary_key: list[str] = []
    foreign_keys = []
    for contype, cols, ref_schema, ref_table, ref_cols, on_delete, on_update in constraints:
        if contype == "p":
            primary_key = list(cols)
        else:
            shown = ref_table if ref_schema == schema else f"{ref_schema}.{ref_table}"
            foreign_keys.append(
                ForeignKeyInfo(
                    columns=list(cols),
                    references_table=shown,
                    references_columns=list(ref_cols),
                    on_delete=_FK_ACTIONS.get(on_delete, on_delete),
                    on_update=_FK_ACTIONS.get(on_update, on_update),
                )
            )
    return primary_key, foreign_keys


def _find(cur: Any, table: str, schema_name: str | None) -> tuple[int, str, str, str]:
    """The relation named by the user, looked up with bound parameters only."""
    candidates: list[tuple[str | None, str]] = [(schema_name, table)]
    if schema_name is None and "." in table:
        schema_part, _, table_part = table.partition(".")
        candidates.append((schema_part.strip('"'), table_part.strip('"')))
    for schema, name in candidates:
        for fold in (False, True):
            column = "lower(c.relname) = lower(%s)" if fold else "c.relname = %s"
            sql, args = _RELATIONS + f" AND {column}", [name]
            if schema is not None:
                sql += " AND lower(n.nspname) = lower(%s)" if fold else " AND n.nspname = %s"
                args.append(schema)
            cur.execute(sql + " ORDER BY n.nspname <> 'public', n.nspname", args)
            found = cur.fetchall()
            if len(found) == 1 or (found and found[0][1] == "public"):
                return found[0]
            if found:
                where = ", ".join(f"{r[1]}.{r[2]}" for r in found[:10])
                raise ToolError(f"{table!r} is ambiguous ({where}); give schema_name", code="invalid_input")
    cur.execute(_RELATIONS + " ORDER BY n.nspname <> 'public', n.nspname, c.relname LIMIT 200")
    known = [name if schema == "public" else f"{schema}.{name}" for _o, schema, name, _k in cur.fetchall()]
    shown = table if schema_name is None else f"{schema_name}.{table}"
    raise not_found_table(shown, known)


__all__ = ["KINDS", "describe_table", "list_tables"]
