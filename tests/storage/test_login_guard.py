"""Login throttling: a growing wait per account and per PC, a lock at the shared limit until an
administrator unlocks, common passwords refused — every step in the audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from policies.dates import JST
from storage import settings_keys
from storage.errors import InvalidInput, LoginRefused, PasswordFault, WeakPassword
from storage.login_locks import locked_by_chain
from storage.models import AuditEvent, StaffRole
from storage.passwords import MAX_DELAY_S, check_policy, common_passwords, login_delay_s
from storage.records import StaffInfo
from storage.store import AuditKind, Store
from tests.storage.conftest import ADMIN_PASSWORD, SQLITE_ONLY
from tests.storage.test_review_fastpath import _attacker, forge_kind_index


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=JST)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Store]:
    s = Store.open(db_url, terminal_id="desk-1", backup_dir=tmp_path / "backups", clock=clock)
    yield s
    s.close()


def events(store: Store, kind: str) -> list[dict[str, object]]:
    with store.engine.connect() as conn:
        rows = conn.scalars(
            select(AuditEvent.payload).where(AuditEvent.kind == kind).order_by(AuditEvent.seq)
        )
        return [json.loads(p) for p in rows]


def test_the_delay_doubles_after_the_free_failures_and_is_capped() -> None:
    assert [login_delay_s(n) for n in range(7)] == [0, 0, 0, 1, 2, 4, 8]
    assert login_delay_s(40) == MAX_DELAY_S


def test_wait_grows_per_account_then_the_account_locks_until_unlocked(
    store: Store, admin: StaffInfo, clock: Clock
) -> None:
    clerk = store.create_staff(admin, "sato", "佐藤", StaffRole.RECEPTION, "initial-123")
    store.set_setting(admin, settings_keys.LOGIN_LOCK_AFTER, "5")
    for _ in range(3):
        assert store.authenticate("sato", "wrong-pass-9") is None
    with pytest.raises(LoginRefused, match="try again") as info:
        store.authenticate("sato", "initial-123")  # even the right password waits
    assert info.value.retry_after_s == 1.0
    clock.advance(1)
    assert store.authenticate("sato", "wrong-pass-9") is None  # 4th
    clock.advance(1.6)
    with pytest.raises(LoginRefused, match=r"try again in 1 s"):
        store.authenticate("sato", "initial-123")  # 2 s due: 0.4 s left, said as 1 s, not 0
    clock.advance(0.4)
    assert store.authenticate("sato", "wrong-pass-9") is None  # 5th: locked
    clock.advance(3600)
    with pytest.raises(LoginRefused, match="locked") as locked:
        store.authenticate("sato", "initial-123")
    assert locked.value.retry_after_s is None
    assert events(store, AuditKind.STAFF_LOCKED) == [{"staff_id": clerk.id, "failures": 5}]
    reasons = [e["reason"] for e in events(store, AuditKind.LOGIN_FAILED)]
    assert reasons == ["wrong_password"] * 3 + ["throttled", "wrong_password", "throttled"] + [
        "wrong_password",
        "locked",
    ]
    store.unlock_staff(admin, "sato")
    assert events(store, AuditKind.STAFF_UNLOCKED) == [{"staff_id": clerk.id}]
    assert store.authenticate("sato", "initial-123") is not None
    assert store.verify_chain().ok


def test_wait_grows_per_pc_whatever_the_user_name(
    store: Store, admin: StaffInfo, clock: Clock
) -> None:
    for name in ("a-user", "b-user", "c-user"):
        assert store.authenticate(name, "guess-123") is None
    with pytest.raises(LoginRefused):
        store.authenticate("admin", ADMIN_PASSWORD)  # this PC must wait, any account
    clock.advance(1)
    assert store.authenticate("admin", ADMIN_PASSWORD) is not None  # success resets the PC
    assert store.authenticate("d-user", "guess-123") is None
    assert store.authenticate("admin", ADMIN_PASSWORD) is not None


def test_a_locked_account_stays_locked_for_the_right_password_and_on_other_pcs(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path, clock: Clock
) -> None:
    store.create_staff(admin, "sato", "佐藤", StaffRole.RECEPTION, "initial-123")
    for _ in range(settings_keys.DEFAULT_LOGIN_LOCK_AFTER):
        assert store.authenticate("sato", "wrong-pass-9") is None
        clock.advance(MAX_DELAY_S)
    other = Store.open(db_url, terminal_id="desk-2", backup_dir=tmp_path / "b2", clock=clock)
    try:
        with pytest.raises(LoginRefused, match="locked"):
            other.authenticate("sato", "initial-123")
    finally:
        other.close()


@pytest.mark.parametrize(
    "tamper", ["DELETE FROM login_guard", "UPDATE login_guard SET locked = false, failures = 0"]
)
def test_a_lock_removed_behind_the_applications_back_holds_and_is_reported(
    store: Store, admin: StaffInfo, clock: Clock, tamper: str
) -> None:
    clerk = store.create_staff(admin, "sato", "佐藤", StaffRole.RECEPTION, "initial-123")
    for _ in range(settings_keys.DEFAULT_LOGIN_LOCK_AFTER):
        assert store.authenticate("sato", "wrong-pass-9") is None
        clock.advance(MAX_DELAY_S)
    (lock_seq,) = store.events(AuditKind.STAFF_LOCKED, datetime(2026, 1, 1, tzinfo=JST))
    with store.engine.begin() as conn:
        conn.exec_driver_sql(tamper)
    result = store.verify_chain()
    assert not result.ok and result.first_broken_seq == lock_seq.seq
    assert f"login_guard id account:{clerk.id} field locked" in (result.problem or "")
    with pytest.raises(LoginRefused, match="locked"):
        store.authenticate("sato", "initial-123")
    store.unlock_staff(admin, "sato")  # the administrator's recorded decision ends it
    assert store.authenticate("sato", "initial-123") is not None
    assert store.verify_chain().ok


@SQLITE_ONLY
def test_a_kind_index_that_hides_a_lock_event_hides_nothing_from_verify(
    store: Store, admin: StaffInfo, clock: Clock
) -> None:
    """The lock removed behind the application's back and the kind index rebuilt (under its
    own name and SQL, via writable_schema) so that it no longer lists the staff_locked event:
    ``audit verify`` reads every event for the locks, and names the account."""
    clerk = store.create_staff(admin, "sato", "佐藤", StaffRole.RECEPTION, "initial-123")
    for _ in range(settings_keys.DEFAULT_LOGIN_LOCK_AFTER):
        assert store.authenticate("sato", "wrong-pass-9") is None
        clock.advance(MAX_DELAY_S)
    (lock,) = store.events(AuditKind.STAFF_LOCKED, datetime(2026, 1, 1, tzinfo=JST))
    db = _attacker(store)
    forge_kind_index(db, lock.seq, "hidden")
    db.execute("DELETE FROM login_guard")
    db.close()
    with store.engine.connect() as conn:  # the index now hides the lock from a lookup
        assert not locked_by_chain(conn, clerk.id)
    result = store.verify_chain()
    assert not result.ok and result.first_broken_seq == lock.seq
    assert f"login_guard id account:{clerk.id} field locked" in (result.problem or "")


def test_a_lock_set_behind_the_applications_back_is_reported(
    store: Store, admin: StaffInfo
) -> None:
    clerk = store.create_staff(admin, "sato", "佐藤", StaffRole.RECEPTION, "initial-123")
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO login_guard (scope, failures, locked) "
            f"VALUES ('account:{clerk.id}', 10, true)"
        )
    result = store.verify_chain()
    assert not result.ok and "locked without a staff_locked event" in (result.problem or "")


@pytest.mark.parametrize("password", ["password1", "1qaz2wsx", "Password1", "qwerty123"])
def test_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput, match="common") as info:
        check_policy(password)
    assert isinstance(info.value, WeakPassword) and info.value.fault is PasswordFault.COMMON


@pytest.mark.parametrize(
    ("password", "fault"),
    [("ab-1", PasswordFault.TOO_SHORT), ("abcdefghij", PasswordFault.ONE_KIND)],
)
def test_a_weak_password_names_the_rule_it_breaks(password: str, fault: PasswordFault) -> None:
    with pytest.raises(WeakPassword) as info:
        check_policy(password)
    assert info.value.fault is fault


def test_the_common_password_list_is_shipped_whole() -> None:
    words = common_passwords()
    assert len(words) > 19_000 and "123456" in words and all(w == w.lower() for w in words)
    check_policy("madoguchi-受付-7")


def test_the_chain_lock_lookup_reads_the_kind_index(tmp_path: Path) -> None:
    """A login reads the account's latest lock event (storage.login_locks) through the kind
    index of migration 0005, not by scanning every event of a long chain (SQLite's plan)."""
    db = str(tmp_path / "plan.sqlite3")
    with Store.open(db, terminal_id="pc") as store, store.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT seq, kind, payload FROM audit_events "
            "WHERE kind IN ('staff_locked', 'staff_unlocked') ORDER BY seq"
        ).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "ix_audit_events_kind" in details, details
