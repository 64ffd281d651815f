"""The ``[database]`` section of a PC's madoguchi.toml, parsed and checked by storage, and the
database a run resolved to (:class:`DatabaseTarget`).

``url = "postgresql://user@host/db"`` (never with a password) or ``path = "D:/data/x.sqlite3"``;
neither means SQLite in the user-data folder. The value is checked with the same
:func:`storage.engine.resolve_url` every connection uses, so a configuration that loads is one the
engine accepts. main.py composes the sections and adds the file name to an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from storage.engine import make_engine, resolve_url
from storage.errors import (
    ConfigError,
    DatabaseMissing,
    DatabasePasswordMissing,
    DatabaseUnreachable,
)
from storage.secrets import use_demo_keyring

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.store import Store


#: The demo's database file in its folder (``main.py --demo``).
DEMO_DB_FILE = "demo.sqlite3"


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


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """The database a run uses, as main.py resolved it for the window and every command."""

    #: Database URL or SQLite file (None: SQLite in the user-data folder).
    url: str | None
    #: Recorded with every event this run writes.
    terminal_id: str
    #: Where pre-migration backups go (None: the user-data folder's).
    backup_dir: Path | None = None
    #: The demo folder in demo mode (its secrets may be kept there, see use_demo_keyring).
    demo_dir: Path | None = None
    #: Who chose this database ("--db", "[database] in FILE"), named in an error about it, so
    #: staff know which setting to correct; empty for the demo's own database.
    source: str = ""

    @classmethod
    def demo(cls, demo_dir: Path, terminal_id: str) -> DatabaseTarget:
        """The demo's own SQLite database in ``demo_dir`` (its backups and secrets there too)."""
        return cls(str(demo_dir / DEMO_DB_FILE), terminal_id, demo_dir / "backups", demo_dir)

    def open_store(self, *, create: bool = False) -> Store:
        """The store; only an existing database unless ``create``."""
        from storage.store import Store  # noqa: PLC0415  (store imports the whole schema)

        self._demo_secrets()
        with self._naming_source():
            return Store.open(
                self.url, terminal_id=self.terminal_id, backup_dir=self.backup_dir, create=create
            )

    def engine(self, *, create: bool = False) -> Engine:
        """A bare engine (key import, migrations); only an existing database unless ``create``."""
        self._demo_secrets()
        with self._naming_source():
            return make_engine(self.url, create=create)

    def describe(self) -> str:
        """The database as the window's status shows it (never a password)."""
        url = resolve_url(self.url)
        if url.get_backend_name() == "sqlite":
            where = f"SQLite {url.database}"
        else:
            where = f"PostgreSQL {url.host}:{url.port or 5432}/{url.database}"
        return where + (" (DEMO)" if self.demo_dir is not None else "")

    @contextmanager
    def _naming_source(self) -> Iterator[None]:
        try:
            yield
        except (DatabaseMissing, DatabaseUnreachable, DatabasePasswordMissing) as exc:
            if not self.source:
                raise
            raise type(exc)(f"{exc} (the database set by {self.source})") from exc

    def _demo_secrets(self) -> None:
        if self.demo_dir is not None:
            use_demo_keyring(self.demo_dir)
