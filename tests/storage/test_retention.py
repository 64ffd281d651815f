"""Retention (G-04, default 5 years): purges only what is older, keeps the chain verifiable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from policies.dates import JST
from storage.binding import REBOUND_AT_PURGE
from storage.errors import PermissionDenied, RetentionRefused
from storage.models import AuditEvent, StaffRole
from storage.records import StaffInfo
from storage.store import AuditKind, Store
from tests.storage.conftest import ADMIN_PASSWORD
from tests.storage.test_chain_tamper import attacker


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2015, 1, 10, 9, 0, tzinfo=JST))


@pytest.fixture
def aged(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[tuple[Store, StaffInfo]]:
    """Ten years of events, one batch a year; 'now' is 2026-11-01."""
    store = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "bk", clock=clock)
    admin = store.create_first_admin("admin", "管理者", ADMIN_PASSWORD)
    for year in range(2016, 2026):
        clock.now = datetime(year, 6, 1, 10, 0, tzinfo=JST)
        for i in range(3):
            store.append_event("yearly", admin, {"year": year, "i": i})
    clock.now = datetime(2026, 11, 1, 9, 0, tzinfo=JST)
    yield store, admin
    store.close()


def events(store: Store) -> list[tuple[int, datetime, str]]:
    query = select(AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.kind).order_by(AuditEvent.seq)
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]  # type: ignore[misc]


def test_purge_keeps_young_events_and_a_verifiable_chain(aged: tuple[Store, StaffInfo]) -> None:
    store, admin = aged
    before = events(store)
    cutoff = datetime(2021, 11, 1, 9, 0, tzinfo=JST)
    young = [e for e in before if e[1] >= cutoff]
    report = store.purge_expired(admin)
    assert report.cutoff == cutoff and report.deleted == len(before) - len(young)
    after = events(store)
    assert after[: len(young)] == young  # every young event kept, unchanged
    assert after[-1][2] == AuditKind.RETENTION_PURGED
    assert all(t >= cutoff for _, t, _ in after)
    result = store.verify_chain()
    assert result.ok and result.anchor_seq == report.anchor_seq == young[0][0] - 1
    # Years later a second purge anchors on a second checkpoint; still verifiable.
    store._clock.now = datetime(2029, 1, 1, tzinfo=JST)  # type: ignore[union-attr]
    second = store.purge_expired(None)
    assert second.deleted > 0 and second.anchor_seq is not None
    assert second.anchor_seq > report.anchor_seq  # type: ignore[operator]
    assert store.verify_chain().ok
    assert min(t for _, t, _ in events(store)) >= datetime(2024, 1, 1, tzinfo=JST)


def test_nothing_old_enough_deletes_nothing_but_is_audited(aged: tuple[Store, StaffInfo]) -> None:
    store, admin = aged
    store.set_retention_years(admin, 20)
    before = len(events(store))
    report = store.purge_expired(admin)
    assert report.deleted == 0 and report.anchor_seq is None
    assert len(events(store)) == before + 1 and events(store)[-1][2] == AuditKind.RETENTION_PURGED


def test_the_last_event_is_never_purged(aged: tuple[Store, StaffInfo]) -> None:
    store, admin = aged
    store._clock.now = datetime(2099, 1, 1, tzinfo=JST)  # type: ignore[union-attr]
    head = store.verify_chain().head
    assert head is not None
    report = store.purge_expired(admin)
    assert report.anchor_seq == head.seq - 1
    kept = events(store)
    assert [e[0] for e in kept] == [head.seq, head.seq + 1, head.seq + 2]
    # The admin's staff row was bound by a purged event: re-bound in the purge's transaction.
    assert [e[2] for e in kept[1:]] == [REBOUND_AT_PURGE, AuditKind.RETENTION_PURGED]
    result = store.verify_chain()
    assert result.ok and result.rows is not None and result.rows.checked == 1


def test_purge_refused_on_a_broken_chain_and_for_non_admins(aged: tuple[Store, StaffInfo]) -> None:
    store, admin = aged
    clerk = store.create_staff(admin, "sato", "佐藤", StaffRole.RECEPTION, "initial-123")
    with pytest.raises(PermissionDenied):
        store.purge_expired(clerk)
    with attacker(store) as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'x' WHERE seq = 5"))
        conn.commit()
    before = len(events(store))
    with pytest.raises(RetentionRefused, match="broken at event 5"):
        store.purge_expired(admin)
    assert len(events(store)) == before


def test_a_forged_checkpoint_fails_verification(aged: tuple[Store, StaffInfo]) -> None:
    store, admin = aged
    report = store.purge_expired(admin)
    with attacker(store) as conn:
        conn.execute(text("UPDATE audit_checkpoints SET up_to_seq = up_to_seq + 1"))
        assert store.verify_chain(conn).first_broken_seq == (report.anchor_seq or 0) + 1
    with attacker(store) as conn:  # deleting the young prefix's first event is caught too
        conn.execute(
            text("DELETE FROM audit_events WHERE seq = :s"), {"s": (report.anchor_seq or 0) + 1}
        )
        assert store.verify_chain(conn).first_broken_seq == (report.anchor_seq or 0) + 1


def test_chain_time_never_goes_backwards(aged: tuple[Store, StaffInfo]) -> None:
    store, admin = aged
    first = store.append_event("tick", admin, {})
    store._clock.now = datetime(2020, 1, 1, tzinfo=JST)  # clock stepped back  # type: ignore[union-attr]
    second = store.append_event("tick", admin, {})
    assert second.occurred_at == first.occurred_at
    assert store.chain_head(datetime(2026, 11, 1).date()) == second
    assert store.verify_chain().ok
