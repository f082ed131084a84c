"""The database tools on PostgreSQL: a fresh database per test, checked with separate connections."""

from __future__ import annotations

import json
import time

import pytest

from tools.database import database_specs

SCHEMA = """
CREATE TABLE customers (
    id serial PRIMARY KEY,
    name text NOT NULL,
    email text UNIQUE,
    balance numeric(10, 2) NOT NULL DEFAULT 0
);
CREATE TABLE "Orders" (
    id bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    placed_at timestamptz NOT NULL DEFAULT now(),
    payload jsonb,
    tags text[],
    receipt bytea
);
CREATE INDEX orders_customer_idx ON "Orders" (customer_id);
CREATE SCHEMA sales;
CREATE TABLE sales.targets (region text PRIMARY KEY, goal integer);
CREATE VIEW big_spenders AS SELECT name FROM customers WHERE balance > 100;
CREATE SEQUENCE counter;
INSERT INTO customers (name, email, balance) VALUES
    ('Ada', 'ada@example.com', 120.50), ('Grace', 'grace@example.com', 99.99), ('Linus', NULL, 0);
INSERT INTO "Orders" (customer_id, placed_at, payload, tags, receipt) VALUES
    (1, '2025-01-02 03:04:05+00', '{"items": [1, 2], "gift": true}', '{a,b}', '\\x00ff'),
    (1, '2025-02-03 04:05:06+00', NULL, NULL, NULL),
    (2, '2025-03-04 05:06:07+00', '{"items": []}', '{}', NULL);
INSERT INTO sales.targets VALUES ('north', 10), ('south', 20);
"""


def tools(url: str, **kwargs) -> dict:
    return {spec.name: spec for spec in database_specs(url, **kwargs)}


def independent(url: str, sql: str, params=None) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def pg(pg_database) -> str:
    import psycopg

    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(SCHEMA)
    return pg_database


def state(url: str) -> tuple:
    """Everything a refused call must leave as it was."""
    return (
        independent(url, "SELECT * FROM customers ORDER BY id"),
        independent(url, 'SELECT id, customer_id FROM "Orders" ORDER BY id'),
        independent(url, "SELECT last_value, is_called FROM counter"),
        independent(url, "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY relname"),
    )


# --------------------------------------------------------------------------- reading


def test_list_tables_matches_an_independent_connection(pg):
    listing = tools(pg)["db_list_tables"].run({})
    assert listing["ok"] and listing["dialect"] == "PostgreSQL"
    assert "@" in listing["database"] and listing["database"].endswith(pg.rsplit("/", 1)[1])
    got = {(t["schema_name"], t["name"]): (t["type"], t["row_count"]) for t in listing["tables"]}
    expected_tables = independent(
        pg, "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_schema IN ('public', 'sales') ORDER BY 1, 2",
    )  # fmt: skip
    assert set(got) == {(s, n) for s, n, _ in expected_tables}
    for schema, name, kind in expected_tables:
        if kind == "BASE TABLE":
            count = independent(pg, f'SELECT count(*) FROM "{schema}"."{name}"')[0][0]
            assert got[(schema, name)] == ("table", count)
        else:
            assert got[(schema, name)] == ("view", None)


def test_describe_table(pg):
    d = tools(pg)["db_describe_table"]
    orders = d.run({"table": "orders"})  # the table is "Orders": found case-insensitively
    assert orders["ok"] and orders["name"] == "Orders" and orders["schema_name"] == "public"
    cols = {c["name"]: c for c in orders["columns"]}
    expected = independent(
        pg, "SELECT column_name, is_nullable FROM information_schema.columns "
        "WHERE table_name = 'Orders' ORDER BY ordinal_position",
    )  # fmt: skip
    assert [c["name"] for c in orders["columns"]] == [r[0] for r in expected]
    assert all(cols[name]["nullable"] == (nullable == "YES") for name, nullable in expected)
    assert cols["id"]["type"] == "bigint" and cols["id"]["primary_key"] and "nextval" in cols["id"]["default"]
    assert cols["tags"]["type"] == "text[]" and cols["placed_at"]["default"] == "now()"
    assert orders["primary_key"] == ["id"]
    assert orders["foreign_keys"] == [
        {"columns": ["customer_id"], "references_table": "customers", "references_columns": ["id"],
         "on_delete": "CASCADE", "on_update": "NO ACTION"}
    ]  # fmt: skip
    assert {ix["name"]: ix["columns"] for ix in orders["indexes"]} == {
        "Orders_pkey": ["id"],
        "orders_customer_idx": ["customer_id"],
    }
    assert orders["row_count"] == independent(pg, 'SELECT count(*) FROM "Orders"')[0][0]

    targets = d.run({"table": "sales.targets"})
    assert targets["schema_name"] == "sales" and targets["row_count"] == 2
    assert d.run({"table": "targets", "schema_name": "sales"})["primary_key"] == ["region"]
    assert d.run({"table": "big_spenders"})["type"] == "view"

    before = state(pg)
    for name in ['x"; DROP TABLE customers; --', "customers; DROP TABLE customers", "nope"]:
        missing = d.run({"table": name})
        assert missing["error"] == "not_found" and "customers" in missing["message"]
    assert state(pg) == before


def test_query_params_values_and_limits(pg):
    q = tools(pg, row_limit=50)["db_query"]
    hostile = "O'Brien\"; DROP TABLE customers; --"
    assert q.run({"sql": "SELECT %s::text AS v", "params": [hostile]})["rows"] == [[hostile]]
    assert q.run({"sql": "SELECT %(v)s::text AS v", "params": {"v": hostile}})["rows"] == [[hostile]]
    assert q.run({"sql": "SELECT count(*) FROM customers WHERE name LIKE 'A%'"})["rows"] == [[1]]
    by_id = q.run({"sql": "SELECT name FROM customers WHERE id = %s", "params": [2]})
    assert by_id["rows"] == [[independent(pg, "SELECT name FROM customers WHERE id = 2")[0][0]]]

    r = q.run({"sql": 'SELECT c.balance, o.placed_at, o.payload, o.tags, o.receipt, interval \'1 day\', '
                      "'nan'::float8, gen_random_uuid() IS NOT NULL "
                      'FROM "Orders" o JOIN customers c ON c.id = o.customer_id ORDER BY o.id LIMIT 1'})  # fmt: skip
    assert r["ok"], r
    balance, placed, payload, tags, receipt, interval, nan, flag = r["rows"][0]
    assert balance == "120.50" and placed.startswith("2025-01-02T03:04:05")
    assert payload == {"items": [1, 2], "gift": True} and tags == ["a", "b"] and receipt == "base64:AP8="
    assert (interval, nan, flag) == ("1 day, 0:00:00", "NaN", True)
    json.dumps(r, allow_nan=False)

    many = q.run({"sql": "SELECT x FROM generate_series(1, 1000) AS x"})
    assert many["row_count"] == 50 and many["truncated"] and "50" in many["note"]
    assert [row[0] for row in many["rows"]] == list(range(1, 51))
    exact = q.run({"sql": "TABLE customers;"})
    assert exact["row_count"] == 3 and not exact["truncated"] and exact["columns"] == ["id", "name", "email", "balance"]
    assert q.run({"sql": "SHOW server_version"})["ok"]
    assert q.run({"sql": "SELECT * FROM nope"})["error"] == "invalid_input"
    assert q.run({"sql": "SELECT %s", "params": []})["error"] == "invalid_input"


# --------------------------------------------------------------------------- hostile SQL


HOSTILE = [
    ("INSERT INTO customers (name) VALUES ('x')", "refused"),
    ("UPDATE customers SET balance = 0", "refused"),
    ("DELETE FROM customers", "refused"),
    ("TRUNCATE customers CASCADE", "refused"),
    ("DROP TABLE customers CASCADE", "refused"),
    ("CREATE TABLE t (x int)", "refused"),
    ("WITH x AS (DELETE FROM customers RETURNING id) SELECT count(*) FROM x", "refused"),
    ("SELECT nextval('counter')", "refused"),
    ("SELECT * FROM customers FOR UPDATE", "refused"),
    ("SELECT * INTO copy_of_customers FROM customers", "refused"),
    ("EXPLAIN ANALYZE DELETE FROM customers", "refused"),
    ("SET statement_timeout = 0", "refused"),
    ("SET TRANSACTION READ WRITE", "refused"),
    ("RESET ALL", "refused"),
    ("BEGIN", "refused"),
    ("COMMIT", "refused"),
    ("COPY (SELECT 1) TO PROGRAM 'touch /tmp/agent_db_test_pwned'", "refused"),
    ("COPY customers TO '/tmp/agent_db_test_copy'", "refused"),
    ("SELECT set_config('transaction_read_only', 'off', true)", "refused"),
    ("SELECT pg_catalog.pg_read_file('/etc/hostname')", "refused"),
    ("SELECT query_to_xml('DELETE FROM customers RETURNING 1', true, false, '')", "refused"),
    ("DO $$ BEGIN DELETE FROM customers; END $$", "refused"),
    ("SELECT 1; DROP TABLE customers", "invalid_input"),
    ("SELECT 1; SELECT 2", "invalid_input"),
    ("SELECT $x$ ; $x$; DELETE FROM customers", "invalid_input"),
]


@pytest.mark.parametrize("allow_write", [False, True], ids=["read-only", "writes-allowed"])
def test_hostile_queries_are_refused_without_side_effect(pg, allow_write):
    q = tools(pg, allow_write=allow_write)["db_query"]
    before = state(pg)
    for sql, code in HOSTILE:
        started = time.monotonic()
        result = q.run({"sql": sql})
        assert time.monotonic() - started < 2.0, sql
        assert result["ok"] is False and result["error"] == code, (sql, result)
        if sql.startswith(("INSERT", "DELETE", "WITH", "SELECT nextval")):
            assert ("db_execute" if allow_write else "AGENT_DATABASE_WRITE=true") in result["message"], sql
    assert state(pg) == before
    assert not independent(pg, "SELECT 1 FROM pg_class WHERE relname = 'copy_of_customers'")


def test_the_server_refuses_even_without_the_checker(pg):
    """The parser only refuses early and clearly: the transaction set-up holds on its own."""
    import psycopg

    from tools.db.common import parse_database_url
    from tools.db.pg_conn import PgCall, transaction

    before = state(pg)
    call = PgCall(target=parse_database_url(pg), timeout=5, writes_enabled=False)
    for sql in ["INSERT INTO customers (name) VALUES ('x') RETURNING id", "DROP TABLE customers",
                "SELECT nextval('counter')", "SELECT set_config('transaction_read_only', 'off', true)"]:  # fmt: skip
        with transaction(call, read_only=True) as (conn, _deadline), pytest.raises(psycopg.Error) as err:
            conn.execute(sql)
        assert isinstance(err.value, (psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.ActiveSqlTransaction)) or (
            "read-only" in str(err.value)
        ), (sql, err.value)
    with transaction(call, read_only=True) as (conn, _deadline), pytest.raises(psycopg.errors.SyntaxError) as err:
        list(psycopg.RawCursor(conn).stream("SELECT 1; DROP TABLE customers"))  # the extended protocol: one statement
    assert "multiple commands" in str(err.value)
    assert state(pg) == before


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM generate_series(1, 10000000000)",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    ],
    ids=["long-scan", "recursive-cte"],
)
def test_runaway_queries_are_stopped(pg, sql):
    q = tools(pg, timeout=0.5)["db_query"]
    q.run({"sql": "SELECT 1"})  # a warm worker: the bound below is for the statement, not a cold start
    started = time.monotonic()
    result = q.run({"sql": sql})
    assert result["error"] == "timeout", result
    assert time.monotonic() - started < 3.0


def test_pg_sleep_is_refused(pg):
    result = tools(pg)["db_query"].run({"sql": "SELECT pg_sleep(10)"})
    assert result["error"] == "refused" and "pg_sleep()" in result["message"]


def test_unreachable_server_is_unavailable_without_leaking_the_password():
    specs = tools("postgresql://agent:s3cr3t-P%40ss@127.0.0.1:1/shop", timeout=1)  # building does not connect
    for name, args in [
        ("db_query", {"sql": "SELECT 1"}),
        ("db_list_tables", {}),
        ("db_describe_table", {"table": "x"}),
    ]:
        started = time.monotonic()
        result = specs[name].run(args)
        assert time.monotonic() - started < 3.0
        assert result["error"] == "unavailable" and "127.0.0.1:1" in result["message"]
        assert "s3cr3t" not in result["message"] and "P@ss" not in result["message"]


def test_missing_database_is_unavailable(postgres_dsn):
    base = postgres_dsn.rsplit("/", 1)[0]
    result = tools(f"{base}/agent_no_such_db_xyz")["db_list_tables"].run({})
    assert result["error"] == "unavailable" and "agent_no_such_db_xyz" in result["message"]


# --------------------------------------------------------------------------- writes


def test_execute_commits_when_writes_are_allowed(pg):
    assert "db_execute" not in tools(pg)
    t = tools(pg, allow_write=True)
    ex = t["db_execute"]
    assert ex.hints.destructive and not ex.hints.read_only and not ex.hints.idempotent

    done = ex.run({"sql": "INSERT INTO customers (name, email) VALUES (%s, %s)", "params": ["O'Hara", "o@example.com"]})
    assert done["ok"] and done["committed"] and done["rows_affected"] == 1 and done["status"] == "INSERT 0 1"
    assert independent(pg, "SELECT name FROM customers WHERE email = 'o@example.com'") == [("O'Hara",)]

    ret = ex.run(
        {"sql": "UPDATE customers SET balance = balance + 1 WHERE id <= %(n)s RETURNING id", "params": {"n": 2}}
    )
    assert ret["rows_affected"] == 2 and sorted(r[0] for r in ret["rows"]) == [1, 2]
    assert independent(pg, "SELECT balance FROM customers WHERE id = 1")[0][0] == pytest.approx(121.5)

    created = ex.run({"sql": "CREATE TABLE notes (id serial PRIMARY KEY, body text)"})
    assert created["ok"] and created["rows_affected"] is None and created["status"] == "CREATE TABLE"
    assert independent(pg, "SELECT to_regclass('public.notes') IS NOT NULL") == [(True,)]
    assert t["db_query"].run({"sql": "INSERT INTO notes (body) VALUES ('x')"})["error"] == "refused"


def test_execute_refusals_and_rollbacks(pg):
    ex = tools(pg, allow_write=True, timeout=0.5)["db_execute"]
    before = state(pg)
    for sql, code in [
        ("COPY customers FROM PROGRAM 'echo 9,x,,0'", "refused"),
        ("BEGIN", "refused"),
        ("INSERT INTO customers (name) VALUES ('a'); DROP TABLE customers", "invalid_input"),
        ("INSERT INTO \"Orders\" (customer_id) VALUES (999)", "invalid_input"),  # foreign key violation
        ("INSERT INTO customers (name) SELECT 'n' || x FROM generate_series(1, 5) x "
         "WHERE (SELECT count(*) FROM generate_series(1, 10000000000)) > 0", "timeout"),
        ("INSERT INTO customers (name) VALUES (U&\"pg\\005fread\\005ffile\"('/etc/hostname'))", "refused"),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "refused"),
        ("CALL p()", "refused"),
    ]:  # fmt: skip
        result = ex.run({"sql": sql})
        assert result["error"] == code, (sql, result)
    assert state(pg) == before
