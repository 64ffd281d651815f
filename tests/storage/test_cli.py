"""The storage commands of main.py, run as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keyring

from storage.engine import password_key, resolve_url
from storage.secrets import SERVICE
from storage.store import Store
from storage.timeutil import now_tokyo
from tests.storage.conftest import ROOT, run_main


def test_db_migrate_creates_then_reports_current(tmp_path: Path) -> None:
    db = tmp_path / "new" / "madoguchi.sqlite3"
    first = run_main("db", "migrate", "--db", str(db), "--backup-dir", str(tmp_path / "bk"))
    assert first.returncode == 0, first.stderr
    assert "migrated empty -> 0003" in first.stdout and db.exists()
    again = run_main("db", "migrate", "--db", str(db))
    assert again.returncode == 0 and "schema is current (0003)" in again.stdout


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


def test_db_set_password_goes_to_the_keyring(engine_kind: str, db_url: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "db", "set-password", "--db", db_url],
        input="s3cret-pw\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=60,
    )
    if engine_kind == "sqlite":
        assert proc.returncode == 2 and "only a PostgreSQL" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert keyring.get_password(SERVICE, password_key(resolve_url(db_url))) == "s3cret-pw"
