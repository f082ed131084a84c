"""Random and adversarial SQL through the SQLite checks: a result or a ToolError, never anything else.

Every input goes through the real path (sandbox worker, limits, authorizer)
under a per-input time limit; an ``internal`` error would mean an exception
the backend did not expect.  The database must come out byte-for-byte
unchanged, with no file created next to it.
"""

from __future__ import annotations

import random
import sqlite3
import time

import pytest
from sqlite_helpers import backend, private_sandbox, snapshot

from tools.base import ToolError
from tools.db.common import QueryResult
from tools.db.sqlite import HARD_MARGIN
from tools.db.sqlite_auth import Authorizer
from tools.sample_db import ensure_sample_database

TIMEOUT = 1.0
PER_INPUT_BOUND = TIMEOUT + HARD_MARGIN + 5.0  # the worker is killed at TIMEOUT + HARD_MARGIN


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


KEYWORDS = _words(
    """SELECT FROM WHERE WITH RECURSIVE UNION ALL VALUES PRAGMA INSERT INTO UPDATE SET DELETE CREATE DROP TABLE
VIEW TRIGGER INDEX VIRTUAL USING ATTACH DETACH AS ORDER BY GROUP HAVING LIMIT OFFSET JOIN LEFT ON CASE WHEN THEN ELSE
END AND OR NOT NULL IS IN EXISTS EXPLAIN QUERY PLAN BEGIN COMMIT ROLLBACK SAVEPOINT VACUUM REINDEX ANALYZE
RETURNING DISTINCT LIKE GLOB ESCAPE COLLATE TEMP main temp"""
)
NAMES = (
    '"a b"',
    *_words("""Track Album Artist Genre Invoice x sqlite_master sqlite_temp_master pragma_table_info
pragma_function_list pragma_integrity_check json_each json_tree dbstat sqlite_stmt fts3tokenize"""),
)
FUNCTIONS = _words(
    """printf zeroblob instr replace randomblob length substr load_extension json abs group_concat
char hex upper quote unicode likelihood sqlite_version total count"""
)
PUNCTUATION = ["(", ")", ",", ";", "*", "+", "-", "||", "=", "<", ".", "?", ":p", "'", '"', "[", "]", "--", "/*", "*/"]
LITERALS = ["'a'", "1", "1e308", "-1", "0x7fffffffffffffff", "x'00ff'", "'%'", "4000000", "2147483647", "''''"]
ODD = ["\x00", "\ud800", "é", "\u202e", "\n", "\t", "`", "$1", "@v", "#", "\\"]
VALID = [
    "SELECT count(*) FROM Track",
    "SELECT ar.Name, count(*) FROM Album al JOIN Artist ar USING (ArtistId) GROUP BY 1 ORDER BY 2 DESC LIMIT 3",
    "SELECT name FROM pragma_table_info('Track')",
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10) SELECT sum(x) FROM n",
    "SELECT value FROM json_each('[1, \"a\", null]')",
    "SELECT printf('%5.2f', Total), InvoiceDate FROM Invoice WHERE Total > ? ORDER BY Total DESC",
]
ADVERSARIAL = [
    ("", None), (" ", None), (";", None), ("--", None), ("/* open", None), ("SELECT", None), ("SELECT 1;;", None),
    ("SELECT 1\x00; DROP TABLE Track", None), ("SELECT '\ud800'", None), ("SELECT ?", ["\ud800"]),
    ("SELECT ?", [2**70]), ("SELECT ?", [float("nan")]), ("SELECT :a", {"b": 1}), ("SELECT ?", {"a": 1}),
    ("SELECT " + "(" * 5000 + "1" + ")" * 5000, None), ("SELECT " + "-" * 3 + "1 " + "+ 1" * 5000, None),
    ("SELECT " + ",".join(["1"] * 3000), None), (" UNION ALL ".join(["SELECT 1"] * 600), None),
    ("SELECT " + "x" * 90_000, None), ("SELECT '" + "é" * 90_000 + "'", None),
    ("ATTACH ':memory:' AS m", None), ("ATTACH 'evil.db' AS e", None), ("VACUUM INTO 'copy.db'", None),
    ("CREATE VIRTUAL TABLE v USING fts5(x)", None), ("SELECT fts3_tokenizer('simple')", None),
    ("SELECT * FROM json_each(?)", ["{not json"]), ("SELECT * FROM pragma_table_info('Track', 'nowhere')", None),
    ("SELECT * FROM pragma_table_info(NULL)", None), ("SELECT * FROM pragma_user_version(7)", None),
    ("SELECT randomblob(4000000)", None), ("SELECT zeroblob(-1)", None),
    ("SELECT printf('%.*c', 2147483647, 'a')", None),
    ("SELECT replace(printf('%.*c', 4000000, 'a'), 'a', 'bb')", None),
    ("SELECT group_concat(printf('%.*c', 1000000, 'a')) FROM Track", None),
    ("SELECT * FROM Track a, Track b", None), ("UPDATE sqlite_master SET sql = ''", None),
    ("DELETE FROM sqlite_master", None), ("EXPLAIN INSERT INTO Genre VALUES (1, 'x')", None),
    ("SELECT * FROM temp.sqlite_master", None), ("PRAGMA temp.table_info(Track)", None),
    ("SELECT sqlite_compileoption_get(0), sqlite_source_id()", None), ("SELECT 'a' GLOB ?", ["*" * 999]),
    ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c", None),
]  # fmt: skip


def _soup(rng: random.Random) -> str:
    pools = (KEYWORDS, NAMES, FUNCTIONS, PUNCTUATION, LITERALS, ODD)
    tokens = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 30))]
    return (" " if rng.random() < 0.8 else "").join(tokens)


def _mutant(rng: random.Random) -> str:
    text = list(rng.choice(VALID))
    for _ in range(rng.randint(1, 4)):
        where = rng.randrange(len(text) + 1)
        action = rng.random()
        if action < 0.4:
            text.insert(
                where, rng.choice("();,'\"*%?:-/\\\x00é ") if rng.random() < 0.8 else chr(rng.randint(1, 0x2FFF))
            )
        elif action < 0.7 and text:
            del text[min(where, len(text) - 1)]
        else:
            piece = "".join(text[where : where + rng.randint(1, 12)])
            text.insert(where, piece)
    return "".join(text)


def _inputs() -> list[tuple[str, object]]:
    rng = random.Random(20240601)
    cases = list(ADVERSARIAL)
    cases += [(_soup(rng), None) for _ in range(150)]
    cases += [(_mutant(rng), [rng.choice([1, "a", None, 2.5])]) for _ in range(100)]
    return cases


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return ensure_sample_database(tmp_path_factory.mktemp("fuzz") / "music.sqlite")


def test_random_and_adversarial_sql_gives_a_result_or_a_tool_error(db):
    box = private_sandbox()
    before = snapshot(db)
    b = backend(db, box, timeout=TIMEOUT)
    codes: dict[str, int] = {}
    try:
        for sql, params in _inputs():
            started = time.monotonic()
            try:
                result = b.query(sql, params, 20)
            except ToolError as err:
                assert err.code != "internal", (sql[:200], err.message)
                assert err.message and len(err.message) < 2000, sql[:200]
                codes[err.code] = codes.get(err.code, 0) + 1
            else:
                assert isinstance(result, QueryResult) and result.row_count <= 20, sql[:200]
                codes["ok"] = codes.get("ok", 0) + 1
            assert time.monotonic() - started < PER_INPUT_BOUND, sql[:200]
    finally:
        box.close()
    assert snapshot(db) == before
    assert codes.get("ok", 0) > 10 and codes.get("invalid_input", 0) > 10 and codes.get("refused", 0) > 5, codes


def test_the_authorizer_judges_any_arguments_without_raising():
    rng = random.Random(7)
    words = [None, "", "main", "temp", "sqlite_master", "pragma_optimize", "dbstat", "table_info", "user_version",
             "load_extension", "x" * 500, "\x00", "é", "PRAGMA_TABLE_INFO"]  # fmt: skip
    for allow_write in (False, True):
        auth = Authorizer(allow_write=allow_write, writes_enabled=allow_write, hidden_tables=frozenset({"dbstat"}))
        for _ in range(3000):
            action = rng.randint(-1, 40)
            verdict = auth(action, rng.choice(words), rng.choice(words), rng.choice(words), rng.choice(words))
            assert verdict in (sqlite3.SQLITE_OK, sqlite3.SQLITE_DENY)
            if verdict == sqlite3.SQLITE_DENY:
                assert isinstance(auth.denial, ToolError) and auth.denial.code == "refused"
