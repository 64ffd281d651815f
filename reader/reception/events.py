"""Events the desk publishes (frozen values; everything a screen needs, nothing to compute).

Subscribers are called on the desk's own actor thread, in order. A Qt UI must not touch widgets
from there: forward each event through a queued signal to the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from policies.bulk_check import BulkResultForVisit
from policies.engine import AcceptedOption
from policies.matching import Mismatch
from policies.model import (
    DocumentKind,
    FacilityProfile,
    FailureReason,
    Outcome,
    PublicExpense,
    VerificationPath,
    VisitSetting,
)
from policies.reception import Event, ReceptionState, Screen
from policies.records import AttemptOnFile, PatientOnFile, SeenDocument, StaffRef
from policies.rulebook import FlaggedNote
from policies.share import ShareEstimate
from reader.documents import PortalQualification
from reader.terminal.errors import LineProblem
from reader.terminal.outcome import OutcomeKind
from reader.terminal.results import QualificationResult
from reader.terminal.watch import Watching

# -- status -------------------------------------------------------------------------------------


class ReaderState(StrEnum):
    NO_SERVICE = "no_service"  # PC/SC service not running / not installed
    NONE = "none"  # no reader connected
    CONNECTED = "connected"  # a reader, no card
    CARD_PRESENT = "card_present"


@dataclass(frozen=True, slots=True)
class ReaderStatus:
    state: ReaderState
    reader_name: str | None = None
    #: The reader is a simulation (vpcd or in-process): everything read is SIMULATED.
    virtual: bool = False
    #: "pcsc" or "in-process (SIMULATED; pcscd/vpcd unavailable)".
    source: str = ""
    #: Card-layer problem worth showing (service lost, card busy …), English for logs.
    note: str | None = None


class TerminalState(StrEnum):
    NOT_CONFIGURED = "not_configured"  # 資格確認限定型 or no terminal folder set
    CONNECTED = "connected"  # folders reachable, no recent failure
    UNREACHABLE = "unreachable"  # folder missing, no answer in time, request not collected


@dataclass(frozen=True, slots=True)
class TerminalStatus:
    state: TerminalState
    #: The terminal is the Madoguchi simulator: every result is SIMULATED.
    simulated: bool = False
    last_error: str | None = None
    last_answer_at: datetime | None = None
    root: str | None = None
    #: How the terminal's res/face folders are watched (notifications, or polled and why).
    watching: Watching | None = None
    #: Why notifications are unavailable, when that is why the folders are polled.
    watch_problem: str | None = None


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    ok: bool
    description: str = ""
    error: str | None = None
    #: This PC's witness shows the audit chain rolled back, truncated or replaced: nothing is
    #: recorded until an administrator records a decision (``accept_restored_chain`` of the
    #: desk). The store's refusal (``ChainRolledBack``), in English.
    rolled_back: str | None = None


class DeskMode(StrEnum):
    DEMO = "demo"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class DeskStatus:
    """The always-visible status strip."""

    mode: DeskMode
    reader: ReaderStatus
    terminal: TerminalStatus
    database: DatabaseStatus
    staff: StaffRef | None
    facility: FacilityProfile | None
    #: Demo only: the demo card ids that can be inserted, and the one inserted now.
    demo_cards: tuple[str, ...] = ()
    demo_card_inserted: str | None = None
    #: Something in the set-up is simulated (virtual reader or simulated terminal).
    simulated: bool = False


# -- sessions -----------------------------------------------------------------------------------


class WaitingFor(StrEnum):
    """What the desk is waiting for in this session (None: for staff to act)."""

    CARD = "card"  # put the card on the reader
    CARD_READ = "card_read"  # reading the certificate / PIN tries
    PIN = "pin"  # the patient enters the PIN
    PIN_CHECK = "pin_check"  # the card is checking the PIN
    TERMINAL = "terminal"  # a query is out to the terminal
    #: REAL terminal, card route: the file interface cannot query with a card; the desk waits for
    #: the terminal's face-style result (patient at the face reader / terminal) or pasted text.
    FACE_OR_PASTE = "face_or_paste"
    FACE_RESULT = "face_result"  # a face-reader / mobile-device result file
    PASTED_TEXT = "pasted_text"  # text copied from the マイナ資格確認アプリ
    NUMBERS = "numbers"  # the insurance numbers for a query (call query_numbers)
    RECORDING = "recording"  # writing the record


@dataclass(frozen=True, slots=True)
class PortalPdfView:
    """A マイナポータル PDF imported for this session, parsed for staff to confirm."""

    token: str
    parsed: PortalQualification
    mismatches: tuple[Mismatch, ...]
    sha256: str


@dataclass(frozen=True, slots=True)
class SessionUpdated:
    """A visit's reception session changed. The UI shows ``screen`` and enables ``allowed``."""

    visit_id: int
    patient: PatientOnFile
    setting: VisitSetting
    revisit: bool
    state: ReceptionState
    #: What the rules accept today (label, documents, action, path, rules, sources, conditions,
    #: valid_until, notes), in the rules' order; ChooseOption(option.id) picks one.
    options: tuple[AcceptedOption, ...]
    #: The fallback guide's recommended option (the first), when a failure opened the guide.
    recommended_option: str | None
    #: The fallback guide's first steps (reason pre-filled), in order.
    steps: tuple[str, ...]
    notes: tuple[FlaggedNote, ...]
    reason: FailureReason | None
    failures: tuple[FailureReason, ...]
    chosen: AcceptedOption | None
    pin_tries_left: int | None
    last_try_warning: bool
    waiting_for: WaitingFor | None
    #: The current terminal / app result and how it was classified.
    result: QualificationResult | None
    result_outcome: OutcomeKind | None
    #: Differences between the result (or imported PDF) and the patient on file.
    mismatches: tuple[Mismatch, ...]
    documents_requested: tuple[DocumentKind, ...]
    #: After a refused RecordDocuments: what the chosen option still needs.
    documents_missing: tuple[DocumentKind, ...]
    documents_seen: tuple[SeenDocument, ...]
    public_expenses_pending: tuple[PublicExpense, ...]
    portal_pdf: PortalPdfView | None
    last_error: str | None
    simulated: bool
    #: Verification ids recorded for this visit in this session (follow-ups included).
    recorded: tuple[int, ...]
    #: Recording failed (database): retry_record() will try again, nothing is lost
    #: (False while an ``identity_decision`` holds the record).
    record_pending: bool
    #: A follow-up query with numbers (FAIL-04) is possible now: query_numbers().
    can_query_numbers: bool
    current: bool
    #: The last day the patient's card works (e-certificate expiry + DOC-11 grace), once read;
    #: ``policies.deadlines.option_deadline`` tells whether an option's valid_until is this.
    card_usable_until: date | None = None
    #: The share to expect (負担割合): the terminal's ratio if it sent one, else from age.
    share: ShareEstimate | None = None
    #: The verified name / kana / birth date differ from the patient on file: nothing is
    #: recorded until staff call ``resolve_identity(visit_id, update_chart=...)`` —
    #: 「カルテを更新」 (True) or 「別人として中止」 (False). ``mismatches`` say what differs.
    identity_decision: bool = False
    #: What the 一括照会 of the visit's day said about the patient: where the desk starts from.
    #: Not a verification — identity is still confirmed at the desk, and the visit records the
    #: path it verifies by.
    bulk_result: BulkResultForVisit | None = None

    @property
    def screen(self) -> Screen:
        return self.state.screen

    @property
    def allowed(self) -> frozenset[type[Event]]:
        return self.state.allowed

    @property
    def final(self) -> bool:
        return self.state.final

    @property
    def portal_pdf_wanted(self) -> bool:
        """The chosen option includes the マイナポータル PDF: offer the import."""
        return self.chosen is not None and DocumentKind.MYNAPORTAL_PDF in self.chosen.documents


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """The session left the desk (close_session); its records stay in the database."""

    visit_id: int


@dataclass(frozen=True, slots=True)
class PinRequested:
    """Show the patient-facing PIN pad. Tries are read from the card without spending one."""

    visit_id: int
    tries_left: int
    #: One try left: warn, and submit_pin(..., confirm_last_try=True) only after the patient
    #: agreed; otherwise the card layer refuses to send the PIN.
    last_try_warning: bool


@dataclass(frozen=True, slots=True)
class PatientCandidate:
    patient: PatientOnFile
    mismatches: tuple[Mismatch, ...]


@dataclass(frozen=True, slots=True)
class FaceResultUnattached:
    """A face-reader result arrived with no session waiting for it: attach_face_result(token…)."""

    token: str
    result: QualificationResult
    outcome: OutcomeKind
    received_at: datetime
    #: Patients on file who are the same person (birth date + name/kana/numbers), best first.
    candidates: tuple[PatientCandidate, ...]


@dataclass(frozen=True, slots=True)
class VisitRecorded:
    visit_id: int
    verification_id: int
    path: VerificationPath
    outcome: Outcome
    failure_reason: FailureReason | None
    documents: tuple[SeenDocument, ...]
    rule_ids: tuple[str, ...]
    terminal_result_id: int | None
    simulated: bool
    #: A second attempt on an already recorded visit (terminal back, FAIL-04).
    follow_up: bool = False


@dataclass(frozen=True, slots=True)
class SameDayVisit:
    """A warning at ``begin_visit``: the patient already has visits today (``earlier``, open
    or recorded). The visit was opened all the same; the UI may ask whether it is a duplicate
    (cancel it) or a second visit."""

    visit_id: int
    patient: PatientOnFile
    earlier: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FollowUpConflict:
    """A follow-up answer contradicts the visit's recorded result: nothing was recorded.

    A later answer never silently replaces a recorded path. Show both — ``recorded_path`` /
    ``recorded_outcome`` / ``recorded_documents`` against ``answer`` (``answer_reason``) — and
    let staff decide with ``decide_follow_up(token, keep_recorded=...)``; either way the
    decision is recorded as a new attempt. ``recorded_stands``: the rules of the visit's day
    accept the recorded documents on their own even with this answer (``rules`` say which),
    e.g. a valid 資格確認書 after 資格情報なし.
    """

    token: str
    visit_id: int
    recorded_path: VerificationPath
    recorded_outcome: Outcome
    recorded_documents: tuple[DocumentKind, ...]
    answer: OutcomeKind
    answer_reason: FailureReason | None
    recorded_stands: bool
    rules: tuple[str, ...]
    simulated: bool


@dataclass(frozen=True, slots=True)
class VisitDetails:
    """A recorded visit as the result panel shows it (answer to ``show_visit(visit_id)``).

    The kept terminal answer of the newest attempt that has one is parsed again and classified
    as on the visit's day; mismatches are with the patient on file now.
    """

    visit_id: int
    patient: PatientOnFile
    setting: VisitSetting
    local_date: date
    #: Every recorded attempt in time order (path, outcome, reason, documents, rules, staff).
    attempts: tuple[AttemptOnFile, ...]
    result: QualificationResult | None
    result_outcome: OutcomeKind | None
    mismatches: tuple[Mismatch, ...]
    share: ShareEstimate | None
    #: The kept answer could not be read again (English, for the log; the record stands).
    result_error: str | None
    simulated: bool


class ProblemKind(StrEnum):
    COMMAND = "command"  # not allowed now / unknown session / bad arguments
    CARD = "card"
    PIN = "pin"  # wrong format, last try needs confirmation
    TERMINAL = "terminal"
    DATABASE = "database"
    DOCUMENT = "document"  # マイナポータル PDF could not be used
    PASTE = "paste"  # pasted app text could not be used (see details)
    LOGIN = "login"
    DEMO = "demo"
    CONFIG = "config"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the staff must know. ``message`` is English (logs); ``code`` is stable for tr()."""

    kind: ProblemKind
    message: str
    code: str = ""
    visit_id: int | None = None
    details: tuple[str, ...] = ()
    #: For PASTE: each line that could not be read (number, text, why).
    lines: tuple[LineProblem, ...] = ()
    #: For LOGIN ``login_throttled``: whole seconds to wait before the next try.
    wait_s: int | None = None


DeskEvent = (
    DeskStatus
    | SessionUpdated
    | SessionClosed
    | PinRequested
    | FaceResultUnattached
    | VisitRecorded
    | FollowUpConflict
    | SameDayVisit
    | VisitDetails
    | Problem
)
