"""The runtime's port to persistence and staff identity: the :class:`Recorder` Protocol.

``reader`` must not import ``storage``; ``storage.recorder.StoreRecorder`` binds this Protocol to
``storage.Store`` and main.py hands it to the desk. The values crossing the port (and
``DatabaseUnavailable``, which a recorder raises when the database cannot be used at all, and
``ChainRolledBack``, when nothing may be recorded until an administrator decides) are plain
values in :mod:`policies.records`, the pure package both sides may import.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

from policies.bulk_check import BulkResultForVisit
from policies.matching import PersonFacts
from policies.model import FacilityProfile, VisitSetting
from policies.records import (
    AttemptOnFile,
    InsuranceNumbers,
    NewPatient,
    PatientOnFile,
    RecordedVerification,
    StaffRef,
    StoredResult,
    VerificationToRecord,
    VisitOnFile,
)


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

    def chain_problem(self) -> str | None:
        """Why nothing can be recorded (``ChainRolledBack``'s text: this PC's witness shows the
        audit chain rolled back or replaced), or None."""
        ...

    def accept_restored_chain(self, staff: StaffRef, reason: str) -> None:
        """An administrator's recorded decision to go on from the chain as it is (audited);
        recording resumes. Refused for other staff, without a reason or a problem."""
        ...

    def authenticate(self, username: str, password: str) -> StaffRef | None:
        """The staff member, or None for a wrong user name or password (never saying which);
        raises ``policies.records.LoginRefused`` when the login was not even checked."""
        ...

    def logout(self, staff: StaffRef) -> None: ...

    def facility(self) -> FacilityProfile | None: ...

    def patient(self, patient_id: int) -> PatientOnFile: ...

    def find_patients(
        self, text: str = "", *, birth_date: date | None = None
    ) -> list[PatientOnFile]: ...

    def create_patient(self, staff: StaffRef, new: NewPatient) -> PatientOnFile: ...

    def update_patient_numbers(
        self, staff: StaffRef, patient_id: int, numbers: InsuranceNumbers
    ) -> PatientOnFile: ...

    def update_patient_identity(
        self, staff: StaffRef, patient_id: int, facts: PersonFacts
    ) -> PatientOnFile:
        """「カルテを更新」: the patient's name / kana / birth date from a verified result (the
        fields ``facts`` knows), audited."""
        ...

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

    def visit_ids_on(self, patient_id: int, on: date) -> tuple[int, ...]:
        """The patient's visits opened on day ``on`` (recorded or not), oldest first."""
        ...

    def first_home_check(self, patient_id: int) -> date | None:
        """Date of the first confirmed 居宅 first-visit check (HOME_VISIT_FIRST), if any."""
        ...

    def bulk_result(self, patient: PatientOnFile, on: date) -> BulkResultForVisit | None:
        """What the latest 一括照会 of day ``on`` said about the patient's booking, if one did
        (``storage.bulk_checks``): the visit's starting point, never its verification."""
        ...

    def record(self, staff: StaffRef, verification: VerificationToRecord) -> RecordedVerification:
        """Save the evidence (if any) and the verification, each with its audit event."""
        ...

    def handed_off(
        self, staff: StaffRef, verification_id: int, payload: Mapping[str, object]
    ) -> None:
        """Record in the chain that a confirmed verification was handed to the receipt computer
        (``payload``: the folder, file names and digests; never patient data)."""
        ...
