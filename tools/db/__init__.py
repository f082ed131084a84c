"""The engines behind the database tools (:mod:`tools.database` builds the tools).

* :mod:`tools.db.common` - shared errors, time budget, quoting; re-exports the next four;
* :mod:`tools.db.limits` - limits and setting names;
* :mod:`tools.db.urls` - database URLs, secret scrubbing;
* :mod:`tools.db.models` - input/output models, the ``Backend`` interface;
* :mod:`tools.db.values` - JSON-safe, bounded result rows;
* :mod:`tools.db.sqlite` - SQLite, each call in a sandbox worker within SQLite's own limits;
  :mod:`tools.db.sqlite_conn` (connection and limits), :mod:`tools.db.sqlite_auth` (the authorizer's
  allow-list), :mod:`tools.db.sqlite_catalog`, :mod:`tools.db.sqlite_worker` (the jobs);
* :mod:`tools.db.postgres` - PostgreSQL via psycopg 3, imported on first use, each call in a sandbox worker;
* :mod:`tools.db.sqltext` - PostgreSQL's own parser (pglast) decides what the PostgreSQL tools send;
  :mod:`tools.db.pg_allow` / :mod:`tools.db.pg_walk` the allow-lists and tree walk, ``pg_conn`` / ``pg_worker`` /
  ``pg_meta`` / ``pg_cut`` / ``pg_params`` the connection set-up, jobs, catalogue, server-side cuts and placeholders.
"""
