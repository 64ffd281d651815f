"""The desk's session state, the visit request, and the views built from a session.

Plain values and pure functions: :mod:`reader.reception.sessions` owns the open sessions;
this module only says what a session holds and how a screen sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from policies.bulk_check import BulkResultForVisit
from policies.dates import JST
from policies.matching import Mismatch, PersonFacts
from policies.model import (
    DocumentKind,
    InsuranceKind,
    PublicExpense,
    VerificationPath,
    VisitSetting,
)
from policies.reception import (
    Cancel,
    ChooseOption,
    DocumentsRecorded,
    Event,
    Failed,
    PublicExpenseResolved,
    QueryKind,
    ReceptionContext,
    ReceptionState,
    RetryPin,
    Screen,
    UseVisualCheck,
    VisualCheckDone,
)
from policies.records import (
    InsuranceNumbers,
    NewPatient,
    PatientOnFile,
    RecordedVerification,
    SeenDocument,
    VerificationToRecord,
    insurance_numbers,
)
from policies.share import ShareEstimate
from reader.documents import PortalQualification
from reader.pcsc import ReaderInfo
from reader.reception.cards import CertRead
from reader.reception.events import PortalPdfView, SessionUpdated, VisitRecorded, WaitingFor
from reader.terminal import FaceResultArrived, QualificationResult
from reader.terminal.outcome import QueryOutcome

#: Staff may dispatch these; the rest are the runtime's own (card, terminal answers).
STAFF_EVENTS: frozenset[type[Event]] = frozenset(
    {
        ChooseOption,
        RetryPin,
        UseVisualCheck,
        VisualCheckDone,
        DocumentsRecorded,
        PublicExpenseResolved,
        Cancel,
        Failed,
    }
)
#: Rule behind a later confirmation of a visit that fell back (bill with what is confirmed).
FOLLOW_UP_RULES = ("FAIL-04",)


def now_jst() -> datetime:
    return datetime.now(JST)


@dataclass(frozen=True, slots=True)
class VisitRequest:
    """What staff enter to begin a visit: an existing patient or a new one, and the setting.

    ``insurance_kind`` UNKNOWN means "from the insurer number on file". ``welfare`` marks a
    医療扶助 patient. For 訪問診療 (HOME_VISIT) the first continuing-care check is looked up in
    the database unless ``home_first_check`` is given; ``first_home_visit`` forces the
    first-visit route (card + consent) even if there was one before.
    """

    patient_id: int | None = None
    new_patient: NewPatient | None = None
    setting: VisitSetting = VisitSetting.OUTPATIENT
    revisit: bool = False
    insurance_kind: InsuranceKind = InsuranceKind.UNKNOWN
    welfare: bool = False
    public_expenses: tuple[PublicExpense, ...] = ()
    home_first_check: date | None = None
    first_home_visit: bool = False
    printed_expiry: tuple[tuple[DocumentKind, date], ...] = ()


@dataclass
class Session:
    """One visit's reception session. Owned by the desk's actor thread (never shared)."""

    visit_id: int
    patient: PatientOnFile
    request: VisitRequest
    ctx: ReceptionContext
    state: ReceptionState
    started_at: datetime
    simulated: bool = False
    gen: int = 0  # bumps on every transition: stale async answers are dropped
    reader: ReaderInfo | None = None
    card_wait: bool = False
    card_busy: bool = False
    pin_busy: bool = False
    cert: CertRead | None = None
    challenge: bytes | None = None
    signature: bytes = b""
    presentation_id: str | None = None
    card_query: bool = False  # QueryTerminal(CARD) out
    request_id: str | None = None  # our individual query out
    needs_numbers: QueryKind | None = None
    awaiting_external: VerificationPath | None = None
    #: The last route this visit was on (a failure clears ``state.chosen``; a cancel records it).
    route_tried: VerificationPath | None = None
    numbers: InsuranceNumbers | None = None
    result: QualificationResult | None = None
    outcome: QueryOutcome | None = None
    result_at: datetime | None = None
    mismatches: tuple[Mismatch, ...] = ()
    documents_requested: tuple[DocumentKind, ...] = ()
    documents_missing: tuple[DocumentKind, ...] = ()
    documents_seen: tuple[SeenDocument, ...] = ()
    expenses_pending: tuple[PublicExpense, ...] = ()
    portal: PortalPdfView | None = None
    last_error: str | None = None
    recorded: list[int] = field(default_factory=list)
    pending_record: VerificationToRecord | None = None
    #: The record waits for staff: the verified identity differs from the patient on file.
    identity_hold: bool = False
    #: The record waits for a login (nobody was logged in when it was to be written).
    awaiting_login: bool = False
    recording: bool = False
    #: What the 一括照会 of the visit's day said about the patient (a starting point only).
    bulk: BulkResultForVisit | None = None


@dataclass
class Unattached:
    """A face result no session waited for, until staff attach it."""

    token: str
    event: FaceResultArrived
    received_at: datetime


def waiting_for(s: Session, *, terminal: bool, simulated_terminal: bool) -> WaitingFor | None:
    """What the desk waits for in this session (None: for staff to act)."""
    screen = s.state.screen
    if screen is Screen.WAIT_CARD:
        return WaitingFor.CARD_READ if s.card_busy else WaitingFor.CARD
    if screen is Screen.WAIT_PIN_TRIES:
        return WaitingFor.CARD_READ
    if screen is Screen.ASK_PIN:
        return WaitingFor.PIN_CHECK if s.pin_busy else WaitingFor.PIN
    if screen is Screen.WAIT_TERMINAL:
        if s.needs_numbers is not None:
            return WaitingFor.NUMBERS
        if s.card_query and not simulated_terminal:
            return WaitingFor.FACE_OR_PASTE if terminal else WaitingFor.PASTED_TEXT
        return WaitingFor.TERMINAL
    if screen is Screen.WAIT_EXTERNAL:
        if s.awaiting_external is VerificationPath.LIMITED_APP:
            return WaitingFor.PASTED_TEXT
        return WaitingFor.FACE_RESULT
    if s.recording:
        return WaitingFor.RECORDING
    return None


def session_view(
    s: Session,
    *,
    current: bool,
    env_simulated: bool,
    terminal: bool,
    simulated_terminal: bool,
    card_usable_until: date | None = None,
    share: ShareEstimate | None = None,
) -> SessionUpdated:
    """The event a screen shows for this session (everything computed here, nothing in the UI)."""
    state = s.state
    recommended = state.reason is not None
    return SessionUpdated(
        visit_id=s.visit_id,
        patient=s.patient,
        setting=s.request.setting,
        revisit=s.request.revisit,
        state=state,
        options=state.offered,
        recommended_option=state.offered[0].id if recommended and state.offered else None,
        steps=state.steps,
        notes=state.notes,
        reason=state.reason,
        failures=state.failures,
        chosen=state.chosen,
        pin_tries_left=state.pin_tries_left,
        last_try_warning=state.last_try_warning,
        waiting_for=waiting_for(s, terminal=terminal, simulated_terminal=simulated_terminal),
        result=s.result,
        result_outcome=s.outcome.kind if s.outcome else None,
        mismatches=s.mismatches or (s.portal.mismatches if s.portal else ()),
        documents_requested=s.documents_requested
        if state.screen is Screen.COLLECT_DOCUMENTS
        else (),
        documents_missing=s.documents_missing,
        documents_seen=s.documents_seen,
        public_expenses_pending=s.expenses_pending if state.screen is Screen.PUBLIC_EXPENSE else (),
        portal_pdf=s.portal,
        last_error=s.last_error,
        simulated=s.simulated or env_simulated,
        recorded=tuple(s.recorded),
        record_pending=s.pending_record is not None and not s.recording and not s.identity_hold,
        can_query_numbers=state.final
        and not s.recording
        and s.pending_record is None
        and terminal
        and (s.numbers or s.patient.numbers) is not None,
        current=current,
        card_usable_until=card_usable_until,
        share=share,
        identity_decision=s.identity_hold,
        bulk_result=s.bulk,
    )


# -- helpers ------------------------------------------------------------------------------------


def recorded_event(
    to_record: VerificationToRecord, recorded: RecordedVerification, *, follow_up: bool
) -> VisitRecorded:
    return VisitRecorded(
        visit_id=to_record.visit_id,
        verification_id=recorded.verification_id,
        path=to_record.path,
        outcome=to_record.outcome,
        failure_reason=to_record.failure_reason,
        documents=to_record.documents,
        rule_ids=to_record.rule_ids,
        terminal_result_id=recorded.terminal_result_id,
        simulated=to_record.simulated,
        follow_up=follow_up,
    )


def portal_facts(parsed: PortalQualification) -> PersonFacts:
    coverage = parsed.coverages[0] if parsed.coverages else None
    return PersonFacts(
        name=parsed.name,
        kana=parsed.name_kana,
        birth_date=parsed.birth_date,
        insurer_number=coverage.insurer_number if coverage else None,
        symbol=coverage.insured_symbol if coverage else None,
        number=coverage.insured_number if coverage else None,
        branch=coverage.insured_branch if coverage else None,
    )


def portal_numbers(parsed: PortalQualification) -> InsuranceNumbers | None:
    f = portal_facts(parsed)
    return insurance_numbers(f.insurer_number, f.number, f.birth_date, f.symbol, f.branch)


def portal_document(view: PortalPdfView) -> SeenDocument:
    """The imported PDF as a recorded document: which PDF (hash) and what it says."""
    parsed = view.parsed
    details = {"sha256_b64url": view.sha256, "source_confirmed": str(parsed.source_confirmed)}
    if parsed.issued_at is not None:
        details["issued_at"] = parsed.issued_at.isoformat()
    coverage = parsed.coverages[0] if parsed.coverages else None
    if coverage is not None:
        for key, value in (
            ("insurer_number", coverage.insurer_number),
            ("symbol", coverage.insured_symbol),
            ("number", coverage.insured_number),
            ("branch", coverage.insured_branch),
            ("valid_until", coverage.valid_until.isoformat() if coverage.valid_until else None),
        ):
            if value:
                details[key] = value
    if parsed.warnings:
        details["warnings"] = ",".join(sorted({w.code.value for w in parsed.warnings}))
    return SeenDocument(parsed.document_kind, details)
