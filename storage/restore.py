"""Restore a SQLite database only from this clinic's own backup, and only if it verifies.

The backup is first copied to a scratch file beside the database and checked there: SQLite
integrity, an identity of its own (an empty schema from ``db migrate`` has none and would be
given a new one — refused), the SAME identity as the current database (another clinic's, or
another installation's, is refused even when its key is in this keyring: an administrator may
force it with a reason, which the restore event records), the chain key from this PC's keyring
with its key check, and the full verification. The current database is kept aside with the
online backup API; only then is the verified copy written over the live one. The restore is the
first event appended to the restored chain, and this PC's witness (storage.witness) follows the
restored head from then on: a recorded step back (the other is an administrator's acceptance,
``Store.accept_restored_chain``).
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
from storage.store import Store


def _remove(db_file: Path) -> None:
    """A scratch SQLite file and its companions."""
    for extra in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_file}{extra}").unlink(missing_ok=True)


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


def _identity(path: Path) -> str | None:
    """The database identity (``db_meta.database_uuid``) of a Madoguchi SQLite file, if any."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT database_uuid FROM db_meta").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
    return None if row is None else str(row[0])


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
    force_foreign_reason: str | None = None,
    authorize: Callable[[Store], str] | None = None,
) -> RestoreReport:
    """Restore ``backup_file`` over the database at ``url`` (see the module docstring).

    ``force_foreign_reason``: an administrator's reason to restore a backup of ANOTHER database
    identity (recorded in the restore event); without it such a backup is refused.
    ``authorize`` is called with the verified copy before anything is replaced (a login may
    check it, or stand for one made on the current database) and names who the restore is
    recorded under.
    """
    actor: str | None = None
    resolved = resolve_url(url)
    live = sqlite_path(resolved)
    if live is None:
        raise BackupError("restore into PostgreSQL is done by hand:\n" + POSTGRES_RESTORE_HELP)
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    live.parent.mkdir(parents=True, exist_ok=True)
    scratch = live.with_name(live.name + ".restore-check")
    _remove(scratch)  # one a killed restore left
    sqlite_copy(backup_file, scratch)
    try:
        _check_sqlite_file(scratch)
        backup_uuid = _identity(scratch)
        if backup_uuid is None:
            raise BackupError(
                f"{backup_file.name} is an empty Madoguchi database (no identity, no audit "
                "chain), not a backup of this clinic's; nothing was restored"
            )
        live_uuid = _identity(live)
        foreign = live_uuid is not None and live_uuid != backup_uuid
        if foreign and not (force_foreign_reason or "").strip():
            raise BackupError(
                f"{backup_file.name} is a backup of another database ({backup_uuid}); this "
                f"clinic's database is {live_uuid}. Nothing was restored. An administrator may "
                "force it with a reason (restore --force-foreign --reason TEXT)."
            )
        candidate = Store.open(
            str(scratch), terminal_id=terminal_id, backup_dir=live.parent / "backups"
        )
        try:
            # The backup is older than this PC's witness by design: its chain alone is checked.
            result = candidate.verify_chain(witness=False)
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
        _remove(scratch)
    engine = make_engine(resolved)
    try:
        store = Store(
            engine,
            key=secrets.load_chain_key(database_uuid),
            database_uuid=database_uuid,
            terminal_id=terminal_id,
        )
        store.record_restore(
            actor,
            {
                "from": str(backup_file),
                "sha256": file_sha256(backup_file),
                "set_aside": str(aside) if aside else None,
                "events_verified": result.checked,
                "foreign": foreign,
                "replaced_database": live_uuid if foreign else None,
                "reason": force_foreign_reason if foreign else None,
            },
        )
    finally:
        engine.dispose()
    return RestoreReport(backup_file, aside, result.checked, database_uuid)
