"""The PostgreSQL statement checker (tools.db.sqltext) on its own: no server needed.

Each refusal here was, or is a variant of, a way past the old hand-written
lexer; each acceptance is an ordinary query that must keep working.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.base import ToolError
from tools.db.pg_params import to_dollar
from tools.db.sqltext import check_execute, check_query

FUZZ = Path(__file__).with_name("pg_fuzz.py")


def refused(sql: str, params=None, *, writes_enabled: bool = False) -> ToolError:
    with pytest.raises(ToolError) as err:
        check_query(sql, params, writes_enabled=writes_enabled)
    return err.value


# --------------------------------------------------------------------------- functions, however written

READ_FILE_SPELLINGS = [
    "SELECT pg_read_file('/etc/hostname')",
    "SELECT U&\"pg\\005fread\\005ffile\"('/etc/hostname')",
    "SELECT U&\"pg!005fread!005ffile\" UESCAPE '!' ('/etc/hostname')",
    "SELECT \"pg_read_file\"('/etc/hostname')",
    "SELECT PG_READ_FILE('/etc/hostname')",
    "SELECT Pg_Read_File('/etc/hostname')",
    "SELECT pg_catalog.pg_read_file('/etc/hostname')",
    'SELECT "pg_catalog"."pg_read_file"(\'/etc/hostname\')',
    'SELECT U&"pg\\005fcatalog".U&"pg\\005fread\\005ffile"(\'/etc/hostname\')',
    "SELECT pg_catalog . /* a comment */ pg_read_file ( '/etc/hostname' )",
    "SELECT pg_read_file -- a comment\n ('/etc/hostname')",
    "SELECT $$ pg_read_file( $$, pg_read_file($x$/etc/hostname$x$)",
    "SELECT E'\\'', pg_read_file('/etc/hostname')",
    "SELECT 'a''b', pg_read_file('/etc/hostname') --'",
    "SELECT 1 FROM (SELECT (SELECT max(x) FROM (SELECT pg_read_file('/etc/hostname') x) a) y) b",
    "SELECT 1 ORDER BY pg_read_file('/etc/hostname')",
    "SELECT 1 LIMIT length(pg_read_file('/etc/hostname'))",
    "SELECT 1 OFFSET length(pg_read_file('/etc/hostname'))",
    "VALUES (1), (length(pg_read_file('/etc/hostname')))",
    "SELECT * FROM generate_series(1, 2) g, LATERAL (SELECT pg_read_file('/etc/hostname')) x",
    "SELECT * FROM ROWS FROM (generate_series(1, 2), pg_read_file('/etc/hostname')) AS r(a, b)",
    "SELECT * FROM pg_read_file('/etc/hostname') AS f",
    "WITH x AS (SELECT pg_read_file('/etc/hostname')) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + length(pg_read_file('/etc/hostname')) FROM x) SELECT 1",
    "SELECT 1 WHERE EXISTS (SELECT pg_read_file('/etc/hostname'))",
    "SELECT 1 WHERE 'x' IN (SELECT pg_read_file('/etc/hostname'))",
    "SELECT ARRAY(SELECT pg_read_file('/etc/hostname'))",
    "SELECT CASE WHEN true THEN pg_read_file('/etc/hostname') END",
    "SELECT COALESCE(NULL, pg_read_file('/etc/hostname'))",
    "SELECT CAST(pg_read_file('/etc/hostname') AS text)",
    "SELECT pg_read_file('/etc/hostname')::text::bytea",
    "SELECT text(pg_read_file('/etc/hostname'))",
    "SELECT count(*) FILTER (WHERE pg_read_file('/etc/hostname') IS NULL) FROM generate_series(1, 2)",
    "SELECT count(*) GROUP BY pg_read_file('/etc/hostname')",
    "SELECT 1 HAVING pg_read_file('/etc/hostname') IS NULL",
    "SELECT row_number() OVER (ORDER BY pg_read_file('/etc/hostname'))",
    "SELECT string_agg(x, ',' ORDER BY pg_read_file('/etc/hostname')) FROM (VALUES ('a')) v(x)",
    "SELECT * FROM xmltable('/a' PASSING xmlparse(document pg_read_file('/etc/hostname')) COLUMNS a text)",
    "SELECT * FROM customers TABLESAMPLE bernoulli(length(pg_read_file('/etc/hostname')))",
    "SELECT * FROM customers TABLESAMPLE bernoulli(5) REPEATABLE (length(pg_read_file('/etc/hostname')))",
    "SELECT 1 UNION SELECT length(pg_read_file('/etc/hostname'))",
    "EXPLAIN SELECT pg_read_file('/etc/hostname')",
    "SELECT 1 FROM generate_series(1, 2) WINDOW w AS (ORDER BY pg_read_file('/etc/hostname'))",
    "SELECT (pg_read_file('/etc/hostname')).x",
    "SELECT (ARRAY[pg_read_file('/etc/hostname')])[1]",
    "SELECT ROW(pg_read_file('/etc/hostname'))",
    "SELECT 'x' COLLATE \"C\" || pg_read_file('/etc/hostname')",
]


@pytest.mark.parametrize("sql", READ_FILE_SPELLINGS)
def test_a_refused_function_is_refused_however_it_is_written(sql):
    err = refused(sql)
    assert err.code == "refused" and "pg_read_file()" in err.message, err.message


@pytest.mark.parametrize(
    "sql, name",
    [
        ("SELECT U&\"dblink\\005fexec\"('dbname=x', 'INSERT INTO t VALUES (1)')", "dblink_exec()"),
        ("SELECT * FROM dblink('dbname=x', 'SELECT 1') AS t(a int)", "dblink()"),
        ('SELECT U&"pg\\005fterminate\\005fbackend"(12345)', "pg_terminate_backend()"),
        ("SELECT pg_cancel_backend(12345)", "pg_cancel_backend()"),
        ("SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')", "ts_rewrite()"),
        ("SELECT * FROM ts_stat('SELECT to_tsvector(''a'')')", "ts_stat()"),
        ("SELECT query_to_xml('SELECT 1', true, false, '')", "query_to_xml()"),
        ("SELECT U&\"query\\005fto\\005fxml\"('SELECT 1', true, false, '')", "query_to_xml()"),
        ("SELECT table_to_xml('pg_class', true, false, '')", "table_to_xml()"),
        ("SELECT * FROM crosstab('SELECT 1, 1, 1') AS ct(a int, b int)", "crosstab()"),
        ("SELECT * FROM public.crosstab('SELECT 1, 1, 1') AS ct(a int, b int)", "public.crosstab()"),
        ("SELECT set_config('search_path', 'evil', false)", "set_config()"),
        ("SELECT pg_reload_conf()", "pg_reload_conf()"),
        ("SELECT pg_rotate_logfile()", "pg_rotate_logfile()"),
        ("SELECT pg_advisory_lock(1)", "pg_advisory_lock()"),
        ("SELECT pg_notify('c', 'x')", "pg_notify()"),
        ("SELECT txid_current()", "txid_current()"),
        ("SELECT pg_current_xact_id()", "pg_current_xact_id()"),
        ("SELECT pg_sleep(1)", "pg_sleep()"),
        ("SELECT lo_import('/etc/passwd')", "lo_import()"),
        ("SELECT lo_get(1)", "lo_get()"),
        ("SELECT * FROM pg_ls_dir('/')", "pg_ls_dir()"),
        ("SELECT pg_stat_file('/etc/passwd')", "pg_stat_file()"),
        ("SELECT pg_read_binary_file('/etc/passwd')", "pg_read_binary_file()"),
        ("SELECT public.lower('x')", "public.lower()"),
        ("SELECT \"Lower\"('x')", "Lower()"),
        ("SELECT mydb.pg_catalog.lower('x')", "mydb.pg_catalog.lower()"),
        ("SELECT pg_temp.f()", "pg_temp.f()"),
        ("SELECT currval('s')", "currval()"),
    ],
)
def test_functions_with_effects_or_sql_strings_are_refused(sql, name):
    err = refused(sql)
    assert err.code == "refused" and name in err.message, err.message
    assert "\n" not in err.message


@pytest.mark.parametrize("sql", ["SELECT nextval('counter')", "SELECT setval('counter', 5)"])
def test_sequence_writes_point_to_db_execute(sql):
    assert "AGENT_DATABASE_WRITE=true" in refused(sql).message
    assert "db_execute" in refused(sql, writes_enabled=True).message


def test_column_notation_names_are_left_for_the_database():
    """``(expr).f`` and ``t.f`` can call f(expr): the names that are not allowed functions go to the server."""
    checked = check_query("SELECT ('/etc/hostname'::text).pg_read_file, c.id, c.name, s.t.x FROM c",
                          writes_enabled=False)  # fmt: skip
    assert checked.candidates == {"pg_read_file", "id", "t", "x"}  # "name" is an allowed function: no need
    assert check_query("SELECT id, name FROM customers", writes_enabled=False).candidates == frozenset()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 OPERATOR(public.+) 2",
        "SELECT 1 === 2",
        "SELECT 'a' OPERATOR(myschema.~~) 'b'",
        "SELECT 1 WHERE 1 OPERATOR(public.=) ANY (SELECT 1)",
        "SELECT 1 ORDER BY 1 USING OPERATOR(public.<)",
    ],
)
def test_unknown_or_foreign_operators_are_refused(sql):
    err = refused(sql)
    assert err.code in ("refused", "invalid_input"), err.message


# --------------------------------------------------------------------------- statements


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("WITH x AS (DELETE FROM customers RETURNING id) SELECT count(*) FROM x", "AGENT_DATABASE_WRITE"),
        ("WITH x AS (INSERT INTO t VALUES (1) RETURNING 1) SELECT * FROM x", "AGENT_DATABASE_WRITE"),
        ("WITH x AS (UPDATE t SET a = 1 RETURNING 1) SELECT * FROM x", "AGENT_DATABASE_WRITE"),
        ("WITH a AS (SELECT 1), b AS (DELETE FROM t RETURNING 1) SELECT 1", "AGENT_DATABASE_WRITE"),
        ("SELECT * INTO copy_of_customers FROM customers", "AGENT_DATABASE_WRITE"),
        ("SELECT * FROM customers FOR UPDATE", "FOR UPDATE"),
        ("SELECT * FROM customers FOR KEY SHARE", "FOR UPDATE"),
        ("SELECT * FROM (SELECT * FROM customers FOR SHARE) s", "FOR UPDATE"),
        ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE"),
        ("EXPLAIN (ANALYZE true, VERBOSE) SELECT 1", "EXPLAIN ANALYZE"),
        ("EXPLAIN ANALYZE DELETE FROM customers", "EXPLAIN ANALYZE"),
        ("EXPLAIN DELETE FROM customers", "SELECT statements only"),
        ("INSERT INTO customers (name) VALUES ('x')", "AGENT_DATABASE_WRITE"),
        ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "AGENT_DATABASE_WRITE"),
        ("CREATE TABLE t (x int)", "AGENT_DATABASE_WRITE"),
        ("COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'", "COPY is not allowed"),
        ("COPY customers FROM '/etc/passwd'", "COPY is not allowed"),
        ("DO $$ BEGIN PERFORM 1; END $$", "procedural code"),
        ("CALL p()", "procedural code"),
        ("SET statement_timeout = 0", "session and transaction control"),
        ("SET ROLE postgres", "session and transaction control"),
        ("RESET ALL", "session and transaction control"),
        ("BEGIN", "session and transaction control"),
        ("COMMIT", "session and transaction control"),
        ("LOCK customers", "session and transaction control"),
        ("LISTEN c", "session and transaction control"),
        ("NOTIFY c", "session and transaction control"),
        ("PREPARE p AS SELECT 1", "session and transaction control"),
        ("EXECUTE p", "session and transaction control"),
        ("DECLARE c CURSOR FOR SELECT 1", "session and transaction control"),
        ("LOAD 'plpgsql'", "session and transaction control"),
        ("VACUUM", "AGENT_DATABASE_WRITE"),
        ("SELECT JSON_OBJECT('a': 1)", "SQL/JSON"),
        ("SELECT * FROM t TABLESAMPLE system_rows(10)", "TABLESAMPLE"),
    ],
)
def test_statements_that_are_not_pure_reads_are_refused(sql, expected):
    err = refused(sql)
    assert err.code == "refused" and expected in err.message, err.message


@pytest.mark.parametrize(
    "sql, code, words",
    [
        ("SELECT 1; SELECT 2", "invalid_input", "one SQL statement"),
        ("SELECT $x$ ; $x$; DELETE FROM customers", "invalid_input", "one SQL statement"),
        ("", "invalid_input", "empty"),
        ("/* only */ -- comments", "invalid_input", "empty"),
        ("SELECT (", "invalid_input", "does not parse"),
        ("SELECT 'unterminated", "invalid_input", "does not parse"),
        ("SELECT 1\x00; DROP TABLE customers", "invalid_input", "NUL"),
        ("SELECT '\ud800'", "invalid_input", "Unicode"),
        ("SELECT " + "1+" * 30000 + "1", "too_large", "nested too deeply"),
        ("SELECT " + "(" * 20000 + "1" + ")" * 20000, "too_large", "nested too deeply"),
        ("SELECT 1" + "::int" * 19990, "too_large", "nested too deeply"),
        ("SELECT 1 " + " " * 100_000, "too_large", "characters long"),
        ("SELECT 1 " + "/*" * 20_000 + "*/" * 20_000, "invalid_input", "operator characters"),
        ("SELECT 1 " + "+-" * 20_000 + " 1", "invalid_input", "operator characters"),
    ],
)
def test_malformed_input_gets_one_clear_line(sql, code, words):
    err = refused(sql)
    assert err.code == code and words in err.message and "\n" not in err.message, err.message


ORDINARY = [
    "SELECT c.name, count(o.id) AS orders, sum(o.total) FILTER (WHERE o.total > 0), avg(o.total)::numeric(10, 2) "
    "FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.name HAVING count(*) > 1 ORDER BY 2 DESC",
    "SELECT name, row_number() OVER w, rank() OVER w, dense_rank() OVER w, lag(name) OVER w, lead(name, 2) OVER w, "
    "first_value(name) OVER w, ntile(3) OVER w FROM customers WINDOW w AS (PARTITION BY city ORDER BY id)",
    "SELECT lower(name), upper(name), length(name), substring(name FROM 1 FOR 3), trim(both ' ' FROM name), "
    "replace(name, 'a', 'b'), concat(name, '!'), concat_ws('-', name, city), left(name, 2), right(name, 2), "
    "position('a' IN name), split_part(email, '@', 2), regexp_replace(name, '[aeiou]', '', 'g'), "
    "initcap(name), lpad(name, 10, '*'), format('%s is %s', name, city), name ILIKE 'a%', name ~* '^a' FROM customers",
    "SELECT now(), current_date, current_timestamp, date_trunc('month', placed_at), extract(year FROM placed_at), "
    "date_part('dow', placed_at), age(placed_at), to_char(placed_at, 'YYYY-MM'), make_date(2024, 1, 31), "
    "placed_at AT TIME ZONE 'UTC', placed_at + interval '1 day', (now() - placed_at) > interval '1 hour' FROM orders",
    "SELECT abs(-1), round(2.567, 2), ceil(1.2), floor(1.8), power(2, 10), sqrt(16), mod(7, 3), 7 % 3, "
    "greatest(1, 2, 3), least(1, 2), random() < 2, trunc(1.9), ln(10), exp(1), pi(), 2 ^ 3, |/ 16",
    "SELECT jsonb_build_object('a', 1, 'b', ARRAY[1, 2]), json_agg(x), jsonb_agg(x), payload -> 'items', "
    "payload ->> 'gift', payload #> '{items,0}', payload @> '{\"gift\": true}', payload ? 'gift', "
    "jsonb_path_query_array(payload, '$.items[*]'), jsonb_typeof(payload) FROM orders, generate_series(1, 3) x "
    "GROUP BY payload",
    "SELECT * FROM jsonb_array_elements('[1, 2]'::jsonb) e, jsonb_each('{\"a\": 1}') kv, "
    "jsonb_to_recordset('[{\"a\": 1}]') AS r(a int)",
    "SELECT coalesce(email, 'none'), nullif(city, ''), CASE WHEN balance > 100 THEN 'big' ELSE 'small' END, "
    "balance BETWEEN 1 AND 10, email IS NULL, email IS DISTINCT FROM 'x', id IN (1, 2), id = ANY(ARRAY[1, 2]) "
    "FROM customers",
    "WITH recent AS (SELECT * FROM orders WHERE placed_at > now() - interval '30 days'), "
    "totals AS (SELECT customer_id, sum(total) AS s FROM recent GROUP BY 1) "
    "SELECT c.name, t.s FROM totals t JOIN customers c ON c.id = t.customer_id",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT sum(n) FROM r",
    "SELECT * FROM generate_series(1, 10) AS g(n) WHERE n % 2 = 0 UNION ALL SELECT 0 ORDER BY 1 LIMIT 5 OFFSET 1",
    "SELECT array_agg(DISTINCT x ORDER BY x), string_agg(x::text, ',' ORDER BY x DESC), bool_and(x > 0), "
    "min(x), max(x), percentile_cont(0.5) WITHIN GROUP (ORDER BY x), unnest(ARRAY[1, 2]) FROM generate_series(1, 5) x",
    "SELECT DISTINCT ON (customer_id) customer_id, placed_at FROM orders ORDER BY customer_id, placed_at DESC",
    "SELECT 'pg_read_file(1)' AS just_text, $$dblink_exec('x')$$ AS also_text",
    "SELECT 'customers'::regclass, 'int4'::regtype, pg_typeof(1), current_setting('server_version'), version()",
    "SELECT c.relname, c.reltuples FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'",
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    "SELECT to_tsvector('english', 'the cats') @@ to_tsquery('english', 'cat'), md5('x'), gen_random_uuid()",
    "SELECT * FROM customers TABLESAMPLE BERNOULLI (50) REPEATABLE (1)",
    "VALUES (1, 'a'), (2, 'b')",
    "TABLE customers",
    "SHOW server_version",
    "SHOW ALL",
    "EXPLAIN SELECT * FROM customers WHERE id = 1",
    "EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) SELECT 1",
    "SELECT 1;",
    "(SELECT 1) INTERSECT (SELECT 1) EXCEPT SELECT 2",
    "SELECT x, y FROM (VALUES (1, 2)) AS v(x, y) CROSS JOIN LATERAL (SELECT x + y AS z) l "
    "NATURAL JOIN (SELECT 3 AS z) n",
    "SELECT grouping(city), city, count(*) FROM customers GROUP BY ROLLUP (city)",
    "SELECT xpath('/a/text()', '<a>x</a>'::xml), xmlelement(name a, 'x')",
]


@pytest.mark.parametrize("sql", ORDINARY)
def test_ordinary_queries_pass_the_checker(sql):
    checked = check_query(sql, writes_enabled=False)
    assert checked.kind in ("select", "show", "explain") and not checked.text.rstrip().endswith(";")


def test_placeholders_become_dollar_parameters():
    assert to_dollar("SELECT %s, %s", [1, "x"]) == ("SELECT $1, $2", [1, "x"])
    assert to_dollar("SELECT %(a)s, %(b)s, %(a)s", {"a": 1, "b": 2, "c": 3}) == ("SELECT $1, $2, $1", [1, 2])
    assert to_dollar("SELECT 'a%%' || %s", ["b"]) == ("SELECT 'a%' || $1", ["b"])
    assert to_dollar("SELECT 'a%' LIKE 'b%'", None) == ("SELECT 'a%' LIKE 'b%'", None)  # no params: untouched
    for sql, params, words in [
        ("SELECT %s", [], "1 placeholders but 0 values"),
        ("SELECT 1", [1], "0 placeholders but 1 values"),
        ("SELECT %(x)s", {"y": 1}, "no value"),
        ("SELECT %(x)s", [1], "need params as an object"),
        ("SELECT %s", {"x": 1}, "need params as a list"),
        ("SELECT 'a%' || %s", ["b"], "write a literal % as %%"),
        ("SELECT %(x", {"x": 1}, "incomplete placeholder"),
    ]:
        with pytest.raises(ToolError) as err:
            to_dollar(sql, params)
        assert err.value.code == "invalid_input" and words in err.value.message, (sql, err.value.message)
    placeholders = check_query("SELECT name FROM customers WHERE id = %s", [2], writes_enabled=False)
    assert (placeholders.text, placeholders.args) == ("SELECT name FROM customers WHERE id = $1", [2])


# --------------------------------------------------------------------------- db_execute


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t (a, b) VALUES (nextval('s'), now()) RETURNING id",
        "UPDATE t SET a = a + 1, b = lower(b) WHERE id = 3",
        "DELETE FROM t WHERE id IN (SELECT id FROM u)",
        "WITH d AS (DELETE FROM t RETURNING *) INSERT INTO archive SELECT * FROM d",
        "CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL DEFAULT '', at timestamptz DEFAULT now())",
        "CREATE INDEX ON notes (lower(body))",
        "CREATE VIEW v AS SELECT id FROM notes",
        "ALTER TABLE notes ADD COLUMN tag text",
        "DROP TABLE notes",
        "TRUNCATE notes",
        "SELECT setval('s', 10)",
        "CREATE SCHEMA s",
        "COMMENT ON TABLE notes IS 'x'",
    ],
)
def test_execute_accepts_data_and_schema_changes(sql):
    assert check_execute(sql).kind == "write"


@pytest.mark.parametrize(
    "sql, words",
    [
        ("COPY t FROM PROGRAM 'echo 1'", "COPY"),
        ("BEGIN", "session and transaction control"),
        ("DO $$ BEGIN END $$", "procedural code"),
        ("CALL p()", "procedural code"),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "CREATE FUNCTION"),
        ("CREATE EXTENSION dblink", "CREATE EXTENSION"),
        ("ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM"),
        ("CREATE ROLE x SUPERUSER", "CREATE ROLE"),
        ("GRANT pg_read_server_files TO x", "GRANT ROLE"),
        ("CREATE TRIGGER t AFTER INSERT ON t EXECUTE FUNCTION f()", "CREATE TRIG"),
        ("CREATE SCHEMA s CREATE TRIGGER t AFTER INSERT ON s.t EXECUTE FUNCTION f()", "CreateTrigStmt"),
        ("CREATE TABLE t (x text DEFAULT pg_read_file('/etc/passwd'))", "pg_read_file()"),
        ("INSERT INTO t VALUES (U&\"dblink\\005fexec\"('dbname=x', 'SELECT 1'))", "dblink_exec()"),
        ("UPDATE t SET a = public.f(a)", "public.f()"),
        ("EXPLAIN SELECT 1", "EXPLAIN"),
        ("INSERT INTO t VALUES (1); DROP TABLE t", "one SQL statement"),
    ],
)
def test_execute_refuses_what_reaches_beyond_the_data(sql, words):
    with pytest.raises(ToolError) as err:
        check_execute(sql)
    assert words in err.value.message, err.value.message


def test_user_allowed_functions_extend_the_list():
    with pytest.raises(ToolError):
        check_query("SELECT similarity('a', 'b'), public.word_similarity('a', 'b')", writes_enabled=False)
    extra = ["similarity", "public.word_similarity"]
    check_query("SELECT similarity('a', 'b'), public.word_similarity('a', 'b')", writes_enabled=False,
                extra_functions=extra)  # fmt: skip
    with pytest.raises(ToolError):  # the qualified entry does not allow the name on another schema
        check_query("SELECT other.word_similarity('a', 'b')", writes_enabled=False, extra_functions=extra)


# --------------------------------------------------------------------------- fuzzing


def test_fuzzed_and_adversarial_input_is_accepted_or_refused_cleanly():
    """Random and hostile text: each input is accepted (and then parses) or refused with a ToolError, quickly.

    Runs in a subprocess, so a crash in the parser's C code fails the test instead of killing pytest.
    """
    done = subprocess.run(
        [sys.executable, str(FUZZ), "--seed", "20240611", "--count", "3000"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failures"] == [], report["failures"][:5]
    assert report["slow"] == [], report["slow"][:5]
    assert report["accepted"] > 100 and report["refused"] > 1000, report
