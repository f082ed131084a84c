"""The engines behind the database tools (:mod:`tools.database` builds the tools).

* :mod:`tools.db.common` - shared errors, time budget, quoting; re-exports the next four;
* :mod:`tools.db.limits` - limits and setting names;
* :mod:`tools.db.urls` - database URLs, secret scrubbing;
* :mod:`tools.db.models` - input/output models, the ``Backend`` interface;
* :mod:`tools.db.values` - JSON-safe, bounded result rows;
* :mod:`tools.db.sqlite` - SQLite: read-only URI, authorizer, progress handler;
* :mod:`tools.db.postgres` - PostgreSQL via psycopg 3, imported on first use;
* :mod:`tools.db.sqltext` - a small PostgreSQL lexer for clear refusals.
"""
