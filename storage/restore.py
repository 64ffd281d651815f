"""Restore a SQLite database from a backup, only if the backup's audit chain verifies.

The backup is first copied to a scratch file beside the database and checked there (SQLite
integrity check, identity, chain key, full chain verification); the current database is kept
aside with the online backup API; only then is the verified copy written over the live one. The
restore itself is the first event appended to the restored chain.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from storage import secrets
from storage.backup import POSTGRES_RESTORE_HELP, file_sha256, set_aside, sqlite_copy
from storage.engine import make_engine, resolve_url, sqlite_path
from storage.errors import BackupError
from storage.records import RestoreReport
from storage.store import AuditKind, Store


def _check_sqlite_file(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path.name} is not a readable SQLite database: {exc}") from exc
    if result is None or result[0] != "ok":
        raise BackupError(f"{path.name} fails the SQLite integrity check: {result}")
    if not {"db_meta", "audit_events"} <= tables:
        raise BackupError(f"{path.name} is not a Madoguchi database")


def _write_over(source: Path, live: Path) -> None:
    """Online-backup ``source`` INTO the live file: SQLite swaps pages under its own locks and
    WAL, so no stale -wal/-shm file can be replayed over the restored pages."""
    src = sqlite3.connect(source)
    try:
        dest = sqlite3.connect(live, timeout=60)
        try:
            src.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        raise BackupError(f"writing the restored database failed: {exc}") from exc
    finally:
        src.close()


def restore(
    url: str | None,
    backup_file: Path,
    *,
    terminal_id: str,
    authorize: Callable[[Store], str] | None = None,
) -> RestoreReport:
    """Restore ``backup_file`` over the SQLite database at ``url`` once its chain verifies.

    ``authorize`` is called with the verified copy before anything is replaced (a login may
    check it, or stand for one made on the current database) and names who the restore is
    recorded under."""
    actor: str | None = None
    resolved = resolve_url(url)
    live = sqlite_path(resolved)
    if live is None:
        raise BackupError("restore into PostgreSQL is done by hand:\n" + POSTGRES_RESTORE_HELP)
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    live.parent.mkdir(parents=True, exist_ok=True)
    scratch = live.with_name(live.name + ".restore-check")
    sqlite_copy(backup_file, scratch)
    try:
        _check_sqlite_file(scratch)
        candidate = Store.open(
            str(scratch), terminal_id=terminal_id, backup_dir=live.parent / "backups"
        )
        try:
            result = candidate.verify_chain()
            database_uuid = candidate.database_uuid
            if result.ok and authorize is not None:
                actor = authorize(candidate)
        finally:
            candidate.close()
        if not result.ok:
            raise BackupError(
                f"the backup's audit chain is broken at event {result.first_broken_seq} "
                f"({result.problem}); nothing was restored"
            )
        aside = set_aside(live)
        _write_over(scratch, live)
    finally:
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{scratch}{extra}").unlink(missing_ok=True)
    engine = make_engine(resolved)
    try:
        store = Store(
            engine,
            key=secrets.load_chain_key(database_uuid),
            database_uuid=database_uuid,
            terminal_id=terminal_id,
        )
        store.append_event(
            AuditKind.RESTORED,
            actor,
            {
                "from": str(backup_file),
                "sha256": file_sha256(backup_file),
                "set_aside": str(aside) if aside else None,
                "events_verified": result.checked,
            },
        )
    finally:
        engine.dispose()
    return RestoreReport(backup_file, aside, result.checked, database_uuid)
