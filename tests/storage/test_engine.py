"""Engine settings: SQLite pragmas on every connection, default location, URL rules."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from platformdirs import user_data_dir

from storage.engine import (
    DB_FILE_NAME,
    data_dir,
    default_url,
    make_engine,
    new_file,
    resolve_url,
)
from storage.errors import ConfigError, DatabasePasswordMissing
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY


@SQLITE_ONLY
def test_every_sqlite_connection_is_wal_full_and_checks_foreign_keys(
    store: Store, db_url: str
) -> None:
    engine = make_engine(db_url, pool_size=3)
    conns = [engine.connect() for _ in range(3)]  # three distinct pooled connections
    try:
        for conn in conns:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
            assert pragmas == {
                "journal_mode": "wal",
                "synchronous": 2,
                "foreign_keys": 1,
                "busy_timeout": 60_000,
            }
        with pytest.raises(Exception, match="FOREIGN KEY"):
            conns[0].exec_driver_sql(
                "INSERT INTO visits (patient_id, local_date, kind, terminal_id, staff_id, "
                "opened_at) VALUES (999, '2026-01-01', 'outpatient', 't', 999, "
                "'2026-01-01 00:00:00.000000')"
            )
    finally:
        for conn in conns:
            conn.close()
        engine.dispose()


def test_default_location_is_the_os_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MADOGUCHI_DATA_DIR", raising=False)
    assert data_dir() == Path(user_data_dir("Madoguchi", appauthor=False))
    assert default_url().database == str(data_dir() / DB_FILE_NAME)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path))
    assert resolve_url(None).database == str(tmp_path / DB_FILE_NAME)
    assert resolve_url(str(tmp_path / "x.sqlite3")).drivername == "sqlite+pysqlite"


def test_url_rules() -> None:
    assert resolve_url("postgresql://u@h:5433/db").drivername == "postgresql+psycopg"
    for bad in ("postgresql://u:pw@h/db", "postgresql://h/db", "mysql://u@h/db", "sqlite://"):
        with pytest.raises(ConfigError):
            resolve_url(bad)
    with pytest.raises(DatabasePasswordMissing, match="set-password"):
        make_engine("postgresql://u@127.0.0.1:1/db")


def test_new_file_is_written_whole_owner_only_and_never_over_another(tmp_path: Path) -> None:
    dest = tmp_path / "out.pdf"
    with new_file(dest) as part:
        assert dest.read_bytes() == b"" and part.parent == tmp_path  # claimed, written beside
        part.write_bytes(b"content")
    assert dest.read_bytes() == b"content" and list(tmp_path.iterdir()) == [dest]
    if os.name == "posix":
        assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError), new_file(dest) as part:
        part.write_bytes(b"replacement")
    assert dest.read_bytes() == b"content" and list(tmp_path.iterdir()) == [dest]


def test_new_file_leaves_nothing_when_the_writing_fails(tmp_path: Path) -> None:
    dest = tmp_path / "out.pdf"
    with pytest.raises(RuntimeError, match="render failed"), new_file(dest) as part:
        part.write_bytes(b"half a page")
        raise RuntimeError("render failed")
    assert list(tmp_path.iterdir()) == []
