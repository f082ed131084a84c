"""The engines behind the database tools (:mod:`tools.database` builds the tools).

* :mod:`tools.db.common` - URLs, limits, result models, JSON-safe values;
* :mod:`tools.db.sqlite` - SQLite: read-only URI, authorizer, progress handler;
* :mod:`tools.db.postgres` - PostgreSQL via psycopg 3, imported on first use;
* :mod:`tools.db.sqltext` - a small PostgreSQL lexer for clear refusals.
"""
