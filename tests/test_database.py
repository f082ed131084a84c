"""The database tools on SQLite: the demo database, the Chinook-shaped sample database, hostile SQL.

Expected values are computed with separate, plain ``sqlite3`` connections, and
every hostile call must fail fast with a ToolError code while leaving the
database file byte-for-byte unchanged and no new file behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from tools.base import ToolError, ToolHints
from tools.database import database_specs
from tools.db.common import MAX_CELL_CHARS, parse_database_url, quote_identifier
from tools.demo_db import ensure_demo_database
from tools.sample_db import ensure_sample_database

CHINOOK_TABLES = {
    "Album": ["AlbumId", "Title", "ArtistId"],
    "Artist": ["ArtistId", "Name"],
    "Customer": ["CustomerId", "FirstName", "LastName", "Company", "Address", "City", "State", "Country",
                 "PostalCode", "Phone", "Fax", "Email", "SupportRepId"],
    "Employee": ["EmployeeId", "LastName", "FirstName", "Title", "ReportsTo", "BirthDate", "HireDate", "Address",
                 "City", "State", "Country", "PostalCode", "Phone", "Fax", "Email"],
    "Genre": ["GenreId", "Name"],
    "Invoice": ["InvoiceId", "CustomerId", "InvoiceDate", "BillingAddress", "BillingCity", "BillingState",
                "BillingCountry", "BillingPostalCode", "Total"],
    "InvoiceLine": ["InvoiceLineId", "InvoiceId", "TrackId", "UnitPrice", "Quantity"],
    "MediaType": ["MediaTypeId", "Name"],
    "Playlist": ["PlaylistId", "Name"],
    "PlaylistTrack": ["PlaylistId", "TrackId"],
    "Track": ["TrackId", "Name", "AlbumId", "MediaTypeId", "GenreId", "Composer", "Milliseconds", "Bytes",
              "UnitPrice"],
}  # fmt: skip


# --------------------------------------------------------------------------- helpers


def tools(url: str | Path, **kwargs) -> dict:
    return {spec.name: spec for spec in database_specs(str(url), **kwargs)}


def snapshot(db: Path) -> tuple[str, list[str]]:
    """The database's bytes (hashed) and the names of all files next to it."""
    return hashlib.sha256(db.read_bytes()).hexdigest(), sorted(p.name for p in db.parent.iterdir())


def independent(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def user_tables(db: Path) -> list[str]:
    rows = independent(
        db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [r[0] for r in rows]


@pytest.fixture(scope="session")
def chinook_source(tmp_path_factory) -> Path:
    """The generated Chinook-shaped sample database, built once per test session."""
    return ensure_sample_database(tmp_path_factory.mktemp("sample") / "chinook.sqlite")


@pytest.fixture
def chinook(tmp_path, chinook_source) -> Path:
    """A private copy of the sample database, alone in its folder (tests may write to it)."""
    folder = tmp_path / "chinook"
    folder.mkdir()
    copy = folder / "chinook.sqlite"
    shutil.copyfile(chinook_source, copy)
    return copy


@pytest.fixture
def demo(tmp_path) -> Path:
    return ensure_demo_database(tmp_path / "demo" / "nested" / "demo.sqlite")


# --------------------------------------------------------------------------- building


def test_urls_are_parsed_without_connecting(tmp_path):
    absolute = parse_database_url(f"sqlite:///{tmp_path}/a.db")  # the form Settings produces: four slashes
    assert absolute.dialect == "SQLite" and absolute.path == tmp_path / "a.db"
    relative = parse_database_url("sqlite:///rel/b.db")  # the tests run in tmp_path (conftest)
    assert relative.path == tmp_path / "rel" / "b.db"
    assert parse_database_url(str(tmp_path / "c.db")).path == tmp_path / "c.db"
    assert parse_database_url("plain.db").path == tmp_path / "plain.db"

    pg = parse_database_url("postgres://alice:pa%40ss@db.example:6543/shop?sslmode=require")
    assert pg.dialect == "PostgreSQL" and (pg.host, pg.port, pg.dbname) == ("db.example", 6543, "shop")
    assert "pa" not in pg.display.replace("postgresql", "") and "alice@db.example:6543/shop" in pg.display
    assert set(pg.secrets) == {"pa%40ss", "pa@ss"}
    for bad in ("mysql://x/y", "sqlite://relative.db", "  "):
        with pytest.raises(ValueError):
            parse_database_url(bad)


def test_specs_names_hints_and_timeouts(demo):
    read_only = database_specs(str(demo), row_limit=50, timeout=2.0)
    assert [s.name for s in read_only] == ["db_list_tables", "db_describe_table", "db_query"]
    for spec in read_only:
        assert (spec.hints.read_only, spec.hints.destructive, spec.hints.idempotent, spec.hints.open_world) == (
            True,
            False,
            True,
            False,
        )
        assert spec.hints.timeout is not None and spec.hints.timeout > 2.0 and spec.hints.title
        assert "SQLite" in spec.description
    query = read_only[2]
    assert "read-only" in query.description and "50 rows" in query.description
    schema = query.input_model.model_json_schema()
    assert schema["properties"]["max_rows"]["anyOf"][0]["maximum"] == 50
    assert "SQLite" in schema["properties"]["sql"]["description"]
    assert "?" in schema["properties"]["params"]["description"]

    writable = tools(demo, allow_write=True)
    assert set(writable) == {"db_list_tables", "db_describe_table", "db_query", "db_execute"}
    hints = writable["db_execute"].hints
    assert hints.needs_approval and not hints.idempotent and hints.title == "Change the database"
    assert hints == ToolHints(
        read_only=False, destructive=True, idempotent=False, open_world=False, timeout=hints.timeout, title=hints.title
    )
    assert writable["db_query"].hints.read_only


def test_building_for_a_missing_file_or_dead_server_does_not_fail(tmp_path):
    started = time.monotonic()
    assert len(database_specs(str(tmp_path / "nope.db"))) == 3
    assert len(database_specs("postgresql://u:secret@127.0.0.1:1/x", allow_write=True)) == 4
    assert time.monotonic() - started < 1.0
    assert not (tmp_path / "nope.db").exists()


# --------------------------------------------------------------------------- demo database


def test_demo_database_is_created_atomically_and_once(tmp_path):
    path = tmp_path / "a" / "b" / "demo.sqlite"
    assert ensure_demo_database(path) == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.sqlite"]  # no temp file left
    first = path.read_bytes()
    time.sleep(0.01)
    ensure_demo_database(path)
    assert path.read_bytes() == first

    other = ensure_demo_database(tmp_path / "other.sqlite")  # deterministic: same rows elsewhere
    assert _dump(other) == _dump(path)
    counts = {t: independent(path, f"SELECT count(*) FROM {t}")[0][0] for t in user_tables(path)}
    assert set(counts) == {"customers", "products", "orders", "order_items"}
    assert all(10 <= n <= 100 for n in counts.values())
    assert independent(path, "PRAGMA foreign_key_check") == []


def test_demo_database_answers_the_first_questions(demo):
    t = tools(demo)
    listing = t["db_list_tables"].run({})
    assert listing["ok"] and listing["dialect"] == "SQLite"
    by_name = {x["name"]: x for x in listing["tables"]}
    assert set(by_name) == set(user_tables(demo)) | {"order_totals"}
    assert by_name["order_totals"]["type"] == "view"
    for name in user_tables(demo):
        assert by_name[name]["row_count"] == independent(demo, f"SELECT count(*) FROM {name}")[0][0]

    orders = t["db_describe_table"].run({"table": "orders"})
    assert orders["ok"] and orders["primary_key"] == ["id"]
    assert [c["name"] for c in orders["columns"]] == [r[1] for r in independent(demo, "PRAGMA table_info(orders)")]
    assert orders["foreign_keys"] == [
        {"columns": ["customer_id"], "references_table": "customers", "references_columns": ["id"],
         "on_delete": "NO ACTION", "on_update": "NO ACTION"}
    ]  # fmt: skip
    status = next(c for c in orders["columns"] if c["name"] == "status")
    assert status["default"] == "'pending'" and status["nullable"] is False
    assert any(ix["columns"] == ["customer_id"] for ix in orders["indexes"])
    assert orders["row_count"] == independent(demo, "SELECT count(*) FROM orders")[0][0]

    count = t["db_query"].run({"sql": "SELECT count(*) AS n FROM customers"})
    assert count["rows"] == [[independent(demo, "SELECT count(*) FROM customers")[0][0]]]
    assert count["columns"] == ["n"] and count["truncated"] is False


# --------------------------------------------------------------------------- sample database


def _foreign_keys(db: Path, table: str) -> set[tuple[str, str, str]]:
    return {(r[3], r[2], r[4]) for r in independent(db, f"PRAGMA foreign_key_list({table})")}


def test_sample_database_has_chinooks_shape(chinook_source):
    db = chinook_source
    assert {t: [r[1] for r in independent(db, f"PRAGMA table_info({t})")] for t in user_tables(db)} == CHINOOK_TABLES
    assert _foreign_keys(db, "Album") == {("ArtistId", "Artist", "ArtistId")}
    assert _foreign_keys(db, "Track") == {
        ("AlbumId", "Album", "AlbumId"), ("GenreId", "Genre", "GenreId"), ("MediaTypeId", "MediaType", "MediaTypeId")
    }  # fmt: skip
    assert _foreign_keys(db, "InvoiceLine") == {("InvoiceId", "Invoice", "InvoiceId"), ("TrackId", "Track", "TrackId")}
    assert _foreign_keys(db, "Invoice") == {("CustomerId", "Customer", "CustomerId")}
    assert _foreign_keys(db, "Customer") == {("SupportRepId", "Employee", "EmployeeId")}
    assert _foreign_keys(db, "Employee") == {("ReportsTo", "Employee", "EmployeeId")}
    assert _foreign_keys(db, "PlaylistTrack") == {
        ("PlaylistId", "Playlist", "PlaylistId"), ("TrackId", "Track", "TrackId")
    }  # fmt: skip
    indexed = {(r[0], r[1]) for r in independent(
        db, "SELECT m.tbl_name, i.name FROM sqlite_master m, pragma_index_info(m.name) i WHERE m.type = 'index'"
    )}  # fmt: skip
    assert ("Album", "ArtistId") in indexed and ("Track", "AlbumId") in indexed and ("Invoice", "CustomerId") in indexed
    assert independent(db, "PRAGMA foreign_key_check") == []

    counts = {t: independent(db, f"SELECT count(*) FROM {t}")[0][0] for t in CHINOOK_TABLES}
    assert (counts["Artist"], counts["Album"], counts["Track"]) == (275, 347, 3503)
    assert (counts["Genre"], counts["MediaType"], counts["Playlist"], counts["Employee"]) == (25, 5, 18, 8)
    assert 50 <= counts["Customer"] <= 70 and 350 <= counts["Invoice"] <= 450
    assert 1800 <= counts["InvoiceLine"] <= 2600 and 1000 <= counts["PlaylistTrack"] <= 9000


def test_sample_database_answers_like_chinook(chinook_source):
    db = chinook_source
    names = [r[0] for r in independent(db, "SELECT Name FROM Artist")]
    assert len(set(names)) == len(names) and all(n and n.strip() == n and "None" not in n for n in names)
    top = independent(
        db, "SELECT ar.Name, count(*) AS n FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId "
        "GROUP BY ar.ArtistId ORDER BY n DESC LIMIT 2"
    )  # fmt: skip
    assert top[0][1] > top[1][1]  # "which artist has the most albums?" has one answer
    assert independent(db, "SELECT count(*) FROM Artist WHERE ArtistId NOT IN (SELECT ArtistId FROM Album)")[0][0] > 0
    mismatched = independent(
        db, "SELECT count(*) FROM Invoice i WHERE abs(i.Total - (SELECT sum(UnitPrice * Quantity) FROM InvoiceLine l "
        "WHERE l.InvoiceId = i.InvoiceId)) > 0.001"
    )  # fmt: skip
    assert mismatched == [(0,)]
    emails = [r[0] for r in independent(db, "SELECT Email FROM Customer")]
    assert len(set(emails)) == len(emails) and all("@" in e for e in emails)
    assert independent(db, "SELECT min(InvoiceDate) < max(InvoiceDate), count(DISTINCT BillingCountry) > 10 "
                           "FROM Invoice") == [(1, 1)]  # fmt: skip

    q = tools(db)["db_query"]
    assert q.run({"sql": "SELECT count(*) FROM Album"})["rows"] == [[347]]
    best = q.run({"sql": "SELECT ar.Name FROM Artist ar JOIN Album al USING (ArtistId) GROUP BY ar.ArtistId "
                         "ORDER BY count(*) DESC LIMIT 1"})  # fmt: skip
    assert best["rows"] == [[top[0][0]]]


def test_sample_database_is_deterministic_and_written_atomically(tmp_path, chinook_source):
    path = tmp_path / "a" / "sample.sqlite"
    assert ensure_sample_database(path) == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["sample.sqlite"]  # no temp file left
    assert _dump(path) == _dump(chinook_source)
    first = path.read_bytes()
    ensure_sample_database(path)  # present: left alone
    assert path.read_bytes() == first
    assert _dump(ensure_sample_database(tmp_path / "other.sqlite", seed=7)) != _dump(path)


def test_sample_database_command_line(tmp_path):
    import subprocess

    root = Path(__file__).resolve().parents[1]
    path = tmp_path / "cli" / "music.sqlite"
    run = [sys.executable, "-m", "tools.sample_db"]
    made = subprocess.run([*run, str(path)], cwd=root, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0 and "created" in made.stdout and path.is_file()
    assert independent(path, "SELECT count(*) FROM Track") == [(3503,)]
    again = subprocess.run([*run, str(path)], cwd=root, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "unchanged" in again.stdout
    usage = subprocess.run(run, cwd=root, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "usage" in usage.stderr


# --------------------------------------------------------------------------- Chinook


def test_chinook_tables_and_counts_match_an_independent_connection(chinook):
    listing = tools(chinook)["db_list_tables"].run({})
    names = user_tables(chinook)
    assert len(names) == 11  # the Chinook schema
    assert [x["name"] for x in listing["tables"]] == names
    expected = {n: independent(chinook, f"SELECT count(*) FROM {quote_identifier(n)}")[0][0] for n in names}
    assert {x["name"]: x["row_count"] for x in listing["tables"]} == expected
    assert expected["Track"] == 3503 and expected["Artist"] == 275

    quick = tools(chinook)["db_list_tables"].run({"include_row_counts": False})
    assert all(x["row_count"] is None for x in quick["tables"])


def test_chinook_describe_track(chinook):
    d = tools(chinook)["db_describe_table"].run({"table": "track"})  # names are case-insensitive in SQLite
    assert d["ok"] and d["name"] == "Track" and d["type"] == "table"
    info = independent(chinook, "PRAGMA table_info(Track)")
    assert [(c["name"], c["type"]) for c in d["columns"]] == [(r[1], r[2]) for r in info]
    assert d["primary_key"] == ["TrackId"]
    assert next(c for c in d["columns"] if c["name"] == "TrackId")["nullable"] is False
    refs = {fk["columns"][0]: (fk["references_table"], fk["references_columns"]) for fk in d["foreign_keys"]}
    assert refs == {
        "AlbumId": ("Album", ["AlbumId"]),
        "GenreId": ("Genre", ["GenreId"]),
        "MediaTypeId": ("MediaType", ["MediaTypeId"]),
    }
    assert {ix["name"] for ix in d["indexes"]} == {r[1] for r in independent(chinook, "PRAGMA index_list(Track)")}
    assert d["row_count"] == independent(chinook, "SELECT count(*) FROM Track")[0][0]

    pt = tools(chinook)["db_describe_table"].run({"table": "PlaylistTrack"})
    assert pt["primary_key"] == ["PlaylistId", "TrackId"]


def test_query_binds_params_verbatim(chinook):
    q = tools(chinook)["db_query"]
    hostile = "O'Brien\"; DROP TABLE Track; --"
    assert q.run({"sql": "SELECT ? AS v", "params": [hostile]})["rows"] == [[hostile]]
    assert q.run({"sql": "SELECT :v AS v", "params": {"v": hostile}})["rows"] == [[hostile]]

    artist = q.run({"sql": "SELECT Name FROM Artist WHERE ArtistId = :id", "params": {"id": 90}})
    assert artist["rows"] == [[independent(chinook, "SELECT Name FROM Artist WHERE ArtistId = 90")[0][0]]]
    like = q.run({"sql": "SELECT count(*) FROM Track WHERE Name LIKE ?", "params": ["%love%"]})
    assert like["rows"][0][0] == independent(chinook, "SELECT count(*) FROM Track WHERE Name LIKE '%love%'")[0][0]
    top_genre = (
        "SELECT g.Name, count(*) FROM Track t JOIN Genre g USING (GenreId) GROUP BY g.Name ORDER BY 2 DESC LIMIT 1"
    )
    joined = q.run({"sql": top_genre + ";"})
    assert joined["rows"] == [list(r) for r in independent(chinook, top_genre)]
    assert q.run({"sql": "SELECT 1 -- a comment\n;"})["rows"] == [[1]]
    assert q.run({"sql": "SELECT ?", "params": [1, 2]})["error"] == "invalid_input"


def test_row_limit_and_truncation_note(chinook):
    q = tools(chinook, row_limit=200)["db_query"]
    full = q.run({"sql": "SELECT TrackId, Name FROM Track ORDER BY TrackId"})
    assert full["row_count"] == 200 and len(full["rows"]) == 200 and full["truncated"] is True
    assert "200" in full["note"] and "LIMIT" in full["note"]
    assert full["rows"][:3] == [
        list(r) for r in independent(chinook, "SELECT TrackId, Name FROM Track ORDER BY TrackId LIMIT 3")
    ]
    exact = q.run({"sql": "SELECT ArtistId FROM Artist ORDER BY ArtistId LIMIT 200"})
    assert exact["row_count"] == 200 and exact["truncated"] is False and exact["note"] is None
    few = q.run({"sql": "SELECT * FROM Genre", "max_rows": 5})
    assert few["row_count"] == 5 and few["truncated"] is True
    too_many = q.run({"sql": "SELECT 1", "max_rows": 201})
    assert too_many["ok"] is False and too_many["error"] == "invalid_input" and "max_rows" in too_many["message"]


def test_values_are_json_safe_and_bounded(demo):
    q = tools(demo)["db_query"]
    r = q.run({"sql": "SELECT x'00ff', zeroblob(1000), printf('%.5000c', 'a'), 1e999, NULL, 2.5, 'é'"})
    blob, big_blob, text, inf, null, num, accent = r["rows"][0]
    assert blob == "base64:AP8=" and big_blob.startswith("base64:") and "1000 bytes in total" in big_blob
    assert len(text) < MAX_CELL_CHARS + 60 and "5000 chars in total" in text
    assert (inf, null, num, accent) == ("Infinity", None, 2.5, "é")
    assert "base64" in r["note"] and "cut" in r["note"]
    json.dumps(r, allow_nan=False)

    lc = q.as_langchain()
    content = lc.invoke({"sql": "SELECT name FROM products WHERE id = ?", "params": [1]})
    assert json.loads(content)["rows"] == [[independent(demo, "SELECT name FROM products WHERE id = 1")[0][0]]]


def test_structured_errors_from_run(demo):
    q = tools(demo)["db_query"]
    assert q.run({})["error"] == "invalid_input"
    assert q.run({"sql": "SELECT 1", "extra": 1})["error"] == "invalid_input"
    bad = q.run({"sql": "SELECT nope FROM customers"})
    assert bad == {"ok": False, "error": "invalid_input", "message": bad["message"]} and "nope" in bad["message"]
    with pytest.raises(ToolError) as err:
        q.call({"sql": "DELETE FROM customers"})
    assert err.value.code == "refused"


# --------------------------------------------------------------------------- hostile SQL


HOSTILE = [
    ("INSERT INTO Genre (Name) VALUES ('x')", "refused"),
    ("REPLACE INTO Genre (GenreId, Name) VALUES (1, 'x')", "refused"),
    ("UPDATE Track SET Name = 'x'", "refused"),
    ("UPDATE Genre SET Name = 'x' RETURNING *", "refused"),
    ("DELETE FROM InvoiceLine", "refused"),
    ("WITH g AS (SELECT 1) INSERT INTO Genre (Name) SELECT 'x' FROM g", "refused"),
    ("DROP TABLE Track", "refused"),
    ("DROP INDEX IFK_TrackAlbumId", "refused"),
    ("CREATE TABLE t (x)", "refused"),
    ("CREATE TEMP TABLE t (x)", "refused"),
    ("CREATE INDEX ix ON Track (Name)", "refused"),
    ("ALTER TABLE Track ADD COLUMN y", "refused"),
    ("REINDEX", "refused"),
    ("ANALYZE", "refused"),
    ("ATTACH DATABASE '{dir}/x.db' AS x", "refused"),
    ("DETACH DATABASE main", "refused"),
    ("PRAGMA journal_mode=delete", "refused"),
    ("PRAGMA journal_mode=wal", "refused"),
    ("PRAGMA user_version=5", "refused"),
    ("PRAGMA writable_schema=1", "refused"),
    ("PRAGMA optimize", "refused"),
    ("PRAGMA wal_checkpoint", "refused"),
    ("VACUUM", "refused"),
    ("VACUUM INTO '{dir}/y.db'", "refused"),
    ("SELECT load_extension('x')", "refused"),
    ("BEGIN", "refused"),
    ("SAVEPOINT s", "refused"),
    ("SELECT 1; DROP TABLE Track", "invalid_input"),
    ("SELECT 1; SELECT 2", "invalid_input"),
]


@pytest.mark.parametrize("allow_write", [False, True], ids=["read-only", "writes-allowed"])
@pytest.mark.parametrize(("sql", "code"), HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_query_is_refused_without_side_effect(chinook, tmp_path, sql, code, allow_write):
    sql = sql.format(dir=tmp_path)
    q = tools(chinook, allow_write=allow_write)["db_query"]
    before = snapshot(chinook)
    started = time.monotonic()
    result = q.run({"sql": sql})
    assert time.monotonic() - started < 1.0
    assert result["ok"] is False and result["error"] == code, result
    assert snapshot(chinook) == before
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "y.db").exists()
    if code == "refused" and sql.split()[0] in ("INSERT", "UPDATE", "DELETE", "DROP", "CREATE"):
        if allow_write:
            assert "db_execute" in result["message"]
        else:
            assert "writes are disabled" in result["message"] and "AGENT_DATABASE_WRITE=true" in result["message"]
    if code == "invalid_input":
        assert "one SQL statement" in result["message"]


def test_reading_pragmas_and_table_functions_still_work(chinook):
    q = tools(chinook)["db_query"]
    assert q.run({"sql": "PRAGMA user_version"})["ok"]
    info = q.run({"sql": "SELECT name FROM pragma_table_info(?)", "params": ["Album"]})
    assert [r[0] for r in info["rows"]] == [r[1] for r in independent(chinook, "PRAGMA table_info(Album)")]
    assert q.run({"sql": "SELECT value FROM json_each(?)", "params": ["[1, 2]"]})["rows"] == [[1], [2]]
    assert q.run({"sql": "EXPLAIN QUERY PLAN SELECT * FROM Track WHERE AlbumId = 1"})["ok"]


def test_missing_file_is_not_created(tmp_path):
    missing = tmp_path / "sub" / "missing.db"
    for name, args in [
        ("db_query", {"sql": "SELECT 1"}),
        ("db_list_tables", {}),
        ("db_describe_table", {"table": "x"}),
    ]:
        result = tools(missing)[name].run(args)
        assert result["error"] == "not_found" and str(missing) in result["message"]
    assert tools(missing, allow_write=True)["db_execute"].run({"sql": "CREATE TABLE t (x)"})["error"] == "not_found"
    assert not missing.exists() and not missing.parent.exists()
    assert tools(tmp_path)["db_query"].run({"sql": "SELECT 1"})["error"] == "not_found"  # a directory
    relative = tools("sqlite:///sub/missing.db")["db_query"].run({"sql": "SELECT 1"})  # cwd is tmp_path
    assert relative["error"] == "not_found" and "sqlite:////sub/missing.db" in relative["message"]
    assert not missing.parent.exists()


def test_not_a_database_file(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    before = junk.read_bytes()
    assert tools(junk)["db_query"].run({"sql": "SELECT 1 FROM x"})["error"] == "unavailable"
    assert junk.read_bytes() == before


def test_describe_injection_and_unknown_table(chinook, chinook_source):
    d = tools(chinook)["db_describe_table"]
    before = snapshot(chinook)
    for name in ['x"; DROP TABLE Track; --', "Track; DROP TABLE Track", "Track'--", "x\x00y"]:
        result = d.run({"table": name})
        assert result["error"] == "not_found", result
        assert "Track" in result["message"] and "Album" in result["message"]  # the known tables are listed
    assert snapshot(chinook) == before
    assert user_tables(chinook) == user_tables(chinook_source)


def test_describe_odd_identifiers(tmp_path):
    path = tmp_path / "odd.db"
    conn = sqlite3.connect(path)
    conn.executescript('CREATE TABLE "we""ird name" ("a b" INTEGER PRIMARY KEY, "c""d" TEXT DEFAULT \'x\'); '
                       'INSERT INTO "we""ird name" VALUES (1, \'y\'), (2, NULL);')  # fmt: skip
    conn.close()
    d = tools(path)["db_describe_table"].run({"table": 'we"ird name'})
    assert d["ok"] and [c["name"] for c in d["columns"]] == ["a b", 'c"d'] and d["row_count"] == 2


# --------------------------------------------------------------------------- time limit


@pytest.mark.parametrize(
    "sql",
    [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        "SELECT count(*) FROM Track a, Track b, Track c",
        "SELECT * FROM Track a, Track b, Track c ORDER BY a.Name || b.Name || c.Name LIMIT 1",
    ],
    ids=["recursive-cte", "cross-join", "sorted-cross-join"],
)
def test_runaway_queries_are_stopped(chinook, sql):
    q = tools(chinook, timeout=0.5)["db_query"]
    before = snapshot(chinook)
    started = time.monotonic()
    result = q.run({"sql": sql})
    elapsed = time.monotonic() - started
    assert result["error"] == "timeout" and "0.5 s" in result["message"]
    assert 0.4 < elapsed < 3.0
    assert snapshot(chinook) == before


def test_huge_values_are_refused(demo):
    result = tools(demo, timeout=2)["db_query"].run({"sql": "SELECT length(zeroblob(200000000))"})
    assert result["error"] == "too_large"


# --------------------------------------------------------------------------- writes


def test_execute_commits_only_when_writes_are_allowed(chinook):
    assert "db_execute" not in tools(chinook)
    t = tools(chinook, allow_write=True)
    ex = t["db_execute"]
    genres = independent(chinook, "SELECT count(*) FROM Genre")[0][0]
    done = ex.run({"sql": "INSERT INTO Genre (Name) VALUES (?)", "params": ["Chiptune 'n' \"Bass\""]})
    assert done["ok"] and done["committed"] and done["rows_affected"] == 1
    assert independent(chinook, "SELECT count(*) FROM Genre")[0][0] == genres + 1
    assert independent(chinook, "SELECT Name FROM Genre ORDER BY GenreId DESC LIMIT 1") == [("Chiptune 'n' \"Bass\"",)]

    ret = ex.run({"sql": "UPDATE Genre SET Name = Name || '!' WHERE GenreId <= 3 RETURNING GenreId"})
    assert ret["rows_affected"] == 3 and sorted(r[0] for r in ret["rows"]) == [1, 2, 3]
    assert independent(chinook, "SELECT count(*) FROM Genre WHERE Name LIKE '%!'")[0][0] == 3

    created = ex.run({"sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"})
    assert created["ok"] and created["rows_affected"] is None
    assert "notes" in user_tables(chinook)
    assert t["db_query"].run({"sql": "INSERT INTO notes (body) VALUES ('x')"})["error"] == "refused"


def test_execute_refusals_and_rollbacks(chinook, tmp_path):
    ex = tools(chinook, allow_write=True, timeout=0.5)["db_execute"]
    before = snapshot(chinook)
    for sql, code in [
        (f"ATTACH DATABASE '{tmp_path}/x.db' AS x", "refused"),
        (f"VACUUM INTO '{tmp_path}/y.db'", "refused"),
        ("PRAGMA user_version = 7", "refused"),
        ("SELECT load_extension('x')", "refused"),
        ("COMMIT", "refused"),
        ("INSERT INTO Genre (Name) VALUES ('a'); DROP TABLE Track", "invalid_input"),
        ("INSERT INTO Track (Name, MediaTypeId, Milliseconds, UnitPrice, AlbumId) VALUES ('x', 1, 1, 1, 999999)",
         "invalid_input"),  # foreign keys are enforced
        ("INSERT INTO Genre (Name) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
         "SELECT 'g' || x FROM c", "timeout"),
    ]:  # fmt: skip
        started = time.monotonic()
        result = ex.run({"sql": sql})
        assert result["error"] == code, (sql, result)
        assert time.monotonic() - started < 3.0
    assert snapshot(chinook) == before
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "y.db").exists()


# --------------------------------------------------------------------------- wiring


def test_registry_builds_the_demo_database(tmp_path):
    from agent.settings import Settings
    from tools.registry import family_specs

    specs = {s.name: s for s in family_specs("database", Settings())}
    assert set(specs) == {"db_list_tables", "db_describe_table", "db_query"}
    demo = tmp_path / "home" / "demo.sqlite"  # AGENT_HOME is tmp_path/home (conftest)
    assert demo.is_file()
    assert specs["db_query"].run({"sql": "SELECT count(*) FROM orders"})["rows"] == [
        [independent(demo, "SELECT count(*) FROM orders")[0][0]]
    ]


def test_postgres_without_psycopg_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes ``import psycopg`` fail
    specs = tools("postgresql://u:hunter2@127.0.0.1:1/db")
    result = specs["db_query"].run({"sql": "SELECT 1"})
    assert result["error"] == "unavailable"
    assert "pip install -e '.[postgres]'" in result["message"] and "hunter2" not in result["message"]
