"""Engines: SQLite embedded by default, PostgreSQL by URL for multi-terminal clinics.

SQLite: WAL, ``synchronous=FULL`` and ``foreign_keys=ON`` on EVERY connection, and explicit
BEGIN statements (the sqlite3 module's implicit transactions are switched off) so that writers
can take the database write lock up front with ``BEGIN IMMEDIATE``.
PostgreSQL: the URL never carries a password; it is read from the OS keyring.

An engine is handed out only after one connection worked, so a folder, a text file or a server
that does not answer is a typed error naming the place here, not a driver traceback later. With
``create=False`` (every command that works on an existing database) nothing is ever created: no
folder, no file, no schema.

Files holding clinic data (database, its WAL/SHM, backups) are owner-only on POSIX
(:func:`private_file`); SQLite creates the WAL and SHM with the database file's mode, so
tightening the database file as each connection opens covers all three. On Windows the user-data
folder's ACL (the user, SYSTEM and Administrators only, inherited) does the same. Files written
for the operator (backups, printed reports) never replace one already there: :func:`new_file`
claims the name by creating it exclusively, so the refusal holds however late the other file
appeared, where a look before writing would leave a window in which it is overwritten.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from storage.errors import (
    ConfigError,
    DatabaseMissing,
    DatabasePasswordMissing,
    DatabaseUnreachable,
)
from storage.secrets import db_password_name, load_db_password

APP_NAME = "Madoguchi"
DB_FILE_NAME = "madoguchi.sqlite3"
#: How long a writer waits for another terminal's/process's write lock before failing.
BUSY_TIMEOUT_S = 60.0
#: Execution option that makes the next BEGIN on a SQLite connection ``BEGIN IMMEDIATE``.
WRITE_LOCK = "madoguchi_write"
#: The first bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: POSIX modes of files and folders holding clinic data: the owner only.
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_file(path: Path, *, create: bool = False) -> None:
    """Make ``path`` owner-only (POSIX), creating it empty first if ``create``; a missing
    file is left missing otherwise."""
    if os.name != "posix":
        return
    if create:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
    if path.exists():
        os.chmod(path, PRIVATE_FILE_MODE)


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) with the last folder owner-only if it is new."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX; Windows has no directory handles)."""
    if os.name == "posix":
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def new_file(dest: Path) -> Iterator[Path]:
    """Claim ``dest`` as a new file and yield the path its content is written to.

    The claim creates ``dest`` exclusively (``O_EXCL``), owner-only on POSIX: a file already
    there raises FileExistsError and is never replaced. The content goes to a hidden file
    beside it (owner-only before a byte is in it), which is fsynced and renamed over the empty
    claim when the block ends, so a killed process leaves at most an empty file under the final
    name, never a partial one. When the block fails, both are removed."""
    os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        part = Path(name)
        try:
            yield part
            with part.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(part, dest)
        finally:
            part.unlink(missing_ok=True)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    _fsync_dir(dest.parent)


def data_dir() -> Path:
    """The OS user-data folder (``MADOGUCHI_DATA_DIR`` overrides it, e.g. for a portable set-up)."""
    override = os.environ.get("MADOGUCHI_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def default_url() -> URL:
    return URL.create("sqlite+pysqlite", database=str(data_dir() / DB_FILE_NAME))


def sqlite_url(path: Path | str) -> URL:
    return URL.create("sqlite+pysqlite", database=str(path))


def resolve_url(url: str | URL | None) -> URL:
    """Parse and normalise a database URL; ``None`` means the embedded default, and a plain
    path (no ``://``) a SQLite file."""
    if url is None:
        return default_url()
    if isinstance(url, str) and "://" not in url:
        return sqlite_url(Path(url))
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigError("SQLite needs a file path (an in-memory database would lose data)")
        return parsed.set(drivername="sqlite+pysqlite")
    if backend == "postgresql":
        if parsed.password is not None:
            raise ConfigError(
                "The database URL must not contain a password. Store it in the OS keyring with "
                "`main.py db set-password --db URL` and give the URL without it."
            )
        if not (parsed.username and parsed.database):
            raise ConfigError("a PostgreSQL URL needs a user name and a database name")
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")


def password_key(url: URL) -> str:
    return db_password_name(
        url.username or "", url.host or "localhost", url.port or 5432, url.database or ""
    )


def sqlite_path(url: URL) -> Path | None:
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def make_engine(
    url: str | URL | None = None,
    *,
    password: str | None = None,
    create: bool = True,
    **kwargs: Any,
) -> Engine:
    """Create an engine with Madoguchi's connection settings applied to every connection.

    PostgreSQL's password comes from the keyring unless given (verify workers get it from
    their parent over a pipe). ``create=False``: the database must already exist and hold
    tables (DatabaseMissing otherwise). DatabaseUnreachable when it cannot be opened."""
    resolved = resolve_url(url)
    if resolved.get_backend_name() == "sqlite":
        path = sqlite_path(resolved)
        assert path is not None
        _check_sqlite_file(path, create=create)
        engine = create_engine(resolved, connect_args={"timeout": BUSY_TIMEOUT_S}, **kwargs)
        _configure_sqlite(engine, path)
    else:
        if password is None:
            password = load_db_password(password_key(resolved))
        if password is None:
            raise DatabasePasswordMissing(
                f"No password for {shown(resolved)} in the OS keyring: "
                "run `main.py db set-password --db URL` on this PC."
            )
        engine = create_engine(
            resolved.set(password=password),
            connect_args={"application_name": "madoguchi", "connect_timeout": 10},
            pool_pre_ping=True,
            **kwargs,
        )
    _probe(engine, resolved, create=create)
    return engine


def shown(url: URL) -> str:
    """The database as messages name it: the SQLite file, or the server URL without secrets."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def _check_sqlite_file(path: Path, *, create: bool) -> None:
    if path.is_dir():
        raise DatabaseUnreachable(f"{path} is a folder, not a SQLite database file")
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        header = b""
    except OSError as exc:
        raise DatabaseUnreachable(f"{path} cannot be read ({exc.strerror or exc})") from exc
    if not header:
        if not create:
            raise DatabaseMissing(f"no database at {path} (this command never creates one)")
        try:
            private_dir(path.parent)
        except OSError as exc:
            raise DatabaseUnreachable(
                f"cannot create the folder for {path} ({exc.strerror or exc})"
            ) from exc
    elif header != SQLITE_HEADER:
        raise DatabaseUnreachable(f"{path} is not a SQLite database file")


def _probe(engine: Engine, url: URL, *, create: bool) -> None:
    """One connection (and, for ``create=False``, one look at the tables) before use."""
    try:
        with engine.connect() as conn:
            empty = not create and not inspect(conn).get_table_names()
    except DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()
        raise DatabaseUnreachable(
            f"cannot open the database {shown(url)}: {reason[0] if reason else type(exc.orig)}"
        ) from exc
    if empty:
        engine.dispose()
        raise DatabaseMissing(f"{shown(url)} holds no Madoguchi database (it has no tables)")


def _configure_sqlite(engine: Engine, path: Path) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        for extra in ("", "-wal", "-shm"):  # before WAL is switched on: it copies the mode
            private_file(Path(f"{path}{extra}"))
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_LOCK, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the database-wide write lock from its first statement.

    SQLite: ``BEGIN IMMEDIATE``. PostgreSQL: the audit head row is locked by the chain
    (``SELECT … FOR UPDATE``) as the first statement; every writer takes it first, so writes are
    serialised across processes and terminals without lock-order deadlocks.
    """
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_LOCK: True})
        with conn.begin():
            yield conn
