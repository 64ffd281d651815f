"""Restore takes only this clinic's own backup: an empty schema or another database's backup
(even with its key in this keyring) is refused; an administrator may force a foreign one with a
reason, which the restore event records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.engine import make_engine, sqlite_url
from storage.errors import BackupError
from storage.migrate import upgrade
from storage.models import AuditEvent
from storage.records import NewPatient, StaffInfo
from storage.restore import restore
from storage.store import AuditKind, Store
from tests.storage.conftest import ADMIN_STDIN, AS_ADMIN, SQLITE_ONLY, run_main


def other_clinic_backup(tmp_path: Path) -> Path:
    """A real Madoguchi database of another identity, its key in this PC's keyring too."""
    url = sqlite_url(tmp_path / "other" / "db.sqlite3").render_as_string()
    other = Store.open(url, terminal_id="other-pc", backup_dir=tmp_path / "other" / "bk")
    try:
        admin = other.create_first_admin("boss", "他院", "other-pass-1")
        other.create_patient(admin, NewPatient("Z1", "他院 患者", "タイン カンジャ"))
        return other.backup(tmp_path / "other.sqlite3").path
    finally:
        other.close()


def charts(store: Store) -> list[str]:
    return [p.chart_number for p in store.find_patients("")]


@SQLITE_ONLY
def test_an_empty_schema_is_refused(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    store.create_patient(admin, NewPatient("A1", "前", "マエ"))
    empty = tmp_path / "empty.sqlite3"
    engine = make_engine(sqlite_url(empty))
    upgrade(engine)  # what `db migrate` makes: tables, no identity, no chain
    engine.dispose()
    with pytest.raises(BackupError, match="empty Madoguchi database"):
        restore(db_url, empty, terminal_id="pc")
    assert charts(store) == ["A1"] and store.verify_chain().ok


@SQLITE_ONLY
def test_another_databases_backup_is_refused_unless_forced_with_a_reason(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    store.create_patient(admin, NewPatient("A1", "前", "マエ"))
    own_uuid = store.database_uuid
    store.close()
    foreign = other_clinic_backup(tmp_path)
    for reason in (None, "  "):
        with pytest.raises(BackupError, match="backup of another database"):
            restore(db_url, foreign, terminal_id="pc", force_foreign_reason=reason)
    report = restore(
        db_url, foreign, terminal_id="pc", force_foreign_reason="移転: 旧PCのデータを引き継ぐ"
    )
    after = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "bk")
    try:
        assert report.database_uuid == after.database_uuid != own_uuid
        assert charts(after) == ["Z1"] and after.verify_chain().ok
        with after.engine.connect() as conn:
            payload = conn.scalars(
                select(AuditEvent.payload).where(AuditEvent.kind == AuditKind.RESTORED)
            ).one()
        recorded = json.loads(payload)
        assert recorded["foreign"] is True and recorded["replaced_database"] == own_uuid
        assert recorded["reason"] == "移転: 旧PCのデータを引き継ぐ"
    finally:
        after.close()


@SQLITE_ONLY
def test_cli_refuses_a_foreign_backup_and_forces_it_only_with_a_reason(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    store.close()  # the administrator who restores logs in on this database
    foreign = other_clinic_backup(tmp_path)
    restore = ("restore", "--from", str(foreign), "--db", db_url, *AS_ADMIN)
    refused = run_main(*restore, stdin=ADMIN_STDIN)
    assert refused.returncode == 2 and "another database" in refused.stderr
    no_reason = run_main(*restore, "--force-foreign", stdin=ADMIN_STDIN)
    assert no_reason.returncode == 2 and "reason" in no_reason.stderr
    forced = run_main(*restore, "--force-foreign", "--reason", "移転", stdin=ADMIN_STDIN)
    assert forced.returncode == 0, forced.stderr
