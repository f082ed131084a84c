"""A small shop database, built by code, so the database tool works out of the box.

``ensure_demo_database(path)`` creates it when ``path`` does not exist yet:
customers, products, orders and order_items (with foreign keys and indexes)
plus an ``order_totals`` view, filled with a few dozen rows that are the same
on every machine.  The file is written under a temporary name in the same
directory and moved into place with :func:`os.replace`, so a reader never sees
a half-built database and an interrupted build leaves nothing behind.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

SCHEMA = """
CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE,
    country    TEXT NOT NULL,
    created_at TEXT NOT NULL            -- ISO date, YYYY-MM-DD
);
CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    category    TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents > 0)
);
CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    ordered_at  TEXT NOT NULL,          -- ISO date, YYYY-MM-DD
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled'))
);
CREATE TABLE order_items (
    order_id         INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id       INTEGER NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX idx_orders_customer ON orders(customer_id);
CREATE INDEX idx_order_items_product ON order_items(product_id);
CREATE VIEW order_totals AS
    SELECT o.id AS order_id, c.name AS customer, o.ordered_at, o.status,
           SUM(i.quantity * i.unit_price_cents) AS total_cents
    FROM orders o
    JOIN customers c ON c.id = o.customer_id
    JOIN order_items i ON i.order_id = o.id
    GROUP BY o.id;
"""

_PEOPLE = [
    ("Ada Lovelace", "UK"), ("Alan Turing", "UK"), ("Grace Hopper", "USA"), ("Edsger Dijkstra", "Netherlands"),
    ("Barbara Liskov", "USA"), ("Donald Knuth", "USA"), ("Margaret Hamilton", "USA"), ("Tim Berners-Lee", "UK"),
    ("Linus Torvalds", "Finland"), ("Guido van Rossum", "Netherlands"), ("Frances Allen", "USA"),
    ("Niklaus Wirth", "Switzerland"), ("Katherine Johnson", "USA"), ("John Backus", "USA"),
    ("Sophie Wilson", "UK"), ("Bjarne Stroustrup", "Denmark"), ("Radia Perlman", "USA"),
    ("Ken Thompson", "USA"), ("Hedy Lamarr", "Austria"), ("Yukihiro Matsumoto", "Japan"),
]  # fmt: skip
_PRODUCTS = [
    ("Mechanical keyboard", "peripherals", 8900), ("Wireless mouse", "peripherals", 2900),
    ("27-inch monitor", "displays", 24900), ("Laptop stand", "accessories", 3900),
    ("USB-C hub", "accessories", 4500), ("Noise-cancelling headphones", "audio", 19900),
    ("Desk microphone", "audio", 7900), ("Webcam", "peripherals", 6900), ("Desk lamp", "accessories", 3400),
    ("Portable SSD 1 TB", "storage", 10900), ("Ergonomic chair", "furniture", 32900),
    ("Standing desk", "furniture", 45900),
]  # fmt: skip
_STATUSES = ("delivered", "delivered", "shipped", "pending", "delivered", "cancelled")
N_ORDERS = 40


def _rows() -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """Deterministic rows: plain arithmetic, no random generator whose output could change."""
    customers = [
        (i, name, name.lower().replace(" ", ".").replace("-", "") + "@example.com", country,
         f"2024-{(i - 1) % 12 + 1:02d}-{(i * 3) % 28 + 1:02d}")
        for i, (name, country) in enumerate(_PEOPLE, start=1)
    ]  # fmt: skip
    products = [(i, name, category, price) for i, (name, category, price) in enumerate(_PRODUCTS, start=1)]
    orders, items = [], []
    for i in range(1, N_ORDERS + 1):
        customer = (i * 7) % len(customers) + 1
        orders.append(
            (i, customer, f"2025-{(i - 1) % 12 + 1:02d}-{(i * 5) % 28 + 1:02d}", _STATUSES[i % len(_STATUSES)])
        )
        for k in range(i % 3 + 1):  # one to three different products per order
            product = (i * 5 + k * 7 + i // 12) % len(products) + 1  # offsets 0, 7, 2: never twice per order
            items.append((i, product, (i * 7 + k * 3) % 5 + 1, products[product - 1][3]))
    return customers, products, orders, items


def write_database_atomically(path: Path, fill: Callable[[sqlite3.Connection], None]) -> Path:
    """Build a SQLite file with ``fill(conn)`` under a temporary name, then move it to ``path``.

    A reader never sees a half-built database and an interrupted build leaves
    nothing behind.  ``fill`` commits its own work; the foreign keys are
    checked before the file is published.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp)
        try:
            fill(conn)
            violations = conn.execute("PRAGMA foreign_key_check").fetchall()
            if violations:  # a bug in the generator, caught before the file is published
                raise RuntimeError(f"generated data violates foreign keys: {violations[:3]}")
        finally:
            conn.close()
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    return path


def _fill(conn: sqlite3.Connection) -> None:
    customers, products, orders, items = _rows()
    conn.executescript(SCHEMA)
    with conn:
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)", customers)
        conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?)", products)
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", orders)
        conn.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)", items)
    conn.execute("PRAGMA user_version = 1")


def ensure_demo_database(path: Path) -> Path:
    """Create the demo database at ``path`` unless a file is already there; return ``path``."""
    path = Path(path).expanduser()
    if path.exists():
        return path
    return write_database_atomically(path, _fill)


__all__ = ["ensure_demo_database", "write_database_atomically"]
