"""The store's patient area: the patient master (create, update, look up, search).

Events carry the patient id and the NAMES of the fields changed, never their values: the chain
cannot be corrected later, the patients table can. Values are cleaned (or refused) by the record
types as the row is built, before any query uses them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from storage.errors import Conflict, InvalidInput, NotFound
from storage.models import Patient
from storage.records import PATIENT_FIELDS, NewPatient, PatientRecord, StaffInfo
from storage.store_core import AuditKind, StoreCore


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


class PatientsMixin(StoreCore):
    """The patient master."""

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
