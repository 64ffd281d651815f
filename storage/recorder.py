"""The storage side of the reception runtime's port: its ``Recorder`` bound to :class:`Store`.

``reader.reception.ports.Recorder`` says what the runtime needs from persistence; this module
answers it with ``storage.Store``, translating the port's plain values (:mod:`policies.records`)
into rows and back. It lives in ``storage`` because it knows the store's records and errors; it
imports only ``policies`` for the vocabulary, never ``reader``, and main.py hands it to the desk.

A database that cannot be used at all (server down, file locked, password or keyring missing)
raises :class:`policies.records.DatabaseUnavailable`, which turns the desk's status strip red; a
login the store would not check (locked, or a wait due) raises the store's
:class:`policies.records.LoginRefused` as it is, so the login page can say which; any other
error is a refused request and passes through unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

from policies.bulk_check import BulkResultForVisit
from policies.matching import PersonFacts
from policies.model import FacilityProfile, Outcome, VerificationPath, VisitSetting
from policies.records import (
    AttemptOnFile,
    DatabaseUnavailable,
    InsuranceNumbers,
    NewPatient,
    PatientOnFile,
    RecordedVerification,
    SeenDocument,
    StaffRef,
    StoredResult,
    VerificationToRecord,
    VisitOnFile,
)
from storage.bulk_checks import result_for
from storage.errors import DatabasePasswordMissing, KeyringUnavailable
from storage.models import StaffRole, VisitKind
from storage.records import (
    DocumentSeen,
    NewVerification,
    PatientRecord,
    StaffInfo,
    VisitRecord,
)
from storage.store import AuditKind
from storage.witness import refusal

if TYPE_CHECKING:
    from storage.store import Store

C = TypeVar("C", bound=type)

#: The visit's setting as the log keeps it (往診 is a home visit there).
_VISIT_KINDS = {
    VisitSetting.OUTPATIENT: VisitKind.OUTPATIENT,
    VisitSetting.UNUSUAL_ROUTE: VisitKind.UNUSUAL_ROUTE,
    VisitSetting.HOME_VISIT: VisitKind.HOME_VISIT,
    VisitSetting.HOUSE_CALL: VisitKind.HOME_VISIT,
    VisitSetting.ONLINE_CONSULTATION: VisitKind.ONLINE,
}
#: ... and back: a kept home visit reads as HOME_VISIT.
_SETTINGS = {
    kind: setting
    for setting, kind in _VISIT_KINDS.items()
    if setting is not VisitSetting.HOUSE_CALL
}
#: Errors meaning the database cannot be used at all (not that it refused a request).
_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    KeyringUnavailable,
    DatabasePasswordMissing,
    OSError,
)


def _database_errors(cls: C) -> C:
    """Wrap the class's public methods: an unusable database raises DatabaseUnavailable."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except _UNAVAILABLE as exc:
                raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc

        return wrapper

    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, wrap(member))
    return cls


@_database_errors
class StoreRecorder:
    """``reader.reception.ports.Recorder`` on top of :class:`storage.store.Store`."""

    def __init__(self, store: Store, description: str) -> None:
        self.store = store
        self._description = description

    def describe(self) -> str:
        return self._description

    def check(self) -> None:
        self.store.has_staff()

    def chain_problem(self) -> str | None:
        problem = self.store.witness_problem
        return None if problem is None else str(refusal(problem))

    def accept_restored_chain(self, staff: StaffRef, reason: str) -> None:
        self.store.accept_restored_chain(self._actor(staff), reason)

    @staticmethod
    def _staff_ref(info: StaffInfo) -> StaffRef:
        return StaffRef(
            info.id, info.username, info.display_name, info.is_admin, info.must_change_password
        )

    @staticmethod
    def _actor(staff: StaffRef) -> StaffInfo:
        role = StaffRole.ADMIN if staff.is_admin else StaffRole.RECEPTION
        return StaffInfo(
            staff.id, staff.username, staff.display_name, role, True, staff.must_change_password
        )

    @staticmethod
    def _patient(row: PatientRecord) -> PatientOnFile:
        return PatientOnFile(
            id=row.id,
            chart_number=row.chart_number,
            name=row.name,
            kana=row.kana,
            birth_date=row.birth_date,
            sex=row.sex,
            insurer_number=row.insurer_number,
            insured_symbol=row.insured_symbol,
            insured_number=row.insured_number,
            insured_branch=row.insured_branch,
        )

    def authenticate(self, username: str, password: str) -> StaffRef | None:
        info = self.store.authenticate(username, password)  # LoginRefused crosses as it is
        return None if info is None else self._staff_ref(info)

    def logout(self, staff: StaffRef) -> None:
        self.store.logout(self._actor(staff))

    def facility(self) -> FacilityProfile | None:
        return self.store.facility_profile()

    def patient(self, patient_id: int) -> PatientOnFile:
        return self._patient(self.store.patient(patient_id))

    def find_patients(
        self, text: str = "", *, birth_date: date | None = None
    ) -> list[PatientOnFile]:
        return [self._patient(r) for r in self.store.find_patients(text, birth_date=birth_date)]

    def create_patient(self, staff: StaffRef, new: NewPatient) -> PatientOnFile:
        row = self.store.create_patient(self._actor(staff), new)  # one value, port to store
        return self._patient(row)

    def update_patient_numbers(
        self, staff: StaffRef, patient_id: int, numbers: InsuranceNumbers
    ) -> PatientOnFile:
        current = self.store.patient(patient_id)
        changes: dict[str, Any] = {
            "insurer_number": numbers.insurer_number.strip(),
            "insured_symbol": numbers.symbol,
            "insured_number": numbers.number,
            "insured_branch": numbers.branch,
        }
        if current.birth_date is None:
            changes["birth_date"] = numbers.birthdate
        return self._patient(self.store.update_patient(self._actor(staff), patient_id, **changes))

    def update_patient_identity(
        self, staff: StaffRef, patient_id: int, facts: PersonFacts
    ) -> PatientOnFile:
        changes = {
            k: v
            for k, v in (
                ("name", facts.name),
                ("kana", facts.kana),
                ("birth_date", facts.birth_date),
            )
            if v
        }
        return self._patient(self.store.update_patient(self._actor(staff), patient_id, **changes))

    def open_visit(self, staff: StaffRef, patient_id: int, setting: VisitSetting, on: date) -> int:
        kind = _VISIT_KINDS[setting]
        return self.store.open_visit(self._actor(staff), patient_id, kind, local_date=on).id

    @staticmethod
    def _visit_on_file(row: VisitRecord, patient: PatientOnFile) -> VisitOnFile:
        return VisitOnFile(row.id, patient, _SETTINGS[row.kind], row.local_date)

    def visit(self, visit_id: int) -> VisitOnFile:
        row = self.store.visit(visit_id)
        return self._visit_on_file(row, self.patient(row.patient_id))

    def visit_history(self, visit_id: int) -> tuple[VisitOnFile, tuple[AttemptOnFile, ...]]:
        detail = self.store.visit_detail(visit_id)
        attempts = tuple(
            AttemptOnFile(
                verification_id=a.verification_id,
                finished_at=a.time,
                path=a.path,
                outcome=a.outcome,
                failure_reason=a.failure_reason,
                documents=tuple(SeenDocument(d.kind, dict(d.details)) for d in a.documents),
                rule_ids=a.rule_ids,
                staff_name=a.staff_display_name,
                simulated=a.simulated,
                terminal_result_id=a.terminal_result_id,
            )
            for a in detail.attempts
        )
        return self._visit_on_file(detail.visit, self._patient(detail.patient)), attempts

    def stored_result(self, terminal_result_id: int) -> StoredResult:
        record, data = self.store.terminal_result(terminal_result_id)
        return StoredResult(
            terminal_result_id=record.id,
            data=data,
            file_name=record.file_name,
            source=(record.summary or {}).get("source"),
            simulated=record.simulated,
            received_at=record.received_at,
        )

    def visit_ids_on(self, patient_id: int, on: date) -> tuple[int, ...]:
        history = self.store.patient_history(patient_id, limit=1000)
        return tuple(sorted(v.visit.id for v in history if v.visit.local_date == on))

    def first_home_check(self, patient_id: int) -> date | None:
        days = [
            v.visit.local_date
            for v in self.store.patient_history(patient_id, limit=1000)
            if v.latest is not None
            and v.latest.path is VerificationPath.HOME_VISIT_FIRST
            and v.latest.outcome is Outcome.CONFIRMED
        ]
        return min(days) if days else None

    def bulk_result(self, patient: PatientOnFile, on: date) -> BulkResultForVisit | None:
        return result_for(self.store, patient.chart_number, on)

    def handed_off(
        self, staff: StaffRef, verification_id: int, payload: Mapping[str, object]
    ) -> None:
        self.store.append_event(
            AuditKind.HANDED_OFF,
            self._actor(staff),
            {"verification_id": verification_id, **payload},
        )

    def record(self, staff: StaffRef, verification: VerificationToRecord) -> RecordedVerification:
        actor = self._actor(staff)
        result_id = None
        evidence = verification.evidence
        if evidence is not None:
            result_id = self.store.save_terminal_result(
                actor,
                raw_xml=evidence.data,
                file_name=evidence.file_name,
                arbitrary_file_identifier=evidence.request_id,
                summary=dict(evidence.summary),
                simulated=evidence.simulated,
                received_at=evidence.received_at,
            ).id
        row = self.store.record_verification(
            actor,
            NewVerification(
                visit_id=verification.visit_id,
                path=verification.path,
                outcome=verification.outcome,
                started_at=verification.started_at,
                failure_reason=verification.failure_reason,
                documents=tuple(
                    DocumentSeen(d.kind, dict(d.details)) for d in verification.documents
                ),
                rule_ids=verification.rule_ids,
                terminal_result_id=result_id,
                simulated=verification.simulated,
                note=verification.note,
            ),
        )
        return RecordedVerification(row.id, row.visit_id, result_id)
