"""The database tools' limits and setting names, shared by every module of :mod:`tools.db`.

Kept apart so the URL parser, the models and the value conversion can use
them without importing each other.
"""

from __future__ import annotations

from typing import Literal

Dialect = Literal["SQLite", "PostgreSQL"]

MAX_CELL_CHARS = 1000  # longer text is cut, with a marker saying how long it was
MAX_BLOB_BYTES = 48  # binary values show this many bytes (base64) at most
MAX_RESULT_CHARS = 100_000  # rows stop being added once the JSON passes this
MAX_TABLES_LISTED = 500
MAX_NAMES_IN_MESSAGE = 40
MAX_SQL_CHARS = 100_000
MAX_PARAMS = 1000

WRITE_SETTING = "AGENT_DATABASE_WRITE"
POSTGRES_EXTRA_HINT = "install the 'postgres' extra: pip install -e '.[postgres]'"
