"""Backup and restore: SQLite online backup round trip, refusal of bad backups, pg_dump."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import backup
from storage.backup import find_pg_tool
from storage.engine import password_key, resolve_url
from storage.errors import BackupError
from storage.records import NewPatient, StaffInfo
from storage.restore import restore
from storage.secrets import store_db_password
from storage.store import AuditKind, Store
from tests.storage.conftest import ADMIN_STDIN, AS_ADMIN, POSTGRES_ONLY, SQLITE_ONLY, run_main
from tests.support.postgres import PostgresServer


def charts(store: Store) -> list[str]:
    return [p.chart_number for p in store.find_patients()]


def last_kind(store: Store) -> str:
    with store.engine.connect() as conn:
        return (
            conn.execute(text("SELECT kind FROM audit_events ORDER BY seq DESC")).scalars().first()
        )


def event_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()


@SQLITE_ONLY
def test_sqlite_round_trip_keeps_current_db_aside(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    store.create_patient(admin, NewPatient("A1", "前", "マエ"))
    info = store.backup(tmp_path / "out" / "b.sqlite3", admin)
    assert info.size > 0 and len(info.sha256) == 64 and last_kind(store) == AuditKind.BACKUP_CREATED
    store.create_patient(admin, NewPatient("B2", "後", "アト"))
    store.close()

    report = restore(db_url, info.path, terminal_id="pc")
    assert report.set_aside is not None and report.events_verified > 0
    reopened = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "bk")
    assert charts(reopened) == ["A1"] and last_kind(reopened) == AuditKind.RESTORED
    assert reopened.verify_chain().ok
    with sqlite3.connect(report.set_aside) as aside:  # the replaced database is kept whole
        assert {r[0] for r in aside.execute("SELECT chart_number FROM patients")} == {"A1", "B2"}
    reopened.close()


@SQLITE_ONLY
def test_restore_refuses_broken_or_foreign_backups(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    store.create_patient(admin, NewPatient("A1", "前", "マエ"))
    good = store.backup(tmp_path / "good.sqlite3").path
    tampered = tmp_path / "tampered.sqlite3"
    tampered.write_bytes(good.read_bytes())
    with sqlite3.connect(tampered) as db:
        db.execute("DROP TRIGGER audit_events_no_update")
        db.execute("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2")
    truncated = tmp_path / "truncated.sqlite3"
    truncated.write_bytes(good.read_bytes()[:5000])
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"\x00not a database" * 500)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    for bad, message in (
        (tampered, "broken at event 2"),
        (truncated, "SQLite"),
        (garbage, "SQLite"),
        (other, "not a Madoguchi database"),
        (tmp_path / "missing.sqlite3", "no backup file"),
    ):
        with pytest.raises(BackupError, match=message):
            restore(db_url, bad, terminal_id="pc")
    assert charts(store) == ["A1"] and store.verify_chain().ok  # live database untouched
    assert not list(Path(store.engine.url.database or "").parent.glob("*before-restore*"))


def test_cli_backup_and_restore(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "cli.bak"
    proc = run_main("backup", "--out", str(out), "--db", db_url, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert proc.returncode == 0, proc.stderr
    written = out.read_bytes()
    again = run_main("backup", "--out", str(out), "--db", db_url, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert again.returncode == 2 and again.stderr.count("\n") == 1, again.stderr
    assert f"{out} already exists" in again.stderr and out.read_bytes() == written
    restore_argv = ("restore", "--from", str(out), "--db", db_url, *AS_ADMIN)
    if store.dialect == "sqlite":
        store.create_patient(admin, NewPatient("X9", "後", "アト"))
        store.close()
        proc = run_main(*restore_argv, stdin=ADMIN_STDIN)
        assert proc.returncode == 0, proc.stderr
        assert "previous database kept at" in proc.stdout
        assert run_main("audit", "verify", "--db", db_url).returncode == 0
    else:
        assert out.read_bytes()[:5] == b"PGDMP"
        proc = run_main(*restore_argv, stdin=ADMIN_STDIN)
        assert proc.returncode == 2 and "pg_restore" in proc.stderr


def test_a_file_that_appears_after_the_check_is_refused_not_replaced(
    store: Store, admin: StaffInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "backups" / "late.bak"
    theirs = b"written meanwhile by another program"
    make_dir = backup.private_dir

    def another_program_writes(folder: Path) -> None:  # runs after backup_to looked for `out`
        make_dir(folder)
        out.write_bytes(theirs)

    monkeypatch.setattr(backup, "private_dir", another_program_writes)
    before = event_count(store)
    with pytest.raises(BackupError, match=re.escape(f"{out} already exists (a backup is")):
        store.backup(out, admin)
    assert out.read_bytes() == theirs and list(out.parent.iterdir()) == [out]  # no part left
    assert event_count(store) == before  # nothing recorded


@POSTGRES_ONLY
def test_pg_dump_restores_into_a_database_whose_chain_verifies(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if find_pg_tool("pg_restore") is None:
        pytest.skip("no pg_restore on this machine")
    store.create_patient(admin, NewPatient("P1", "名", "ナ"))
    dump = store.backup(tmp_path / "db.pgdump", admin).path
    server: PostgresServer = request.getfixturevalue("postgres_server")
    # The documented procedure, step 1: restore into a scratch database and verify it there.
    check_url = server.create_database()
    store_db_password(password_key(resolve_url(check_url)), server.password)
    url = resolve_url(check_url)
    proc = subprocess.run(
        [
            find_pg_tool("pg_restore") or "",
            "--no-owner",
            f"--host={url.host}",
            f"--port={url.port}",
            f"--username={url.username}",
            f"--dbname={url.database}",
            str(dump),
        ],
        env=dict(os.environ, PGPASSWORD=server.password),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    copy = Store.open(check_url, terminal_id="pc", backup_dir=tmp_path / "bk")
    assert copy.database_uuid == store.database_uuid
    # The scratch copy is older than this PC's witness by design: its chain alone is checked.
    assert charts(copy) == ["P1"] and copy.verify_chain(witness=False).ok
    copy.close()
