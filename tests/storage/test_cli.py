"""The storage commands of main.py, run as real subprocesses."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import keyring
import pytest

from storage.engine import password_key, resolve_url
from storage.migrate import head_revision
from storage.records import StaffInfo
from storage.secrets import SERVICE
from storage.store import Store
from storage.timeutil import now_tokyo
from tests.storage.conftest import ADMIN_PASSWORD, ADMIN_STDIN, AS_ADMIN, SQLITE_ONLY, run_main


def test_db_migrate_creates_then_reports_current(tmp_path: Path) -> None:
    db = tmp_path / "new" / "madoguchi.sqlite3"
    first = run_main("db", "migrate", "--db", str(db), "--backup-dir", str(tmp_path / "bk"))
    assert first.returncode == 0, first.stderr
    assert f"migrated empty -> {head_revision()}" in first.stdout and db.exists()
    again = run_main("db", "migrate", "--db", str(db))
    assert again.returncode == 0 and f"schema is current ({head_revision()})" in again.stdout


def test_audit_head_for_the_daily_log(store: Store, db_url: str) -> None:
    today = now_tokyo().date()
    store.append_event("probe", None, {})
    head = store.chain_head(today)
    assert head is not None and head == store.verify_chain().head
    proc = run_main("audit", "head", "--date", today.isoformat(), "--db", db_url)
    assert proc.returncode == 0 and f"seq {head.seq} hash {head.hash}" in proc.stdout
    none = run_main("audit", "head", "--date", "2000-01-01", "--db", db_url)
    assert none.returncode == 1 and "no audit events" in none.stdout
    bad = run_main("audit", "head", "--date", "yesterday", "--db", db_url)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_bad_database_urls_are_clear_errors(tmp_path: Path) -> None:
    for url, message in (
        ("mysql://u@h/db", "unsupported database"),
        ("postgresql://u:secret@h/db", "must not contain a password"),
        ("postgresql://u@127.0.0.1:1/db", "No password"),
    ):
        proc = run_main("audit", "verify", "--db", url)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_db_set_password_goes_to_the_keyring(
    engine_kind: str, db_url: str, admin: StaffInfo, request: pytest.FixtureRequest
) -> None:
    # The database password first (it opens the database the admin then logs in on).
    password = "s3cret-pw"
    if engine_kind != "sqlite":
        password = request.getfixturevalue("postgres_server").password
        keyring.delete_password(SERVICE, password_key(resolve_url(db_url)))
    proc = run_main(
        "db", "set-password", "--db", db_url, *AS_ADMIN, stdin=f"{password}\n{ADMIN_PASSWORD}\n"
    )
    if engine_kind == "sqlite":
        assert proc.returncode == 2 and "only a PostgreSQL" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert keyring.get_password(SERVICE, password_key(resolve_url(db_url))) == password


@SQLITE_ONLY
def test_a_deleted_chain_head_is_reported_never_a_traceback(store: Store, db_url: str) -> None:
    store.close()
    with contextlib.closing(sqlite3.connect(store.engine.url.database or "")) as raw, raw:
        raw.execute("DROP TRIGGER audit_head_no_delete")
        raw.execute("DELETE FROM audit_head")
    verify = run_main("audit", "verify", "--db", db_url)
    assert verify.returncode == 1
    assert verify.stdout.strip() == "BROKEN at event 1: the chain head record is missing"
    write = run_main("backup", "--out", "x.bak", "--db", db_url, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert write.returncode == 2 and "Traceback" not in write.stderr + verify.stderr
    assert write.stderr.strip() == (
        "error: the audit chain's head record is missing: nothing can be recorded "
        "(main.py audit verify reports it)"
    )
