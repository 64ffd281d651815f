"""Storage suite fixtures: every test runs on SQLite AND on a real PostgreSQL started here."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from storage.engine import password_key, resolve_url, sqlite_url
from storage.records import StaffInfo
from storage.secrets import store_db_password
from storage.store import Store
from tests.keyring_backend import FileKeyring
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "admin-pass-1"
#: The ``admin`` fixture's login for a command that needs one: its options and its stdin.
AS_ADMIN = ("--user", "admin")
ADMIN_STDIN = ADMIN_PASSWORD + "\n"


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh keyring per test, shared with the subprocesses the test starts."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("MADOGUCHI_TEST_KEYRING_FILE", str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(previous)


#: Decorators for the few tests that concern one engine only (they override ``engine_kind``).
SQLITE_ONLY = pytest.mark.parametrize("engine_kind", ["sqlite"])
POSTGRES_ONLY = pytest.mark.parametrize(
    "engine_kind", [pytest.param("postgres", marks=pytest.mark.postgres)]
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(engine_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if engine_kind == "sqlite":
        return sqlite_url(tmp_path / "db" / "madoguchi.sqlite3").render_as_string()
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    store_db_password(password_key(resolve_url(url)), server.password)
    return url


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    s = Store.open(db_url, terminal_id="test-pc", backup_dir=tmp_path / "backups")
    yield s
    s.close()


@pytest.fixture
def admin(store: Store) -> StaffInfo:
    return store.create_first_admin("admin", "管理者", ADMIN_PASSWORD)


def run_main(*args: str, timeout: float = 120, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python main.py ARGS`` in a real subprocess (sharing the test keyring file), ``stdin``
    piped (a login's password line)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        input=stdin,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
