"""ReceptionDesk: the front object of the reception runtime, the application layer of a visit.

The desk executes the pure reception state machine of ``policies.reception`` against the card
reader, the verification terminal and the database (the last only through the ``Recorder`` port
of :mod:`reader.reception.ports`). Its public methods are the whole API a UI or a test uses;
each one only queues a command and returns at once. Behind it, collaborators that share one
actor thread each own one area's state (like Anki's ``Collection`` over its per-area managers):

* :class:`~reader.reception.actor.Actor` — the inbox, the worker pools, the timers, subscribers;
* :class:`~reader.reception.sessions.Sessions` — the open sessions, their transitions, and the
  ``match`` that hands each effect to the collaborator performing it;
* :class:`~reader.reception.card_watch.CardWatch` — readers, cards, card jobs and the PIN;
* :class:`~reader.reception.terminal_link.TerminalLink` — queries, answers, card presentations,
  pasted app text, follow-up queries;
* :class:`~reader.reception.face_pickup.FacePickup` — face-reader results, attached or kept;
* :class:`~reader.reception.recording.Recording` — records, retries, recorded visits read back;
* :class:`~reader.reception.status.StatusBoard` — staff, facility, database health, DeskStatus.

Threads (no Qt anywhere): the **actor** owns all of that state; one **card worker** (one reader =
one card session), one **recorder worker** (every ``Recorder`` call), one **document worker**
(マイナポータル PDFs in an isolated child process); the terminal exchange's thread and futures and
the PC/SC monitor thread only post messages to the actor. Subscribers are called on the actor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime

from policies.engine import PolicyEngine
from policies.reception import Event
from policies.records import InsuranceNumbers, SeenDocument, StaffRef
from reader.reception import coerce
from reader.reception.actor import Actor, Subscriber
from reader.reception.card_watch import CardWatch
from reader.reception.cards import CardSource, DemoCards
from reader.reception.events import DeskEvent, DeskMode
from reader.reception.face_pickup import FacePickup
from reader.reception.ports import Recorder
from reader.reception.recording import Recording
from reader.reception.session import VisitRequest, now_jst
from reader.reception.sessions import Sessions
from reader.reception.status import StatusBoard
from reader.reception.terminal_link import TerminalLink
from reader.terminal import TerminalExchange
from reader.terminal.config import HandOffConfig

#: How often a red status is re-checked (terminal folders back, database reachable again).
HEALTH_CHECK_S = 5.0
#: How long a session waits for a face-reader result before staff are told (it keeps waiting).
FACE_WAIT_S = 120.0


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
        face_wait_s: float = FACE_WAIT_S,
        handoff: HandOffConfig | None = None,
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
        #: Seconds before a wait for a face-reader result is reported (``face_wait_timeout``).
        self.face_wait_s = face_wait_s
        #: Where confirmed results are handed to the receipt computer (None: not at all).
        self.handoff = handoff
        #: What to undo on close (the terminal exchange's subscription).
        self.unsubscribers: list[Callable[[], None]] = []
        # -- the collaborators, each owning its area's state on the actor thread --
        self.actor = Actor()
        self.status = StatusBoard(self)
        self.sessions = Sessions(self)
        self.card_watch = CardWatch(self)
        self.terminal_link = TerminalLink(self)
        self.face_pickup = FacePickup(self)
        self.recording = Recording(self)

    # ===================================================================== lifecycle

    def start(self) -> ReceptionDesk:
        """Start the actor, the card source and the terminal exchange; check the database."""
        if self.actor.started:
            return self
        self.actor.start()
        self.terminal_link.start()
        self.card_watch.start()
        self.actor.post(self.status.refresh_database)
        self.actor.later(HEALTH_CHECK_S, self._health_check)
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Stop everything this desk started (idempotent). Pending records are finished first."""
        if self.actor.closed:
            return
        self.actor.closed = True
        for unsubscribe in self.unsubscribers:
            unsubscribe()
        self.actor.stop_timers()
        if self.card_source is not None:
            self.card_source.stop()
        if self.terminal is not None:
            self.terminal.stop()
        self.actor.stop(timeout)

    def __enter__(self) -> ReceptionDesk:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _health_check(self) -> None:
        """Turn a red status green again when the cause went away (no event tells us)."""
        if self.actor.closed:
            return
        self.terminal_link.check()
        self.status.check_database()
        self.actor.later(HEALTH_CHECK_S, self._health_check)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` on the desk's thread for every event from now on.

        The current DeskStatus and every open session are replayed to the new subscriber first.
        Returns the function that unsubscribes.
        """

        def replay() -> list[DeskEvent]:
            return [self.status.snapshot(), *map(self.sessions.view, self.sessions.all())]

        return self.actor.subscribe(callback, replay)

    @property
    def staff(self) -> StaffRef | None:
        """The logged-in staff member (None: nobody; read from any thread)."""
        return self.status.staff

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until the actor has handled everything queued before this call (tests, exit)."""
        return self.actor.wait_idle(timeout)

    # ===================================================================== commands (any thread)

    def login(self, username: str, password: str) -> None:
        """Authenticate staff; DeskStatus.staff is set, or Problem(LOGIN)."""
        self.actor.post(lambda: self.status.login(username, password))

    def logout(self) -> None:
        self.actor.post(self.status.logout)

    def accept_restored_chain(self, reason: str) -> None:
        """The logged-in administrator accepts the audit chain as it is after this PC's witness
        found it rolled back (``DatabaseStatus.rolled_back``): recorded, then recording resumes;
        else Problem(DATABASE)."""
        self.actor.post(lambda: self.status.accept_restored_chain(reason))

    def refresh_database(self) -> None:
        """Re-read the database's state: the facility profile (after an admin changed it) and
        whether this PC's witness found the chain rolled back (after a printout's check did:
        recording is then blocked at once, not at the next write)."""
        self.actor.post(self.status.refresh_database)

    def begin_visit(self, request: VisitRequest) -> None:
        """Open a visit (creating the patient if new) and start its reception session."""
        request = coerce.request(request)  # enum fields may come as str (Qt, JSON)
        self.actor.post(lambda: self.sessions.begin(request, None))

    def focus(self, visit_id: int) -> None:
        """Make a session current (card events and commands without visit_id go to it)."""
        self.actor.post(lambda: self.sessions.focus(visit_id))

    def dispatch(self, event: Event, *, visit_id: int | None = None) -> None:
        """A staff intent the state allows: ChooseOption, RetryPin, UseVisualCheck,
        VisualCheckDone, DocumentsRecorded, PublicExpenseResolved, Cancel, Failed(reason).
        ``Failed.reason`` may be the FailureReason's value as str (a ValueError if unknown)."""
        event = coerce.event(event)
        self.actor.post(lambda: self.sessions.dispatch(event, visit_id))

    def submit_pin(
        self, pin: str, *, confirm_last_try: bool = False, visit_id: int | None = None
    ) -> None:
        """Present the PIN to the card once (never stored, logged or retried)."""
        self.actor.post(
            functools.partial(self.card_watch.submit_pin, pin, confirm_last_try, visit_id)
        )

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
        self.actor.post(
            lambda: self.sessions.record_documents(seen, numbers, use_portal_pdf, visit_id)
        )

    def paste_limited_app_text(self, text: str, *, visit_id: int | None = None) -> None:
        """Text copied from the マイナ資格確認アプリ for the waiting session."""
        self.actor.post(lambda: self.terminal_link.paste(text, visit_id))

    def import_mynaportal_pdf(self, data: bytes, *, visit_id: int | None = None) -> None:
        """Parse a マイナポータル PDF (isolated) and show it in the session for confirmation."""
        self.actor.post(lambda: self.sessions.import_pdf(bytes(data), visit_id))

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
        self.actor.post(lambda: self.terminal_link.query_numbers(numbers, visit_id))

    def decide_follow_up(self, token: str, *, keep_recorded: bool) -> None:
        """Staff's decision on a ``FollowUpConflict``: keep the recorded path (recorded again as
        a new attempt, the answer kept as its evidence) or take the answer (a new attempt)."""
        self.actor.post(lambda: self.recording.decide(token, keep_recorded))

    def attach_face_result(self, token: str, request: VisitRequest) -> None:
        """Begin a visit for an unattached face result and feed it (new or existing patient)."""
        request = coerce.request(request)
        self.actor.post(lambda: self.face_pickup.attach(token, request))

    def attach_face_result_to(self, token: str, visit_id: int) -> None:
        """Feed an unattached face result to an open visit waiting for one (its patient)."""
        self.actor.post(lambda: self.face_pickup.attach_to(token, visit_id))

    def resolve_identity(self, *, update_chart: bool, visit_id: int | None = None) -> None:
        """The verified name / kana / birth date differ from the chart (``identity_decision``):
        「カルテを更新」 (``update_chart=True``: the patient on file takes the verified values,
        audited, then the check is recorded) or 「別人として中止」 (recorded ABANDONED with
        IDENTITY_MISMATCH)."""
        self.actor.post(lambda: self.recording.resolve_identity(visit_id, update_chart))

    def retry_record(self, visit_id: int | None = None) -> None:
        """Write a record that failed (database error) again."""
        self.actor.post(lambda: self.recording.retry(visit_id))

    def show_visit(self, visit_id: int) -> None:
        """Load a recorded visit for the result panel: ``VisitDetails`` (its attempts, the kept
        answer parsed again, mismatches with the patient on file), or ``Problem(DATABASE)``."""
        self.actor.post(lambda: self.recording.show_visit(visit_id))

    def close_session(self, visit_id: int) -> None:
        """Remove a finished session from the desk (its records stay in the database)."""
        self.actor.post(lambda: self.sessions.close(visit_id))

    # -- demo --

    def demo_insert_card(self, card_id: str) -> None:
        """Demo: put the SIMULATED demo card ``card_id`` into the demo reader."""
        self.actor.post(lambda: self.card_watch.demo(lambda d: d.insert(card_id)))

    def demo_remove_card(self) -> None:
        self.actor.post(lambda: self.card_watch.demo(lambda d: d.remove()))

    def demo_face_reader(self, card_id: str) -> None:
        """Demo: the patient uses the (simulated) face reader with demo card ``card_id``."""
        self.actor.post(lambda: self.face_pickup.demo_face(card_id))
