"""The desk's ports: what it needs from persistence and staff identity, as small Protocols.

``reader`` must not import ``storage``; the composition root (main.py) binds :class:`Recorder` to
``storage.Store``. Values crossing the port are plain frozen dataclasses defined here, so tests can
also bind an in-memory recorder if they ever need to (the desk tests use the real store).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from policies.matching import PersonFacts
from policies.model import (
    DocumentKind,
    FacilityProfile,
    FailureReason,
    Outcome,
    VerificationPath,
    VisitSetting,
)
from reader.terminal.queries import InsuranceNumbers


@dataclass(frozen=True, slots=True)
class StaffRef:
    """The logged-in staff member (the store re-checks the account on every write)."""

    id: int
    username: str
    display_name: str
    is_admin: bool = False
    must_change_password: bool = False


@dataclass(frozen=True, slots=True)
class PatientOnFile:
    """A patient in the clinic's own master (never the 個人番号)."""

    id: int
    chart_number: str
    name: str
    kana: str
    birth_date: date | None = None
    sex: str = "unknown"  # storage.models.Sex value: male / female / unknown
    insurer_number: str | None = None
    insured_symbol: str | None = None
    insured_number: str | None = None
    insured_branch: str | None = None

    @property
    def facts(self) -> PersonFacts:
        return PersonFacts(
            name=self.name or None,
            kana=self.kana or None,
            birth_date=self.birth_date,
            insurer_number=self.insurer_number,
            symbol=self.insured_symbol,
            number=self.insured_number,
            branch=self.insured_branch,
        )

    @property
    def numbers(self) -> InsuranceNumbers | None:
        """The numbers an individual query needs, when all of them are on file."""
        return insurance_numbers(
            self.insurer_number,
            self.insured_number,
            self.birth_date,
            self.insured_symbol,
            self.insured_branch,
        )


def insurance_numbers(
    insurer_number: str | None,
    number: str | None,
    birth_date: date | None,
    symbol: str | None = None,
    branch: str | None = None,
) -> InsuranceNumbers | None:
    """Query numbers from what is known, or None when a required part is missing or invalid."""
    if not (insurer_number and number and birth_date):
        return None
    try:
        return InsuranceNumbers(insurer_number, number, birth_date, symbol, branch)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class NewPatientData:
    """A patient to create when a visit begins (chart number chosen by the clinic)."""

    chart_number: str
    name: str
    kana: str
    birth_date: date | None = None
    sex: str = "unknown"
    insurer_number: str | None = None
    insured_symbol: str | None = None
    insured_number: str | None = None
    insured_branch: str | None = None


@dataclass(frozen=True, slots=True)
class VisitOnFile:
    visit_id: int
    patient: PatientOnFile
    setting: VisitSetting
    local_date: date


@dataclass(frozen=True, slots=True)
class SeenDocument:
    """A document the patient presented and what staff read on it (numbers, dates, which PDF).

    Details are short strings; never an individual number (the store refuses 12-digit runs).
    """

    kind: DocumentKind
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResultEvidence:
    """A terminal answer (or pasted app text) kept verbatim; its SHA-256 goes into the chain."""

    data: bytes = field(repr=False)
    file_name: str
    request_id: str | None
    summary: Mapping[str, Any]
    simulated: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class AttemptOnFile:
    """One recorded verification attempt of a visit, as the desk shows it later."""

    verification_id: int
    finished_at: datetime
    path: VerificationPath
    outcome: Outcome
    failure_reason: FailureReason | None
    documents: tuple[SeenDocument, ...]
    rule_ids: tuple[str, ...]
    staff_name: str
    simulated: bool
    terminal_result_id: int | None


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A kept terminal answer (XML as received) or pasted app text, with how it was kept."""

    terminal_result_id: int
    data: bytes = field(repr=False)
    file_name: str
    #: ``reader.terminal.ResultSource`` value from the kept summary (None: not recorded).
    source: str | None
    simulated: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class VerificationToRecord:
    visit_id: int
    path: VerificationPath
    outcome: Outcome
    started_at: datetime
    failure_reason: FailureReason | None = None
    documents: tuple[SeenDocument, ...] = ()
    rule_ids: tuple[str, ...] = ()
    evidence: ResultEvidence | None = None
    #: A virtual card or a simulated terminal anywhere in the visit makes this True.
    simulated: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedVerification:
    verification_id: int
    visit_id: int
    terminal_result_id: int | None


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used at all (server down, file locked, no keyring).

    Recorders raise this (not their driver's errors) so the desk can show the database as down;
    any other exception is a refused request (e.g. a chart number that exists) and leaves the
    status green.
    """


class Recorder(Protocol):
    """Persistence and staff identity. Called from the desk's recorder thread only.

    Every method may raise; the desk turns any exception into a ``Problem`` event (kind
    DATABASE) with the exception's message and keeps what was to be recorded for a retry.
    """

    def describe(self) -> str:
        """Where the data lives, for the status strip (e.g. "SQLite C:/…/madoguchi.sqlite3")."""
        ...

    def check(self) -> None:
        """Raise if the database cannot be used right now."""
        ...

    def authenticate(self, username: str, password: str) -> StaffRef | None: ...

    def logout(self, staff: StaffRef) -> None: ...

    def facility(self) -> FacilityProfile | None: ...

    def patient(self, patient_id: int) -> PatientOnFile: ...

    def find_patients(
        self, text: str = "", *, birth_date: date | None = None
    ) -> list[PatientOnFile]: ...

    def create_patient(self, staff: StaffRef, new: NewPatientData) -> PatientOnFile: ...

    def update_patient_numbers(
        self, staff: StaffRef, patient_id: int, numbers: InsuranceNumbers
    ) -> PatientOnFile: ...

    def open_visit(
        self, staff: StaffRef, patient_id: int, setting: VisitSetting, on: date
    ) -> int: ...

    def visit(self, visit_id: int) -> VisitOnFile: ...

    def visit_history(self, visit_id: int) -> tuple[VisitOnFile, tuple[AttemptOnFile, ...]]:
        """The visit and every verification attempt recorded for it, in time order."""
        ...

    def stored_result(self, terminal_result_id: int) -> StoredResult:
        """A kept terminal answer (or pasted text), byte for byte."""
        ...

    def first_home_check(self, patient_id: int) -> date | None:
        """Date of the first confirmed 居宅 first-visit check (HOME_VISIT_FIRST), if any."""
        ...

    def record(self, staff: StaffRef, verification: VerificationToRecord) -> RecordedVerification:
        """Save the evidence (if any) and the verification, each with its audit event."""
        ...

    def abandoned(
        self, staff: StaffRef, visit_id: int, failures: tuple[FailureReason, ...]
    ) -> None:
        """The visit was cancelled before any route was taken: leave a trace in the audit log
        (there is no verification path to record)."""
        ...
