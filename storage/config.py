"""The ``[database]`` section of a PC's madoguchi.toml, parsed and checked by storage.

``url = "postgresql://user@host/db"`` (never with a password) or ``path = "D:/data/x.sqlite3"``;
neither means SQLite in the user-data folder. The value is checked with the same
:func:`storage.engine.resolve_url` every connection uses, so a configuration that loads is one the
engine accepts. main.py composes the sections and adds the file name to an error.
"""

from __future__ import annotations

from collections.abc import Mapping

from storage.engine import resolve_url
from storage.errors import ConfigError


def database_section(value: object) -> str | None:
    """The configured database (URL or SQLite path), None for the default; ConfigError names
    the key."""
    if not isinstance(value, Mapping):
        raise ConfigError("[database]: must be a table with url = ... or path = ...")
    for key in value:
        if key not in ("url", "path"):
            raise ConfigError(f"[database] {key}: unknown key (known: path, url)")
    if "url" in value and "path" in value:
        raise ConfigError("[database]: give url or path, not both")
    key = "url" if "url" in value else "path"
    text = value.get(key)
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        raise ConfigError(f"[database] {key}: must be a non-empty string")
    if (key == "url") != ("://" in text):
        raise ConfigError(f"[database] {key}: use url for a URL and path for a SQLite file")
    try:
        resolve_url(text)
    except ConfigError as exc:
        raise ConfigError(f"[database] {key}: {exc}") from None
    return text


def database_table(database: str | None) -> dict[str, str]:
    """The ``[database]`` table that :func:`database_section` reads back as ``database``."""
    if not database:
        return {}
    return {"url" if "://" in database else "path": database}
