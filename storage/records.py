"""Plain values the store hands out and takes in (no ORM objects leak to callers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from policies.model import DocumentKind, FailureReason, Outcome, Sex, VerificationPath
from policies.records import NewPatient  # the port's value, the store's input as it is
from storage.models import StaffRole, VisitKind


@dataclass(frozen=True, slots=True)
class StaffInfo:
    id: int
    username: str
    display_name: str
    role: StaffRole
    active: bool
    must_change_password: bool

    @property
    def is_admin(self) -> bool:
        return self.role is StaffRole.ADMIN


@dataclass(frozen=True, slots=True)
class PatientRecord:
    id: int
    chart_number: str
    name: str
    kana: str
    birth_date: date | None
    sex: Sex
    insurer_number: str | None
    insured_symbol: str | None
    insured_number: str | None
    insured_branch: str | None


#: Patient fields update_patient() accepts.
PATIENT_FIELDS = frozenset(NewPatient.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class VisitRecord:
    id: int
    patient_id: int
    local_date: date
    kind: VisitKind
    terminal_id: str
    staff_id: int
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class TerminalResultRecord:
    id: int
    file_name: str
    arbitrary_file_identifier: str | None
    sha256: str
    summary: Mapping[str, Any]
    simulated: bool
    terminal_id: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class DocumentSeen:
    """A document the patient presented, with what staff checked on it (no individual number)."""

    kind: DocumentKind
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewVerification:
    visit_id: int
    path: VerificationPath
    outcome: Outcome
    started_at: datetime
    finished_at: datetime | None = None  # None: now
    failure_reason: FailureReason | None = None
    documents: tuple[DocumentSeen, ...] = ()
    rule_ids: tuple[str, ...] = ()
    terminal_result_id: int | None = None
    simulated: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    id: int
    visit_id: int
    path: VerificationPath
    outcome: Outcome
    failure_reason: FailureReason | None
    documents: tuple[DocumentSeen, ...]
    rule_ids: tuple[str, ...]
    terminal_result_id: int | None
    simulated: bool
    staff_id: int
    terminal_id: str
    started_at: datetime
    finished_at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class VisitSummary:
    """A visit with its patient and its latest verification (None: not verified yet)."""

    visit: VisitRecord
    patient: PatientRecord
    latest: AttemptRecord | None


@dataclass(frozen=True, slots=True)
class StoredVerification:
    """One line of the daily log / monthly report, in time order."""

    verification_id: int
    time: datetime  # finished_at, Asia/Tokyo
    started_at: datetime
    visit_id: int
    visit_kind: VisitKind
    visit_date: date
    patient_id: int
    chart_number: str
    patient_name: str
    patient_kana: str
    path: VerificationPath
    outcome: Outcome
    failure_reason: FailureReason | None
    documents: tuple[DocumentSeen, ...]
    rule_ids: tuple[str, ...]
    staff_username: str
    staff_display_name: str
    terminal_id: str
    simulated: bool
    terminal_result_id: int | None


@dataclass(frozen=True, slots=True)
class PurgeReport:
    cutoff: datetime
    deleted: int
    #: The signed checkpoint now anchoring the chain (None: nothing was old enough).
    anchor_seq: int | None


@dataclass(frozen=True, slots=True)
class RestoreReport:
    restored_from: Path
    set_aside: Path | None
    events_verified: int
    database_uuid: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One audit event as read back (for parts that keep their record in the chain itself)."""

    seq: int
    occurred_at: datetime  # Asia/Tokyo
    payload: Mapping[str, Any]
