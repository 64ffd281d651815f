"""ReceptionDesk: the runtime that executes the reception state machine's effects.

Threads (no Qt anywhere):

* **actor** — owns every session and all state-machine transitions. Public methods only queue a
  command for it and return at once; results come back as events to subscribers, called on this
  thread (a Qt UI must marshal them to the GUI thread with a queued signal).
* **card worker** — one card job at a time (one reader = one card session).
* **recorder worker** — every call to the :class:`Recorder` port (database).
* **document worker** — マイナポータル PDFs, parsed in an isolated child process.
* the terminal exchange's own thread and futures, and the PC/SC monitor thread, which only post
  messages to the actor.

The PIN goes from :meth:`ReceptionDesk.submit_pin` straight to the card job; it never enters the
state machine, an event, a log record, an exception message or the database, and is never
retried.

REAL terminal, card route: the OQS file interface has no card-based request (research
oqs-interface.md). After the PIN or the visual check the desk therefore waits for the terminal's
own face-style result (the patient on the face reader / terminal) or for pasted マイナ資格確認アプリ
text; ``SessionUpdated.waiting_for`` is ``FACE_OR_PASTE`` then. Only the SIMULATED terminal has a
card channel (``present_card_to_simulator``), used when the terminal is simulated.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any, TypeVar

from policies.engine import PolicyEngine
from policies.errors import EventNotAllowed, PolicyError
from policies.matching import (
    build_patient_context,
    compare,
    identity_conflict,
    rank,
)
from policies.model import (
    AcceptAction,
    DocumentKind,
    FacilityProfile,
    FailureReason,
    InsuranceKind,
    Outcome,
    VerificationPath,
    VisitSetting,
)
from policies.numbers import insurance_kind_of
from policies.reception import (
    AskDocuments,
    AskPin,
    AskPublicExpenseCertificate,
    AwaitExternalResult,
    CardRead,
    CertParsed,
    ChooseOption,
    DocumentsRecorded,
    Effect,
    Event,
    Failed,
    PinEntered,
    PinResult,
    PinTriesRead,
    QueryKind,
    QueryTerminal,
    ReadCard,
    ReadPinTries,
    ReceptionContext,
    RecordVerification,
    RejectDocuments,
    Screen,
    TerminalAnswered,
    Transition,
    VerificationRecord,
    handle,
    start,
)
from reader.documents import DocumentError, PortalQualification, parse_mynaportal_pdf
from reader.pcsc import (
    CardInserted,
    CardRemoved,
    ReaderAdded,
    ReaderEvent,
    ReaderInfo,
    ReaderRemoved,
    ServiceLost,
    ServiceRestored,
)
from reader.reception import coerce
from reader.reception.cards import (
    CardSource,
    CertRead,
    DemoCards,
    PinOutcome,
    classify,
    present_pin,
    read_certificate,
    read_pin_tries,
)
from reader.reception.events import (
    DatabaseStatus,
    DeskEvent,
    DeskMode,
    DeskStatus,
    FaceResultUnattached,
    PatientCandidate,
    PinRequested,
    PortalPdfView,
    Problem,
    ProblemKind,
    ReaderState,
    ReaderStatus,
    SessionClosed,
    SessionUpdated,
    TerminalState,
    TerminalStatus,
    VisitDetails,
)
from reader.reception.ports import (
    DatabaseUnavailable,
    PatientOnFile,
    RecordedVerification,
    Recorder,
    SeenDocument,
    StaffRef,
    VerificationToRecord,
    VisitOnFile,
)
from reader.reception.results import (
    evidence_for,
    load_visit_details,
    numbers_from_result,
    outcome_event,
    result_facts,
    share_for,
)
from reader.reception.session import (
    FOLLOW_UP_RULES,
    STAFF_EVENTS,
    Session,
    Unattached,
    VisitRequest,
    now_jst,
    portal_document,
    portal_facts,
    portal_numbers,
    recorded_event,
    session_view,
)
from reader.terminal import (
    FaceResultArrived,
    IdentityCheck,
    IndividualQuery,
    InsuranceNumbers,
    PastedTextError,
    QualificationResult,
    ResultArrived,
    TerminalError,
    TerminalEvent,
    TerminalExchange,
    TerminalProblem,
    new_challenge,
    outcome_for_result,
    parse_limited_app_text,
    present_card_to_simulator,
)
from reader.terminal import (
    ProblemKind as TerminalProblemKind,
)
from reader.terminal.outcome import OutcomeKind, QueryOutcome
from reader.terminal.queries import HomeVisitNumbers
from reader.terminal.queries import QueryKind as TerminalQueryKind

log = logging.getLogger(__name__)

T = TypeVar("T")
Subscriber = Callable[[DeskEvent], None]

_MAX_UNATTACHED = 100
#: How often a red status is re-checked (terminal folders back, database reachable again).
HEALTH_CHECK_S = 5.0


class ReceptionDesk:
    """The reception runtime. Build it in main.py, :meth:`start` it, :meth:`subscribe` a UI.

    Every public method returns at once (it queues a command); see ``reader/reception/README.md``
    for the commands, the events and the threading contract.
    """

    def __init__(
        self,
        *,
        engine: PolicyEngine,
        recorder: Recorder,
        card_source: CardSource | None = None,
        terminal: TerminalExchange | None = None,
        demo_cards: DemoCards | None = None,
        mode: DeskMode = DeskMode.PRODUCTION,
        preferred_reader: str | None = None,
        clock: Callable[[], datetime] = now_jst,
        limit_consent: bool = False,
    ) -> None:
        self.engine = engine
        self.recorder = recorder
        self.card_source = card_source
        self.terminal = terminal
        self.demo_cards = demo_cards
        self.mode = mode
        self.preferred_reader = preferred_reader
        self.clock = clock
        #: Ask the terminal for 限度額 information with individual queries (patient consented
        #: at registration; the face reader asks the patient itself).
        self.limit_consent = limit_consent
        self._inbox: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._subscribers: list[Subscriber] = []
        self._sub_lock = threading.Lock()
        self._card_pool = ThreadPoolExecutor(1, thread_name_prefix="desk-card")
        self._db_pool = ThreadPoolExecutor(1, thread_name_prefix="desk-recorder")
        self._doc_pool = ThreadPoolExecutor(1, thread_name_prefix="desk-documents")
        self._timers: set[threading.Timer] = set()
        self._unsubscribers: list[Callable[[], None]] = []
        # -- actor-owned state --
        self._sessions: dict[int, Session] = {}
        self._current: int | None = None
        self._staff: StaffRef | None = None
        self._facility: FacilityProfile | None = None
        self._readers: dict[str, ReaderInfo] = {}
        self._cards: dict[str, bytes] = {}
        self._card_fresh = False
        self._pcsc_ok = card_source is not None
        self._reader_note: str | None = None
        self._terminal_state = (
            TerminalState.CONNECTED if terminal is not None else TerminalState.NOT_CONFIGURED
        )
        self._terminal_error: str | None = None
        self._terminal_error_kind: str | None = None
        self._db = DatabaseStatus(ok=False, description="", error="not checked yet")
        self._unattached: dict[str, Unattached] = {}
        self._followups: dict[str, tuple[int, PatientOnFile, VerificationPath]] = {}
        self._last_status: DeskStatus | None = None
        self._demo_card_ids: tuple[str, ...] | None = None
        self._db_checking = False
        #: Card presentations this desk made to the simulator (their late answers stay apart).
        self._presented: set[str] = set()
        self._closed = False

    # ===================================================================== lifecycle

    def start(self) -> ReceptionDesk:
        """Start the actor, the card source and the terminal exchange; check the database."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="desk-actor", daemon=True)
        self._thread.start()
        if self.terminal is not None:
            self._unsubscribers.append(self.terminal.subscribe(self._on_terminal_event))
            self.terminal.start()
        if self.card_source is not None:
            self.card_source.start(lambda e: self._post(lambda: self._on_reader_event(e)))
        self._post(self._refresh_database)
        self._later(HEALTH_CHECK_S, self._tick)
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Stop everything this desk started (idempotent). Pending records are finished first."""
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        for timer in list(self._timers):
            timer.cancel()
        if self.card_source is not None:
            self.card_source.stop()
        if self.terminal is not None:
            self.terminal.stop()
        self._db_pool.shutdown(wait=True)
        self._card_pool.shutdown(wait=False, cancel_futures=True)
        self._doc_pool.shutdown(wait=False, cancel_futures=True)
        self._inbox.put(None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> ReceptionDesk:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` on the desk's thread for every event from now on.

        The current DeskStatus and every open session are replayed to the new subscriber first.
        Returns the function that unsubscribes.
        """

        def replay() -> None:
            with self._sub_lock:
                self._subscribers.append(callback)
            self._safe_call(callback, self._status())
            for s in self._sessions.values():
                self._safe_call(callback, self._view(s))

        self._post(replay)

        def unsubscribe() -> None:
            with self._sub_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    @property
    def staff(self) -> StaffRef | None:
        """The logged-in staff member (None: nobody; read from any thread)."""
        return self._staff

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until the actor has handled everything queued before this call (tests, exit)."""
        if self._closed:
            return False
        done = threading.Event()
        self._post(done.set)
        return done.wait(timeout)

    # ===================================================================== commands (any thread)

    def login(self, username: str, password: str) -> None:
        """Authenticate staff; DeskStatus.staff is set, or Problem(LOGIN)."""
        self._post(lambda: self._login(username, password))

    def logout(self) -> None:
        self._post(self._logout)

    def reload_settings(self) -> None:
        """Re-read the facility profile (after an admin changed it)."""
        self._post(self._refresh_database)

    def begin_visit(self, request: VisitRequest) -> None:
        """Open a visit (creating the patient if new) and start its reception session."""
        request = coerce.request(request)  # enum fields may come as str (Qt, JSON)
        self._post(lambda: self._begin(request, None))

    def focus(self, visit_id: int) -> None:
        """Make a session current (card events and commands without visit_id go to it)."""
        self._post(lambda: self._focus(visit_id))

    def dispatch(self, event: Event, *, visit_id: int | None = None) -> None:
        """A staff intent the state allows: ChooseOption, RetryPin, UseVisualCheck,
        VisualCheckDone, DocumentsRecorded, PublicExpenseResolved, Cancel, Failed(reason).
        ``Failed.reason`` may be the FailureReason's value as str (a ValueError if unknown)."""
        event = coerce.event(event)
        self._post(lambda: self._dispatch(event, visit_id))

    def submit_pin(
        self, pin: str, *, confirm_last_try: bool = False, visit_id: int | None = None
    ) -> None:
        """Present the PIN to the card once (never stored, logged or retried)."""
        self._post(functools.partial(self._submit_pin, pin, confirm_last_try, visit_id))

    def record_documents(
        self,
        documents: Sequence[SeenDocument],
        *,
        numbers: InsuranceNumbers | None = None,
        use_portal_pdf: bool = False,
        visit_id: int | None = None,
    ) -> None:
        """What the patient presented, with the details staff checked.

        ``numbers``: the 保険者番号/記号/番号/枝番 + birth date read off the document, needed when
        the chosen option queries the terminal with them. ``use_portal_pdf``: the imported
        マイナポータル PDF (confirmed by staff) is one of the documents; its details are added.
        """
        seen = tuple(coerce.documents(documents))  # DocumentKind may come as str
        self._post(lambda: self._record_documents(seen, numbers, use_portal_pdf, visit_id))

    def paste_limited_app_text(self, text: str, *, visit_id: int | None = None) -> None:
        """Text copied from the マイナ資格確認アプリ for the waiting session."""
        self._post(lambda: self._paste(text, visit_id))

    def import_mynaportal_pdf(self, data: bytes, *, visit_id: int | None = None) -> None:
        """Parse a マイナポータル PDF (isolated) and show it in the session for confirmation."""
        self._post(lambda: self._import_pdf(bytes(data), visit_id))

    def query_numbers(
        self, numbers: InsuranceNumbers | None = None, *, visit_id: int | None = None
    ) -> None:
        """Query the terminal with insurance numbers.

        For a session waiting for numbers (WaitingFor.NUMBERS) this continues it. For a recorded
        visit (a session that is done, or any visit id on file) it is a follow-up: the answer is
        recorded as a second verification attempt on the same visit (FAIL-04), e.g. when the
        terminal is back after a fallback. Without ``numbers`` the ones from the documents or
        the patient on file are used.
        """
        self._post(lambda: self._query_numbers(numbers, visit_id))

    def attach_face_result(self, token: str, request: VisitRequest) -> None:
        """Begin a visit for an unattached face result and feed it (new or existing patient)."""
        request = coerce.request(request)
        self._post(lambda: self._attach(token, request))

    def retry_record(self, visit_id: int | None = None) -> None:
        """Write a record that failed (database error) again."""
        self._post(lambda: self._retry_record(visit_id))

    def show_visit(self, visit_id: int) -> None:
        """Load a recorded visit for the result panel: ``VisitDetails`` (its attempts, the kept
        answer parsed again, mismatches with the patient on file), or ``Problem(DATABASE)``."""
        self._post(lambda: self._show_visit(visit_id))

    def close_session(self, visit_id: int) -> None:
        """Remove a finished session from the desk (its records stay in the database)."""
        self._post(lambda: self._close_session(visit_id))

    # -- demo --

    def demo_insert_card(self, card_id: str) -> None:
        """Demo: put the SIMULATED demo card ``card_id`` into the demo reader."""
        self._post(lambda: self._demo(lambda d: d.insert(card_id)))

    def demo_remove_card(self) -> None:
        self._post(lambda: self._demo(lambda d: d.remove()))

    def demo_face_reader(self, card_id: str) -> None:
        """Demo: the patient uses the (simulated) face reader with demo card ``card_id``."""
        self._post(lambda: self._demo_face(card_id))

    # ===================================================================== actor plumbing

    def _post(self, fn: Callable[[], None]) -> None:
        if not self._closed or fn is None:
            self._inbox.put(fn)

    def _run(self) -> None:
        while True:
            fn = self._inbox.get()
            if fn is None:
                return
            try:
                fn()
            except Exception as exc:  # the actor must survive anything
                log.exception("desk actor error")
                self._emit(Problem(ProblemKind.COMMAND, f"internal error: {type(exc).__name__}"))

    def _safe_call(self, callback: Subscriber, event: DeskEvent) -> None:
        try:
            callback(event)
        except Exception:
            log.exception("desk subscriber failed on %s", type(event).__name__)

    def _emit(self, event: DeskEvent) -> None:
        with self._sub_lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            self._safe_call(callback, event)

    def _work(
        self,
        pool: ThreadPoolExecutor,
        job: Callable[[], T],
        done: Callable[[T | None, BaseException | None], None],
    ) -> None:
        """Run ``job`` on ``pool``; ``done(result, error)`` runs on the actor afterwards."""

        def run() -> None:
            try:
                result = job()
            except BaseException as exc:
                self._post(functools.partial(done, None, exc))
                return
            self._post(lambda: done(result, None))

        try:
            pool.submit(run)
        except RuntimeError:  # pool shut down: the desk is closing
            log.debug("job dropped: desk closing")

    def _later(self, seconds: float, fn: Callable[[], None]) -> None:
        def fire() -> None:
            self._timers.discard(timer)
            self._post(fn)

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def _problem(
        self,
        kind: ProblemKind,
        message: str,
        *,
        code: str = "",
        visit_id: int | None = None,
        **extra: Any,
    ) -> None:
        self._emit(Problem(kind, message, code=code, visit_id=visit_id, **extra))

    def _tell(self, s: Session, kind: ProblemKind, code: str, message: str, **extra: Any) -> None:
        """A problem with this session: kept as its last error, announced, view refreshed."""
        s.last_error = message
        self._problem(kind, message, code=code, visit_id=s.visit_id, **extra)
        self._emit(self._view(s))

    # ===================================================================== status

    def _today(self) -> date:
        return self.clock().date()

    def _active_reader(self) -> ReaderInfo | None:
        if self.preferred_reader:
            for name, info in self._readers.items():
                if name == self.preferred_reader or name.startswith(self.preferred_reader):
                    return info
            return None
        with_card = [r for n, r in self._readers.items() if n in self._cards]
        if with_card:
            return with_card[0]
        real = [r for r in self._readers.values() if not r.virtual]
        return (real or list(self._readers.values()) or [None])[0]

    def _terminal_simulated(self) -> bool:
        return self.terminal is not None and self.terminal.config.simulated

    def _env_simulated(self) -> bool:
        """The set-up itself is simulated: demo mode or a simulated terminal."""
        return self.mode is DeskMode.DEMO or self._terminal_simulated()

    def _status(self) -> DeskStatus:
        reader = self._active_reader()
        if self.card_source is None:
            rstatus = ReaderStatus(ReaderState.NONE, note="no card source configured")
        elif not self._pcsc_ok:
            rstatus = ReaderStatus(
                ReaderState.NO_SERVICE, source=self.card_source.description, note=self._reader_note
            )
        elif reader is None:
            rstatus = ReaderStatus(
                ReaderState.NONE, source=self.card_source.description, note=self._reader_note
            )
        else:
            rstatus = ReaderStatus(
                ReaderState.CARD_PRESENT if reader.name in self._cards else ReaderState.CONNECTED,
                reader.name,
                reader.virtual,
                self.card_source.description,
                self._reader_note,
            )
        tstatus = TerminalStatus(
            self._terminal_state,
            self._terminal_simulated(),
            self._terminal_error,
            self.terminal.health().last_answer_at if self.terminal is not None else None,
            str(self.terminal.config.root) if self.terminal is not None else None,
        )
        demo = self.demo_cards
        return DeskStatus(
            mode=self.mode,
            reader=rstatus,
            terminal=tstatus,
            database=self._db,
            staff=self._staff,
            facility=self._facility,
            demo_cards=self._demo_ids(),
            demo_card_inserted=demo.inserted() if demo is not None else None,
            simulated=self._env_simulated() or bool(reader and reader.virtual),
        )

    def _demo_ids(self) -> tuple[str, ...]:
        if self.demo_cards is None:
            return ()
        if self._demo_card_ids is None:
            self._demo_card_ids = tuple(self.demo_cards.card_ids())
        return self._demo_card_ids

    def _publish_status(self) -> None:
        status = self._status()
        if status != self._last_status:
            self._last_status = status
            self._emit(status)

    def _db_job(
        self, job: Callable[[], T], done: Callable[[T], None], *, visit_id: int | None = None
    ) -> None:
        """A recorder call; a failure becomes Problem(DATABASE) and a red database status."""

        def finish(result: T | None, error: BaseException | None) -> None:
            if error is not None:
                self._database_error(error)
                self._problem(
                    ProblemKind.DATABASE, str(error), code=type(error).__name__, visit_id=visit_id
                )
                return
            if not self._db.ok:
                self._db = dataclasses.replace(self._db, ok=True, error=None)
                self._publish_status()
            done(result)  # type: ignore[arg-type]

        self._work(self._db_pool, job, finish)

    def _tick(self) -> None:
        """Turn a red status green again when the cause went away (no event tells us)."""
        if self._closed:
            return
        if (
            self.terminal is not None
            and self._terminal_state is TerminalState.UNREACHABLE
            and self._terminal_error_kind in ("folder_unavailable", "request_write")
            and self.terminal.health().folders_ok
        ):
            self._terminal_ok()
        if not self._db.ok and not self._db_checking:
            self._db_checking = True

            def checked(_: None, error: BaseException | None) -> None:
                self._db_checking = False
                if error is None:
                    self._db = dataclasses.replace(self._db, ok=True, error=None)
                    self._publish_status()

            self._work(self._db_pool, self.recorder.check, checked)
        self._later(HEALTH_CHECK_S, self._tick)

    def _database_error(self, error: BaseException) -> None:
        """Only a database that cannot be used turns the status red (not a refused request)."""
        if isinstance(error, DatabaseUnavailable):
            self._db = dataclasses.replace(self._db, ok=False, error=str(error))
            self._publish_status()

    def _refresh_database(self) -> None:
        def job() -> tuple[str, FacilityProfile | None]:
            description = self.recorder.describe()
            self.recorder.check()
            return description, self.recorder.facility()

        def done(value: tuple[str, FacilityProfile | None]) -> None:
            description, facility = value
            self._db = DatabaseStatus(ok=True, description=description)
            self._facility = facility
            if facility is None:
                self._problem(
                    ProblemKind.CONFIG,
                    "no facility profile is set: an administrator must set it up",
                    code="no_facility",
                )
            self._publish_status()

        self._db_job(job, done)

    # ===================================================================== staff

    def _login(self, username: str, password: str) -> None:
        def done(staff: StaffRef | None) -> None:
            if staff is None:
                self._problem(ProblemKind.LOGIN, "wrong user name or password", code="login_failed")
                return
            self._staff = staff
            self._publish_status()

        self._db_job(lambda: self.recorder.authenticate(username, password), done)

    def _logout(self) -> None:
        staff, self._staff = self._staff, None
        if staff is not None:
            self._db_job(lambda: self.recorder.logout(staff), lambda _: None)
        self._publish_status()

    def _show_visit(self, visit_id: int) -> None:
        if self._require_staff() is None:
            return
        code = self._facility.medical_institution_code if self._facility else None
        recorder, burden, simulated = self.recorder, self.engine.rb.burden, self._env_simulated()

        def job() -> VisitDetails:
            return load_visit_details(
                recorder,
                visit_id,
                burden=burden,
                institution_code=code or None,
                env_simulated=simulated,
            )

        self._db_job(job, self._emit, visit_id=visit_id)

    def _require_staff(self) -> StaffRef | None:
        if self._staff is None:
            self._problem(ProblemKind.LOGIN, "log in first", code="not_logged_in")
        return self._staff

    # ===================================================================== sessions

    def _session(self, visit_id: int | None, *, quiet: bool = False) -> Session | None:
        key = self._current if visit_id is None else visit_id
        s = self._sessions.get(key) if key is not None else None
        if s is None and not quiet:
            self._problem(
                ProblemKind.COMMAND,
                "no reception session" + (f" for visit {visit_id}" if visit_id else ""),
                code="no_session",
                visit_id=visit_id,
            )
        return s

    def _focus(self, visit_id: int) -> None:
        if self._session(visit_id) is None:
            return
        previous, self._current = self._current, visit_id
        if previous in self._sessions and previous != visit_id:
            self._emit(self._view(self._sessions[previous]))
        self._emit(self._view(self._sessions[visit_id]))

    def _begin(self, request: VisitRequest, then: Callable[[Session], None] | None) -> None:
        staff = self._require_staff()
        if staff is None:
            return
        facility = self._facility
        if facility is None:
            self._problem(ProblemKind.CONFIG, "no facility profile is set", code="no_facility")
            return
        if (request.patient_id is None) == (request.new_patient is None):
            self._problem(
                ProblemKind.COMMAND,
                "begin_visit needs exactly one of patient_id and new_patient",
                code="bad_request",
            )
            return
        on = self._today()

        def job() -> tuple[PatientOnFile, int, date | None]:
            if request.new_patient is not None:
                patient = self.recorder.create_patient(staff, request.new_patient)
            else:
                assert request.patient_id is not None
                patient = self.recorder.patient(request.patient_id)
            first = request.home_first_check
            if first is None and request.setting is VisitSetting.HOME_VISIT:
                first = self.recorder.first_home_check(patient.id)
            visit_id = self.recorder.open_visit(staff, patient.id, request.setting, on)
            return patient, visit_id, first

        def done(value: tuple[PatientOnFile, int, date | None]) -> None:
            patient, visit_id, first = value
            self._start_session(
                request=request,
                patient=patient,
                visit_id=visit_id,
                home_first=first,
                on=on,
                facility=facility,
                then=then,
            )

        self._db_job(job, done)

    def _start_session(
        self,
        *,
        request: VisitRequest,
        patient: PatientOnFile,
        visit_id: int,
        home_first: date | None,
        on: date,
        facility: FacilityProfile,
        then: Callable[[Session], None] | None,
    ) -> None:
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
        ctx = ReceptionContext(self.engine, on, facility)
        try:
            transition = start(ctx, context)
        except PolicyError as exc:
            self._problem(ProblemKind.CONFIG, str(exc), code="rules", visit_id=visit_id)
            return
        s = Session(
            visit_id=visit_id,
            patient=patient,
            request=request,
            ctx=ctx,
            state=transition.state,
            started_at=self.clock(),
            simulated=self._env_simulated(),
        )
        self._sessions[visit_id] = s
        previous, self._current = self._current, visit_id
        if previous in self._sessions and previous != visit_id:
            self._emit(self._view(self._sessions[previous]))
        self._apply(s, transition)
        if then is not None:
            then(s)
        elif self._card_fresh:
            reader = self._active_reader()
            if reader is not None and reader.name in self._cards:
                self._runtime(s, CardRead(simulated=reader.virtual))

    def _close_session(self, visit_id: int) -> None:
        s = self._session(visit_id)
        if s is None:
            return
        if not s.state.final or s.recording:
            self._problem(
                ProblemKind.COMMAND,
                "the session is not finished: cancel it first",
                code="not_finished",
                visit_id=visit_id,
            )
            return
        del self._sessions[visit_id]
        if self._current == visit_id:
            self._current = None
        self._emit(SessionClosed(visit_id))

    # -- transitions --

    def _runtime(self, s: Session, event: Event) -> None:
        """An event from the card, the terminal or a paste; stale ones are dropped quietly."""
        try:
            transition = handle(s.ctx, s.state, event)
        except EventNotAllowed as exc:
            log.debug("visit %s: dropped %s (%s)", s.visit_id, type(event).__name__, exc)
            self._emit(self._view(s))
            return
        self._apply(s, transition)

    def _dispatch(self, event: Event, visit_id: int | None) -> None:
        s = self._session(visit_id)
        if s is None:
            return
        if type(event) not in STAFF_EVENTS:
            self._problem(
                ProblemKind.COMMAND,
                f"{type(event).__name__} is reported by the desk itself, not by staff",
                code="not_staff_event",
                visit_id=s.visit_id,
            )
            return
        if isinstance(event, DocumentsRecorded):
            seen = tuple(SeenDocument(k) for k in sorted(event.documents))
            self._record_documents(seen, None, False, s.visit_id)
            return
        try:
            transition = handle(s.ctx, s.state, event)
        except EventNotAllowed as exc:
            self._tell(s, ProblemKind.COMMAND, "not_allowed", str(exc))
            return
        self._apply(s, transition)

    def _apply(self, s: Session, transition: Transition) -> None:
        before = s.state.screen
        s.state = transition.state
        s.gen += 1
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
        self._emit(self._view(s))

    def _execute(self, s: Session, effect: Effect) -> None:
        if isinstance(effect, ReadCard):
            self._read_card(s)
        elif isinstance(effect, ReadPinTries):
            self._read_pin_tries(s)
        elif isinstance(effect, AskPin):
            self._emit(PinRequested(s.visit_id, effect.tries_left, effect.last_try_warning))
        elif isinstance(effect, QueryTerminal):
            self._query(s, effect.kind)
        elif isinstance(effect, AwaitExternalResult):
            s.awaiting_external = effect.path
        elif isinstance(effect, AskDocuments):
            s.documents_requested = effect.documents
        elif isinstance(effect, RejectDocuments):
            s.documents_missing = effect.missing
            s.last_error = "the documents do not satisfy the chosen option"
        elif isinstance(effect, AskPublicExpenseCertificate):
            s.expenses_pending = effect.expenses
        elif isinstance(effect, RecordVerification):
            self._record(s, effect.record)
        # ShowOptions, AskVisualCheck: the state carries everything the screen shows.

    # ===================================================================== card

    def _on_reader_event(self, event: ReaderEvent) -> None:
        if isinstance(event, ReaderAdded):
            self._readers[event.reader.name] = event.reader
            self._pcsc_ok = True
        elif isinstance(event, ReaderRemoved):
            self._readers.pop(event.reader.name, None)
            self._cards.pop(event.reader.name, None)
            self._reader_lost(event.reader)
        elif isinstance(event, CardInserted):
            self._cards[event.reader.name] = event.atr
            self._card_inserted(event.reader)
        elif isinstance(event, CardRemoved):
            self._cards.pop(event.reader.name, None)
        elif isinstance(event, ServiceLost):
            self._pcsc_ok = False
            self._reader_note = event.reason or "PC/SC service lost"
        elif isinstance(event, ServiceRestored):
            self._pcsc_ok = True
            self._reader_note = None
        self._publish_status()

    def _is_active(self, reader: ReaderInfo) -> bool:
        active = self._active_reader()
        return active is not None and active.name == reader.name

    def _card_inserted(self, reader: ReaderInfo) -> None:
        if not self._is_active(reader):
            return
        self._card_fresh = True
        waiting = [s for s in self._sessions.values() if s.card_wait]
        waiting.sort(key=lambda s: s.visit_id != self._current)
        if waiting:
            self._read_card(waiting[0])
            self._emit(self._view(waiting[0]))
            return
        s = self._sessions.get(self._current) if self._current is not None else None
        if s is not None and CardRead in s.state.allowed:
            self._runtime(s, CardRead(simulated=reader.virtual))

    def _reader_lost(self, reader: ReaderInfo) -> None:
        for s in list(self._sessions.values()):
            if s.card_wait and (s.reader is None or s.reader.name == reader.name):
                s.last_error = f"the card reader {reader.name} was disconnected"
                self._runtime(s, Failed(FailureReason.READER_FAILURE))

    def _card_job(
        self,
        s: Session,
        job: Callable[[], T],
        done: Callable[[Session, T], None],
        *,
        busy: str = "card_busy",
    ) -> None:
        """Run a card job for ``s``; an error routes the session by its failure reason."""
        gen, visit_id = s.gen, s.visit_id
        setattr(s, busy, True)

        def finish(result: T | None, error: BaseException | None) -> None:
            current = self._sessions.get(visit_id)
            if current is None:
                return
            setattr(current, busy, False)
            if current.gen != gen:
                log.debug("visit %s: stale card answer dropped", visit_id)
                self._emit(self._view(current))
                return
            if error is not None:
                failure = classify(error)
                current.last_error = failure.message + (
                    f" ({failure.hint})" if failure.hint else ""
                )
                self._problem(
                    ProblemKind.CARD,
                    current.last_error,
                    code=failure.reason.value,
                    visit_id=visit_id,
                )
                self._runtime(current, Failed(failure.reason))
                return
            done(current, result)  # type: ignore[arg-type]

        self._work(self._card_pool, job, finish)

    def _read_card(self, s: Session) -> None:
        source = self.card_source
        reader = self._active_reader()
        if source is None or reader is None or not self._pcsc_ok:
            s.card_wait = False
            s.last_error = "no card reader is connected"
            self._runtime(s, Failed(FailureReason.READER_FAILURE))
            return
        if reader.name not in self._cards:
            s.card_wait = True  # read when the card arrives
            return
        s.card_wait = False
        s.reader = reader
        self._card_fresh = False

        def done(current: Session, cert: CertRead) -> None:
            current.cert = cert
            current.simulated = current.simulated or cert.simulated
            self._runtime(current, CertParsed(cert.expiry, simulated=cert.simulated))

        self._card_job(s, lambda: read_certificate(source, reader), done)

    def _read_pin_tries(self, s: Session) -> None:
        source, reader = self.card_source, s.reader
        if source is None or reader is None:
            self._runtime(s, Failed(FailureReason.READER_FAILURE))
            return
        self._card_job(
            s,
            lambda: read_pin_tries(source, reader),
            lambda current, tries: self._runtime(current, PinTriesRead(tries)),
        )

    def _submit_pin(self, pin: str, confirm_last_try: bool, visit_id: int | None) -> None:
        s = self._session(visit_id)
        if s is None:
            return
        source, reader = self.card_source, s.reader
        if s.state.screen is not Screen.ASK_PIN or s.pin_busy or source is None or not reader:
            self._problem(
                ProblemKind.PIN, "the desk is not waiting for a PIN now", code="not_waiting_pin"
            )
            return
        challenge = new_challenge() if self._terminal_simulated() else None
        s.challenge, s.signature = challenge, b""
        job = functools.partial(
            present_pin,
            source,
            reader,
            pin,
            confirm_last_try=confirm_last_try,
            challenge=challenge,
        )
        del pin  # the partial above is the only holder; it dies with the job

        def done(current: Session, outcome: PinOutcome) -> None:
            if outcome.invalid_format:
                self._tell(
                    current, ProblemKind.PIN, "invalid_format", "the PIN must be four digits"
                )
            elif outcome.needs_confirmation:
                self._emit(PinRequested(current.visit_id, 1, True))
                self._tell(
                    current,
                    ProblemKind.PIN,
                    "last_try_needs_confirmation",
                    "one try left: confirm with the patient before using it",
                )
            elif outcome.ok:
                current.signature = outcome.signature
                current.last_error = None
                self._runtime(current, PinEntered(PinResult.OK))
            elif outcome.blocked:
                current.last_error = "the PIN is locked"
                self._runtime(current, PinEntered(PinResult.BLOCKED, 0))
            else:
                current.last_error = "wrong PIN"
                self._runtime(current, PinEntered(PinResult.WRONG, outcome.wrong_tries_left))

        self._card_job(s, job, done, busy="pin_busy")
        self._emit(self._view(s))

    # ===================================================================== terminal

    def _on_terminal_event(self, event: TerminalEvent) -> None:
        """Called on the exchange's thread: hand over to the actor."""
        self._post(lambda: self._terminal_event(event))

    def _terminal_event(self, event: TerminalEvent) -> None:
        if isinstance(event, FaceResultArrived):
            self._terminal_ok()
            self._on_face(event)
        elif isinstance(event, ResultArrived):
            if event.outcome.kind is not OutcomeKind.NO_ANSWER:
                self._terminal_ok()
            if event.outcome.late:
                self._problem(
                    ProblemKind.TERMINAL,
                    f"a late answer to query {event.request_id} arrived after the fallback; "
                    "it is archived, nothing was changed",
                    code="late_answer",
                )
        elif isinstance(event, TerminalProblem):
            if event.kind in (
                TerminalProblemKind.FOLDER_UNAVAILABLE,
                TerminalProblemKind.NO_ANSWER,
                TerminalProblemKind.REQUEST_NOT_COLLECTED,
            ):
                self._terminal_down(event.message, event.kind.value)
            else:
                self._problem(ProblemKind.TERMINAL, event.message, code=event.kind.value)

    def _terminal_ok(self) -> None:
        if self._terminal_state is not TerminalState.CONNECTED or self._terminal_error:
            self._terminal_state = TerminalState.CONNECTED
            self._terminal_error = None
            self._terminal_error_kind = None
        self._publish_status()

    def _terminal_down(self, message: str, kind: str) -> None:
        self._terminal_state = TerminalState.UNREACHABLE
        self._terminal_error = message
        self._terminal_error_kind = kind
        self._publish_status()
        self._problem(ProblemKind.TERMINAL, message, code=kind)

    def _query(self, s: Session, kind: QueryKind) -> None:
        if kind is QueryKind.CARD:
            self._query_card(s)
            return
        numbers = s.numbers or s.patient.numbers
        if numbers is None:
            s.needs_numbers = kind
            s.last_error = "the insurance numbers and birth date are needed for this query"
            self._problem(
                ProblemKind.COMMAND, s.last_error, code="numbers_needed", visit_id=s.visit_id
            )
            return
        self._submit_query(s, kind, numbers)

    def _individual_query(self, kind: QueryKind, numbers: InsuranceNumbers, first: date) -> Any:
        if kind is QueryKind.REQUERY:
            return HomeVisitNumbers(numbers, first, self.limit_consent).requery()
        return IndividualQuery(numbers, self.limit_consent, TerminalQueryKind.INDIVIDUAL)

    def _submit_query(self, s: Session, kind: QueryKind, numbers: InsuranceNumbers) -> None:
        s.needs_numbers = None
        first = s.state.patient.home_first_check or s.ctx.on
        query = self._individual_query(kind, numbers, first)
        pending = self._submit(query, s)
        if pending is None:
            return
        s.request_id = pending.request_id
        gen, visit_id, rid = s.gen, s.visit_id, pending.request_id

        def answered(future: Future[QueryOutcome]) -> None:
            outcome = future.result()
            self._post(lambda: self._query_answered(visit_id, gen, rid, outcome))

        pending.future.add_done_callback(answered)

    def _submit(self, query: IndividualQuery, s: Session | None) -> Any:
        """Send a query; a failure to even send it routes the session as TERMINAL_DOWN."""
        error: str | None = None
        if self.terminal is None:
            error = "no verification terminal is configured on this PC"
        else:
            try:
                return self.terminal.submit(query)
            except (TerminalError, OSError) as exc:
                error = str(exc)
                self._terminal_down(error, "request_write")
        if s is not None:
            s.last_error = error
            self._runtime(s, Failed(FailureReason.TERMINAL_DOWN))
        else:
            self._problem(ProblemKind.TERMINAL, error or "", code="not_sent")
        return None

    def _query_answered(self, visit_id: int, gen: int, rid: str, outcome: QueryOutcome) -> None:
        s = self._sessions.get(visit_id)
        if s is None or s.request_id != rid or s.gen != gen:
            return
        if outcome.kind is OutcomeKind.NO_ANSWER:
            s.last_error = outcome.error_message or "no answer from the terminal"
        else:
            self._take_result(s, outcome)
        self._feed_outcome(s, outcome)

    def _feed_outcome(self, s: Session, outcome: QueryOutcome) -> None:
        event = outcome_event(outcome, expects_public_expense=bool(s.request.public_expenses))
        if not outcome.ok and outcome.kind is not OutcomeKind.NO_ANSWER:
            s.last_error = outcome.error_message or outcome.kind.value
        self._runtime(s, event)

    def _take_result(self, s: Session, outcome: QueryOutcome) -> None:
        s.outcome = outcome
        s.result = outcome.result
        s.result_at = self.clock()
        s.simulated = s.simulated or outcome.simulated
        facts = result_facts(outcome.result)
        s.mismatches = compare(s.patient.facts, facts) if facts else ()

    def _query_card(self, s: Session) -> None:
        s.card_query = True
        if not self._terminal_simulated():
            # REAL terminal (or none): the file interface cannot query with a card. Wait for
            # the terminal's face-style result or pasted マイナ資格確認アプリ text (see module doc).
            return
        assert self.terminal is not None
        if s.cert is None:
            s.last_error = "the card's certificate was not read"
            self._runtime(s, Failed(FailureReason.CARD_UNREADABLE))
            return
        identity = IdentityCheck.PIN if s.signature else IdentityCheck.VISUAL
        challenge = s.challenge if s.signature and s.challenge else new_challenge()
        try:
            pid = present_card_to_simulator(
                self.terminal.config,
                certificate_der=s.cert.der,
                challenge=challenge,
                identity_check=identity,
                signature=s.signature,
                limit_consent=self.limit_consent,
            )
        except (TerminalError, OSError) as exc:
            s.last_error = str(exc)
            self._terminal_down(str(exc), "sim_present")
            self._runtime(s, Failed(FailureReason.TERMINAL_DOWN))
            return
        s.presentation_id = pid
        self._presented.add(pid)
        gen, visit_id = s.gen, s.visit_id

        def timed_out() -> None:
            current = self._sessions.get(visit_id)
            if current is None or current.gen != gen or current.presentation_id != pid:
                return
            message = "no answer from the (simulated) terminal to the card presentation"
            current.last_error = message
            self._terminal_down(message, "no_answer")
            self._feed_outcome(
                current, QueryOutcome(OutcomeKind.NO_ANSWER, error_message=message, simulated=True)
            )

        self._later(self.terminal.config.answer_timeout_s, timed_out)

    # -- face results --

    def _face_targets(self, result: QualificationResult) -> list[Session]:
        pid = result.simulator_value("PresentationId")
        if pid:
            match = [s for s in self._sessions.values() if s.presentation_id == pid]
            if match or pid in self._presented:
                return match  # ours, but its session moved on (timed out): staff attach it
        facts = result_facts(result)
        targets = []
        for s in self._sessions.values():
            screen = s.state.screen
            waits = (
                (screen is Screen.WAIT_TERMINAL and s.card_query and not self._terminal_simulated())
                or (
                    screen is Screen.WAIT_EXTERNAL
                    and s.awaiting_external not in (None, VerificationPath.LIMITED_APP)
                )
                or (screen is Screen.CHOOSE_ROUTE and TerminalAnswered in s.state.allowed)
            )
            if not waits:
                continue
            if facts is not None and identity_conflict(compare(s.patient.facts, facts)):
                continue
            targets.append(s)
        if len(targets) > 1:
            current = [s for s in targets if s.visit_id == self._current]
            targets = current or []  # ambiguous: let staff attach it
        return targets

    def _on_face(self, event: FaceResultArrived) -> None:
        targets = self._face_targets(event.result)
        if targets:
            s = targets[0]
            self._take_result(s, event.outcome)
            self._feed_outcome(s, event.outcome)
            return
        token = uuid.uuid4().hex[:12]
        self._unattached[token] = Unattached(token, event, self.clock())
        while len(self._unattached) > _MAX_UNATTACHED:
            self._unattached.pop(next(iter(self._unattached)))
        self._announce_unattached(self._unattached[token])

    def _announce_unattached(self, item: Unattached) -> None:
        facts = result_facts(item.event.result)

        def job() -> list[PatientOnFile]:
            if facts is None or facts.birth_date is None:
                return []
            return self.recorder.find_patients("", birth_date=facts.birth_date)

        def done(people: list[PatientOnFile]) -> None:
            by_id = {p.id: p for p in people}
            ranked = rank(facts, [(p.id, p.facts) for p in people]) if facts else ()
            candidates = tuple(PatientCandidate(by_id[c.key], c.mismatches) for c in ranked)
            self._emit(
                FaceResultUnattached(
                    item.token,
                    item.event.result,
                    item.event.outcome.kind,
                    item.received_at,
                    candidates,
                )
            )

        self._db_job(job, done)

    def _attach(self, token: str, request: VisitRequest) -> None:
        item = self._unattached.get(token)
        if item is None:
            self._problem(
                ProblemKind.COMMAND, f"no unattached result {token!r}", code="unknown_token"
            )
            return

        def feed(s: Session) -> None:
            self._unattached.pop(token, None)
            self._take_result(s, item.event.outcome)
            event = outcome_event(
                item.event.outcome, expects_public_expense=bool(request.public_expenses)
            )
            if type(event) not in s.state.allowed:
                message = "the face-reader route is not accepted here today"
                self._tell(s, ProblemKind.COMMAND, "route_refused", message)
                return
            self._feed_outcome(s, item.event.outcome)

        self._begin(request, feed)

    # -- pasted app text --

    def _paste(self, text: str, visit_id: int | None) -> None:
        s = self._session(visit_id)
        if s is None:
            return
        try:
            result = parse_limited_app_text(text, received_on=self._today())
        except PastedTextError as exc:
            message = exc.summary or "the pasted text cannot be used"
            self._tell(s, ProblemKind.PASTE, "pasted_text", message, lines=exc.problems)
            return
        screen = s.state.screen
        if screen is Screen.CHOOSE_ROUTE:
            option = next(
                (o for o in s.state.offered if o.path is VerificationPath.LIMITED_APP), None
            )
            if option is not None:
                self._runtime(s, ChooseOption(option.id))
                screen = s.state.screen
        waits = (
            screen is Screen.WAIT_EXTERNAL and s.awaiting_external is VerificationPath.LIMITED_APP
        ) or (screen is Screen.WAIT_TERMINAL and s.card_query and not self._terminal_simulated())
        if not waits:
            self._problem(
                ProblemKind.COMMAND,
                "this session is not waiting for マイナ資格確認アプリ text",
                code="not_waiting_paste",
                visit_id=s.visit_id,
            )
            return
        code = self._facility.medical_institution_code if self._facility else None
        outcome = outcome_for_result(result, today=self._today(), institution_code=code or None)
        self._take_result(s, outcome)
        self._feed_outcome(s, outcome)

    # ===================================================================== documents

    def _import_pdf(self, data: bytes, visit_id: int | None) -> None:
        s = self._session(visit_id)
        if s is None:
            return
        today, vid = self._today(), s.visit_id

        def done(parsed: PortalQualification | None, error: BaseException | None) -> None:
            current = self._sessions.get(vid)
            if current is None:
                return
            if error is not None:
                kind = getattr(error, "kind", None)
                code = str(getattr(kind, "value", "") or type(error).__name__)
                message = getattr(error, "message", None) or str(error)
                self._tell(current, ProblemKind.DOCUMENT, code, message)
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
            self._emit(self._view(current))

        def job() -> PortalQualification:
            return parse_mynaportal_pdf(data, isolated=True, today=today)

        def finish(result: PortalQualification | None, error: BaseException | None) -> None:
            if error is not None and not isinstance(error, DocumentError | OSError):
                log.exception("PDF import failed", exc_info=error)
            done(result, error)

        self._work(self._doc_pool, job, finish)

    def _record_documents(
        self,
        documents: tuple[SeenDocument, ...],
        numbers: InsuranceNumbers | None,
        use_portal_pdf: bool,
        visit_id: int | None,
    ) -> None:
        s = self._session(visit_id)
        if s is None:
            return
        if (
            DocumentsRecorded not in s.state.allowed
            or s.state.screen is not Screen.COLLECT_DOCUMENTS
        ):
            self._problem(
                ProblemKind.COMMAND,
                "no documents are being collected now",
                code="not_allowed",
                visit_id=s.visit_id,
            )
            return
        if use_portal_pdf:
            if s.portal is None:
                self._problem(
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
            self._tell(s, ProblemKind.COMMAND, "numbers_needed", message)
            return
        s.documents_seen = documents
        self._runtime(s, DocumentsRecorded(frozenset(d.kind for d in documents)))

    # ===================================================================== recording

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

    def _record(self, s: Session, record: VerificationRecord) -> None:
        path = record.path
        if path is None and s.state.chosen is not None:
            path = s.state.chosen.path  # ABANDONED while on a route: keep which one
        if path is None:  # cancelled before any route: no path to record, an audit trace only
            staff, visit_id = self._staff, s.visit_id
            if staff is not None:
                self._db_job(
                    lambda: self.recorder.abandoned(staff, visit_id, record.failures),
                    lambda _: None,
                    visit_id=visit_id,
                )
            return
        rules = tuple(
            dict.fromkeys((*record.rules, *(r for p in record.public_expense for r in p.rules)))
        )
        notes = []
        if len(record.failures) > 1:
            notes.append("failures: " + ", ".join(f.value for f in record.failures))
        for p in record.public_expense:
            notes.append(f"公費 {p.expense.subsidy_type.value}: {p.via}")
        evidence = (
            evidence_for(s.result, s.outcome, s.result_at or self.clock())
            if s.result is not None
            else None
        )
        to_record = VerificationToRecord(
            visit_id=s.visit_id,
            path=path,
            outcome=record.outcome,
            started_at=s.started_at,
            failure_reason=record.reason,
            documents=self._documents_for(s, record.documents),
            rule_ids=rules,
            evidence=evidence,
            simulated=record.simulated or s.simulated or self._env_simulated(),
            note="; ".join(notes) or None,
        )
        s.pending_record = to_record
        self._write_record(s)

    def _write_record(self, s: Session) -> None:
        staff = self._staff
        to_record = s.pending_record
        if to_record is None:
            return
        if staff is None:
            s.last_error = "log in again to record this visit"
            self._problem(
                ProblemKind.LOGIN, s.last_error, code="not_logged_in", visit_id=s.visit_id
            )
            return
        s.recording = True
        numbers = self._numbers_to_keep(s, to_record)
        patient_id, visit_id = s.patient.id, s.visit_id

        def job() -> tuple[RecordedVerification, PatientOnFile | None]:
            recorded = self.recorder.record(staff, to_record)
            return recorded, self._keep_numbers(staff, patient_id, numbers)

        def done(
            value: tuple[RecordedVerification, PatientOnFile | None] | None,
            error: BaseException | None,
        ) -> None:
            current = self._sessions.get(visit_id)
            if current is None:
                return
            current.recording = False
            if error is not None:
                self._database_error(error)
                message = f"could not record: {error}"
                self._tell(current, ProblemKind.DATABASE, "record_failed", message)
                return
            assert value is not None
            recorded, updated = value
            current.pending_record = None
            current.recorded.append(recorded.verification_id)
            if updated is not None:
                current.patient = updated
            if not self._db.ok:
                self._db = dataclasses.replace(self._db, ok=True, error=None)
                self._publish_status()
            self._emit(recorded_event(to_record, recorded, follow_up=False))
            self._emit(self._view(current))

        self._work(self._db_pool, job, done)

    def _keep_numbers(
        self, staff: StaffRef, patient_id: int, numbers: InsuranceNumbers | None
    ) -> PatientOnFile | None:
        """Recorder thread: keep confirmed numbers on the patient. Never fails the record that
        was just committed (a retry would record it twice): a refusal is only logged."""
        if numbers is None:
            return None
        try:
            return self.recorder.update_patient_numbers(staff, patient_id, numbers)
        except Exception as exc:
            log.warning(
                "patient %s: confirmed numbers not kept (%s)", patient_id, type(exc).__name__
            )
            return None

    def _numbers_to_keep(
        self, s: Session, to_record: VerificationToRecord
    ) -> InsuranceNumbers | None:
        """Numbers confirmed in this visit, to keep on the patient (later re-queries need them)."""
        if to_record.outcome is not Outcome.CONFIRMED:
            return None
        if s.outcome is not None and s.outcome.ok:
            numbers = None if identity_conflict(s.mismatches) else numbers_from_result(s.result)
        else:
            numbers = s.numbers
        return None if numbers is None or numbers == s.patient.numbers else numbers

    def _retry_record(self, visit_id: int | None) -> None:
        s = self._session(visit_id)
        if s is None:
            return
        if s.pending_record is None or s.recording:
            self._problem(
                ProblemKind.COMMAND,
                "nothing to record again",
                code="nothing_pending",
                visit_id=s.visit_id,
            )
            return
        self._write_record(s)

    # -- follow-up queries --

    def _query_numbers(self, numbers: InsuranceNumbers | None, visit_id: int | None) -> None:
        s = self._session(visit_id, quiet=visit_id is not None)
        if s is not None and s.needs_numbers is not None:
            numbers = numbers or s.numbers or s.patient.numbers
            if numbers is None:
                self._problem(
                    ProblemKind.COMMAND,
                    "numbers needed",
                    code="numbers_needed",
                    visit_id=s.visit_id,
                )
                return
            s.numbers = numbers
            self._submit_query(s, s.needs_numbers, numbers)
            self._emit(self._view(s))
            return
        if s is not None:
            if not s.state.final or s.recording or s.pending_record is not None:
                self._problem(
                    ProblemKind.COMMAND,
                    "finish (or record) this visit before a follow-up query",
                    code="not_finished",
                    visit_id=s.visit_id,
                )
                return
            visit = VisitOnFile(s.visit_id, s.patient, s.request.setting, s.ctx.on)
            self._follow_up(visit, numbers or s.numbers or s.patient.numbers)
            return
        if visit_id is None:
            self._session(None)  # reports "no session"
            return
        if self._require_staff() is None:
            return
        self._db_job(
            lambda: self.recorder.visit(visit_id),
            lambda visit: self._follow_up(visit, numbers or visit.patient.numbers),
            visit_id=visit_id,
        )

    def _follow_up(self, visit: VisitOnFile, numbers: InsuranceNumbers | None) -> None:
        if numbers is None:
            self._problem(
                ProblemKind.COMMAND,
                "no insurance numbers known for this patient: enter them from a document",
                code="numbers_needed",
                visit_id=visit.visit_id,
            )
            return
        if visit.setting is VisitSetting.HOME_VISIT:
            query = IndividualQuery(
                numbers, self.limit_consent, TerminalQueryKind.HOME_VISIT_REQUERY
            )
        else:
            query = IndividualQuery(numbers, self.limit_consent, TerminalQueryKind.INDIVIDUAL)
        pending = self._submit(query, None)
        if pending is None:
            return
        rid = pending.request_id
        self._followups[rid] = (visit.visit_id, visit.patient, query.verification_path)
        started = self.clock()

        def answered(future: Future[QueryOutcome]) -> None:
            outcome = future.result()
            self._post(lambda: self._follow_up_answered(rid, outcome, started))

        pending.future.add_done_callback(answered)

    def _follow_up_answered(self, rid: str, outcome: QueryOutcome, started: datetime) -> None:
        visit_id, patient, path = self._followups.pop(rid)
        if outcome.kind is OutcomeKind.NO_ANSWER:
            self._problem(
                ProblemKind.TERMINAL,
                "no answer to the follow-up query: nothing was recorded, try again later",
                code="no_answer",
                visit_id=visit_id,
            )
            return
        s = self._sessions.get(visit_id)
        if s is not None:
            self._take_result(s, outcome)
        confirmed = outcome.ok
        evidence = (
            evidence_for(outcome.result, outcome, self.clock())
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
            simulated=outcome.simulated or self._env_simulated() or bool(s and s.simulated),
            note="follow-up query after an earlier verification of this visit (FAIL-04)",
        )
        staff = self._staff
        if staff is None:
            self._problem(ProblemKind.LOGIN, "log in again", code="not_logged_in")
            return
        facts = result_facts(outcome.result)
        keep = None
        if confirmed and facts is not None and not identity_conflict(compare(patient.facts, facts)):
            keep = numbers_from_result(outcome.result)
            if keep == patient.numbers:
                keep = None

        def job() -> RecordedVerification:
            recorded = self.recorder.record(staff, to_record)
            self._keep_numbers(staff, patient.id, keep)
            return recorded

        def done(recorded: RecordedVerification) -> None:
            self._emit(recorded_event(to_record, recorded, follow_up=True))
            current = self._sessions.get(visit_id)
            if current is not None:
                current.recorded.append(recorded.verification_id)
                self._emit(self._view(current))

        self._db_job(job, done, visit_id=visit_id)

    # ===================================================================== demo

    def _demo(self, action: Callable[[DemoCards], None]) -> None:
        demo = self.demo_cards
        if demo is None:
            self._problem(ProblemKind.DEMO, "demo cards exist only in demo mode", code="no_demo")
            return

        def finish(_: None, error: BaseException | None) -> None:
            if error is not None:
                self._problem(ProblemKind.DEMO, str(error), code=type(error).__name__)
            self._publish_status()

        self._work(self._card_pool, lambda: action(demo), finish)

    def _demo_face(self, card_id: str) -> None:
        if not self._terminal_simulated():
            self._problem(
                ProblemKind.DEMO,
                "the simulated face reader needs the simulated terminal",
                code="no_simulator",
            )
            return
        assert self.terminal is not None
        config = self.terminal.config

        def job() -> str:
            from reader.virtual_card import load_identity  # noqa: PLC0415 - demo only

            identity = load_identity(card_id)
            return present_card_to_simulator(
                config,
                certificate_der=identity.certificate_der,
                challenge=new_challenge(),
                identity_check=IdentityCheck.FACE,
                limit_consent=self.limit_consent,
            )

        def finish(_: str | None, error: BaseException | None) -> None:
            if error is not None:
                self._problem(ProblemKind.DEMO, str(error), code=type(error).__name__)

        self._work(self._card_pool, job, finish)

    # ===================================================================== views

    def _view(self, s: Session) -> SessionUpdated:
        today = self._today()
        patient = s.state.patient
        return session_view(
            s,
            current=s.visit_id == self._current,
            env_simulated=self._env_simulated(),
            terminal=self.terminal is not None,
            simulated_terminal=self._terminal_simulated(),
            card_usable_until=self.engine.cert_status(patient, today)[1],
            share=share_for(self.engine.rb.burden, s.result, patient, today),
        )
