"""What the SQLite authorizer lets a read through, and how it words what it refuses."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_helpers import backend, private_sandbox, snapshot

from tools.base import ToolError
from tools.database import database_specs
from tools.db.sqlite_auth import TABLE_FUNCTIONS, eponymous_tables
from tools.sample_db import ensure_sample_database


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return ensure_sample_database(tmp_path_factory.mktemp("access") / "music.sqlite")


@pytest.fixture(scope="module")
def box():
    sandbox = private_sandbox()
    yield sandbox
    sandbox.close()


def _refusal(b, sql: str, params=None) -> ToolError:
    with pytest.raises(ToolError) as err:
        b.query(sql, params, 50)
    return err.value


def test_table_valued_pragmas_on_the_allow_list_read(db, box):
    b = backend(db, box)
    functions = b.query("SELECT name FROM pragma_function_list WHERE name = 'instr'", None, 50)
    assert functions.rows == [["instr"]]
    assert b.query("SELECT count(*) > 0 FROM pragma_collation_list", None, 1).rows == [[1]]
    assert b.query("SELECT name FROM pragma_database_list", None, 5).rows == [["main"]]
    info = b.query("SELECT name FROM pragma_table_info(?) ORDER BY cid", ["Album"], 50)
    assert [r[0] for r in info.rows] == ["AlbumId", "Title", "ArtistId"]
    xinfo = b.query("SELECT count(*) FROM pragma_table_xinfo('Track')", None, 1)
    assert xinfo.rows == [[9]]
    fks = b.query('SELECT "table", "from" FROM pragma_foreign_key_list(\'Album\')', None, 5)
    assert fks.rows == [["Artist", "ArtistId"]]
    indexes = b.query("SELECT name FROM pragma_index_list('Track') ORDER BY name", None, 10)
    assert [r[0] for r in indexes.rows] == ["IFK_TrackAlbumId", "IFK_TrackGenreId", "IFK_TrackMediaTypeId"]
    columns = b.query("SELECT name FROM pragma_index_info('IFK_AlbumArtistId')", None, 5)
    assert columns.rows == [["ArtistId"]]
    joined = b.query(  # every table's columns in one query, as a model might ask
        "SELECT m.name, count(*) FROM sqlite_master m JOIN pragma_table_info(m.name) p "
        "WHERE m.type = 'table' GROUP BY m.name ORDER BY m.name",
        None,
        50,
    )
    assert dict(joined.rows)["InvoiceLine"] == 5
    assert b.query("SELECT user_version FROM pragma_user_version", None, 1).rows == [[1]]
    assert b.query("PRAGMA function_list", None, 1).row_count == 1
    assert b.query("SELECT count(*) FROM json_each('[1, 2, 3]')", None, 1).rows == [[3]]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT * FROM pragma_integrity_check", "pragma_integrity_check"),
        ("SELECT * FROM pragma_optimize", "pragma_optimize"),
        ("SELECT * FROM pragma_hard_heap_limit", "pragma_hard_heap_limit"),
        ("SELECT * FROM dbstat", "dbstat"),
        ("SELECT * FROM sqlite_stmt", "sqlite_stmt"),
        ("PRAGMA integrity_check", "integrity_check"),
        ("PRAGMA writable_schema = 1", "writable_schema"),
        ("PRAGMA user_version = 3", "user_version"),
        ("SELECT load_extension('x')", "load_extension"),
    ],
)
def test_refusals_name_what_is_not_allowed(db, box, sql, named):
    before = snapshot(db)
    err = _refusal(backend(db, box), sql)
    assert err.code == "refused" and named in err.message, err
    assert "writes are disabled" not in err.message
    assert snapshot(db) == before


def test_a_refused_write_says_refused(db, box):
    for sql in [
        "INSERT INTO Genre (Name) VALUES ('x')",
        "UPDATE Track SET Name = 'x' WHERE TrackId = 1",
        "DELETE FROM InvoiceLine",
        "CREATE TABLE t (x)",
        "DROP TABLE Track",
    ]:
        err = _refusal(backend(db, box), sql)
        assert err.code == "refused" and err.message.startswith("writes are disabled"), (sql, err)
        enabled = _refusal(backend(db, box, writes=True), sql)
        assert enabled.code == "refused" and "db_execute" in enabled.message
    via_tool = {s.name: s for s in database_specs(str(db))}["db_query"].run({"sql": "DELETE FROM Album"})
    assert via_tool["ok"] is False and via_tool["error"] == "refused"
    assert via_tool["message"].startswith("writes are disabled")


def test_a_real_table_named_like_a_virtual_one_stays_readable(tmp_path, box):
    path = tmp_path / "odd.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE dbstat (x INTEGER); INSERT INTO dbstat VALUES (7);")
    conn.close()
    b = backend(path, box)
    assert b.query("SELECT x FROM dbstat", None, 5).rows == [[7]]
    assert b.query("SELECT name FROM pragma_table_info('dbstat')", None, 5).rows == [["x"]]
    assert _refusal(b, "SELECT * FROM sqlite_stmt").code == "refused"


def test_every_eponymous_table_is_allowed_or_refused_by_name(db, box):
    """No virtual table reaches the authorizer as an anonymous schema write ("writes are disabled")."""
    b = backend(db, box)
    for name in eponymous_tables():
        try:
            b.query(f'SELECT * FROM "{name}" LIMIT 1', None, 1)
        except ToolError as err:
            if name in TABLE_FUNCTIONS:
                assert err.code != "refused", (name, err)  # e.g. a missing argument, not a refusal
            else:
                assert err.code == "refused" and name in err.message, (name, err)
        else:
            assert name in TABLE_FUNCTIONS, name
