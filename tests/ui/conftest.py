"""Real widgets on the real stack: pcscd + vpcd cards, the simulator subprocess, SQLite.

``desk_window(...)`` builds a DeskStack the way main.py does (same parts, test folders), opens
the reception window on it and logs in through the login page. Screenshots of each main screen
go to test-artifacts/ui/ (and to docs/screenshots/ with MADOGUCHI_SCREENSHOTS=docs).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

import main
from policies.model import FacilityKind, FacilityProfile, Flow, OqsMode
from reader.reception import DeskMode, PcscCardSource, SimulatedTerminalProcess
from reader.terminal import TerminalConfig, TerminalExchange
from reader.terminal.config import TerminalSettings
from storage.engine import sqlite_url
from storage.recorder import StoreRecorder
from storage.store import Store
from tests.keyring_backend import MemoryKeyring
from ui.app import make_app
from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
DOCS = ROOT / "docs" / "screenshots"
ADMIN = ("desk-admin", "受付 管理者", "desk-pass-1")
INSTITUTION = "1312345678"
MANDATED = FacilityProfile(
    kind=FacilityKind.CLINIC,
    oqs_mode=OqsMode.MANDATED,
    flows=frozenset(Flow),
    medical_institution_code=INSTITUTION,
    prefecture_code="13",
    municipality_code="131016",
    name="テスト診療所",
)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.MemoryKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A home of the test's own: saved PDFs default to its Documents folder, not the user's."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="session")
def qapp_cls() -> type[QApplication]:
    return QApplication


@pytest.fixture
def app(qapp: QApplication) -> QApplication:
    made = make_app()
    made.setProperty("madoguchi_language", "ja")
    from ui import i18n

    i18n.install(made, "ja")
    return made


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[SimulatedTerminalProcess]:
    sim = SimulatedTerminalProcess(tmp_path / "oqs", log_file=tmp_path / "sim.log").start()
    yield sim
    sim.stop()


def shot(widget: QWidget, name: str) -> Path:
    """Save a screenshot as a test artefact (and as the README's, when asked)."""
    for _ in range(3):  # pending layouts first: a grab does not wait for them
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path)), path
    if os.environ.get("MADOGUCHI_SCREENSHOTS") == "docs":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)
    return path


def test_stack(
    tmp_path: Path,
    *,
    simulator: SimulatedTerminalProcess | None,
    reader: str | None,
    facility: FacilityProfile = MANDATED,
    answer_timeout_s: float = 10.0,
    admin: bool = True,
    **desk_parts: Any,
) -> main.DeskStack:
    """A production-mode stack on test folders (the parts main.py would choose); ``desk_parts``
    go to the ReceptionDesk as they are (e.g. ``face_wait_s``, ``handoff``)."""
    url = sqlite_url(tmp_path / "db" / "madoguchi.sqlite3").render_as_string()
    store = Store.open(url, terminal_id="ui-test-pc", backup_dir=tmp_path / "backups")
    if admin:
        actor = store.create_first_admin(*ADMIN)
        store.set_facility_profile(actor, facility)
    config = main.AppConfig(
        source=tmp_path / "config" / main.CONFIG_FILE,
        database=url,
        terminal=TerminalSettings(simulator.root, facility.medical_institution_code)
        if simulator is not None
        else None,
    )
    stack = main.DeskStack(
        desk=None, store=store, mode="production", data_dir=tmp_path, config=config
    )
    stack.defer(store.close)
    terminal = None
    if simulator is not None:
        stack.terminal_config = TerminalConfig(
            root=simulator.root,
            data_dir=tmp_path / "terminal-data",
            medical_institution_code=facility.medical_institution_code,
            answer_timeout_s=answer_timeout_s,
            rescan_interval_s=0.2,
            settle_s=0.4,
            simulated=True,
        )
        terminal = TerminalExchange(stack.terminal_config)
    main._start_desk(
        stack,
        recorder=StoreRecorder(store, "SQLite (test)"),
        card_source=PcscCardSource() if reader else None,
        terminal=terminal,
        mode=DeskMode.PRODUCTION,
        preferred_reader=reader,
        **desk_parts,
    )
    return stack


test_stack.__test__ = False  # type: ignore[attr-defined]


def login(qtbot: Any, window: MainWindow, user: str = ADMIN[0], password: str = ADMIN[2]) -> None:
    """Log in through the login page with the keyboard."""
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=10_000)
    page = window.login_page
    page.user.clear()
    qtbot.keyClicks(page.user, user)
    qtbot.keyClicks(page.password, password)
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 0, timeout=15_000)


@pytest.fixture
def desk_window(
    app: QApplication, qtbot: Any, tmp_path: Path
) -> Iterator[Callable[..., tuple[MainWindow, main.DeskStack]]]:
    made: list[tuple[MainWindow, main.DeskStack]] = []

    def make(*, log_in: bool = True, **kwargs: Any) -> tuple[MainWindow, main.DeskStack]:
        stack = test_stack(tmp_path, **kwargs)
        window = MainWindow(stack)
        qtbot.addWidget(window)
        window.start()
        window.show()
        made.append((window, stack))
        if log_in:
            login(qtbot, window)
        return window, stack

    yield make
    for window, stack in made:
        window.close()
        stack.close()
