"""The PostgreSQL allow-lists (tools.db.pg_allow) checked against a real server's catalogue."""

from __future__ import annotations

import pytest

from tools.db.pg_allow import NEWER, OPERATORS, READ_FUNCTIONS, SEQUENCE_FUNCTIONS, VOLATILE_ALLOWED


@pytest.fixture(scope="module")
def catalogue(postgres_dsn):
    import psycopg

    with psycopg.connect(postgres_dsn) as conn:
        major = conn.info.server_version // 10000
        functions: dict[str, set[str]] = {}
        for name, volatility in conn.execute(
            "SELECT proname, provolatile FROM pg_catalog.pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace"
        ):
            functions.setdefault(name, set()).add(volatility)
        operators = {
            name: volatile
            for name, volatile in conn.execute(
                "SELECT o.oprname, bool_or(p.provolatile = 'v') FROM pg_catalog.pg_operator o "
                "JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode "
                "WHERE o.oprnamespace = 'pg_catalog'::regnamespace GROUP BY 1"
            )
        }
    return major, functions, operators


def test_every_allowed_function_exists_in_pg_catalog(catalogue):
    major, functions, _ = catalogue
    expected_missing = {name for name, since in NEWER.items() if since > major}
    assert (READ_FUNCTIONS | SEQUENCE_FUNCTIONS) - set(functions) == expected_missing


def test_only_vetted_allowed_functions_are_volatile(catalogue):
    _, functions, _ = catalogue
    volatile = {name for name in READ_FUNCTIONS if "v" in functions.get(name, set())}
    assert volatile <= VOLATILE_ALLOWED, volatile - VOLATILE_ALLOWED
    assert {"pg_read_file", "dblink_exec", "pg_terminate_backend", "set_config", "nextval"}.isdisjoint(READ_FUNCTIONS)


def test_stable_functions_that_run_sql_are_not_allowed(catalogue):
    """Volatility alone would not do: these are stable or have an immutable overload, yet run SQL (tablefunc's
    crosstab, stable too, lives outside pg_catalog and is refused with every such function)."""
    _, functions, _ = catalogue
    runs_sql = {"table_to_xml", "table_to_xmlschema", "schema_to_xml", "database_to_xml", "ts_rewrite"}
    assert all(functions[name] - {"v"} for name in runs_sql if name in functions)  # some overload is not volatile
    assert runs_sql.isdisjoint(READ_FUNCTIONS)


def test_the_operator_symbols_are_pg_catalogs_and_none_is_volatile(catalogue):
    _, _, operators = catalogue
    assert set(operators) <= OPERATORS and not any(operators.values())
