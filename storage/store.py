"""The store: the one service the desk, the reports and the command line call (plain Python).

Every state-changing call writes its rows AND its audit event in one transaction that holds the
database write lock, so an event exists exactly when its cause was committed. Audit payloads
carry ids, codes and field NAMES, never names or numbers of patients: the chain cannot be
corrected later, so personal data stays in the correctable tables.

Why one long module: it is the transaction boundary. Each write path, the row it binds
(``storage.binding``) and its chain event must share one ``_write()`` and one lock, so the write
paths live on this class; what can stand apart already does (chain, binding, witness, sanitise,
records, recorder, restore). Splitting the class by area (staff, patients, visits) behind this
front object is the next step when it grows again.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Text,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from policies.model import DocumentKind, FacilityProfile, Flow
from storage import login_locks, sanitise, secrets, settings_keys
from storage.backup import BackupInfo, backup_to
from storage.binding import (
    BOUND_AT_MIGRATION,
    BOUND_COLUMNS,
    REBOUND_AT_PURGE,
    ROW_KEY,
    batch_payloads,
    latest_entries,
)
from storage.chain import (
    AuditChain,
    ChainHead,
    NewEvent,
    ParallelVerify,
    VerifyResult,
    head_as_of_day,
)
from storage.engine import data_dir, make_engine, write_connection
from storage.errors import (
    ChainKeyMissing,
    Conflict,
    InvalidInput,
    LoginRefused,
    NotFound,
    PermissionDenied,
    RetentionRefused,
    WrongChainKey,
)
from storage.models import (
    AuditEvent,
    AuditPurgePermit,
    DbMeta,
    FacilityProfileRow,
    LoginGuard,
    Patient,
    RowBindingPending,
    Setting,
    Staff,
    StaffRole,
    TerminalResult,
    VerificationAttempt,
    Visit,
    VisitKind,
)
from storage.paper import PaperCheck, check_paper, parse_paper
from storage.passwords import (
    MIN_LOCK_AFTER,
    check_policy,
    hash_password,
    login_delay_s,
    needs_rehash,
    verify_password,
)
from storage.records import (
    PATIENT_FIELDS,
    AttemptRecord,
    DocumentSeen,
    NewPatient,
    NewVerification,
    PatientRecord,
    PurgeReport,
    StaffInfo,
    StoredEvent,
    StoredVerification,
    TerminalResultRecord,
    VisitRecord,
    VisitSummary,
)
from storage.timeutil import day_bounds_utc, now_tokyo, to_tokyo, years_before
from storage.witness import Witness, decision, refusal

if TYPE_CHECKING:
    from storage.migrate import MigrationReport

SYSTEM_ACTOR = "system"
RETENTION_KEY = "retention_years"
DEFAULT_RETENTION_YEARS = 5
#: Floor for the retention setting: 診療録 are kept 5 years (G-04); less is refused.
MIN_RETENTION_YEARS = 5
#: Connection info key: the chain heads a write transaction appended (for the witness).
_HEADS = "madoguchi_heads"
#: A terminal result larger than this is not an eligibility answer; refuse it whole.
MAX_TERMINAL_RESULT_BYTES = 8 * 1024 * 1024


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


_V = Visit.__table__
_P = Patient.__table__
_A = VerificationAttempt.__table__
_A_LATEST = VerificationAttempt.__table__.alias("latest")
#: Column order = the record dataclasses' field order (rows are sliced straight into them).
_VISIT_COLS = [_V.c[f] for f in VisitRecord.__dataclass_fields__]
_PATIENT_COLS = [_P.c[f] for f in PatientRecord.__dataclass_fields__]
#: JSON columns come back as raw text here and are parsed through small caches (hot path).
_ATTEMPT_COLS = [
    type_coerce(_A.c[f], Text) if f in ("documents", "rule_ids") else _A.c[f]
    for f in AttemptRecord.__dataclass_fields__
]
#: Visit + patient + latest attempt (an index seek on (visit_id, id)), built once.
_SUMMARY_BASE = (
    select(*_VISIT_COLS, *_PATIENT_COLS, *_ATTEMPT_COLS)
    .join_from(_V, _P, _P.c.id == _V.c.patient_id)
    .outerjoin(
        _A,
        _A.c.id
        == select(func.max(_A_LATEST.c.id))
        .where(_A_LATEST.c.visit_id == _V.c.id)
        .scalar_subquery(),
    )
)
_DAY_QUERY = _SUMMARY_BASE.where(_V.c.local_date == bindparam("day")).order_by(_V.c.id)
_HISTORY_QUERY = (
    _SUMMARY_BASE.where(_V.c.patient_id == bindparam("patient_id"))
    .order_by(_V.c.local_date.desc(), _V.c.id.desc())
    .limit(bindparam("limit"))
)


@dataclass(frozen=True, slots=True)
class VisitDetail:
    """One visit as the desk shows it once recorded (:meth:`Store.visit_detail`)."""

    visit: VisitRecord
    patient: PatientRecord
    #: Every verification attempt of the visit (follow-up queries included), in time order.
    attempts: tuple[StoredVerification, ...]

    @property
    def latest(self) -> StoredVerification | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def latest_result_id(self) -> int | None:
        """The newest attempt that kept a terminal answer (or pasted app text)."""
        return next(
            (a.terminal_result_id for a in reversed(self.attempts) if a.terminal_result_id), None
        )


def _staff_info(row: Staff) -> StaffInfo:
    return StaffInfo(
        row.id, row.username, row.display_name, row.role, row.active, row.must_change_password
    )


def _patient(row: Patient) -> PatientRecord:
    return PatientRecord(
        row.id,
        row.chart_number,
        row.name,
        row.kana,
        row.birth_date,
        row.sex,
        row.insurer_number,
        row.insured_symbol,
        row.insured_number,
        row.insured_branch,
    )


def _visit(row: Visit) -> VisitRecord:
    return VisitRecord(
        row.id,
        row.patient_id,
        row.local_date,
        row.kind,
        row.terminal_id,
        row.staff_id,
        row.opened_at,
    )


def _documents(raw: list[dict[str, Any]] | str) -> tuple[DocumentSeen, ...]:
    if isinstance(raw, str):
        return _documents_from_text(raw)
    return tuple(
        DocumentSeen(DocumentKind(d["kind"]), MappingProxyType(dict(d.get("details", {}))))
        for d in raw
    )


@lru_cache(maxsize=4096)
def _documents_from_text(raw: str) -> tuple[DocumentSeen, ...]:
    """Most visits repeat a few document patterns; parsed once, shared read-only."""
    return _documents(json.loads(raw))


def _rule_ids(raw: list[str] | str) -> tuple[str, ...]:
    return _rule_ids_from_text(raw) if isinstance(raw, str) else tuple(raw)


@lru_cache(maxsize=4096)
def _rule_ids_from_text(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw))


def _verification(row: VerificationAttempt) -> AttemptRecord:
    return AttemptRecord(
        row.id,
        row.visit_id,
        row.path,
        row.outcome,
        row.failure_reason,
        _documents(row.documents),
        tuple(row.rule_ids),
        row.terminal_result_id,
        row.simulated,
        row.staff_id,
        row.terminal_id,
        row.started_at,
        row.finished_at,
        row.note,
    )


class Store:
    """Open with :meth:`open`; one instance per process, safe to share between threads."""

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
    ) -> Store:
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

    def _rebind_before(self, conn: Connection, limit: int) -> list[str]:
        """Entries for the rows whose latest binding is in events up to ``limit`` (a purge is
        about to delete them); refused if such a row no longer matches that binding."""
        latest = latest_entries(conn)
        out = []
        for table in BOUND_COLUMNS:
            bound = latest.get(table, {})
            for entry in self._chain.binder.entries(conn, table):
                row_id = entry.split(" ", 4)[4]
                seq, digest, _ = bound.get(row_id, (limit + 1, "", ""))
                if seq > limit:
                    continue
                if entry.split(" ", 3)[2] != digest:
                    raise RetentionRefused(
                        f"{table} id {row_id} changed since its binding in event {seq}; "
                        "nothing was deleted"
                    )
                out.append(entry)
        return out

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

    def __enter__(self) -> Store:
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
    def _read(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session:
            yield session

    def _append(
        self, conn: Connection, kind: str, actor: StaffInfo | str | None, payload: Mapping[str, Any]
    ) -> ChainHead:
        self.check_appending(kind)
        name = actor.username if isinstance(actor, StaffInfo) else (actor or SYSTEM_ACTOR)
        head = self._chain.append(
            conn,
            kind,
            actor=name,
            terminal_id=self.terminal_id,
            payload=sanitise.clean_json(payload),
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

    @staticmethod
    def _require(session: Session, actor: StaffInfo, *, admin: bool = False) -> Staff:
        """Re-read the actor from the database: a stale or forged StaffInfo gives no rights."""
        row = session.get(Staff, actor.id)
        if row is None or not row.active or row.username != actor.username:
            raise PermissionDenied(f"{actor.username}: not an active staff account")
        if admin and row.role is not StaffRole.ADMIN:
            raise PermissionDenied(f"{actor.username}: this needs an administrator")
        return row

    # -- staff -----------------------------------------------------------------------------

    def has_staff(self) -> bool:
        with self._read() as s:
            return s.scalar(select(func.count()).select_from(Staff)) > 0

    def create_first_admin(self, username: str, display_name: str, password: str) -> StaffInfo:
        """The only account creation without an acting admin: allowed while there is no staff."""
        check_policy(password)
        hashed = hash_password(password)  # slow on purpose: outside the write lock
        with self._write() as (s, conn):
            if s.scalar(select(func.count()).select_from(Staff)):
                raise PermissionDenied(
                    "staff accounts exist already: an admin must create new ones"
                )
            row = self._new_staff(
                s=s,
                username=username,
                display_name=display_name,
                role=StaffRole.ADMIN,
                password_hash=hashed,
                must_change=False,
            )
            self._bound(
                s,
                conn,
                AuditKind.STAFF_CREATED,
                SYSTEM_ACTOR,
                {"staff_id": row.id, "username": username, "role": "admin", "first": True},
                "staff",
                row.id,
            )
            return _staff_info(row)

    def _new_staff(
        self,
        *,
        s: Session,
        username: str,
        display_name: str,
        role: StaffRole,
        password_hash: str,
        must_change: bool,
    ) -> Staff:
        sanitise.check_identifier("username", username)
        if s.scalar(select(Staff.id).where(Staff.username == username)) is not None:
            raise Conflict(f"username {username!r} is taken")
        now = self._now()
        row = Staff(
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            active=True,
            must_change_password=must_change,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        return row

    def create_staff(
        self,
        actor: StaffInfo,
        username: str,
        display_name: str,
        role: StaffRole,
        initial_password: str,
    ) -> StaffInfo:
        """Admin only. The initial password must be changed at first login (SEC-05)."""
        check_policy(initial_password)
        hashed = hash_password(initial_password)
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = self._new_staff(
                s=s,
                username=username,
                display_name=display_name,
                role=StaffRole(role),
                password_hash=hashed,
                must_change=True,
            )
            self._bound(
                s,
                conn,
                AuditKind.STAFF_CREATED,
                actor,
                {"staff_id": row.id, "username": username, "role": row.role.value},
                "staff",
                row.id,
            )
            return _staff_info(row)

    def authenticate(self, username: str, password: str) -> StaffInfo | None:
        """Check a login; audited either way (see storage.passwords for delay and lock).

        Raises :class:`LoginRefused` without checking the password while the account is locked
        or a wait is due on the account or this PC. The slow Argon2 check runs BEFORE the write
        lock is taken, so a login never holds up other terminals' writes.
        """
        if not sanitise.is_identifier(username):
            username = ""  # no account has it; nothing typed reaches a query or the chain
        with self._read() as s:
            account = s.execute(
                select(Staff.id, Staff.password_hash).where(Staff.username == username)
            ).first()
            refusal = self._login_refusal(s, account[0] if account else None)
        stored = account[1] if account else None
        ok = refusal is None and verify_password(stored, password)
        rehash = hash_password(password) if ok and stored and needs_rehash(stored) else None
        with self._write() as (s, conn):
            row = s.scalar(select(Staff).where(Staff.username == username))
            ok = ok and row is not None and row.password_hash == stored
            if ok and row is not None and row.active:
                for guard in self._guards(s, row.id):
                    s.delete(guard)
                if rehash is not None:  # the staff row changes: bound to its event
                    row.password_hash = rehash
                    self._bound(
                        s,
                        conn,
                        AuditKind.LOGIN_OK,
                        row.username,
                        {"staff_id": row.id},
                        "staff",
                        row.id,
                    )
                else:
                    self._append(conn, AuditKind.LOGIN_OK, row.username, {"staff_id": row.id})
                return _staff_info(row)
            if refusal is not None:
                reason = "locked" if refusal.retry_after_s is None else "throttled"
            else:
                reason = (
                    "unknown_user" if row is None else ("wrong_password" if not ok else "inactive")
                )
            # A typed name is recorded only if it is an account: an unknown one may be a
            # password or a number typed into the wrong box, and the chain keeps it forever.
            self._append(
                conn,
                AuditKind.LOGIN_FAILED,
                None,
                {"username": None if row is None else row.username, "reason": reason},
            )
            if refusal is None:
                self._count_failure(s, conn, row)
        if refusal is not None:
            raise refusal
        return None

    def _guards(self, s: Session, staff_id: int | None) -> list[LoginGuard]:
        """This PC's guard row and the account's (those that exist)."""
        scopes = [f"pc:{self.terminal_id}"] + ([f"account:{staff_id}"] if staff_id else [])
        return list(s.scalars(select(LoginGuard).where(LoginGuard.scope.in_(scopes))))

    def _login_refusal(self, s: Session, staff_id: int | None) -> LoginRefused | None:
        now = self._now()
        wait = 0.0
        guards = self._guards(s, staff_id)
        # The chain's lock holds even if its row was deleted or cleared behind our back.
        if any(g.locked for g in guards) or (
            staff_id is not None and login_locks.locked_by_chain(s.connection(), staff_id)
        ):
            return LoginRefused(
                "this account is locked after repeated wrong passwords; an administrator "
                "must unlock it",
                None,
            )
        for guard in guards:
            if guard.last_failure_at is not None:
                due = guard.last_failure_at + timedelta(seconds=login_delay_s(guard.failures))
                wait = max(wait, (due - now).total_seconds())
        if wait > 0:
            return LoginRefused(
                f"too many wrong passwords: try again in {wait:.0f} s", round(wait, 1)
            )
        return None

    def _count_failure(self, s: Session, conn: Connection, row: Staff | None) -> None:
        """One more consecutive failure on this PC and (a known name) the account; lock it at
        the shared limit, recording the lock."""
        now = self._now()
        scopes = [f"pc:{self.terminal_id}"] + ([f"account:{row.id}"] if row else [])
        for scope in scopes:
            guard = s.get(LoginGuard, scope) or LoginGuard(scope=scope, failures=0, locked=False)
            guard.failures += 1
            guard.last_failure_at = now
            s.add(guard)
            if (
                row is not None
                and scope.startswith("account:")
                and not guard.locked
                and guard.failures >= self._lock_after(s)
            ):
                guard.locked = True
                self._append(
                    conn,
                    AuditKind.STAFF_LOCKED,
                    None,
                    {"staff_id": row.id, "failures": guard.failures},
                )

    @staticmethod
    def _lock_after(s: Session) -> int:
        """The shared setting: consecutive failures that lock an account (at least 3)."""
        row = s.get(Setting, settings_keys.LOGIN_LOCK_AFTER)
        try:
            limit = int(row.value) if row else settings_keys.DEFAULT_LOGIN_LOCK_AFTER
        except ValueError:
            limit = settings_keys.DEFAULT_LOGIN_LOCK_AFTER
        return max(limit, MIN_LOCK_AFTER)

    def unlock_staff(self, actor: StaffInfo, username: str) -> None:
        """Admin only: clear an account's lock and failure count (audited)."""
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = s.scalar(select(Staff).where(Staff.username == username))
            if row is None:
                raise NotFound(f"no staff account {username!r}")
            guard = s.get(LoginGuard, f"account:{row.id}")
            if guard is not None:
                s.delete(guard)
            self._append(conn, AuditKind.STAFF_UNLOCKED, actor, {"staff_id": row.id})

    def logout(self, actor: StaffInfo) -> None:
        self._audit_only(AuditKind.LOGOUT, actor, {"staff_id": actor.id})

    def change_password(
        self,
        actor: StaffInfo,
        username: str,
        new_password: str,
        *,
        current_password: str | None = None,
    ) -> None:
        """Own password: needs the current one. Another's: admin reset, changed at next login."""
        check_policy(new_password)
        own = username == actor.username
        if own:  # the slow checks run before the write lock
            with self._read() as s:
                stored = s.scalar(select(Staff.password_hash).where(Staff.id == actor.id))
            if not verify_password(stored, current_password or ""):
                raise PermissionDenied("the current password is wrong")
        hashed = hash_password(new_password)
        with self._write() as (s, conn):
            self._require(s, actor, admin=not own)
            row = s.scalar(select(Staff).where(Staff.username == username))
            if row is None:
                raise NotFound(f"no staff account {username!r}")
            if own and row.password_hash != stored:
                raise PermissionDenied("the password was changed meanwhile; try again")
            row.password_hash = hashed
            row.must_change_password = not own
            row.updated_at = self._now()
            self._bound(
                s,
                conn,
                AuditKind.STAFF_PASSWORD_CHANGED,
                actor,
                {"staff_id": row.id, "by_admin": not own},
                "staff",
                row.id,
            )

    def deactivate_staff(self, actor: StaffInfo, username: str) -> None:
        """Admin only; the last active admin cannot be deactivated (nobody could manage staff)."""
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = s.scalar(select(Staff).where(Staff.username == username))
            if row is None:
                raise NotFound(f"no staff account {username!r}")
            if row.role is StaffRole.ADMIN and row.active:
                admins = s.scalar(
                    select(func.count())
                    .select_from(Staff)
                    .where(Staff.role == StaffRole.ADMIN, Staff.active.is_(True))
                )
                if admins <= 1:
                    raise Conflict("the last active administrator cannot be deactivated")
            row.active = False
            row.updated_at = self._now()
            self._bound(
                s, conn, AuditKind.STAFF_DEACTIVATED, actor, {"staff_id": row.id}, "staff", row.id
            )

    def staff_info(self, staff_id: int) -> StaffInfo:
        """One account as it is now (role, active, must-change) — the actor for admin writes."""
        with self._read() as s:
            row = s.get(Staff, staff_id)
            if row is None:
                raise NotFound(f"no staff account {staff_id}")
            return _staff_info(row)

    def list_staff(self) -> list[StaffInfo]:
        with self._read() as s:
            return [_staff_info(r) for r in s.scalars(select(Staff).order_by(Staff.username))]

    # -- facility and settings ----------------------------------------------------------------

    def facility_profile(self) -> FacilityProfile | None:
        with self._read() as s:
            row = s.get(FacilityProfileRow, 1)
            if row is None:
                return None
            return FacilityProfile(
                kind=row.kind,
                oqs_mode=row.oqs_mode,
                flows=frozenset(Flow(f) for f in row.flows),
                medical_institution_code=row.medical_institution_code,
                prefecture_code=row.prefecture_code,
                municipality_code=row.municipality_code,
                name=row.name,
            )

    def set_facility_profile(self, actor: StaffInfo, profile: FacilityProfile) -> None:
        values = {
            "kind": profile.kind,
            "oqs_mode": profile.oqs_mode,
            "flows": sorted(f.value for f in profile.flows),
            "medical_institution_code": profile.medical_institution_code,
            "prefecture_code": profile.prefecture_code,
            "municipality_code": profile.municipality_code,
            "name": profile.name,
        }
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = s.get(FacilityProfileRow, 1)
            if row is None:
                s.add(FacilityProfileRow(id=1, updated_at=self._now(), **values))
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.updated_at = self._now()
            payload = dict(values, kind=profile.kind.value, oqs_mode=profile.oqs_mode.value)
            self._bound(
                s, conn, AuditKind.FACILITY_PROFILE_CHANGED, actor, payload, "facility_profile", 1
            )

    def setting(self, key: str, default: str | None = None) -> str | None:
        with self._read() as s:
            row = s.get(Setting, key)
            return default if row is None else row.value

    def set_setting(self, actor: StaffInfo, key: str, value: str) -> None:
        """Admin only; the audit event keeps old and new value (settings hold no patient data)."""
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = s.get(Setting, key)
            old = None if row is None else row.value
            if row is None:
                s.add(
                    Setting(key=key, value=value, updated_at=self._now(), updated_by=actor.username)
                )
            else:
                row.value, row.updated_at, row.updated_by = value, self._now(), actor.username
            self._bound(
                s,
                conn,
                AuditKind.SETTING_CHANGED,
                actor,
                {"key": key, "old": old, "new": value},
                "settings",
                key,
            )

    def retention_years(self) -> int:
        return int(self.setting(RETENTION_KEY) or DEFAULT_RETENTION_YEARS)

    def set_retention_years(self, actor: StaffInfo, years: int) -> None:
        if not MIN_RETENTION_YEARS <= years <= 100:
            raise InvalidInput(
                f"retention: {MIN_RETENTION_YEARS} to 100 years (診療録 are kept 5 years)"
            )
        self.set_setting(actor, RETENTION_KEY, str(years))

    # -- patients --------------------------------------------------------------------------

    def create_patient(self, actor: StaffInfo, new: NewPatient) -> PatientRecord:
        with self._write() as (s, conn):
            self._require(s, actor)
            now = self._now()
            row = Patient(  # cleaned (or refused) as it is built, before any query uses it
                **{f: getattr(new, f) for f in PATIENT_FIELDS}, created_at=now, updated_at=now
            )
            if s.scalar(select(Patient.id).where(Patient.chart_number == row.chart_number)):
                raise Conflict(f"chart number {new.chart_number!r} exists")
            s.add(row)
            s.flush()
            self._bound(
                s,
                conn,
                AuditKind.PATIENT_CREATED,
                actor,
                {"patient_id": row.id, "chart_number": row.chart_number},
                "patients",
                row.id,
            )
            return _patient(row)

    def update_patient(self, actor: StaffInfo, patient_id: int, **changes: Any) -> PatientRecord:
        unknown = set(changes) - PATIENT_FIELDS
        if unknown:
            raise InvalidInput(f"unknown patient fields: {sorted(unknown)}")
        with self._write() as (s, conn):
            self._require(s, actor)
            row = s.get(Patient, patient_id)
            if row is None:
                raise NotFound(f"no patient {patient_id}")
            changed = sorted(k for k, v in changes.items() if getattr(row, k) != v)
            for k in changed:
                setattr(row, k, changes[k])
            if changed:
                row.updated_at = self._now()
                try:
                    s.flush()
                except IntegrityError as exc:
                    raise Conflict(f"chart number {row.chart_number!r} exists") from exc
                self._bound(
                    s,
                    conn,
                    AuditKind.PATIENT_UPDATED,
                    actor,
                    {"patient_id": row.id, "fields": changed},
                    "patients",
                    row.id,
                )
            return _patient(row)

    def patient(self, patient_id: int) -> PatientRecord:
        with self._read() as s:
            row = s.get(Patient, patient_id)
            if row is None:
                raise NotFound(f"no patient {patient_id}")
            return _patient(row)

    def find_patients(
        self, text_: str = "", *, birth_date: date | None = None, limit: int = 50
    ) -> list[PatientRecord]:
        """Chart number (exact), or name/kana containing ``text_``; optionally by birth date."""
        query = select(Patient)
        if text_:
            pattern = f"%{text_.replace('%', '').replace('_', '')}%"
            query = query.where(
                or_(
                    Patient.chart_number == text_,
                    Patient.name.like(pattern),
                    Patient.kana.like(pattern),
                )
            )
        if birth_date is not None:
            query = query.where(Patient.birth_date == birth_date)
        with self._read() as s:
            return [
                _patient(r)
                for r in s.scalars(query.order_by(Patient.kana, Patient.id).limit(limit))
            ]

    # -- visits, terminal results, verifications ---------------------------------------------

    def open_visit(
        self, actor: StaffInfo, patient_id: int, kind: VisitKind, *, local_date: date | None = None
    ) -> VisitRecord:
        with self._write() as (s, conn):
            self._require(s, actor)
            if s.get(Patient, patient_id) is None:
                raise NotFound(f"no patient {patient_id}")
            now = self._now()
            row = Visit(
                patient_id=patient_id,
                local_date=local_date or to_tokyo(now).date(),
                kind=VisitKind(kind),
                terminal_id=self.terminal_id,
                staff_id=actor.id,
                opened_at=now,
            )
            s.add(row)
            s.flush()
            self._bound(
                s,
                conn,
                AuditKind.VISIT_OPENED,
                actor,
                {
                    "visit_id": row.id,
                    "patient_id": patient_id,
                    "kind": row.kind.value,
                    "local_date": row.local_date.isoformat(),
                },
                "visits",
                row.id,
            )
            return _visit(row)

    def save_terminal_result(
        self,
        actor: StaffInfo | None,
        *,
        raw_xml: bytes,
        file_name: str,
        arbitrary_file_identifier: str | None,
        summary: Mapping[str, Any],
        simulated: bool,
        received_at: datetime | None = None,
    ) -> TerminalResultRecord:
        """Keep a result file verbatim; its SHA-256 goes into the chain with the event."""
        if len(raw_xml) > MAX_TERMINAL_RESULT_BYTES:
            raise InvalidInput(f"terminal result {file_name!r} is {len(raw_xml)} bytes: too large")
        with self._write() as (s, conn):
            if actor is not None:
                self._require(s, actor)
            row = TerminalResult(
                file_name=file_name,
                arbitrary_file_identifier=arbitrary_file_identifier,
                raw_xml=bytes(raw_xml),
                summary=dict(summary),
                simulated=simulated,
                terminal_id=self.terminal_id,
                received_at=received_at or self._now(),
            )
            # The digest is of the bytes as kept (a 12-digit run masked by the sanitiser).
            digest = row.sha256 = hashlib.sha256(row.raw_xml).hexdigest()
            s.add(row)
            s.flush()
            self._bound(
                s,
                conn,
                AuditKind.TERMINAL_RESULT_RECEIVED,
                actor,
                {
                    "terminal_result_id": row.id,
                    "file_name": file_name,
                    "arbitrary_file_identifier": arbitrary_file_identifier,
                    "sha256": digest,
                    "bytes": len(row.raw_xml),
                    "simulated": simulated,
                },
                "terminal_results",
                row.id,
            )
            return self._terminal_result(row)

    @staticmethod
    def _terminal_result(row: TerminalResult) -> TerminalResultRecord:
        return TerminalResultRecord(
            row.id,
            row.file_name,
            row.arbitrary_file_identifier,
            row.sha256,
            row.summary,
            row.simulated,
            row.terminal_id,
            row.received_at,
        )

    def terminal_result(self, result_id: int) -> tuple[TerminalResultRecord, bytes]:
        with self._read() as s:
            row = s.get(TerminalResult, result_id)
            if row is None:
                raise NotFound(f"no terminal result {result_id}")
            return self._terminal_result(row), row.raw_xml

    def record_verification(self, actor: StaffInfo, new: NewVerification) -> AttemptRecord:
        """The verification row and its audit event commit together or not at all."""
        documents = [
            {"kind": DocumentKind(d.kind).value, "details": dict(d.details)} for d in new.documents
        ]
        for name in ("started_at", "finished_at"):
            value = getattr(new, name)
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"{name}: naive datetime; pass a timezone-aware time")
        with self._write() as (s, conn):
            self._require(s, actor)
            visit = s.get(Visit, new.visit_id)
            if visit is None:
                raise NotFound(f"no visit {new.visit_id}")
            if (
                new.terminal_result_id is not None
                and s.get(TerminalResult, new.terminal_result_id) is None
            ):
                raise NotFound(f"no terminal result {new.terminal_result_id}")
            row = VerificationAttempt(
                visit_id=new.visit_id,
                path=new.path,
                failure_reason=new.failure_reason,
                outcome=new.outcome,
                documents=documents,
                rule_ids=list(new.rule_ids),
                terminal_result_id=new.terminal_result_id,
                simulated=new.simulated,
                staff_id=actor.id,
                terminal_id=self.terminal_id,
                started_at=new.started_at,
                finished_at=new.finished_at or self._now(),
                note=new.note,
            )
            s.add(row)
            s.flush()
            self._bound(
                s,
                conn,
                AuditKind.VERIFICATION_RECORDED,
                actor,
                {
                    "verification_id": row.id,
                    "visit_id": visit.id,
                    "patient_id": visit.patient_id,
                    "path": new.path.value,
                    "outcome": new.outcome.value,
                    "failure_reason": new.failure_reason.value if new.failure_reason else None,
                    "documents": [d["kind"] for d in documents],
                    "rule_ids": list(new.rule_ids),
                    "terminal_result_id": new.terminal_result_id,
                    "simulated": new.simulated,
                },
                "verification_attempts",
                row.id,
            )
            return _verification(row)

    # -- queries ---------------------------------------------------------------------------

    def _summaries(self, query: Any, params: dict[str, Any]) -> list[VisitSummary]:
        """Visits with patient and latest verification from one prepared Core query (the desk's
        hot path: no ORM objects, no statement building per call)."""
        nv, np_ = len(_VISIT_COLS), len(_PATIENT_COLS)
        with self._engine.connect() as conn:
            rows = conn.execute(query, params).all()
        out = []
        for r in rows:
            a = r[nv + np_ :]
            attempt = None
            if a[0] is not None:
                attempt = AttemptRecord(
                    *a[:5],
                    _documents(a[5]),
                    _rule_ids(a[6]),
                    *a[7:],  # type: ignore[arg-type]
                )
            out.append(
                VisitSummary(VisitRecord(*r[:nv]), PatientRecord(*r[nv : nv + np_]), attempt)
            )
        return out

    def visits_on(self, day: date | None = None) -> list[VisitSummary]:
        """A Tokyo day's visits (default today) in order, each with its latest verification."""
        return self._summaries(_DAY_QUERY, {"day": day or to_tokyo(self._now()).date()})

    def patient_history(
        self, patient_id: int, *, limit: int = 100, actor: StaffInfo | None = None
    ) -> list[VisitSummary]:
        """Newest visits first. With ``actor`` the access is audited (SEC-06: who saw what)."""
        result = self._summaries(_HISTORY_QUERY, {"patient_id": patient_id, "limit": limit})
        if actor is not None:
            self._audit_only(AuditKind.PATIENT_VIEWED, actor, {"patient_id": patient_id})
        return result

    def verifications_between(self, first_day: date, last_day: date) -> list[StoredVerification]:
        """Verifications finished on Tokyo days first_day..last_day (inclusive), in time order."""
        start, _ = day_bounds_utc(first_day)
        _, end = day_bounds_utc(last_day)
        va = VerificationAttempt
        return self._verification_rows(va.finished_at >= start, va.finished_at < end)

    def _verification_rows(self, *where: Any) -> list[StoredVerification]:
        v, va, p, st = Visit, VerificationAttempt, Patient, Staff
        query = (
            select(
                va,
                v.kind,
                v.local_date,
                p.id,
                p.chart_number,
                p.name,
                p.kana,
                st.username,
                st.display_name,
            )
            .join(v, va.visit_id == v.id)
            .join(p, v.patient_id == p.id)
            .join(st, va.staff_id == st.id)
            .where(*where)
            .order_by(va.finished_at, va.id)
        )
        with self._read() as s:
            return [
                StoredVerification(
                    a.id,
                    a.finished_at,
                    a.started_at,
                    a.visit_id,
                    kind,
                    local_date,
                    pid,
                    chart,
                    name,
                    kana,
                    a.path,
                    a.outcome,
                    a.failure_reason,
                    _documents(a.documents),
                    tuple(a.rule_ids),
                    user,
                    display,
                    a.terminal_id,
                    a.simulated,
                    a.terminal_result_id,
                )
                for a, kind, local_date, pid, chart, name, kana, user, display in s.execute(query)
            ]

    def visit(self, visit_id: int) -> VisitRecord:
        with self._read() as s:
            row = s.get(Visit, visit_id)
            if row is None:
                raise NotFound(f"no visit {visit_id}")
            return _visit(row)

    def visit_detail(self, visit_id: int, *, actor: StaffInfo | None = None) -> VisitDetail:
        """A visit, its patient and every verification attempt in time order (the desk shows
        it for a recorded visit). With ``actor`` the access is audited (SEC-06)."""
        visit = self.visit(visit_id)
        detail = VisitDetail(
            visit,
            self.patient(visit.patient_id),
            tuple(self._verification_rows(VerificationAttempt.visit_id == visit_id)),
        )
        if actor is not None:
            self._audit_only(AuditKind.PATIENT_VIEWED, actor, {"patient_id": visit.patient_id})
        return detail

    # -- audit chain ------------------------------------------------------------------------

    def chain_head(self, day: date) -> ChainHead | None:
        """The chain head as of the end of Tokyo day ``day`` (for the daily log)."""
        with self._engine.connect() as conn:
            return head_as_of_day(conn, day)

    def events(self, kind: str, since: datetime) -> list[StoredEvent]:
        """The events of ``kind`` that occurred at or after ``since``, oldest first (a range
        read on the events' time index, then filtered by kind)."""
        ev = AuditEvent.__table__
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(ev.c.seq, ev.c.occurred_at, ev.c.payload)
                .where(ev.c.occurred_at >= since, ev.c.kind == kind)
                .order_by(ev.c.seq)
            ).all()
        return [StoredEvent(seq, to_tokyo(at), json.loads(text)) for seq, at, text in rows]

    def verify_chain(
        self,
        conn: Connection | None = None,
        *,
        workers: int | None = None,
        min_parallel: int = 200_000,
        witness: bool = True,
    ) -> VerifyResult:
        """Verify the whole chain (on ``conn`` to see that connection's uncommitted state),
        then, with ``witness``, that it still holds what this PC has seen (storage.witness).

        Chains of ``min_parallel`` events or more are checked by ``workers`` processes
        (default: the CPU count, at most 4).
        """
        if conn is not None:
            return self._witnessed(conn, self._chain.verify(conn), witness)
        workers = workers or min(os.cpu_count() or 1, 4)
        parallel = None
        if workers > 1:
            url = self._engine.url
            bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database)
            parallel = ParallelVerify(
                bare.render_as_string(hide_password=False),
                url.password,
                workers,
                min_parallel,
            )
        with self._engine.connect() as own:
            if self.dialect == "postgresql":
                own.execution_options(isolation_level="REPEATABLE READ")
            with own.begin():
                return self._witnessed(own, self._chain.verify(own, parallel=parallel), witness)

    def _witnessed(self, conn: Connection, result: VerifyResult, witness: bool) -> VerifyResult:
        if not (witness and result.ok):
            return result
        problem = self._witness.check(conn)
        if problem is None:
            return result
        self.witness_problem = problem
        seq = self._witness.divergent_seq(result.head.seq if result.head else 0)
        return dataclasses.replace(
            result,
            ok=False,
            first_broken_seq=seq,
            checked=min(result.checked, seq - 1 - (result.anchor_seq or 0)),
            problem=problem,
        )

    def check_paper(self, printed: str) -> PaperCheck:
        """Whether the chain still holds the head printed on a daily log (storage.paper)."""
        mark = parse_paper(printed)
        with self._engine.connect() as conn:
            return check_paper(conn, mark)

    def check_appending(self, kind: str) -> None:
        """ChainRolledBack unless an event of ``kind`` may be appended now (storage.witness:
        appending waits for a decision); callers that write a file first ask before it."""
        if self.witness_problem is not None and kind not in ALLOWED_WHILE_ROLLED_BACK:
            raise refusal(self.witness_problem)

    def accept_restored_chain(self, actor: StaffInfo, reason: str) -> ChainHead:
        """An administrator's recorded decision that the chain as it is (behind or diverging
        from what this PC saw) is the record from now on: an event with the problem, the mark
        this PC had and the reason (:func:`storage.witness.decision`), then the witness
        re-based on it and appending allowed again. InvalidInput without a problem or reason."""
        with self._write() as (s, conn):  # under the lock: two decisions cannot both pass
            payload = decision(self.witness_problem, self._witness.seen(), reason)
            self._require(s, actor, admin=True)
            head = self._append(conn, AuditKind.CHAIN_ROLLBACK_ACCEPTED, actor, payload)
        self._rebase_witness(head)
        return head

    def record_restore(self, actor: str | None, payload: Mapping[str, Any]) -> None:
        """The restore's event on the restored chain (its administrator authorised it, see
        storage.restore): the other recorded decision, so the witness follows it."""
        self._rebase_witness(self._audit_only(AuditKind.RESTORED, actor, payload))

    def _rebase_witness(self, head: ChainHead) -> None:
        self._witness.reset(head)
        self.witness_problem = None

    def record_export(
        self, actor: StaffInfo | None, what: str, path: Path, sha256: str | None = None
    ) -> None:
        """Audit an export (daily log, monthly report, CSV) made by another part."""
        self._audit_only(
            AuditKind.EXPORTED, actor, {"what": what, "file": str(path), "sha256": sha256}
        )

    def export_chain_key(self, actor: StaffInfo | None) -> str:
        """The key as text for another terminal (see secrets.EXPORT_WARNING); audited."""
        if actor is not None:
            with self._read() as s:
                self._require(s, actor, admin=True)
        self._audit_only(AuditKind.CHAIN_KEY_EXPORTED, actor, {"os_user": _os_user()})
        return secrets.export_text(self.database_uuid, self._key)

    # -- backup and retention ------------------------------------------------------------------

    def backup(self, out: Path, actor: StaffInfo | None = None) -> BackupInfo:
        self.check_appending(AuditKind.BACKUP_CREATED)  # no backup that cannot be recorded
        info = backup_to(self._engine, out)
        self._audit_only(
            AuditKind.BACKUP_CREATED,
            actor,
            {
                "file": str(info.path),
                "bytes": info.size,
                "sha256": info.sha256,
                "os_user": _os_user(),
            },
        )
        return info

    def purge_expired(self, actor: StaffInfo | None, *, now: datetime | None = None) -> PurgeReport:
        """Delete the oldest audit events older than the retention period (never a younger one).

        Refused unless the whole chain verifies, and on PostgreSQL unless run as the owner role
        (storage.pg_roles). Deletes a prefix that ends before the first event younger than the
        cutoff, never the last event, leaves a signed checkpoint at the deleted prefix's last
        event, and records itself in the chain — all in one transaction.
        """
        from storage.migrate import is_owner  # noqa: PLC0415

        if not is_owner(self._engine):
            raise RetentionRefused(
                "the retention purge deletes audit events: on PostgreSQL only the owner role may, "
                "not the reception PCs' runtime role; nothing was deleted"
            )
        years = self.retention_years()
        cutoff = years_before(now or self._now(), years)
        result = self.verify_chain()
        if not result.ok:
            raise RetentionRefused(
                f"the audit chain is broken at event {result.first_broken_seq} "
                f"({result.problem}); nothing was deleted"
            )
        ev = AuditEvent
        with self._write() as (s, conn):
            if actor is not None:
                self._require(s, actor, admin=True)
            first_young = s.scalar(select(func.min(ev.seq)).where(ev.occurred_at >= cutoff))
            last = s.scalar(select(func.max(ev.seq)))
            first = s.scalar(select(func.min(ev.seq)))
            limit = (last if first_young is None else first_young) - 1
            if last is None or first is None or limit < first:
                self._append(
                    conn,
                    AuditKind.RETENTION_PURGED,
                    actor,
                    {"years": years, "cutoff": cutoff.isoformat(), "deleted": 0},
                )
                return PurgeReport(cutoff, 0, None)
            anchor = s.execute(select(ev.hash, ev.occurred_at).where(ev.seq == limit)).one()
            rebound = self._rebind_before(conn, limit)
            self._chain.checkpoint(conn, limit, anchor[0], anchor[1])
            s.add(AuditPurgePermit(up_to_seq=limit))
            s.flush()
            deleted = conn.execute(
                delete(AuditEvent.__table__).where(AuditEvent.__table__.c.seq <= limit)
            ).rowcount
            conn.execute(delete(AuditPurgePermit.__table__))
            reason = f"re-bound at retention purge: their binding events up to {limit} deleted"
            self._append_batches(conn, REBOUND_AT_PURGE, rebound, reason)
            self._append(
                conn,
                AuditKind.RETENTION_PURGED,
                actor,
                {
                    "years": years,
                    "cutoff": cutoff.isoformat(),
                    "deleted": deleted,
                    "anchor_seq": limit,
                    "anchor_hash": bytes(anchor[0]).hex(),
                },
            )
            return PurgeReport(cutoff, deleted, limit)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def import_chain_key(
    engine: Engine,
    export: str,
    *,
    terminal_id: str,
    authorize: Callable[[Store], StaffInfo] | None = None,
) -> str:
    """Store an exported chain key in this PC's keyring after checking it fits this database.

    ``authorize`` logs the importing staff member in on the store the checked key opens (this
    PC has no key yet) before the key is kept; the import is recorded under them."""
    database_uuid, key = secrets.parse_export(export)
    meta = Store._read_meta(engine)
    if meta is None:
        raise NotFound("this database has no identity yet: open it once on the first PC")
    if meta[0] != database_uuid:
        raise WrongChainKey(
            f"the exported key belongs to database {database_uuid}, this database is {meta[0]}"
        )
    if not AuditChain(key).key_matches(meta[1], database_uuid):
        raise WrongChainKey("the exported key does not match this database's key check")
    store = Store(engine, key=key, database_uuid=database_uuid, terminal_id=terminal_id)
    actor = authorize(store) if authorize is not None else None
    secrets.store_chain_key(database_uuid, key)
    store.append_event(AuditKind.CHAIN_KEY_IMPORTED, actor, {"os_user": _os_user()})
    return database_uuid


__all__ = ["AuditKind", "ChainKeyMissing", "Store", "import_chain_key"]
