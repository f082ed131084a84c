"""Ordinary queries still work through the checked, wrapped and cut PostgreSQL query path.

Each query's answer is compared with the same SQL run on a separate plain
connection (its values converted the way the tool converts them).
"""

from __future__ import annotations

import pytest

from tools.database import database_specs
from tools.db.values import json_safe

SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, city text, balance numeric(10, 2));
CREATE TABLE orders (
    id serial PRIMARY KEY, customer_id int REFERENCES customers(id), placed_at timestamptz NOT NULL,
    total numeric(10, 2) NOT NULL, payload jsonb, tags text[], receipt bytea, code char(5)
);
INSERT INTO customers (name, email, city, balance) VALUES
    ('Ada', 'ada@example.com', 'London', 120.50), ('Grace', 'grace@example.com', 'Arlington', 99.99),
    ('Linus', NULL, 'Helsinki', 0), ('Alan', 'alan@example.com', 'London', 10);
INSERT INTO orders (customer_id, placed_at, total, payload, tags, receipt, code) VALUES
    (1, '2025-01-02 03:04:05+00', 10.00, '{"items": [1, 2], "gift": true}', '{a,b}', '\\x00ff', 'ab'),
    (1, '2025-02-03 04:05:06+00', 25.50, NULL, NULL, NULL, NULL),
    (2, '2025-03-04 05:06:07+00', 7.25, '{"items": []}', '{}', NULL, 'xyz'),
    (4, '2025-03-05 00:00:00+00', 100.00, '{"items": [3]}', '{c}', NULL, NULL);
"""

QUERIES = [
    "SELECT c.name, count(o.id) AS n, sum(o.total) AS total, avg(o.total)::numeric(10, 2) AS mean, "
    "max(o.placed_at), bool_and(o.total > 5) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id "
    "GROUP BY c.name HAVING count(*) >= 1 ORDER BY c.name",
    "SELECT name, city, row_number() OVER w, rank() OVER w, dense_rank() OVER w, lag(name) OVER w, "
    "lead(name) OVER w, first_value(name) OVER w, ntile(2) OVER w, sum(balance) OVER (PARTITION BY city) "
    "FROM customers WINDOW w AS (PARTITION BY city ORDER BY id) ORDER BY id",
    "SELECT lower(name), upper(name), length(name), substring(name FROM 1 FOR 2), trim(both 'A' FROM name), "
    "replace(name, 'a', '4'), concat(name, '/', city), concat_ws('-', name, city), left(name, 2), right(name, 2), "
    "position('a' IN name), split_part(email, '@', 2), regexp_replace(name, '[aeiou]', '', 'g'), "
    "coalesce(email, 'none'), nullif(city, 'London'), name ILIKE 'a%' FROM customers ORDER BY id",
    "SELECT date_trunc('month', placed_at), extract(year FROM placed_at), to_char(placed_at, 'YYYY-MM-DD'), "
    "placed_at AT TIME ZONE 'UTC', age('2026-01-01'::timestamptz, placed_at), make_date(2024, 2, 29), "
    "placed_at + interval '1 day' FROM orders ORDER BY id",
    "SELECT abs(-1.5), round(2.567, 2), ceil(1.2), floor(-1.8), power(2, 10), sqrt(16), mod(7, 3), 7 % 3, "
    "greatest(1, 2, 3), least(4, 5), trunc(1.99, 1), 2 ^ 3, 10 / 4, 10.0 / 4",
    "SELECT jsonb_build_object('id', id, 'tags', tags), payload -> 'items', payload ->> 'gift', "
    "payload #> '{items,0}', payload @> '{\"gift\": true}', payload ? 'gift', jsonb_typeof(payload), "
    "jsonb_path_query_array(payload, '$.items[*] ? (@ > 1)') FROM orders ORDER BY id",
    "SELECT json_agg(name ORDER BY id), jsonb_agg(city), string_agg(name, ', ' ORDER BY name DESC), "
    "array_agg(DISTINCT city ORDER BY city) FROM customers",
    "SELECT e.value, kv.key, kv.value FROM orders o, jsonb_array_elements(o.payload -> 'items') e, "
    "jsonb_each(jsonb_build_object('k', o.id)) kv ORDER BY o.id, e.value",
    "SELECT n, n * n FROM generate_series(1, 10, 3) AS g(n) ORDER BY n DESC",
    "WITH big AS (SELECT customer_id, sum(total) AS s FROM orders GROUP BY 1 HAVING sum(total) > 20) "
    "SELECT c.name, b.s FROM big b JOIN customers c ON c.id = b.customer_id ORDER BY b.s DESC",
    "WITH RECURSIVE f(n, fact) AS (SELECT 1, 1::numeric UNION ALL SELECT n + 1, fact * (n + 1) FROM f WHERE n < 20) "
    "SELECT n, fact FROM f ORDER BY n",
    "SELECT city FROM customers UNION SELECT 'Paris' EXCEPT SELECT 'Helsinki' ORDER BY 1",
    "VALUES (1, 'one'), (2, 'two')",
    "TABLE customers ORDER BY id",
    "SELECT c.name, l.total FROM customers c CROSS JOIN LATERAL "
    "(SELECT total FROM orders o WHERE o.customer_id = c.id ORDER BY total DESC LIMIT 1) l ORDER BY c.id",
    "SELECT DISTINCT ON (customer_id) customer_id, placed_at FROM orders ORDER BY customer_id, placed_at DESC",
    "SELECT city, count(*) FILTER (WHERE balance > 50), grouping(city) FROM customers GROUP BY ROLLUP (city) "
    "ORDER BY city NULLS LAST",
    "SELECT o.id, total, receipt, code, tags, payload, balance FROM orders o JOIN customers c ON c.id = o.customer_id "
    "ORDER BY o.id",
    "SELECT 1 AS a, 2 AS a, NULL AS n, 'x' AS a",
    "SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE total > 8) ORDER BY 1",
    "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.oid = 'customers'::regclass",
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_name = 'customers' "
    "ORDER BY ordinal_position",
    "SELECT count(*) FROM customers TABLESAMPLE SYSTEM (100)",
    "SELECT to_tsvector('english', 'The cats sat') @@ to_tsquery('english', 'cat'), md5('x'), 'a' || 'b'",
]


@pytest.fixture(scope="module")
def shop(postgres_dsn):
    import uuid

    import psycopg

    name = f"agent_test_{uuid.uuid4().hex[:12]}"
    base = postgres_dsn.rsplit("/", 1)[0]
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SCHEMA)
        yield url
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def plain(url: str, sql: str, params=None) -> tuple[list[str], list[list]]:
    import psycopg

    with psycopg.connect(url) as conn:
        cur = conn.execute(sql, params)
        return [d.name for d in cur.description], [[json_safe(v) for v in row] for row in cur.fetchall()]


@pytest.mark.parametrize("sql", QUERIES)
def test_ordinary_query_gives_the_plain_answer(shop, sql):
    result = {spec.name: spec for spec in database_specs(shop)}["db_query"].run({"sql": sql})
    assert result["ok"], result
    columns, rows = plain(shop, sql)
    assert result["columns"] == columns
    assert result["rows"] == rows and not result["truncated"]


def test_params_show_and_explain(shop):
    q = {spec.name: spec for spec in database_specs(shop, row_limit=3)}["db_query"]
    found = q.run({"sql": "SELECT name FROM customers WHERE city = %s AND balance > %s ORDER BY id",
                   "params": ["London", 50]})  # fmt: skip
    assert found["rows"] == [["Ada"]]
    named = q.run({"sql": "SELECT %(n)s::int + %(n)s::int, %(s)s || '%%'", "params": {"n": 4, "s": "x"}})
    assert named["rows"] == [[8, "x%"]]
    assert q.run({"sql": "SELECT 'a%' LIKE 'a%'"})["rows"] == [[True]]  # without params a % is just a %
    page = q.run({"sql": "SELECT n FROM generate_series(1, 100) n"})
    assert page["truncated"] and page["rows"] == [[1], [2], [3]]
    assert q.run({"sql": "SHOW server_version_num"})["rows"][0][0].isdigit()
    plan = q.run({"sql": "EXPLAIN SELECT * FROM customers WHERE id = 1"})
    assert plan["ok"] and plan["columns"] == ["QUERY PLAN"] and "customers" in str(plan["rows"])
    empty = q.run({"sql": "SELECT FROM customers"})
    assert empty["ok"] and empty["columns"] == [] and empty["row_count"] == 3
