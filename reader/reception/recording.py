"""The desk's recording: verifications written through the ``Recorder`` port, and read back.

:class:`Recording` turns the state machine's ``RecordVerification`` into a
``VerificationToRecord`` (documents with the details staff read, rules, the kept answer as
evidence, simulated or not) and writes it on the recorder worker. A record that fails stays
pending on its session (``record_pending``) until :meth:`Recording.retry`; a record is never
written twice. Numbers a confirmed verification proved are then kept on the patient, and a
refusal to keep them never fails the record that was just committed. Follow-up answers (FAIL-04)
and the recorded visits shown in the result panel go through here too.

Nothing recorded is silently replaced, and nothing doubtful is recorded unasked: a record whose
verified identity differs from the chart waits for staff (``resolve_identity``), and a follow-up
answer contradicting a settled result waits too (``FollowUpConflict`` → ``decide``); both
decisions are recorded as new rows, never as updates. A record due while nobody is logged in is
written at the next login, so every opened visit ends in one recorded outcome.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from policies.engine import AcceptedOption
from policies.errors import PolicyError
from policies.matching import build_patient_context, compare, identity_conflict
from policies.model import AcceptAction, DocumentKind, FailureReason, Outcome, VerificationPath
from policies.numbers import insurance_kind_of
from policies.reception import Screen, VerificationRecord
from policies.records import (
    AttemptOnFile,
    InsuranceNumbers,
    PatientOnFile,
    RecordedVerification,
    SeenDocument,
    StaffRef,
    VerificationToRecord,
    VisitOnFile,
)
from reader.reception.events import FollowUpConflict, ProblemKind, VisitDetails
from reader.reception.results import (
    evidence_for,
    load_visit_details,
    numbers_from_result,
    result_facts,
)
from reader.reception.session import FOLLOW_UP_RULES, Session, recorded_event
from reader.terminal.handoff import HandOffFailed, hand_off
from reader.terminal.outcome import QueryOutcome
from reader.terminal.results import QualificationResult

if TYPE_CHECKING:
    from reader.reception.desk import ReceptionDesk

log = logging.getLogger(__name__)

#: A recorded result a later failing answer must not silently replace.
_SETTLED = (Outcome.CONFIRMED, Outcome.PROVISIONAL)


@dataclass(frozen=True, slots=True)
class _FollowUp:
    """A follow-up query's answer for a recorded visit."""

    visit_id: int
    patient: PatientOnFile
    path: VerificationPath
    outcome: QueryOutcome
    started: datetime


class Recording:
    """Writes each session's verification (once), retries on request, reads visits back."""

    def __init__(self, desk: ReceptionDesk) -> None:
        self.desk = desk
        #: Follow-up answers held for staff's decision (``FollowUpConflict.token``).
        self._conflicts: dict[str, tuple[_FollowUp, AttemptOnFile, AcceptedOption | None]] = {}

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
        if record.outcome is Outcome.CONFIRMED and any(m.identity for m in s.mismatches):
            s.identity_hold = True  # staff decide first: resolve_identity
            return
        self._write(s)

    def resolve_identity(self, visit_id: int | None, update_chart: bool) -> None:
        """Staff's decision on a held record whose verified identity differs from the chart:
        「カルテを更新」 updates the patient from the result, then records the check;
        「別人として中止」 records the visit ABANDONED (IDENTITY_MISMATCH), the answer kept."""
        desk = self.desk
        s = desk.sessions.find(visit_id)
        if s is None:
            return
        to_record = s.pending_record
        if not s.identity_hold or to_record is None:
            desk.actor.problem(
                ProblemKind.COMMAND,
                "no identity decision is waiting for this visit",
                code="not_allowed",
                visit_id=s.visit_id,
            )
            return
        staff = desk.status.require_staff()
        facts = result_facts(s.result)
        if staff is None or facts is None:
            return
        if facts.kana:  # the terminal sends half-width kana; the chart keeps full width
            facts = replace(facts, kana=unicodedata.normalize("NFKC", facts.kana))
        fields = ", ".join(m.field.value for m in s.mismatches if m.identity)
        if not update_chart:
            s.identity_hold = False
            s.pending_record = replace(
                to_record,
                outcome=Outcome.ABANDONED,
                failure_reason=FailureReason.IDENTITY_MISMATCH,
                note=f"another person than the patient on file ({fields} differ): cancelled",
            )
            s.state = replace(s.state, screen=Screen.ABANDONED)  # what is recorded now
            self._write(s)
            desk.sessions.show(s)
            return
        vid, patient_id = s.visit_id, s.patient.id

        def done(updated: PatientOnFile) -> None:
            current = desk.sessions.get(vid)
            if current is None:
                return
            current.identity_hold = False
            current.patient = updated
            current.mismatches = compare(updated.facts, facts)
            note = f"chart updated from the verified result ({fields})"
            current.pending_record = replace(
                to_record, note="; ".join(filter(None, (to_record.note, note)))
            )
            self._write(current)
            desk.sessions.show(current)

        desk.status.db_job(
            lambda: desk.recorder.update_patient_identity(staff, patient_id, facts),
            done,
            visit_id=vid,
        )

    def _write(self, s: Session) -> None:
        desk = self.desk
        staff = desk.status.staff
        to_record = s.pending_record
        if to_record is None:
            return
        if staff is None:
            s.awaiting_login = True  # written at the next login (write_after_login)
            s.last_error = "log in again to record this visit"
            desk.actor.problem(
                ProblemKind.LOGIN, s.last_error, code="not_logged_in", visit_id=s.visit_id
            )
            return
        s.awaiting_login = False
        s.recording = True
        numbers = self._numbers_to_keep(s, to_record)
        patient_id, visit_id = s.patient.id, s.visit_id

        result = s.result if to_record.outcome is Outcome.CONFIRMED else None
        facility = desk.status.facility
        code = facility.medical_institution_code if facility else ""
        now = desk.clock()

        def job() -> tuple[RecordedVerification, PatientOnFile | None, str | None]:
            recorded = desk.recorder.record(staff, to_record)
            kept = self._keep_numbers(staff, patient_id, numbers)
            handed = (
                self._hand_off(
                    staff, recorded, result, path=to_record.path, institution_code=code, now=now
                )
                if result is not None
                else None
            )
            return recorded, kept, handed

        def done(
            value: tuple[RecordedVerification, PatientOnFile | None, str | None] | None,
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
            recorded, updated, handoff_failed = value
            if handoff_failed is not None:
                desk.sessions.tell(current, ProblemKind.TERMINAL, "handoff_failed", handoff_failed)
            current.pending_record = None
            current.recorded.append(recorded.verification_id)
            if updated is not None:
                current.patient = updated
            desk.status.database_ok()
            desk.actor.emit(recorded_event(to_record, recorded, follow_up=False))
            desk.sessions.show(current)

        desk.actor.work(desk.actor.db_pool, job, done)

    def _hand_off(
        self,
        staff: StaffRef,
        recorded: RecordedVerification,
        result: QualificationResult,
        *,
        path: VerificationPath,
        institution_code: str,
        now: datetime,
    ) -> str | None:
        """Hand a confirmed result to the receipt computer and record what was written; the
        problem to show when that failed (the verification itself is already recorded)."""
        config = self.desk.handoff
        if config is None:
            return None
        try:
            written = hand_off(
                result, config, path=path, institution_code=institution_code, now=now
            )
        except HandOffFailed as exc:
            if exc.done.files:
                self.desk.recorder.handed_off(
                    staff, recorded.verification_id, exc.done.audit_payload()
                )
            log.warning("hand-off to the receipt computer failed: %s", exc)
            return f"the result could not be handed to the receipt computer: {exc}"
        self.desk.recorder.handed_off(staff, recorded.verification_id, written.audit_payload())
        return None

    def write_after_login(self) -> None:
        """Staff logged in: write the records that waited for someone to be logged in."""
        for s in self.desk.sessions.all():
            if s.awaiting_login and not s.recording:
                s.last_error = None
                self._write(s)
                self.desk.sessions.show(s)

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
        if s.pending_record is None or s.recording or s.identity_hold:
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                "nothing to record again",
                code="nothing_pending",
                visit_id=s.visit_id,
            )
            return
        self._write(s)

    def follow_up_answered(
        self,
        visit_id: int,
        patient: PatientOnFile,
        path: VerificationPath,
        outcome: QueryOutcome,
        started: datetime,
    ) -> None:
        """A follow-up query's answer (FAIL-04). One that confirms, or that follows nothing
        settled, is recorded as a further attempt. One that contradicts a recorded
        CONFIRMED / PROVISIONAL result is held: ``FollowUpConflict`` shows both, with whether
        the rules let the recorded documents stand, until staff call ``decide``."""
        desk = self.desk
        answer = _FollowUp(visit_id, patient, path, outcome, started)

        def done(history: tuple[VisitOnFile, tuple[AttemptOnFile, ...]]) -> None:
            visit, attempts = history
            held = attempts[-1] if attempts else None
            if outcome.ok or held is None or held.outcome not in _SETTLED:
                self._take_follow_up(answer)
                self._record_follow_up(answer, None)
                return
            stands = self._recorded_stands(visit, held, outcome.failure_reason())
            token = uuid.uuid4().hex[:12]
            self._conflicts[token] = (answer, held, stands)
            desk.actor.emit(
                FollowUpConflict(
                    token=token,
                    visit_id=visit_id,
                    recorded_path=held.path,
                    recorded_outcome=held.outcome,
                    recorded_documents=tuple(d.kind for d in held.documents),
                    answer=outcome.kind,
                    answer_reason=outcome.failure_reason(),
                    recorded_stands=stands is not None,
                    rules=stands.rules if stands is not None else (),
                    simulated=outcome.simulated or desk.status.env_simulated(),
                )
            )

        desk.status.db_job(lambda: desk.recorder.visit_history(visit_id), done, visit_id=visit_id)

    def _recorded_stands(
        self, visit: VisitOnFile, held: AttemptOnFile, reason: FailureReason | None
    ) -> AcceptedOption | None:
        """The option the rules of the visit's day accept the recorded documents under, after
        an answer failing with ``reason``, when they stand on their own (accepted as they are,
        within their printed expiry); None if they do not."""
        facility = self.desk.status.facility
        if facility is None or not held.documents:
            return None
        printed = tuple(
            (d.kind, date.fromisoformat(d.details["valid_until"]))
            for d in held.documents
            if d.details.get("valid_until")
        )
        context = build_patient_context(
            setting=visit.setting,
            insurance_kind=insurance_kind_of(visit.patient.insurer_number),
            birth_date=visit.patient.birth_date,
            printed_expiry=printed,
        )
        try:
            acceptance = self.desk.engine.accepted_documents(
                visit.local_date, facility, context, reason
            )
        except PolicyError:  # a day the rule book does not cover: the rules cannot vouch
            return None
        option = acceptance.accepting(d.kind for d in held.documents)
        if option is None or option.action is not AcceptAction.ACCEPT:
            return None
        return option if option.outcome is held.outcome else None

    def decide(self, token: str, keep_recorded: bool) -> None:
        """Staff's decision on a ``FollowUpConflict``, recorded as a new attempt: the recorded
        path again (with the answer as evidence), or the answer."""
        pending = self._conflicts.pop(token, None)
        if pending is None:
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                f"no follow-up waiting for a decision {token!r}",
                code="unknown_token",
            )
            return
        answer, held, stands = pending
        if not keep_recorded:
            self._take_follow_up(answer)
        self._record_follow_up(answer, (held, stands) if keep_recorded else None)

    def _take_follow_up(self, answer: _FollowUp) -> None:
        s = self.desk.sessions.get(answer.visit_id)
        if s is not None:
            self.desk.terminal_link.take_result(s, answer.outcome)

    def _record_follow_up(
        self, answer: _FollowUp, kept: tuple[AttemptOnFile, AcceptedOption | None] | None
    ) -> None:
        """Record a follow-up attempt: the answer's, or (``kept``) the recorded path again."""
        desk = self.desk
        outcome, patient, visit_id = answer.outcome, answer.patient, answer.visit_id
        s = desk.sessions.get(visit_id)
        confirmed = outcome.ok
        evidence = (
            evidence_for(outcome.result, outcome, desk.clock())
            if outcome.result is not None
            else None
        )
        note = "follow-up query after an earlier verification of this visit (FAIL-04)"
        to_record = VerificationToRecord(
            visit_id=visit_id,
            path=answer.path,
            outcome=Outcome.CONFIRMED if confirmed else Outcome.NOT_CONFIRMED,
            started_at=answer.started,
            failure_reason=outcome.failure_reason(),
            rule_ids=FOLLOW_UP_RULES,
            evidence=evidence,
            simulated=outcome.simulated or desk.status.env_simulated() or bool(s and s.simulated),
            note=note,
        )
        if kept is not None:
            held, stands = kept
            why = "the rules accept it on its own" if stands else "staff decision"
            to_record = replace(
                to_record,
                path=held.path,
                outcome=held.outcome,
                documents=held.documents,
                rule_ids=tuple(
                    dict.fromkeys((*(stands.rules if stands else held.rule_ids), *FOLLOW_UP_RULES))
                ),
                note=f"{note}: answered {outcome.kind.value}; staff kept the recorded "
                f"{held.path.value} ({why})",
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
