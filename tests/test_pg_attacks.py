"""The red team's attacks on the PostgreSQL query tool, against a real server, each with its effect checked.

Every test here failed on the lexer-based tool (the file was read, the
INSERT committed, the shell command ran, the other session was killed) and
must now be refused with nothing changed.
"""

from __future__ import annotations

import logging
import socket
import uuid
from pathlib import Path

import pytest

from tools.database import database_specs

SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, city text);
INSERT INTO customers (name, city) VALUES ('Ada', 'London'), ('Grace', 'Arlington');
CREATE SEQUENCE counter;
"""
HOSTNAME = Path("/etc/hostname")


def tools(url: str, **kwargs) -> dict:
    return {spec.name: spec for spec in database_specs(url, **kwargs)}


def independent(url: str, sql: str, params=None) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def run_sql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def pg(pg_database) -> str:
    """A fresh database with dblink and tablefunc when this server has them (postgresql-contrib)."""
    import psycopg

    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(SCHEMA)
        available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}
        for extension in ("dblink", "tablefunc"):
            if extension in available:
                conn.execute(f"CREATE EXTENSION {extension}")
    return pg_database


def state(url: str) -> tuple:
    return (
        independent(url, "SELECT * FROM customers ORDER BY id"),
        independent(url, "SELECT last_value, is_called FROM counter"),
    )


def has_extension(url: str, name: str) -> bool:
    return bool(independent(url, "SELECT 1 FROM pg_extension WHERE extname = %s", [name]))


def secret_of_this_machine() -> str:
    """Text pg_read_file would return: the hostname, which must never show up in an answer."""
    text = HOSTNAME.read_text().strip() if HOSTNAME.exists() else socket.gethostname()
    assert text, "no hostname to look for"
    return text


def refused(result: dict, secret: str | None = None) -> None:
    assert result["ok"] is False and result["error"] == "refused", result
    if secret and len(secret) >= 6:  # a short hostname could occur in any text by chance
        assert secret not in str(result)


@pytest.mark.parametrize("allow_write", [False, True], ids=["read-only", "writes-allowed"])
def test_escaped_pg_read_file_is_refused(pg, allow_write):
    q = tools(pg, allow_write=allow_write)["db_query"]
    secret = secret_of_this_machine()
    for sql in [
        "SELECT U&\"pg\\005fread\\005ffile\"('/etc/hostname')",
        'SELECT U&"pg\\005fcatalog".U&"pg\\005fread\\005ffile"(\'/etc/hostname\')',
        "SELECT \"pg_read_file\"('/etc/hostname')",
        "SELECT pg_catalog . /* x */ pg_read_file('/etc/hostname')",
        "SELECT ('/etc/hostname'::text).pg_read_file",  # column notation: a call without parentheses
        "SELECT x.pg_read_file FROM (SELECT '/etc/hostname'::text) AS x",
        "SELECT U&\"query\\005fto\\005fxml\"('SELECT pg_read_file(''/etc/hostname'')', true, false, '')",
        "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, plainto_tsquery(pg_read_file(''/etc/hostname''))')",
    ]:
        refused(q.run({"sql": sql}), secret)


def test_dblink_exec_cannot_commit_or_run_a_program(pg, tmp_path):
    if not has_extension(pg, "dblink"):
        pytest.skip("the dblink extension (postgresql-contrib) is not available on this server")
    dbname = pg.rsplit("/", 1)[1]
    conninfo = f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}"
    marker = tmp_path / f"pwned-{uuid.uuid4().hex}"
    before = state(pg)
    for allow_write in (False, True):
        q = tools(pg, allow_write=allow_write)["db_query"]
        for sql in [
            "SELECT U&\"dblink\\005fexec\"(%s, 'INSERT INTO customers (name) VALUES (''pwned'')')",
            f"SELECT U&\"dblink\\005fexec\"(%s, 'COPY (SELECT 1) TO PROGRAM ''touch {marker}''')",
            "SELECT * FROM dblink(%s, 'DELETE FROM customers RETURNING id') AS t(id int)",
            "SELECT public.dblink_exec(%s, 'SELECT nextval(''counter'')')",
        ]:
            refused(q.run({"sql": sql, "params": [conninfo]}))
        if allow_write:  # nor through the tool that may write
            ex = tools(pg, allow_write=True)["db_execute"]
            refused(ex.run({"sql": "INSERT INTO customers (name) SELECT dblink_exec(%s, 'SELECT 1')",
                            "params": [conninfo]}))  # fmt: skip
    assert state(pg) == before and not marker.exists()


def test_other_sessions_cannot_be_terminated(pg):
    import psycopg

    q = tools(pg)["db_query"]
    with psycopg.connect(pg, autocommit=True) as other:
        pid = other.info.backend_pid
        for sql in [
            'SELECT U&"pg\\005fterminate\\005fbackend"(%s)',
            "SELECT pg_catalog.pg_cancel_backend(%s)",
            'SELECT "pg_terminate_backend"(%s)',
        ]:
            refused(q.run({"sql": sql, "params": [pid]}))
        assert other.execute("SELECT 1").fetchone() == (1,)  # still alive


def test_functions_that_run_sql_strings_are_refused(pg):
    q = tools(pg)["db_query"]
    secret = secret_of_this_machine()
    attacks = [
        "SELECT query_to_xml('SELECT pg_read_file(''/etc/hostname'')', true, false, '')",
        "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')",
        "SELECT * FROM ts_stat('SELECT to_tsvector(pg_read_file(''/etc/hostname''))')",
        "SELECT table_to_xml('customers', true, false, '')",
    ]
    if has_extension(pg, "tablefunc"):
        attacks += [
            "SELECT * FROM crosstab('SELECT 1::text, 1::text, pg_read_file(''/etc/hostname'')') AS ct(r text, c text)",
            "SELECT * FROM crosstab2('SELECT ''a'', ''b'', pg_read_file(''/etc/hostname'')')",
        ]
    before = state(pg)
    for sql in attacks:
        refused(q.run({"sql": sql}), secret)
    assert state(pg) == before


@pytest.mark.parametrize("allow_write", [False, True], ids=["read-only", "writes-allowed"])
def test_data_modifying_statements_are_refused_in_db_query(pg, allow_write):
    q = tools(pg, allow_write=allow_write)["db_query"]
    before = state(pg)
    for sql in [
        "WITH x AS (DELETE FROM customers RETURNING id) SELECT count(*) FROM x",
        "WITH x AS (INSERT INTO customers (name) VALUES ('x') RETURNING id) SELECT * FROM x",
        "WITH a AS (SELECT 1), b AS (UPDATE customers SET name = 'x' RETURNING 1) SELECT * FROM a",
        "SELECT * INTO TEMP stolen FROM customers",
        "SELECT nextval('counter')",
        "SELECT setval('counter', 42)",
        "SELECT * FROM customers FOR UPDATE",
        "EXPLAIN ANALYZE DELETE FROM customers",
    ]:
        refused(q.run({"sql": sql}))
    assert state(pg) == before


def test_functions_defined_in_the_database_are_not_reachable(pg):
    """A user-defined function is refused by name, by overload of an allowed name, and by column notation."""
    run_sql(
        pg,
        """
        CREATE FUNCTION public.leak(customers) RETURNS text LANGUAGE sql AS 'SELECT pg_read_file(''/etc/hostname'')';
        CREATE FUNCTION public."Lower"(text) RETURNS text LANGUAGE sql AS 'SELECT pg_read_file(''/etc/hostname'')';
        CREATE FUNCTION public.lower(integer) RETURNS text LANGUAGE sql AS 'SELECT pg_read_file(''/etc/hostname'')';
        """,
    )
    q = tools(pg)["db_query"]
    secret = secret_of_this_machine()
    for sql, words in [
        ("SELECT leak(c) FROM customers c", "leak()"),
        ('SELECT "Lower"(name) FROM customers', "Lower()"),
        ("SELECT c.leak FROM customers c", "column notation"),
        ("SELECT lower(1)", "ambiguous"),  # public.lower(integer) would be chosen for an integer
        ("SELECT lower(name) FROM customers", "ambiguous"),
    ]:
        result = q.run({"sql": sql})
        refused(result, secret)
        assert words in result["message"], result
    qualified = q.run({"sql": "SELECT pg_catalog.lower(name), c.city FROM customers c ORDER BY c.id"})
    assert qualified["rows"] == [["ada", "London"], ["grace", "Arlington"]], qualified


def test_a_least_privileged_role_is_used_when_configured(pg, caplog):
    """With a role, the server enforces it even for what the checker would let through; no superuser warning."""
    import psycopg

    from tools.db.common import parse_database_url
    from tools.db.pg_conn import PgCall, transaction

    role = f"agent_reader_{uuid.uuid4().hex[:10]}"
    run_sql(pg, f'CREATE ROLE "{role}" NOLOGIN; GRANT pg_read_all_data TO "{role}"')
    try:
        caplog.set_level(logging.WARNING, logger="tools.db.postgres")
        t = {spec.name: spec for spec in database_specs(pg, timeout=5)}  # builder without role: superuser
        reader = _backend(pg, role)
        who = reader.query("SELECT current_user, session_user", None, 10)
        assert who.rows == [[role, "postgres"]]
        assert reader.query("SELECT name FROM customers ORDER BY id", None, 10).rows == [["Ada"], ["Grace"]]
        assert not [r for r in caplog.records if "superuser" in r.getMessage()]

        call = PgCall(target=parse_database_url(pg), timeout=5, writes_enabled=True, role=role)
        for sql in ["INSERT INTO customers (name) VALUES ('x')", "SELECT pg_read_file('/etc/hostname')"]:
            with transaction(call, read_only=False) as (conn, _), pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)  # the checker is not even asked: the role alone refuses

        for _ in range(3):
            assert t["db_query"].run({"sql": "SELECT 1"})["ok"]
        warnings = [r for r in caplog.records if "superuser" in r.getMessage()]
        assert len(warnings) == 1 and "AGENT_DATABASE_ROLE" in warnings[0].getMessage()
        assert "postgres@127.0.0.1" in warnings[0].getMessage()

        missing = _backend(pg, "no_such_role_here")
        with pytest.raises(Exception) as err:
            missing.query("SELECT 1", None, 10)
        assert getattr(err.value, "code", None) == "unavailable" and "AGENT_DATABASE_ROLE" in str(err.value)
    finally:
        run_sql(pg, f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


def _backend(url: str, role: str):
    from tools.db.common import parse_database_url
    from tools.db.postgres import PostgresBackend

    return PostgresBackend(parse_database_url(url), timeout=5, writes_enabled=False, role=role)
