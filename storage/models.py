"""The database schema (SQLAlchemy 2.0 typed models).

Enums are stored as their string VALUES (policies.model values are stable and persisted).
Timestamps are aware datetimes in the API, UTC in the database (see storage.timeutil).
There is deliberately no column that could hold the 12-digit individual number (PII-01); every text
column is cleaned as it is set (storage.sanitise: 12-digit runs masked or refused, invisible
characters removed or refused).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum as PyEnum
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from policies.model import (
    FacilityKind,
    FailureReason,
    OqsMode,
    Outcome,
    Sex,
    VerificationPath,
)
from storage import sanitise
from storage.timeutil import LocalDate, UtcDateTime

#: Stable constraint names so Alembic migrations stay portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The "previous hash" of the first event. Hashes and MACs are stored as 32 raw bytes (half the
#: size of hex, and compared without conversion); the API shows them as hex.
GENESIS_HASH = bytes(32)
HASH_BYTES = 32


class StaffRole(StrEnum):
    RECEPTION = "reception"
    ADMIN = "admin"


class VisitKind(StrEnum):
    OUTPATIENT = "outpatient"
    HOME_VISIT = "home_visit"
    ONLINE = "online"
    UNUSUAL_ROUTE = "unusual_route"


def _enum(cls: type[PyEnum]) -> Enum:
    """A VARCHAR holding the member's value; no CHECK, so adding members needs no migration."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=64,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DbMeta(Base):
    """The single metadata row: identity of this database and its schema version."""

    __tablename__ = "db_meta"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    schema_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: HMAC of a fixed label under the chain key: tells "wrong key" apart from "tampered".
    key_check: Mapped[str] = mapped_column(String(64))


class Setting(Base):
    """Shared admin settings (key/value), e.g. retention years, masking of names in logs."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))


class FacilityProfileRow(Base):
    """policies.model.FacilityProfile, one row."""

    __tablename__ = "facility_profile"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[FacilityKind] = mapped_column(_enum(FacilityKind))
    oqs_mode: Mapped[OqsMode] = mapped_column(_enum(OqsMode))
    #: Flow values, sorted, as a JSON list.
    flows: Mapped[list[str]] = mapped_column(JSON)
    medical_institution_code: Mapped[str] = mapped_column(String(10))
    prefecture_code: Mapped[str] = mapped_column(String(2))
    municipality_code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))
    #: Argon2id PHC string (argon2-cffi); never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: SEC-05: an initial password set by an admin must be changed at first use.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Patient(Base):
    """Minimal patient master: what reception needs to find and match a patient, nothing more."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chart_number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kana: Mapped[str] = mapped_column(String(200), index=True)
    birth_date: Mapped[date | None] = mapped_column(LocalDate)
    sex: Mapped[Sex] = mapped_column(_enum(Sex), default=Sex.UNKNOWN)
    #: Last known 保険者番号 and 被保険者 記号・番号・枝番 (from the terminal or a document).
    insurer_number: Mapped[str | None] = mapped_column(String(8))
    insured_symbol: Mapped[str | None] = mapped_column(String(64))
    insured_number: Mapped[str | None] = mapped_column(String(64))
    insured_branch: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    visits: Mapped[list[Visit]] = relationship(back_populates="patient")


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_local_date", "local_date", "id"),
        Index("ix_visits_patient_date", "patient_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: The clinic's calendar day (Asia/Tokyo) the visit belongs to.
    local_date: Mapped[date] = mapped_column(LocalDate)
    kind: Mapped[VisitKind] = mapped_column(_enum(VisitKind))
    terminal_id: Mapped[str] = mapped_column(String(128))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)

    patient: Mapped[Patient] = relationship(back_populates="visits")
    staff: Mapped[Staff] = relationship()


class TerminalResult(Base):
    """An eligibility result file from the OQS terminal, bytes kept verbatim as evidence."""

    __tablename__ = "terminal_results"
    __table_args__ = (Index("ix_terminal_results_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    arbitrary_file_identifier: Mapped[str | None] = mapped_column(String(128), index=True)
    raw_xml: Mapped[bytes] = mapped_column(LargeBinary)
    #: SHA-256 of raw_xml (hex): the audit event carries it, binding the chain to the bytes.
    sha256: Mapped[str] = mapped_column(String(64))
    #: The reader's parsed summary (what the result panel shows), as JSON.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    simulated: Mapped[bool] = mapped_column(Boolean)
    terminal_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VerificationAttempt(Base):
    """Which path established eligibility for a visit, why, and on what evidence."""

    __tablename__ = "verification_attempts"
    __table_args__ = (
        Index("ix_verification_attempts_visit", "visit_id", "id"),
        Index("ix_verification_attempts_finished_at", "finished_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))
    path: Mapped[VerificationPath] = mapped_column(_enum(VerificationPath))
    failure_reason: Mapped[FailureReason | None] = mapped_column(_enum(FailureReason))
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome))
    #: [{"kind": DocumentKind value, "details": {...}}, ...]
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Rule IDs (policy table) the decision relied on, e.g. ["DOC-03", "FAIL-02"].
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    terminal_result_id: Mapped[int | None] = mapped_column(ForeignKey("terminal_results.id"))
    simulated: Mapped[bool] = mapped_column(Boolean)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    terminal_id: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    visit: Mapped[Visit] = relationship()
    staff: Mapped[Staff] = relationship()


class AuditEvent(Base):
    """One link of the hash chain. Append-only (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_time", "occurred_at", "seq"),
        Index("ix_audit_events_kind", "kind", "seq"),  # migration 0005
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(128))
    terminal_id: Mapped[str | None] = mapped_column(String(128))
    #: Canonical JSON text, hashed byte for byte (TEXT, not JSON/JSONB, so nothing re-formats it).
    payload: Mapped[str] = mapped_column(Text)
    #: Unique: two events can never extend the same predecessor (no fork).
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_BYTES), unique=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_BYTES))
    mac: Mapped[bytes] = mapped_column(LargeBinary(HASH_BYTES))


class AuditHead(Base):
    """The chain head (one row, MACed): catches a truncated tail; its row lock orders writers."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_BYTES))
    occurred_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    mac: Mapped[bytes] = mapped_column(LargeBinary(HASH_BYTES))


class AuditCheckpoint(Base):
    """Signed anchor left by a retention purge: the chain restarts verifiably after it."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    up_to_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    up_to_hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_BYTES))
    up_to_time: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    mac: Mapped[bytes] = mapped_column(LargeBinary(HASH_BYTES))


class RowBindingPending(Base):
    """Present after migrating a database from before row binding, until its rows are bound."""

    __tablename__ = "row_binding_pending"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class AuditPurgePermit(Base):
    """Exists only inside a retention purge transaction; the delete trigger requires it."""

    __tablename__ = "audit_purge_permits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    up_to_seq: Mapped[int] = mapped_column(BigInteger)


class LoginGuard(Base):
    """Consecutive failed logins of one account or one PC (scope ``account:ID`` / ``pc:NAME``):
    the growing delay and the lock (see storage.passwords). Every change is caused by an audited
    login event; a success or an administrator's unlock resets it."""

    __tablename__ = "login_guard"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)


sanitise.install(Base)
