"""The [database] section and DatabaseTarget: what a configuration may name, that opening an
existing database never creates one, how the window names it; the shared settings' readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import settings_keys
from storage.config import DEMO_DB_FILE, DatabaseTarget, database_section, database_table
from storage.errors import ConfigError, DatabaseMissing, DatabaseUnreachable
from storage.records import StaffInfo
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({}, None),
        ({"path": "D:/data/madoguchi.sqlite3"}, "D:/data/madoguchi.sqlite3"),
        ({"url": "postgresql://madoguchi@db/madoguchi"}, "postgresql://madoguchi@db/madoguchi"),
    ],
)
def test_database_section_round_trips(table: dict[str, str], expected: str | None) -> None:
    assert database_section(table) == expected
    assert database_table(expected) == table


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ("sqlite", "[database]: must be a table"),
        ({"url": "a", "path": "b"}, "not both"),
        ({"host": "db"}, "[database] host: unknown key"),
        ({"path": 3}, "[database] path: must be a non-empty string"),
        ({"path": ""}, "[database] path: must be a non-empty string"),
        ({"url": "D:/x.sqlite3"}, "use url for a URL"),
        ({"url": "postgresql://u:secret@db/m"}, "[database] url: The database URL must not"),
        ({"url": "mysql://u@db/m"}, "[database] url: unsupported database"),
    ],
)
def test_database_section_names_the_key(table: object, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        database_section(table)
    assert needle in str(err.value)


@SQLITE_ONLY
def test_an_existing_database_only_is_opened(store: Store, db_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "none" / "x.sqlite3"
    with pytest.raises(DatabaseMissing, match=str(missing)):
        DatabaseTarget(str(missing), "pc").open_store()
    assert not missing.parent.exists()
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    with pytest.raises(DatabaseMissing):
        DatabaseTarget(str(empty), "pc").engine()
    text = tmp_path / "notes.txt"
    text.write_text("not a database", "utf-8")
    for bad, why in ((tmp_path, "is a folder"), (text, "not a SQLite database")):
        with pytest.raises(DatabaseUnreachable, match=why):
            DatabaseTarget(str(bad), "pc").open_store(create=True)
    store.close()
    closed: list[bool] = []
    with DatabaseTarget(db_url, "pc", tmp_path / "backups").open_store() as again:
        assert again.verify_chain().ok
        again.close = lambda: closed.append(True) or Store.close(again)  # type: ignore[method-assign]
    assert closed == [True]  # closed on leaving the block


def test_a_command_never_creates_the_database(db_url: str, tmp_path: Path) -> None:
    """No file on SQLite, no tables on an empty PostgreSQL database: DatabaseMissing, untouched."""
    target = DatabaseTarget(db_url, "pc", tmp_path / "backups")
    with pytest.raises(DatabaseMissing):
        target.open_store()
    with pytest.raises(DatabaseMissing):
        target.engine()
    with target.open_store(create=True) as store:  # the window (or db migrate) creates it
        assert store.verify_chain().ok
    with target.open_store() as store:
        assert store.verify_chain().checked == 1


def test_the_window_names_the_database_without_secrets(tmp_path: Path) -> None:
    demo = DatabaseTarget.demo(tmp_path, "pc")
    assert demo.url == str(tmp_path / DEMO_DB_FILE) and demo.backup_dir == tmp_path / "backups"
    assert demo.describe() == f"SQLite {tmp_path / DEMO_DB_FILE} (DEMO)"
    server = DatabaseTarget("postgresql://madoguchi@db.example/clinic", "pc")
    assert server.describe() == "PostgreSQL db.example:5432/clinic"


@SQLITE_ONLY
def test_settings_read_with_their_defaults(store: Store, admin: StaffInfo) -> None:
    assert settings_keys.print_masking(store) == settings_keys.DEFAULT_PRINT_MASKING
    assert settings_keys.idle_lock_minutes(store) == settings_keys.DEFAULT_IDLE_LOCK_MINUTES
    store.set_setting(admin, settings_keys.PRINT_MASKING, "full")
    store.set_setting(admin, settings_keys.IDLE_LOCK_MINUTES, "12")
    assert settings_keys.print_masking(store) == "full"
    assert settings_keys.idle_lock_minutes(store) == 12
    store.set_setting(admin, settings_keys.IDLE_LOCK_MINUTES, "-3")  # unusable: the default
    assert settings_keys.idle_lock_minutes(store) == settings_keys.DEFAULT_IDLE_LOCK_MINUTES
