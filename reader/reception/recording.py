"""The desk's recording: verifications written through the ``Recorder`` port, and read back.

:class:`Recording` turns the state machine's ``RecordVerification`` into a
``VerificationToRecord`` (documents with the details staff read, rules, the kept answer as
evidence, simulated or not) and writes it on the recorder worker. A record that fails stays
pending on its session (``record_pending``) until :meth:`Recording.retry`; a record is never
written twice. Numbers a confirmed verification proved are then kept on the patient, and a
refusal to keep them never fails the record that was just committed. Follow-up answers (FAIL-04)
and the recorded visits shown in the result panel go through here too.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from policies.matching import compare, identity_conflict
from policies.model import DocumentKind, Outcome, VerificationPath
from policies.reception import VerificationRecord
from policies.records import (
    InsuranceNumbers,
    PatientOnFile,
    RecordedVerification,
    SeenDocument,
    StaffRef,
    VerificationToRecord,
)
from reader.reception.events import ProblemKind, VisitDetails
from reader.reception.results import (
    evidence_for,
    load_visit_details,
    numbers_from_result,
    result_facts,
)
from reader.reception.session import FOLLOW_UP_RULES, Session, recorded_event
from reader.terminal.outcome import QueryOutcome

if TYPE_CHECKING:
    from reader.reception.desk import ReceptionDesk

log = logging.getLogger(__name__)


class Recording:
    """Writes each session's verification (once), retries on request, reads visits back."""

    def __init__(self, desk: ReceptionDesk) -> None:
        self.desk = desk

    def _documents_for(
        self, s: Session, kinds: tuple[DocumentKind, ...]
    ) -> tuple[SeenDocument, ...]:
        seen = {d.kind: d for d in s.documents_seen}
        out = []
        for kind in kinds:
            doc = seen.get(kind) or SeenDocument(kind)
            if kind is DocumentKind.MYNA_CARD and s.cert is not None and not doc.details:
                doc = SeenDocument(
                    kind,
                    {
                        "certificate_expiry": s.cert.expiry.isoformat(),
                        "read_by": "virtual reader" if s.cert.simulated else "card reader",
                    },
                )
            out.append(doc)
        return tuple(out)

    def record(self, s: Session, record: VerificationRecord) -> None:
        desk = self.desk
        notes = []
        path = record.path
        if path is None:
            # Cancelled: record it all the same (every opened visit ends in one recorded
            # outcome), on the route the visit was on, else the first route offered.
            offered = next((o.path for o in s.state.offered), None)
            path = s.route_tried or offered or VerificationPath.SELF_PAY
            if s.route_tried is None:
                notes.append("cancelled before a route was chosen")
        rules = tuple(
            dict.fromkeys((*record.rules, *(r for p in record.public_expense for r in p.rules)))
        )
        if len(record.failures) > 1:
            notes.append("failures: " + ", ".join(f.value for f in record.failures))
        for p in record.public_expense:
            notes.append(f"公費 {p.expense.subsidy_type.value}: {p.via}")
        evidence = (
            evidence_for(s.result, s.outcome, s.result_at or desk.clock())
            if s.result is not None
            else None
        )
        s.pending_record = VerificationToRecord(
            visit_id=s.visit_id,
            path=path,
            outcome=record.outcome,
            started_at=s.started_at,
            failure_reason=record.reason,
            documents=self._documents_for(s, record.documents),
            rule_ids=rules,
            evidence=evidence,
            simulated=record.simulated or s.simulated or desk.status.env_simulated(),
            note="; ".join(notes) or None,
        )
        self._write(s)

    def _write(self, s: Session) -> None:
        desk = self.desk
        staff = desk.status.staff
        to_record = s.pending_record
        if to_record is None:
            return
        if staff is None:
            s.last_error = "log in again to record this visit"
            desk.actor.problem(
                ProblemKind.LOGIN, s.last_error, code="not_logged_in", visit_id=s.visit_id
            )
            return
        s.recording = True
        numbers = self._numbers_to_keep(s, to_record)
        patient_id, visit_id = s.patient.id, s.visit_id

        def job() -> tuple[RecordedVerification, PatientOnFile | None]:
            recorded = desk.recorder.record(staff, to_record)
            return recorded, self._keep_numbers(staff, patient_id, numbers)

        def done(
            value: tuple[RecordedVerification, PatientOnFile | None] | None,
            error: BaseException | None,
        ) -> None:
            current = desk.sessions.get(visit_id)
            if current is None:
                return
            current.recording = False
            if error is not None:
                desk.status.database_error(error)
                message = f"could not record: {error}"
                desk.sessions.tell(current, ProblemKind.DATABASE, "record_failed", message)
                return
            assert value is not None
            recorded, updated = value
            current.pending_record = None
            current.recorded.append(recorded.verification_id)
            if updated is not None:
                current.patient = updated
            desk.status.database_ok()
            desk.actor.emit(recorded_event(to_record, recorded, follow_up=False))
            desk.sessions.show(current)

        desk.actor.work(desk.actor.db_pool, job, done)

    def _keep_numbers(
        self, staff: StaffRef, patient_id: int, numbers: InsuranceNumbers | None
    ) -> PatientOnFile | None:
        """Recorder thread: keep confirmed numbers on the patient. Never fails the record that
        was just committed (a retry would record it twice): a refusal is only logged."""
        if numbers is None:
            return None
        try:
            return self.desk.recorder.update_patient_numbers(staff, patient_id, numbers)
        except Exception as exc:
            log.warning(
                "patient %s: confirmed numbers not kept (%s)", patient_id, type(exc).__name__
            )
            return None

    @staticmethod
    def _numbers_to_keep(s: Session, to_record: VerificationToRecord) -> InsuranceNumbers | None:
        """Numbers confirmed in this visit, to keep on the patient (later re-queries need them)."""
        if to_record.outcome is not Outcome.CONFIRMED:
            return None
        if s.outcome is not None and s.outcome.ok:
            numbers = None if identity_conflict(s.mismatches) else numbers_from_result(s.result)
        else:
            numbers = s.numbers
        return None if numbers is None or numbers == s.patient.numbers else numbers

    def retry(self, visit_id: int | None) -> None:
        s = self.desk.sessions.find(visit_id)
        if s is None:
            return
        if s.pending_record is None or s.recording:
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                "nothing to record again",
                code="nothing_pending",
                visit_id=s.visit_id,
            )
            return
        self._write(s)

    def record_follow_up(
        self,
        visit_id: int,
        patient: PatientOnFile,
        path: VerificationPath,
        outcome: QueryOutcome,
        started: datetime,
    ) -> None:
        """A follow-up query's answer: a further attempt on the same visit (FAIL-04)."""
        desk = self.desk
        s = desk.sessions.get(visit_id)
        confirmed = outcome.ok
        evidence = (
            evidence_for(outcome.result, outcome, desk.clock())
            if outcome.result is not None
            else None
        )
        to_record = VerificationToRecord(
            visit_id=visit_id,
            path=path,
            outcome=Outcome.CONFIRMED if confirmed else Outcome.NOT_CONFIRMED,
            started_at=started,
            failure_reason=outcome.failure_reason(),
            rule_ids=FOLLOW_UP_RULES,
            evidence=evidence,
            simulated=outcome.simulated or desk.status.env_simulated() or bool(s and s.simulated),
            note="follow-up query after an earlier verification of this visit (FAIL-04)",
        )
        staff = desk.status.staff
        if staff is None:
            desk.actor.problem(ProblemKind.LOGIN, "log in again", code="not_logged_in")
            return
        facts = result_facts(outcome.result)
        keep = None
        if confirmed and facts is not None and not identity_conflict(compare(patient.facts, facts)):
            keep = numbers_from_result(outcome.result)
            if keep == patient.numbers:
                keep = None

        def job() -> RecordedVerification:
            recorded = desk.recorder.record(staff, to_record)
            self._keep_numbers(staff, patient.id, keep)
            return recorded

        def done(recorded: RecordedVerification) -> None:
            desk.actor.emit(recorded_event(to_record, recorded, follow_up=True))
            current = desk.sessions.get(visit_id)
            if current is not None:
                current.recorded.append(recorded.verification_id)
                desk.sessions.show(current)

        desk.status.db_job(job, done, visit_id=visit_id)

    def show_visit(self, visit_id: int) -> None:
        desk = self.desk
        if desk.status.require_staff() is None:
            return
        facility = desk.status.facility
        code = facility.medical_institution_code if facility else None
        recorder, burden = desk.recorder, desk.engine.rb.burden
        simulated = desk.status.env_simulated()

        def job() -> VisitDetails:
            return load_visit_details(
                recorder,
                visit_id,
                burden=burden,
                institution_code=code or None,
                env_simulated=simulated,
            )

        desk.status.db_job(job, desk.actor.emit, visit_id=visit_id)
