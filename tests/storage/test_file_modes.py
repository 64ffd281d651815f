"""SEC: files holding clinic data are owner-only (0600) on POSIX, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.backup import set_aside
from storage.engine import sqlite_url
from storage.records import StaffInfo
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes (Windows: folder ACL)")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The most permissive usual umask: files would be 0644 without the code's own modes."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@SQLITE_ONLY
def test_database_wal_shm_and_backups_are_owner_only(
    store: Store, admin: StaffInfo, tmp_path: Path
) -> None:
    db = Path(store.engine.url.database or "")
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    assert all(f.exists() for f in files)
    assert [mode(f) for f in files] == [0o600] * 3
    assert mode(db.parent) == 0o700
    info = store.backup(tmp_path / "new-folder" / "backup.sqlite3", admin)
    assert mode(info.path) == 0o600 and mode(info.path.parent) == 0o700
    aside = set_aside(db)
    assert aside is not None and mode(aside) == 0o600


def test_an_existing_readable_database_is_tightened_when_opened(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "old.sqlite3").render_as_string()
    Store.open(url, terminal_id="pc", backup_dir=tmp_path / "backups").close()
    for extra in ("", "-wal", "-shm"):
        path = tmp_path / f"old.sqlite3{extra}"
        if path.exists():
            path.chmod(0o644)
    store = Store.open(url, terminal_id="pc", backup_dir=tmp_path / "backups")
    try:
        store.create_first_admin("admin", "管理者", "admin-pass-1")
        assert mode(tmp_path / "old.sqlite3") == 0o600
        assert mode(tmp_path / "old.sqlite3-wal") == 0o600
    finally:
        store.close()
