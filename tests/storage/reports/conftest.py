"""Fixtures for the report tests: a real system font, artefacts, and seeded real databases.

Databases are seeded once per test package (the demo history goes through the Store API, which is
the slow part) on SQLite and on the suite's real PostgreSQL server. Secrets go to a file
keyring, so ``main.py`` subprocesses started by a test find the same chain key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import keyring
import pytest

from storage.demo_data import DemoHistory, DemoSpec, open_demo_store
from storage.engine import password_key, resolve_url, sqlite_url
from storage.reports.fonts import JapaneseFont, find_japanese_font
from storage.secrets import store_db_password
from storage.store import Store
from tests.keyring_backend import FileKeyring
from tests.storage.reports.pdfcheck import ARTIFACTS

#: A small but complete history: every path and failure reason, two terminals, mixed flags.
SMALL_SPEC = DemoSpec(end=date(2026, 11, 20), months=3, visits_per_day=(3, 7), all_simulated=False)


@pytest.fixture(scope="session")
def font() -> JapaneseFont:
    # A real font from this machine (CI: fonts-ipaexfont via tools/bootstrap.sh).
    return find_japanese_font()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class DemoDb:
    url: str
    store: Store
    history: DemoHistory
    keyring_file: Path
    tmp: Path

    def env(self) -> dict[str, str]:
        """Environment for a ``main.py`` subprocess that must open this database."""
        return dict(
            os.environ,
            PYTHON_KEYRING_BACKEND="tests.keyring_backend.FileKeyring",
            MADOGUCHI_TEST_KEYRING_FILE=str(self.keyring_file),
            MADOGUCHI_DATA_DIR=str(self.tmp / "data"),
        )


@pytest.fixture(scope="package", autouse=True)
def file_keyring_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One file keyring for every report test (shared with subprocesses through the env).

    Set explicitly rather than inherited: whatever keyring an earlier suite left behind is
    not used here.
    """
    path = tmp_path_factory.mktemp("keyring") / "keyring.json"
    previous = keyring.get_keyring()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MADOGUCHI_TEST_KEYRING_FILE", str(path))
        mp.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileKeyring")
        keyring.set_keyring(FileKeyring())
        try:
            yield path
        finally:
            keyring.set_keyring(previous)


def new_database_url(kind: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    """An empty database of ``kind``; a PostgreSQL password goes into the current keyring."""
    if kind == "sqlite":
        return sqlite_url(tmp / "madoguchi.sqlite3").render_as_string()
    server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    store_db_password(password_key(resolve_url(url)), server.password)
    return url


@pytest.fixture(
    scope="package", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_db(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    file_keyring_module: Path,
) -> Iterator[DemoDb]:
    """The small demo history on SQLite and on PostgreSQL."""
    tmp = tmp_path_factory.mktemp(f"demo-{request.param}")
    url = new_database_url(request.param, tmp, request)
    store, history = open_demo_store(url, SMALL_SPEC, backup_dir=tmp / "backups")
    yield DemoDb(url, store, history, file_keyring_module, tmp)
    store.close()


@pytest.fixture(scope="package")
def sqlite_demo_db(
    tmp_path_factory: pytest.TempPathFactory, file_keyring_module: Path
) -> Iterator[DemoDb]:
    """The small demo history on SQLite only (CLI tests: the engine does not matter there)."""
    tmp = tmp_path_factory.mktemp("demo-cli")
    url = sqlite_url(tmp / "madoguchi.sqlite3").render_as_string()
    store, history = open_demo_store(url, SMALL_SPEC, backup_dir=tmp / "backups")
    yield DemoDb(url, store, history, file_keyring_module, tmp)
    store.close()
