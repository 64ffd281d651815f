"""Whole-desk fixtures: the real store, the simulator as a subprocess, pcscd + vpcd cards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import keyring
import pytest

from policies import PolicyEngine
from policies.model import FacilityKind, FacilityProfile, Flow, OqsMode
from reader.reception import (
    DeskEvent,
    DeskMode,
    PcscCardSource,
    ReceptionDesk,
    SimulatedTerminalProcess,
)
from reader.terminal import TerminalConfig, TerminalExchange
from reader.terminal.config import HandOffConfig
from resources.policies import shipped_rulebook
from storage.engine import password_key, resolve_url, sqlite_url
from storage.recorder import StoreRecorder
from storage.records import StaffInfo
from storage.secrets import store_db_password
from storage.store import Store
from tests.keyring_backend import MemoryKeyring
from tests.support.postgres import PostgresServer

INSTITUTION = "1312345678"
ADMIN = ("desk-admin", "受付 管理者", "desk-pass-1")

MANDATED = FacilityProfile(
    kind=FacilityKind.CLINIC,
    oqs_mode=OqsMode.MANDATED,
    flows=frozenset(Flow),
    medical_institution_code=INSTITUTION,
    prefecture_code="13",
    municipality_code="131016",
    name="テスト診療所（シミュレーション）",
)
LIMITED = FacilityProfile(
    kind=FacilityKind.CLINIC,
    oqs_mode=OqsMode.LIMITED,
    flows=frozenset({Flow.GENERAL_READER}),
    medical_institution_code=INSTITUTION,
    name="テスト限定型診療所",
)


@dataclass
class EventLog:
    """Every desk event, in order; tests wait for the one they expect."""

    events: list[DeskEvent] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: DeskEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait(
        self,
        kind: type,
        predicate: Callable[[Any], bool] = lambda e: True,
        *,
        timeout: float = 15.0,
        after: int = 0,
    ) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[after:]:
                    if isinstance(event, kind) and predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(repr(e)[:300] for e in self.events[-8:])
                    raise AssertionError(
                        f"no matching {kind.__name__} in {timeout}s; last:\n{tail}"
                    )
                self._cond.wait(left)

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def of(self, kind: type) -> list[Any]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh in-memory keyring per test, whatever an earlier suite left installed."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.MemoryKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def sqlite_url_for(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "db" / "madoguchi.sqlite3").render_as_string()


def open_store(url: str, tmp_path: Path, facility: FacilityProfile) -> tuple[Store, StaffInfo]:
    store = Store.open(url, terminal_id="desk-test-pc", backup_dir=tmp_path / "backups")
    admin = store.create_first_admin(*ADMIN)
    store.set_facility_profile(admin, facility)
    return store, admin


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[SimulatedTerminalProcess]:
    sim = SimulatedTerminalProcess(tmp_path / "oqs", log_file=tmp_path / "sim.log").start()
    yield sim
    sim.stop()


@dataclass
class Desk:
    desk: ReceptionDesk
    store: Store
    admin: StaffInfo
    log: EventLog
    db_path: Path | None

    def login(self) -> None:
        from reader.reception import DeskStatus

        self.desk.login(ADMIN[0], ADMIN[2])
        self.log.wait(DeskStatus, lambda e: e.staff is not None)

    def verifications(self, visit_id: int) -> list[Any]:
        """The visit's recorded verifications (daily-log rows), oldest first, from the DB."""
        rows = self.store.verifications_between(date(2020, 1, 1), date(2100, 1, 1))
        return [r for r in rows if r.visit_id == visit_id]


@pytest.fixture
def desk_factory(
    tmp_path: Path, sqlite_url_for: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Desk]]:
    built: list[Desk] = []

    def make(
        *,
        facility: FacilityProfile = MANDATED,
        simulator: SimulatedTerminalProcess | None = None,
        reader: str | None = None,
        engine: str = "sqlite",
        answer_timeout_s: float = 10.0,
        mode: DeskMode = DeskMode.PRODUCTION,
        clock: Callable[[], datetime] | None = None,
        face_wait_s: float = 120.0,
        handoff: HandOffConfig | None = None,
    ) -> Desk:
        if engine == "sqlite":
            url, db_path = sqlite_url_for, tmp_path / "db" / "madoguchi.sqlite3"
        else:
            server: PostgresServer = request.getfixturevalue("postgres_server")
            url, db_path = server.create_database(), None
            store_db_password(password_key(resolve_url(url)), server.password)
        store, admin = open_store(url, tmp_path, facility)
        terminal = None
        if simulator is not None:
            terminal = TerminalExchange(
                TerminalConfig(
                    root=simulator.root,
                    data_dir=tmp_path / "terminal-data",
                    medical_institution_code=facility.medical_institution_code,
                    answer_timeout_s=answer_timeout_s,
                    rescan_interval_s=0.2,
                    settle_s=0.4,
                    simulated=True,
                )
            )
        log = EventLog()
        desk = ReceptionDesk(
            engine=PolicyEngine(shipped_rulebook()),
            recorder=StoreRecorder(store, "test database"),
            card_source=PcscCardSource() if reader else None,
            terminal=terminal,
            mode=mode,
            preferred_reader=reader,
            face_wait_s=face_wait_s,
            handoff=handoff,
            **({"clock": clock} if clock else {}),
        )
        desk.subscribe(log)
        desk.start()
        handle = Desk(desk, store, admin, log, db_path)
        built.append(handle)
        handle.login()
        return handle

    yield make
    for handle in built:
        handle.desk.close()
        handle.store.close()
