"""Fuzz the PostgreSQL checker (run by tests/test_pg_checker.py in a subprocess).

``python tests/pg_fuzz.py --seed N --count M`` feeds random token soup,
mutated real queries and deeply nested adversarial text to ``check_query``
and ``check_execute``, and prints one JSON line: how many inputs were accepted
and refused, and every input that raised anything but a ToolError, was slow,
or was accepted although it contains a call the allow-list does not have.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.base import ToolError  # noqa: E402
from tools.db.pg_allow import READ_FUNCTIONS, SEQUENCE_FUNCTIONS, words  # noqa: E402
from tools.db.sqltext import check_execute, check_query, parse  # noqa: E402

SLOW_SECONDS = 2.0  # per input: a generous bound for a hang, not a speed target

WORDS = words(
    "SELECT FROM WHERE WITH RECURSIVE AS JOIN LEFT ON USING GROUP BY ORDER HAVING LIMIT OFFSET UNION ALL "
    "EXCEPT INTERSECT VALUES TABLE INSERT INTO UPDATE SET DELETE MERGE COPY TO PROGRAM CALL DO BEGIN COMMIT "
    "EXPLAIN ANALYZE SHOW LATERAL ROWS FOR SHARE NOWAIT CASE WHEN THEN ELSE END AND OR NOT NULL IS IN EXISTS "
    "ANY ALL BETWEEN LIKE ILIKE SIMILAR ESCAPE COLLATE OVER PARTITION WINDOW FILTER WITHIN ARRAY ROW CAST "
    "TABLESAMPLE BERNOULLI REPEATABLE ORDINALITY XMLTABLE COLUMNS PASSING OPERATOR UESCAPE DISTINCT"
)
NAMES = [
    "pg_read_file", "dblink_exec", "dblink", "pg_terminate_backend", "query_to_xml", "ts_rewrite", "crosstab",
    "set_config", "nextval", "lower", "count", "sum", "generate_series", "now", "jsonb_build_object", "customers",
    "orders", "id", "name", "x", "t", "pg_catalog", "public", "Lower", "lo_import", "pg_sleep", "repeat",
]  # fmt: skip
ESCAPED = ['U&"pg\\005fread\\005ffile"', 'U&"dblink\\005fexec"', "U&\"a!0062\" UESCAPE '!'", '"pg_read_file"']
PUNCT = list("()[],;.:*+-/%^<>=!~@#&|?'\"$") + ["::", "->", "->>", "||", "$$", "$x$", "--", "/*", "*/", "\n", "E'"]
LITERALS = ["1", "2.5", "1e9", "'a'", "'/etc/hostname'", "$$x$$", "E'\\''", "B'101'", "X'ff'", "%s", "$1", "NULL"]

SEEDS = [
    "SELECT c.name, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY 1 ORDER BY 2 DESC",
    "WITH r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT sum(n) FROM r",
    "SELECT jsonb_build_object('a', 1) -> 'a', lower('X'), now() AT TIME ZONE 'UTC' FROM generate_series(1, 2) g",
    "SELECT U&\"pg\\005fread\\005ffile\"('/etc/hostname')",
    "SELECT * FROM dblink('dbname=x', 'INSERT INTO t VALUES (1)') AS t(a int)",
    "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')",
    "WITH x AS (DELETE FROM customers RETURNING id) SELECT count(*) FROM x",
    "SELECT $$ ; $$, 'it''s', E'\\n', /* c /* nested */ */ 1 -- end",
    "EXPLAIN (VERBOSE) SELECT x FROM t TABLESAMPLE BERNOULLI (5) WHERE x = ANY (SELECT y FROM u)",
    "SELECT ('/etc/hostname'::text).pg_read_file, t.x FROM t",
    "INSERT INTO t (a) VALUES (nextval('s')) RETURNING a",
]


def token(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.35:
        return rng.choice(sorted(WORDS))
    if pick < 0.55:
        return rng.choice(NAMES)
    if pick < 0.62:
        return rng.choice(ESCAPED)
    if pick < 0.85:
        return rng.choice(PUNCT)
    if pick < 0.97:
        return rng.choice(LITERALS)
    return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x3000)])) for _ in range(3))


def soup(rng: random.Random) -> str:
    return " ".join(token(rng) for _ in range(rng.randrange(1, 40)))


def mutate(rng: random.Random) -> str:
    text = list(rng.choice(SEEDS))
    for _ in range(rng.randrange(1, 6)):
        at = rng.randrange(len(text) + 1)
        action = rng.random()
        if action < 0.4 and text:
            del text[min(at, len(text) - 1)]
        elif action < 0.8:
            text[at:at] = list(token(rng))
        else:
            start = rng.randrange(len(text) + 1)
            text[at:at] = text[start : start + rng.randrange(1, 30)]
    return "".join(text)


def nested(rng: random.Random) -> str:
    depth = rng.choice([10, 100, 1000, 5000, 20000, 40000])
    shapes = [
        lambda n: "SELECT " + "(" * n + "1" + ")" * n,
        lambda n: "SELECT " + "1+" * n + "1",
        lambda n: "SELECT 1" + "::int" * min(n, 19000),
        lambda n: "SELECT " + "(SELECT " * min(n, 9000) + "1" + ")" * min(n, 9000),
        lambda n: "SELECT " + "lower(" * min(n, 20000) + "'a'" + ")" * min(n, 20000),
        lambda n: "SELECT " + "ARRAY[" * min(n, 16000) + "1" + "]" * min(n, 16000),
        lambda n: "SELECT a" + "[1]" * min(n, 30000),
        lambda n: "SELECT " + "NOT " * min(n, 24000) + "true",
        lambda n: "SELECT " + "- " * min(n, 49000) + "1",
        lambda n: "SELECT " + " || ".join(["'a'"] * min(n, 16000)),
        lambda n: "SELECT CASE " + "WHEN true THEN 1 " * min(n, 5000) + "END",
        lambda n: "SELECT 1 FROM t WHERE " + " AND ".join(["x = 1"] * min(n, 12000)),
        lambda n: "/*" * min(n, 40000) + "*/" * min(n, 40000) + " SELECT 1",
        lambda n: "SELECT '" + "''" * min(n, 40000) + "'",
    ]
    return rng.choice(shapes)(depth)[:100_000]


def called(tree: object) -> list[list[str]]:
    """Every FuncCall name in a tree, found by a walk independent of the checker's."""
    names, stack = [], [tree]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if "FuncCall" in value:
                names.append([n.get("String", {}).get("sval", "") for n in value["FuncCall"].get("funcname", [])])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return names


def run(seed: int, count: int) -> dict[str, object]:
    rng = random.Random(seed)
    report: dict[str, object] = {"accepted": 0, "refused": 0, "failures": [], "slow": []}
    makers = [soup, soup, mutate, mutate, mutate, nested]
    for i in range(count):
        sql = rng.choice(makers)(rng)
        execute = rng.random() < 0.2
        started = time.monotonic()
        try:
            checked = check_execute(sql) if execute else check_query(sql, writes_enabled=rng.random() < 0.5)
            stmts = parse(checked.text, limit=200_000)["stmts"]
            assert len(stmts) == 1, "accepted text is not one statement"
            allowed = READ_FUNCTIONS | SEQUENCE_FUNCTIONS if execute else READ_FUNCTIONS
            for parts in called(stmts):
                ok = len(parts) <= 2 and parts[-1] in allowed and (len(parts) == 1 or parts[0] == "pg_catalog")
                assert ok, f"accepted a call of {'.'.join(parts)}"
            report["accepted"] += 1  # type: ignore[operator]
        except ToolError:
            report["refused"] += 1  # type: ignore[operator]
        except Exception as err:  # noqa: BLE001 - exactly what the fuzzing looks for
            report["failures"].append({"i": i, "sql": sql[:300], "error": f"{type(err).__name__}: {err}"})  # type: ignore[union-attr]
        elapsed = time.monotonic() - started
        if elapsed > SLOW_SECONDS:
            report["slow"].append({"i": i, "sql": sql[:120], "seconds": round(elapsed, 2)})  # type: ignore[union-attr]
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(run(args.seed, args.count)))


if __name__ == "__main__":
    main()
