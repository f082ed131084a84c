"""Keeping secrets out of what leaves the process: URLs, messages, logs, traces."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_USERINFO = re.compile(r"(://)[^/@\s]+@")


def mask_url(url: str | None) -> str | None:
    """A URL with its password replaced: ``postgresql://user:***@host/db``."""
    if not url or "@" not in url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{MASK}@")
    return urlunsplit(parts._replace(netloc=netloc))


def strip_userinfo(url: str) -> str:
    """A URL without ``user:password@`` (for endpoints named in errors)."""
    return _USERINFO.sub(r"\1", url)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every known secret, and any password in a URL, replaced."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", rf"\1{MASK}@", text)


__all__ = ["MASK", "mask_url", "redact", "strip_userinfo"]
