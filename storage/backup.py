"""Backups and restores.

Every backup is a new file (:func:`storage.engine.new_file`): its name is claimed by creating it
exclusively, so a file already there -- an older backup, perhaps, however late it appeared -- is
refused, never replaced; the copy is written to a temporary name and renamed over the claim, so a
killed process never leaves a half file under the final name.

SQLite: the online backup API (consistent while other connections write); the copy is switched
to rollback-journal mode so it is one self-contained file.

PostgreSQL: ``pg_dump --format=custom`` (password from the keyring through the environment, never
a file). Restore is a documented manual procedure (see ``POSTGRES_RESTORE_HELP``) because it needs
the server's administrator and every terminal stopped.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from storage.engine import new_file, private_dir, private_file, sqlite_path
from storage.errors import BackupError

POSTGRES_RESTORE_HELP = """\
Restoring a PostgreSQL database (all reception PCs closed, done by the server administrator):
  1. Verify the dump's chain first: restore it into a scratch database and run
       createdb -h HOST -U USER madoguchi_check
       pg_restore -h HOST -U USER -d madoguchi_check --no-owner FILE
       python main.py audit verify --db postgresql://USER@HOST/madoguchi_check
  2. Keep the current database aside:  ALTER DATABASE madoguchi RENAME TO madoguchi_before_restore;
  3. Make the verified copy current:    ALTER DATABASE madoguchi_check RENAME TO madoguchi;
  4. Start Madoguchi on one PC; it records the restore in the audit chain on its next write.
The password is read from the OS keyring by Madoguchi; for the PostgreSQL tools give it with
PGPASSWORD for that one command or type it at the prompt, never in a file."""


#: File-name time stamp; the dashes and the dot keep its digits (and a revision before it) from
#: forming a 12-digit run, which the storage sanitiser would mask where the name is recorded.
_STAMP = "%Y-%m-%dT%H%M%S.%fZ"


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    size: int
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sqlite_copy(source: Path | sqlite3.Connection, dest: Path) -> None:
    """Online-backup ``source`` into ``dest``, a new file (FileExistsError if one is there)."""
    private_dir(dest.parent)
    src = source if isinstance(source, sqlite3.Connection) else sqlite3.connect(source)
    try:
        with new_file(dest) as part:
            out = sqlite3.connect(part)
            try:
                src.backup(out)
                out.execute("PRAGMA journal_mode=DELETE")
            finally:
                out.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup to {dest} failed: {exc}") from exc
    finally:
        if src is not source:
            src.close()


def find_pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _pg_dump(engine: Engine, dest: Path) -> None:
    tool = find_pg_tool("pg_dump")
    if tool is None:
        raise BackupError(
            "pg_dump is not installed on this PC; install the PostgreSQL client tools "
            "(Debian: postgresql-client) or back up on the database server"
        )
    url = engine.url
    env = dict(os.environ, PGPASSWORD=url.password or "")
    args = [
        tool,
        "--format=custom",
        "--no-owner",
        f"--host={url.host or 'localhost'}",
        f"--port={url.port or 5432}",
        f"--username={url.username}",
        f"--dbname={url.database}",
    ]
    with new_file(dest) as part:  # pg_dump truncates it and keeps its owner-only mode
        proc = subprocess.run(
            [*args, f"--file={part}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        if proc.returncode != 0:
            raise BackupError(f"pg_dump failed: {proc.stderr.strip()}")


def backup_to(engine: Engine, dest: Path) -> BackupInfo:
    """Write a consistent backup of the live database to ``dest``, a new file (an existing
    one, perhaps an older backup, is refused rather than replaced)."""
    taken = BackupError(f"{dest} already exists (a backup is written only to a new file)")
    if dest.exists():  # at once, before a live database is looked at
        raise taken
    try:
        return _backup_to(engine, dest.resolve())
    except OSError as exc:
        if isinstance(exc, FileExistsError) and dest.is_file():  # it appeared since: the
            raise taken from None  # exclusive creation refused it (not a file for a folder)
        raise BackupError(f"cannot write the backup {dest}: {exc}") from exc


def _backup_to(engine: Engine, dest: Path) -> BackupInfo:
    private_dir(dest.parent)
    db_file = sqlite_path(engine.url)
    if db_file is not None:
        if not db_file.exists():
            raise BackupError(f"no database at {db_file}")
        if dest == db_file.resolve():
            raise BackupError("the backup file must not be the live database")
        raw = engine.raw_connection()
        try:
            sqlite_copy(raw.driver_connection, dest)  # type: ignore[arg-type]
        finally:
            raw.close()
    else:
        _pg_dump(engine, dest)
    return BackupInfo(dest, dest.stat().st_size, file_sha256(dest))


def backup_database(engine: Engine, directory: Path, *, label: str) -> Path:
    """A timestamped backup in ``directory`` (used before migrations)."""
    stamp = datetime.now(UTC).strftime(_STAMP)
    suffix = ".sqlite3" if sqlite_path(engine.url) is not None else ".pgdump"
    return backup_to(engine, directory / f"madoguchi-{label}-{stamp}{suffix}").path


def set_aside(db_file: Path) -> Path | None:
    """Keep the current database next to itself before a restore replaces it."""
    if not db_file.exists():
        return None
    stamp = datetime.now(UTC).strftime(_STAMP)
    aside = db_file.with_name(f"{db_file.stem}.before-restore-{stamp}{db_file.suffix}")
    try:
        sqlite_copy(db_file, aside)
    except BackupError:
        # A damaged database may refuse the backup API: keep its raw files instead.
        for extra in ("", "-wal", "-shm"):
            src = Path(f"{db_file}{extra}")
            if src.exists():
                shutil.copy2(src, Path(f"{aside}{extra}"))
                private_file(Path(f"{aside}{extra}"))
    return aside
