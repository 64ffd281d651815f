"""The store's core: opening the database and the one transaction boundary every area writes
through.

``_write()`` holds the database write lock and the chain head for one transaction; ``_append``
adds an event in that transaction, ``_bound`` one carrying the binding entry of the row just
written (``storage.binding``), ``_audit_only`` a transaction holding an event alone. So an event
exists exactly when its cause was committed, and this PC's witness (``storage.witness``) moves
only after the commit. ``_require`` re-reads the acting staff member inside the same transaction:
rights are checked against what is committed, never against a StaffInfo the caller holds.

Opening lives here because it is the boundary's first use and every area relies on it: migrate,
give a new database its identity and chain key, check the keyring's key belongs to it, and bind
(once) the rows written before row binding existed. ``AuditKind`` lives here too: the event
names are the chain's vocabulary, shared by every area.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, Engine, delete, insert, select, text
from sqlalchemy.orm import Session

from storage import login_locks, sanitise, secrets
from storage.binding import (
    BOUND_AT_MIGRATION,
    BOUND_COLUMNS,
    ROW_KEY,
    batch_payloads,
    check_payload,
    latest_entries,
)
from storage.chain import AuditChain, ChainHead, NewEvent
from storage.engine import data_dir, make_engine, write_connection
from storage.errors import PermissionDenied, WrongChainKey
from storage.models import AuditEvent, DbMeta, RowBindingPending, Staff, StaffRole
from storage.records import StaffInfo
from storage.row_jobs import SharedSnapshot
from storage.timeutil import now_tokyo
from storage.witness import Witness, refusal

if TYPE_CHECKING:
    from storage.migrate import MigrationReport

SYSTEM_ACTOR = "system"
#: Connection info key: the chain heads a write transaction appended (for the witness).
_HEADS = "madoguchi_heads"


class AuditKind:
    """Event kinds written to the chain (stable strings: they are persisted)."""

    DATABASE_CREATED = "database_created"
    SCHEMA_MIGRATED = "schema_migrated"
    LOGIN_OK = "login_ok"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    STAFF_CREATED = "staff_created"
    STAFF_PASSWORD_CHANGED = "staff_password_changed"  # noqa: S105 (an event name)
    STAFF_DEACTIVATED = "staff_deactivated"
    STAFF_LOCKED = login_locks.STAFF_LOCKED
    STAFF_UNLOCKED = login_locks.STAFF_UNLOCKED
    FACILITY_PROFILE_CHANGED = "facility_profile_changed"
    SETTING_CHANGED = "setting_changed"
    PATIENT_CREATED = "patient_created"
    PATIENT_UPDATED = "patient_updated"
    PATIENT_VIEWED = "patient_viewed"
    VISIT_OPENED = "visit_opened"
    TERMINAL_RESULT_RECEIVED = "terminal_result_received"
    VERIFICATION_RECORDED = "verification_recorded"
    #: Result files written for the receipt computer (reader.terminal.handoff.HandOff).
    HANDED_OFF = "handed_off"
    BULK_CHECKED = "bulk_checked"  # 一括照会 of a day's bookings (storage.bulk_checks)
    #: A 一括照会 still 処理中 at its deadline: its ReceptionNumber, kept to resume the download.
    BULK_PENDING = "bulk_pending"
    BACKUP_CREATED = "backup_created"
    RESTORED = "restored"
    EXPORTED = "exported"
    RETENTION_PURGED = "retention_purged"
    CHAIN_KEY_EXPORTED = "chain_key_exported"
    CHAIN_KEY_IMPORTED = "chain_key_imported"
    BINDING_MARKER_IGNORED = "row_binding_marker_ignored"
    #: An administrator accepted the chain as it is after this PC's witness found it rolled
    #: back, truncated or replaced (storage.witness).
    CHAIN_ROLLBACK_ACCEPTED = "chain_rollback_accepted"


#: What is still appended while this PC's witness shows the chain rolled back
#: (storage.witness): logins and logouts (an administrator must log in to decide), the
#: migration that opening did, and the decisions that re-base the witness.
ALLOWED_WHILE_ROLLED_BACK = frozenset(
    {
        AuditKind.LOGIN_OK,
        AuditKind.LOGIN_FAILED,
        AuditKind.LOGOUT,
        AuditKind.STAFF_LOCKED,
        AuditKind.SCHEMA_MIGRATED,
        AuditKind.RESTORED,
        AuditKind.CHAIN_ROLLBACK_ACCEPTED,
    }
)


class StoreCore:
    """The state every area shares (engine, chain, witness, clock), opening, and the
    transaction boundary."""

    def __init__(
        self,
        engine: Engine,
        *,
        key: bytes,
        database_uuid: str,
        terminal_id: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._engine = engine
        self._chain = AuditChain(key)
        self._key = key
        self.database_uuid = database_uuid
        self.terminal_id = sanitise.check_identifier("terminal_id", terminal_id)
        self._clock = clock
        self._witness = Witness(database_uuid, key)
        #: Set when this PC's witness shows the database rolled back, truncated or replaced
        #: (storage.witness); the mark then stays where it was, as evidence.
        self.witness_problem: str | None = None
        self.migration: MigrationReport | None = None  # set by open()
        #: This thread's pinned snapshot (:meth:`read_snapshot`): ``conn`` and ``shared``.
        self._pinned = threading.local()

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        terminal_id: str,
        backup_dir: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        engine: Engine | None = None,
        create: bool = True,
    ) -> Self:
        """Migrate (backing up first; on PostgreSQL only as the owner, storage.pg_roles), create
        the database identity and chain key if new, and check that the keyring's chain key
        belongs to this database. ``create=False``: only an existing database is opened
        (DatabaseMissing otherwise).

        Raises KeyringUnavailable, ChainKeyMissing, WrongChainKey, DatabasePasswordMissing,
        DatabaseMissing, DatabaseUnreachable, ConfigError, SchemaOutdated (the runtime role on an
        older schema) or BackupError, each with a message for the operator. Usable as
        ``with Store.open(...) as store:`` (closed on exit).
        """
        from storage.migrate import migrate_or_check  # noqa: PLC0415  (Alembic loads on open)

        engine = engine or make_engine(url, create=create)
        report = migrate_or_check(engine, backup_dir or data_dir() / "backups")
        meta = cls._read_meta(engine)
        if meta is None:
            cls._initialise(engine, terminal_id, clock)
            meta = cls._read_meta(engine)
            assert meta is not None
        database_uuid, check = meta
        key = secrets.load_chain_key(database_uuid)
        if not AuditChain(key).key_matches(check, database_uuid):
            raise WrongChainKey(
                f"The audit-chain key in the OS keyring does not belong to database "
                f"{database_uuid}. Import the right key with `main.py audit key-import`."
            )
        store = cls(
            engine, key=key, database_uuid=database_uuid, terminal_id=terminal_id, clock=clock
        )
        store.migration = report
        store._bind_after_migration()
        with engine.connect() as conn:
            store.witness_problem = store._witness.check(conn)
        if report.from_revision is not None and report.from_revision != report.to_revision:
            store._audit_only(
                AuditKind.SCHEMA_MIGRATED,
                None,
                {
                    "from": report.from_revision,
                    "to": report.to_revision,
                    "backup": str(report.backup) if report.backup else None,
                },
            )
        return store

    def _bind_after_migration(self) -> None:
        """Bind, once, the rows written before row binding existed (see migration 0003)."""
        with self._read() as s:  # usually nothing to do: no write lock (the head may be gone)
            if s.get(RowBindingPending, 1) is None:
                return
        with self._write() as (s, conn):
            if s.get(RowBindingPending, 1) is None:
                return
            s.execute(delete(RowBindingPending))
            done = conn.execute(
                select(AuditEvent.seq).where(AuditEvent.kind == BOUND_AT_MIGRATION).limit(1)
            ).scalar()
            if done is not None:
                self._append(conn, AuditKind.BINDING_MARKER_IGNORED, None, {"bound_in": done})
                return
            latest = latest_entries(conn)
            entries = [
                e
                for table in BOUND_COLUMNS
                for e in self._chain.binder.entries(conn, table)
                if e.split(" ", 4)[4] not in latest.get(table, {})
            ]
            reason = "bound at migration: rows written before row binding existed"
            self._append_batches(conn, BOUND_AT_MIGRATION, entries, reason)

    def _append_batches(self, conn: Connection, kind: str, entries: list[str], reason: str) -> None:
        """Batch binding events (at least one, so the binding itself is on record)."""
        self._chain.append_many(
            conn,
            [
                NewEvent(kind, SYSTEM_ACTOR, self.terminal_id, payload)
                for payload in batch_payloads(entries, reason)
            ],
            at=self._clock() if self._clock else None,
        )

    @staticmethod
    def _read_meta(engine: Engine) -> tuple[str, str] | None:
        with engine.connect() as conn:
            row = conn.execute(select(DbMeta.database_uuid, DbMeta.key_check)).first()
        return None if row is None else (row[0], row[1])

    @staticmethod
    def _initialise(engine: Engine, terminal_id: str, clock: Callable[[], datetime] | None) -> bool:
        """Give a new database its UUID, chain key (in the keyring) and first event."""
        from storage.migrate import PG_SCHEMA_LOCK, head_revision, schema_version  # noqa: PLC0415

        with write_connection(engine) as conn:
            if conn.dialect.name == "postgresql":  # an advisory lock: the runtime role may not LOCK
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_SCHEMA_LOCK})
            if conn.execute(select(DbMeta.id)).first() is not None:
                return False  # another terminal initialised it while we waited
            database_uuid = str(uuid.uuid4())
            key = secrets.create_chain_key(database_uuid)
            now = clock() if clock else now_tokyo()
            conn.execute(
                insert(DbMeta).values(
                    id=1,
                    database_uuid=database_uuid,
                    schema_version=schema_version(head_revision()),
                    created_at=now,
                    key_check=secrets.key_check(key, database_uuid),
                )
            )
            chain = AuditChain(key)
            chain.init_head(conn)
            chain.append(
                conn,
                AuditKind.DATABASE_CREATED,
                actor=SYSTEM_ACTOR,
                terminal_id=terminal_id,
                payload={"database_uuid": database_uuid, "schema": head_revision()},
                at=clock() if clock else None,
            )
        return True

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    # -- transaction helpers ---------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock() if self._clock else now_tokyo()

    @contextmanager
    def _write(self) -> Iterator[tuple[Session, Connection]]:
        heads: list[ChainHead] = []
        with write_connection(self._engine) as conn:
            locked_seq, locked_hash, *_ = self._chain.lock(conn)
            if self.witness_problem is None:  # before anything is appended (see check_appending)
                self.witness_problem = self._witness.still_holds(conn, locked_seq, locked_hash)
            conn.info[_HEADS] = heads
            try:
                with Session(bind=conn, expire_on_commit=False, autoflush=True) as session:
                    yield session, conn
                    session.flush()
            finally:
                conn.info.pop(_HEADS, None)
        if heads and self.witness_problem is None:  # committed: this PC has seen it
            self._witness.advance(heads[-1])

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Every read of this store on this thread, until the block ends, from one snapshot
        (SQLite: one read transaction; PostgreSQL: REPEATABLE READ), :meth:`verify_chain`'s
        worker jobs included (storage.row_jobs.SharedSnapshot): a printout's check and the
        rows it prints then see the same database, whatever is committed meanwhile. Nested
        blocks share the outer one; writes go on as ever, unseen by it."""
        if getattr(self._pinned, "conn", None) is not None:
            yield
            return
        with SharedSnapshot(self._sqlite_file()) as shared, self._engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                self._pinned.conn, self._pinned.shared = conn, shared
                try:
                    yield
                finally:
                    self._pinned.conn = self._pinned.shared = None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read from: this thread's pinned snapshot (:meth:`read_snapshot`),
        else a new one."""
        pinned = getattr(self._pinned, "conn", None)
        if pinned is not None:
            yield pinned
            return
        with self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Session]:
        pinned = getattr(self._pinned, "conn", None)
        with Session(pinned or self._engine, expire_on_commit=False) as session:
            yield session

    def _sqlite_file(self) -> str | None:
        """The SQLite database file, absolute (worker processes run elsewhere); else None."""
        if self.dialect != "sqlite":
            return None
        return str(Path(self._engine.url.database or "").resolve())

    def _append(
        self, conn: Connection, kind: str, actor: StaffInfo | str | None, payload: Mapping[str, Any]
    ) -> ChainHead:
        self.check_appending(kind)
        cleaned = sanitise.clean_json(payload)
        check_payload(cleaned)  # as written: cleaning can make a key (invisible characters)
        name = actor.username if isinstance(actor, StaffInfo) else (actor or SYSTEM_ACTOR)
        head = self._chain.append(
            conn,
            kind,
            actor=name,
            terminal_id=self.terminal_id,
            payload=cleaned,
            at=self._clock() if self._clock else None,
        )
        conn.info.get(_HEADS, []).append(head)
        return head

    def _bound(  # noqa: PLR0917  (the event, plus the row it binds)
        self,
        s: Session,
        conn: Connection,
        kind: str,
        actor: StaffInfo | str | None,
        payload: Mapping[str, Any],
        table: str,
        row_id: Any,
    ) -> ChainHead:
        """Append ``kind`` carrying the binding entry of the row as stored now (storage.binding):
        every write of a bound row, an UPDATE included, is a new event with the new digest."""
        s.flush()
        (entry,) = self._chain.binder.entries(conn, table, [row_id])
        return self._append(conn, kind, actor, {**payload, ROW_KEY: entry})

    def _audit_only(
        self, kind: str, actor: StaffInfo | str | None, payload: Mapping[str, Any]
    ) -> ChainHead:
        with self._write() as (_, conn):
            return self._append(conn, kind, actor, payload)

    def append_event(
        self, kind: str, actor: StaffInfo | str | None, payload: Mapping[str, Any]
    ) -> ChainHead:
        """Append a free-standing event (tests, benchmarks, other parts' audited actions)."""
        return self._audit_only(kind, actor, payload)

    def check_appending(self, kind: str) -> None:
        """ChainRolledBack unless an event of ``kind`` may be appended now (storage.witness:
        appending waits for a decision); callers that write a file first ask before it."""
        if self.witness_problem is not None and kind not in ALLOWED_WHILE_ROLLED_BACK:
            raise refusal(self.witness_problem)

    @staticmethod
    def _require(session: Session, actor: StaffInfo, *, admin: bool = False) -> Staff:
        """Re-read the actor from the database: a stale or forged StaffInfo gives no rights."""
        row = session.get(Staff, actor.id)
        if row is None or not row.active or row.username != actor.username:
            raise PermissionDenied(f"{actor.username}: not an active staff account")
        if admin and row.role is not StaffRole.ADMIN:
            raise PermissionDenied(f"{actor.username}: this needs an administrator")
        return row
