"""Listing and describing the tables of an open SQLite connection (run in the worker).

Names read back from ``sqlite_master`` are quoted before they go into a
PRAGMA or ``count(*)``; the model's input is only compared with them.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tools.db.common import (
    MAX_TABLES_LISTED,
    ColumnInfo,
    DatabaseTarget,
    Deadline,
    ForeignKeyInfo,
    IndexInfo,
    TableDescription,
    TableInfo,
    TableList,
    bounded_message,
    join_notes,
    not_found_table,
    quote_identifier,
)


def _objects(conn: sqlite3.Connection, *, internal: bool) -> list[tuple[str, str]]:
    sql = "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
    if not internal:
        sql += " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    return [(row[0], row[1]) for row in conn.execute(sql + " ORDER BY name")]


def _count(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {quote_identifier(name)}").fetchone()[0])


def list_tables(conn: sqlite3.Connection, deadline: Deadline, target: DatabaseTarget, counts: bool) -> TableList:
    objects = _objects(conn, internal=False)
    tables: list[TableInfo] = []
    notes: list[str] = []
    for name, kind in objects[:MAX_TABLES_LISTED]:
        count = None
        if counts and kind == "table" and not deadline.expired():
            try:
                count = _count(conn, name)
            except sqlite3.Error as err:  # e.g. a virtual table whose module is missing
                if "interrupted" not in str(err):
                    notes.append(f"{name}: rows not counted ({bounded_message(str(err), 120)}).")
        counted = counts and kind == "table"
        if counted and count is None and deadline.expired() and not any("time limit" in n for n in notes):
            notes.append(f"Counting rows passed the {deadline.seconds:g} s time limit; the remaining counts are null.")
        tables.append(TableInfo(name=name, type="table" if kind == "table" else "view", row_count=count))
    truncated = len(objects) > MAX_TABLES_LISTED
    if truncated:
        notes.append(f"Only the first {MAX_TABLES_LISTED} of {len(objects)} tables and views are listed.")
    return TableList(
        dialect="SQLite", database=target.display, tables=tables, truncated=truncated, note=join_notes(notes)
    )


def describe(conn: sqlite3.Connection, table: str, deadline: Deadline) -> TableDescription:
    objects = _objects(conn, internal=True)
    exact = [(n, k) for n, k in objects if n == table]
    folded = exact or [(n, k) for n, k in objects if n.lower() == table.lower()]
    if not folded:
        raise not_found_table(table, [n for n, _ in objects if not n.startswith("sqlite_")])
    name, kind = folded[0]
    quoted = quote_identifier(name)  # a name read back from sqlite_master, quoted: never the raw input

    info = conn.execute(f"PRAGMA table_info({quoted})").fetchall()  # cid, name, type, notnull, dflt, pk
    pk_cols = [row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    rowid_alias = len(pk_cols) == 1 and any(r[1] == pk_cols[0] and (r[2] or "").upper() == "INTEGER" for r in info)
    columns = [
        ColumnInfo(
            name=r[1],
            type=r[2] or "",
            nullable=not r[3] and not (r[5] and rowid_alias),
            default=r[4],
            primary_key=bool(r[5]),
        )
        for r in info
    ]
    foreign_keys, indexes = _foreign_keys(conn, quoted), _indexes(conn, quoted)  # before counting uses the time
    note = None
    try:
        row_count: int | None = _count(conn, name)
    except sqlite3.OperationalError:
        if not deadline.expired():
            raise
        row_count, note = None, f"Counting the rows passed the {deadline.seconds:g} s time limit."
    return TableDescription(
        dialect="SQLite",
        name=name,
        type="table" if kind == "table" else "view",
        columns=columns,
        primary_key=pk_cols,
        foreign_keys=foreign_keys,
        indexes=indexes,
        row_count=row_count,
        note=note,
    )


def _foreign_keys(conn: sqlite3.Connection, quoted: str) -> list[ForeignKeyInfo]:
    found: dict[int, dict[str, Any]] = {}
    for fid, _seq, ref_table, col, ref_col, on_update, on_delete, _match in conn.execute(
        f"PRAGMA foreign_key_list({quoted})"
    ):
        fk = found.setdefault(
            fid, {"columns": [], "ref": ref_table, "ref_cols": [], "on_update": on_update, "on_delete": on_delete}
        )
        fk["columns"].append(col)
        fk["ref_cols"].append(ref_col)
    fks = []
    for fk in found.values():
        ref_cols = fk["ref_cols"]
        if all(c is None for c in ref_cols):  # REFERENCES parent without columns: the parent's primary key
            parent = [r for r in conn.execute(f"PRAGMA table_info({quote_identifier(fk['ref'])})") if r[5]]
            ref_cols = [r[1] for r in sorted(parent, key=lambda r: r[5])] or ref_cols
        fks.append(
            ForeignKeyInfo(
                columns=fk["columns"],
                references_table=fk["ref"],
                references_columns=[c if c is not None else "<primary key>" for c in ref_cols],
                on_delete=fk["on_delete"],
                on_update=fk["on_update"],
            )
        )
    return fks


def _indexes(conn: sqlite3.Connection, quoted: str) -> list[IndexInfo]:
    indexes = []
    for _seq, index_name, unique, *_rest in conn.execute(f"PRAGMA index_list({quoted})").fetchall():
        cols = [
            r[2] if r[2] is not None else "<expression>"
            for r in conn.execute(f"PRAGMA index_info({quote_identifier(index_name)})")
        ]
        indexes.append(IndexInfo(name=index_name, columns=cols, unique=bool(unique)))
    return indexes


__all__ = ["describe", "list_tables"]
