"""The desk's open sessions: one per visit in progress, driven by the pure state machine.

:class:`Sessions` owns the open sessions and which one is current. It starts a session for a
visit, runs every transition (staff intents, and the card's, terminal's and paste's events), and
hands each effect of a transition to the collaborator that performs it in :meth:`_execute`, one
``match`` over the effect types of ``policies.reception``. A new effect therefore gets a ``case``
there and a method on the collaborator that owns what it touches. Each transition bumps the
session's generation counter, which is how late card and terminal answers for an earlier state
are told apart and dropped.

The documents staff record (with the imported マイナポータル PDF) are taken here too: they only
become a ``DocumentsRecorded`` event once they satisfy the chosen option's needs.

A visit is opened together with what the 一括照会 of its day said about the patient (the
recorder's ``bulk_result``, in the same database job): the session carries it as the starting
point staff see. It is never a verification — no transition reads it, and the visit records the
path it is verified by.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from policies.bulk_check import BulkResultForVisit
from policies.errors import EventNotAllowed, PolicyError
from policies.matching import build_patient_context, compare
from policies.model import (
    AcceptAction,
    FacilityProfile,
    InsuranceKind,
    VerificationPath,
    VisitSetting,
)
from policies.numbers import insurance_kind_of
from policies.reception import (
    AskDocuments,
    AskPin,
    AskPublicExpenseCertificate,
    AskVisualCheck,
    AwaitExternalResult,
    CardRead,
    DocumentsRecorded,
    Effect,
    Event,
    QueryTerminal,
    ReadCard,
    ReadPinTries,
    ReceptionContext,
    RecordVerification,
    RejectDocuments,
    Screen,
    ShowOptions,
    Transition,
    handle,
    start,
)
from policies.records import InsuranceNumbers, PatientOnFile, SeenDocument
from reader.documents import DocumentError, PortalQualification, parse_mynaportal_pdf
from reader.reception.events import (
    PinRequested,
    PortalPdfView,
    ProblemKind,
    SameDayVisit,
    SessionClosed,
    SessionUpdated,
)
from reader.reception.results import share_for
from reader.reception.session import (
    STAFF_EVENTS,
    Session,
    VisitRequest,
    portal_document,
    portal_facts,
    portal_numbers,
    session_view,
)

if TYPE_CHECKING:
    from reader.reception.desk import ReceptionDesk

log = logging.getLogger(__name__)
#: What the 一括照会 of the visit's day said about its patient, when one did.
Bulk = BulkResultForVisit | None


class Sessions:
    """The open sessions, the current one, their transitions and the effects they ask for."""

    def __init__(self, desk: ReceptionDesk) -> None:
        self.desk = desk
        self._open: dict[int, Session] = {}
        #: The session card events and commands without a visit id go to.
        self.current: int | None = None

    def all(self) -> list[Session]:
        return list(self._open.values())

    def get(self, visit_id: int | None) -> Session | None:
        return self._open.get(visit_id) if visit_id is not None else None

    def find(self, visit_id: int | None, *, quiet: bool = False) -> Session | None:
        """The session of ``visit_id`` (None: the current one); reports when there is none."""
        s = self.get(self.current if visit_id is None else visit_id)
        if s is None and not quiet:
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                "no reception session" + (f" for visit {visit_id}" if visit_id else ""),
                code="no_session",
                visit_id=visit_id,
            )
        return s

    def view(self, s: Session) -> SessionUpdated:
        desk = self.desk
        today = desk.clock().date()
        patient = s.state.patient
        return session_view(
            s,
            current=s.visit_id == self.current,
            env_simulated=desk.status.env_simulated(),
            terminal=desk.terminal is not None,
            simulated_terminal=desk.terminal_link.simulated(),
            card_usable_until=desk.engine.cert_status(patient, today)[1],
            share=share_for(desk.engine.rb.burden, s.result, patient, today),
        )

    def show(self, s: Session) -> None:
        """Emit the session's view."""
        self.desk.actor.emit(self.view(s))

    def tell(self, s: Session, kind: ProblemKind, code: str, message: str, **extra: Any) -> None:
        """A problem with this session: kept as its last error, announced, view refreshed."""
        s.last_error = message
        self.desk.actor.problem(kind, message, code=code, visit_id=s.visit_id, **extra)
        self.show(s)

    def _make_current(self, visit_id: int) -> None:
        previous, self.current = self.current, visit_id
        if previous in self._open and previous != visit_id:
            self.show(self._open[previous])

    # -- opening and closing --

    def focus(self, visit_id: int) -> None:
        if self.find(visit_id) is None:
            return
        self._make_current(visit_id)
        self.show(self._open[visit_id])

    def begin(self, request: VisitRequest, then: Callable[[Session], None] | None) -> None:
        """Open the visit (creating the patient if new), then start its session."""
        desk = self.desk
        staff = desk.status.require_staff()
        if staff is None:
            return
        facility = desk.status.facility
        if facility is None:
            desk.actor.problem(ProblemKind.CONFIG, "no facility profile is set", code="no_facility")
            return
        if (request.patient_id is None) == (request.new_patient is None):
            desk.actor.problem(
                ProblemKind.COMMAND,
                "begin_visit needs exactly one of patient_id and new_patient",
                code="bad_request",
            )
            return
        on, recorder = desk.clock().date(), desk.recorder

        def job() -> tuple[PatientOnFile, int, date | None, tuple[int, ...], Bulk]:
            earlier: tuple[int, ...] = ()
            if request.new_patient is not None:
                patient = recorder.create_patient(staff, request.new_patient)
            else:
                assert request.patient_id is not None
                patient = recorder.patient(request.patient_id)
                earlier = recorder.visit_ids_on(patient.id, on)
            first = request.home_first_check
            if first is None and request.setting is VisitSetting.HOME_VISIT:
                first = recorder.first_home_check(patient.id)
            bulk = recorder.bulk_result(patient, on)
            visit_id = recorder.open_visit(staff, patient.id, request.setting, on)
            return patient, visit_id, first, earlier, bulk

        def done(value: tuple[PatientOnFile, int, date | None, tuple[int, ...], Bulk]) -> None:
            patient, visit_id, first, earlier, bulk = value
            if earlier:
                desk.actor.emit(SameDayVisit(visit_id, patient, earlier))
            self._start(
                request=request,
                patient=patient,
                visit_id=visit_id,
                home_first=first,
                on=on,
                facility=facility,
                then=then,
                bulk=bulk,
            )

        desk.status.db_job(job, done)

    def _start(
        self,
        *,
        request: VisitRequest,
        patient: PatientOnFile,
        visit_id: int,
        home_first: date | None,
        on: date,
        facility: FacilityProfile,
        then: Callable[[Session], None] | None,
        bulk: Bulk = None,
    ) -> None:
        desk = self.desk
        kind = request.insurance_kind
        if kind is InsuranceKind.UNKNOWN:
            kind = insurance_kind_of(patient.insurer_number)
        context = build_patient_context(
            setting=request.setting,
            revisit=request.revisit,
            insurance_kind=kind,
            welfare=request.welfare,
            birth_date=patient.birth_date,
            public_expenses=request.public_expenses,
            home_first_check=home_first,
            first_home_visit=request.first_home_visit,
            printed_expiry=request.printed_expiry,
        )
        ctx = ReceptionContext(desk.engine, on, facility)
        try:
            transition = start(ctx, context)
        except PolicyError as exc:
            desk.actor.problem(ProblemKind.CONFIG, str(exc), code="rules", visit_id=visit_id)
            return
        s = Session(
            visit_id=visit_id,
            patient=patient,
            request=request,
            ctx=ctx,
            state=transition.state,
            started_at=desk.clock(),
            simulated=desk.status.env_simulated(),
            bulk=bulk,
        )
        self._open[visit_id] = s
        self._make_current(visit_id)
        self._apply(s, transition)
        if then is not None:
            then(s)
        elif (reader := desk.card_watch.fresh_card()) is not None:
            self.runtime(s, CardRead(simulated=reader.virtual))

    def close(self, visit_id: int) -> None:
        s = self.find(visit_id)
        if s is None:
            return
        if not s.state.final or s.recording or s.identity_hold:
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                "the session is not finished: cancel it (or resolve the identity) first",
                code="not_finished",
                visit_id=visit_id,
            )
            return
        del self._open[visit_id]
        if self.current == visit_id:
            self.current = None
        self.desk.actor.emit(SessionClosed(visit_id))

    # -- transitions --

    def runtime(self, s: Session, event: Event) -> None:
        """An event from the card, the terminal or a paste; stale ones are dropped quietly."""
        try:
            transition = handle(s.ctx, s.state, event)
        except EventNotAllowed as exc:
            log.debug("visit %s: dropped %s (%s)", s.visit_id, type(event).__name__, exc)
            self.show(s)
            return
        self._apply(s, transition)

    def dispatch(self, event: Event, visit_id: int | None) -> None:
        """A staff intent."""
        s = self.find(visit_id)
        if s is None:
            return
        if type(event) not in STAFF_EVENTS:
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                f"{type(event).__name__} is reported by the desk itself, not by staff",
                code="not_staff_event",
                visit_id=s.visit_id,
            )
            return
        if isinstance(event, DocumentsRecorded):
            seen = tuple(SeenDocument(k) for k in sorted(event.documents))
            self.record_documents(seen, None, False, s.visit_id)
            return
        try:
            transition = handle(s.ctx, s.state, event)
        except EventNotAllowed as exc:
            self.tell(s, ProblemKind.COMMAND, "not_allowed", str(exc))
            return
        self._apply(s, transition)

    def _apply(self, s: Session, transition: Transition) -> None:
        before = s.state.screen
        s.state = transition.state
        s.gen += 1
        if s.state.chosen is not None:
            s.route_tried = s.state.chosen.path
        after = s.state.screen
        if after is not before or any(isinstance(e, QueryTerminal) for e in transition.effects):
            s.card_wait = after is Screen.WAIT_CARD and s.card_wait
            s.card_query = False
            s.presentation_id = None
            s.request_id = None
            s.needs_numbers = None
            if after is not Screen.WAIT_EXTERNAL:
                s.awaiting_external = None
        if not any(isinstance(e, RejectDocuments) for e in transition.effects):
            s.documents_missing = ()
        for effect in transition.effects:
            self._execute(s, effect)
        self.show(s)

    def _execute(self, s: Session, effect: Effect) -> None:
        desk = self.desk
        match effect:
            case ReadCard():
                desk.card_watch.read_card(s)
            case ReadPinTries():
                desk.card_watch.read_pin_tries(s)
            case AskPin(tries_left=tries, last_try_warning=warning):
                desk.actor.emit(PinRequested(s.visit_id, tries, warning))
            case QueryTerminal(kind=kind):
                desk.terminal_link.query(s, kind)
            case AwaitExternalResult(path=path):
                s.awaiting_external = path
                if path is not VerificationPath.LIMITED_APP:
                    desk.face_pickup.watch(s)
            case AskDocuments(documents=documents):
                s.documents_requested = documents
            case RejectDocuments(missing=missing):
                s.documents_missing = missing
                s.last_error = "the documents do not satisfy the chosen option"
            case AskPublicExpenseCertificate(expenses=expenses):
                s.expenses_pending = expenses
            case RecordVerification(record=record):
                desk.recording.record(s, record)
            case ShowOptions() | AskVisualCheck():
                pass  # the state carries everything the screen shows
            case _:
                raise TypeError(f"no collaborator performs {type(effect).__name__}")

    # -- documents --

    def import_pdf(self, data: bytes, visit_id: int | None) -> None:
        s = self.find(visit_id)
        if s is None:
            return
        today, vid = self.desk.clock().date(), s.visit_id

        def done(parsed: PortalQualification | None, error: BaseException | None) -> None:
            current = self.get(vid)
            if current is None:
                return
            if error is not None:
                kind = getattr(error, "kind", None)
                code = str(getattr(kind, "value", "") or type(error).__name__)
                message = getattr(error, "message", None) or str(error)
                self.tell(current, ProblemKind.DOCUMENT, code, message)
                return
            assert parsed is not None
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode("ascii")
            facts = portal_facts(parsed)
            current.portal = PortalPdfView(
                uuid.uuid4().hex[:12],
                parsed,
                compare(current.patient.facts, facts),
                digest.rstrip("="),
            )
            current.last_error = None
            self.show(current)

        def job() -> PortalQualification:
            return parse_mynaportal_pdf(data, isolated=True, today=today)

        def finish(result: PortalQualification | None, error: BaseException | None) -> None:
            if error is not None and not isinstance(error, DocumentError | OSError):
                log.exception("PDF import failed", exc_info=error)
            done(result, error)

        self.desk.actor.work(self.desk.actor.doc_pool, job, finish)

    def record_documents(
        self,
        documents: tuple[SeenDocument, ...],
        numbers: InsuranceNumbers | None,
        use_portal_pdf: bool,
        visit_id: int | None,
    ) -> None:
        s = self.find(visit_id)
        if s is None:
            return
        if (
            DocumentsRecorded not in s.state.allowed
            or s.state.screen is not Screen.COLLECT_DOCUMENTS
        ):
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                "no documents are being collected now",
                code="not_allowed",
                visit_id=s.visit_id,
            )
            return
        if use_portal_pdf:
            if s.portal is None:
                self.desk.actor.problem(
                    ProblemKind.DOCUMENT,
                    "no マイナポータル PDF was imported",
                    code="no_pdf",
                    visit_id=s.visit_id,
                )
                return
            pdf = portal_document(s.portal)
            documents = (*(d for d in documents if d.kind is not pdf.kind), pdf)
            numbers = numbers or portal_numbers(s.portal.parsed)
        chosen = s.state.chosen
        if numbers is not None:
            s.numbers = numbers
        if (
            chosen is not None
            and chosen.action is AcceptAction.QUERY_OQS
            and (s.numbers or s.patient.numbers) is None
        ):
            message = "enter the insurance numbers and birth date shown on the document"
            self.tell(s, ProblemKind.COMMAND, "numbers_needed", message)
            return
        s.documents_seen = documents
        self.runtime(s, DocumentsRecorded(frozenset(d.kind for d in documents)))
