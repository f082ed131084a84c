"""Database URLs: which engine and where, with a display form that never shows a password.

Parsing never connects; :func:`scrub` removes the URL's secrets from driver
messages, which may echo the connection string.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from tools.db.limits import Dialect

_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")


@dataclass(frozen=True)
class DatabaseTarget:
    """A parsed database URL: which engine, where, and a display form without secrets."""

    dialect: Dialect
    display: str  # safe to show a model or a log: never contains a password
    path: Path | None = None  # SQLite: the absolute file path
    dsn: str | None = None  # PostgreSQL: the URL handed to libpq
    host: str | None = None
    port: int | None = None
    dbname: str | None = None
    secrets: tuple[str, ...] = ()  # strings to scrub from driver messages
    hint: str = ""  # added to a "file not found" message


def parse_database_url(url: str) -> DatabaseTarget:
    """Parse ``sqlite:///...``, a bare path, or ``postgresql://`` / ``postgres://``.

    ``sqlite:///`` follows the SQLAlchemy convention: what follows the three
    slashes is the path, so ``sqlite:///demo.db`` is relative (to the working
    directory at build time) and ``sqlite:////var/data/demo.db`` is absolute.
    Raises :class:`ValueError` (never echoing a password) when the URL is unusable.
    """
    text = url.strip()
    if not text:
        raise ValueError("the database URL is empty")
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower() if sep else ""
    if scheme in _POSTGRES_SCHEMES:
        return _parse_postgres(rest)
    if scheme == "sqlite":
        return _parse_sqlite(rest)
    if sep:
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}: use sqlite:///..., a file path, or postgresql://..."
        )
    if text.lower().startswith("file:"):
        raise ValueError("give a plain path or a sqlite:/// URL, not a file: URI")
    return _sqlite_target(text)


def _parse_sqlite(rest: str) -> DatabaseTarget:
    """What follows ``sqlite://``; a relative path gets a hint for "file not found"."""
    if not rest.startswith("/"):
        raise ValueError(
            "a SQLite URL has three slashes before the path: sqlite:///relative.db or sqlite:////abs/path.db"
        )
    path_text = unquote(rest[1:].split("?", 1)[0])
    if not path_text:
        raise ValueError("the SQLite URL names no file: use sqlite:///path/to/file.db")
    target = _sqlite_target(path_text)
    if not Path(path_text).expanduser().is_absolute():
        hint = (
            f" (sqlite:///{path_text} is relative to the working directory; "
            f"for the absolute path /{path_text} write sqlite:////{path_text})"
        )
        target = DatabaseTarget(dialect="SQLite", display=target.display, path=target.path, hint=hint)
    return target


def _sqlite_target(path_text: str) -> DatabaseTarget:
    path = Path(os.path.abspath(Path(path_text).expanduser()))
    return DatabaseTarget(dialect="SQLite", display=str(path), path=path)


def _parse_postgres(rest: str) -> DatabaseTarget:
    """What follows ``postgresql://``: libpq gets it as is, the display drops the password."""
    parts = urlsplit("postgresql://" + rest)
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":") if at else ("", "", "")
    host, port = _host_port(parts, hostinfo)
    dbname = unquote(parts.path.lstrip("/")) or unquote(user) or "postgres"
    shown_user = f"{unquote(user)}@" if user else ""
    display = (
        f"postgresql://{shown_user}{host}:{port}/{dbname}"
        if "," not in host
        else f"postgresql://{shown_user}{host}/{dbname}"
    )
    dsn = "postgresql://" + rest  # libpq understands postgresql:// and postgres://, not the +driver forms
    return DatabaseTarget(
        dialect="PostgreSQL",
        display=display,
        dsn=dsn,
        host=host,
        port=port,
        dbname=dbname,
        secrets=_postgres_secrets(password, parts.query),
    )


def _host_port(parts: SplitResult, hostinfo: str) -> tuple[str, int]:
    """Host and port; a multi-host list (``h1,h2:5433``) is kept whole for display."""
    host, port = hostinfo, 5432
    if "," not in hostinfo:
        try:
            host = parts.hostname or ""
            port = parts.port or 5432
        except ValueError:
            raise ValueError("the PostgreSQL URL has an invalid port") from None
    return host or "localhost", port


def _postgres_secrets(password: str, query: str) -> tuple[str, ...]:
    """The password of the user part and of a ``?password=`` parameter, raw and unquoted."""
    secrets = tuple(s for s in {password, unquote(password)} if s)
    query_secrets = [
        value for key, _, value in (item.partition("=") for item in query.split("&")) if key == "password" and value
    ]
    return secrets + tuple(s for v in query_secrets for s in {v, unquote(v)} if s)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced, so a driver message cannot leak a password."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
