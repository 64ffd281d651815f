"""The desk's card watch: readers and cards seen, and the card jobs run for sessions.

:class:`CardWatch` owns what the PC/SC monitor told the desk (readers, the cards in them, whether
the service runs) and runs every card job — certificate read, PIN tries, the one PIN VERIFY, the
demo card moves — on the actor's single card worker. A card job's answer is dropped when its
session moved on meanwhile (the session's generation counter changed); a card error routes the
session by its failure reason (:func:`reader.reception.cards.classify`).

The PIN goes from :meth:`CardWatch.submit_pin` straight into the card job; it never enters the
state machine, an event, a log record, an exception message or the database, and is never
retried.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from policies.model import FailureReason
from policies.reception import (
    CardRead,
    CertParsed,
    Failed,
    PinEntered,
    PinResult,
    PinTriesRead,
    Screen,
)
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
from reader.reception.cards import (
    CertRead,
    DemoCards,
    PinOutcome,
    classify,
    present_pin,
    read_certificate,
    read_pin_tries,
)
from reader.reception.events import PinRequested, ProblemKind, ReaderState, ReaderStatus
from reader.reception.session import Session
from reader.terminal import new_challenge

if TYPE_CHECKING:
    from reader.reception.desk import ReceptionDesk

log = logging.getLogger(__name__)

T = TypeVar("T")


class CardWatch:
    """Readers and cards as the PC/SC monitor reports them; the card jobs of the sessions."""

    def __init__(self, desk: ReceptionDesk) -> None:
        self.desk = desk
        self._readers: dict[str, ReaderInfo] = {}
        self._cards: dict[str, bytes] = {}
        #: A card arrived and no session read it yet (a visit begun now reads it at once).
        self._fresh = False
        self._pcsc_ok = desk.card_source is not None
        self._note: str | None = None

    def start(self) -> None:
        source = self.desk.card_source
        if source is not None:
            post = self.desk.actor.post
            source.start(lambda e: post(lambda: self.on_reader_event(e)))

    # -- readers --

    def active_reader(self) -> ReaderInfo | None:
        preferred = self.desk.preferred_reader
        if preferred:
            for name, info in self._readers.items():
                if name == preferred or name.startswith(preferred):
                    return info
            return None
        with_card = [r for n, r in self._readers.items() if n in self._cards]
        if with_card:
            return with_card[0]
        real = [r for r in self._readers.values() if not r.virtual]
        return (real or list(self._readers.values()) or [None])[0]

    def reader_status(self, reader: ReaderInfo | None) -> ReaderStatus:
        source = self.desk.card_source
        if source is None:
            return ReaderStatus(ReaderState.NONE, note="no card source configured")
        if not self._pcsc_ok:
            return ReaderStatus(ReaderState.NO_SERVICE, source=source.description, note=self._note)
        if reader is None:
            return ReaderStatus(ReaderState.NONE, source=source.description, note=self._note)
        return ReaderStatus(
            ReaderState.CARD_PRESENT if reader.name in self._cards else ReaderState.CONNECTED,
            reader.name,
            reader.virtual,
            source.description,
            self._note,
        )

    def on_reader_event(self, event: ReaderEvent) -> None:
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
            self._note = event.reason or "PC/SC service lost"
        elif isinstance(event, ServiceRestored):
            self._pcsc_ok = True
            self._note = None
        self.desk.status.publish()

    def _card_inserted(self, reader: ReaderInfo) -> None:
        active = self.active_reader()
        if active is None or active.name != reader.name:
            return
        self._fresh = True
        sessions = self.desk.sessions
        waiting = [s for s in sessions.all() if s.card_wait]
        waiting.sort(key=lambda s: s.visit_id != sessions.current)
        if waiting:
            self.read_card(waiting[0])
            sessions.show(waiting[0])
            return
        s = sessions.get(sessions.current)
        if s is not None and CardRead in s.state.allowed:
            sessions.runtime(s, CardRead(simulated=reader.virtual))

    def _reader_lost(self, reader: ReaderInfo) -> None:
        for s in self.desk.sessions.all():
            if s.card_wait and (s.reader is None or s.reader.name == reader.name):
                s.last_error = f"the card reader {reader.name} was disconnected"
                self.desk.sessions.runtime(s, Failed(FailureReason.READER_FAILURE))

    def fresh_card(self) -> ReaderInfo | None:
        """The active reader when a card arrived there that no session has read yet."""
        reader = self.active_reader()
        if self._fresh and reader is not None and reader.name in self._cards:
            return reader
        return None

    # -- card jobs --

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
        sessions = self.desk.sessions

        def finish(result: T | None, error: BaseException | None) -> None:
            current = sessions.get(visit_id)
            if current is None:
                return
            setattr(current, busy, False)
            if current.gen != gen:
                log.debug("visit %s: stale card answer dropped", visit_id)
                sessions.show(current)
                return
            if error is not None:
                failure = classify(error)
                current.last_error = failure.message + (
                    f" ({failure.hint})" if failure.hint else ""
                )
                self.desk.actor.problem(
                    ProblemKind.CARD,
                    current.last_error,
                    code=failure.reason.value,
                    visit_id=visit_id,
                )
                sessions.runtime(current, Failed(failure.reason))
                return
            done(current, result)  # type: ignore[arg-type]

        self.desk.actor.work(self.desk.actor.card_pool, job, finish)

    def read_card(self, s: Session) -> None:
        source = self.desk.card_source
        reader = self.active_reader()
        if source is None or reader is None or not self._pcsc_ok:
            s.card_wait = False
            s.last_error = "no card reader is connected"
            self.desk.sessions.runtime(s, Failed(FailureReason.READER_FAILURE))
            return
        if reader.name not in self._cards:
            s.card_wait = True  # read when the card arrives
            return
        s.card_wait = False
        s.reader = reader
        self._fresh = False

        def done(current: Session, cert: CertRead) -> None:
            current.cert = cert
            current.simulated = current.simulated or cert.simulated
            self.desk.sessions.runtime(current, CertParsed(cert.expiry, simulated=cert.simulated))

        self._card_job(s, lambda: read_certificate(source, reader), done)

    def read_pin_tries(self, s: Session) -> None:
        source, reader = self.desk.card_source, s.reader
        if source is None or reader is None:
            self.desk.sessions.runtime(s, Failed(FailureReason.READER_FAILURE))
            return
        self._card_job(
            s,
            lambda: read_pin_tries(source, reader),
            lambda current, tries: self.desk.sessions.runtime(current, PinTriesRead(tries)),
        )

    def submit_pin(self, pin: str, confirm_last_try: bool, visit_id: int | None) -> None:
        sessions = self.desk.sessions
        s = sessions.find(visit_id)
        if s is None:
            return
        source, reader = self.desk.card_source, s.reader
        if s.state.screen is not Screen.ASK_PIN or s.pin_busy or source is None or not reader:
            self.desk.actor.problem(
                ProblemKind.PIN, "the desk is not waiting for a PIN now", code="not_waiting_pin"
            )
            return
        challenge = new_challenge() if self.desk.terminal_link.simulated() else None
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
                sessions.tell(
                    current, ProblemKind.PIN, "invalid_format", "the PIN must be four digits"
                )
            elif outcome.needs_confirmation:
                self.desk.actor.emit(PinRequested(current.visit_id, 1, True))
                sessions.tell(
                    current,
                    ProblemKind.PIN,
                    "last_try_needs_confirmation",
                    "one try left: confirm with the patient before using it",
                )
            elif outcome.ok:
                current.signature = outcome.signature
                current.last_error = None
                sessions.runtime(current, PinEntered(PinResult.OK))
            elif outcome.blocked:
                current.last_error = "the PIN is locked"
                sessions.runtime(current, PinEntered(PinResult.BLOCKED, 0))
            else:
                current.last_error = "wrong PIN"
                sessions.runtime(current, PinEntered(PinResult.WRONG, outcome.wrong_tries_left))

        self._card_job(s, job, done, busy="pin_busy")
        sessions.show(s)

    # -- demo --

    def demo(self, action: Callable[[DemoCards], None]) -> None:
        """Demo: move the SIMULATED demo card (on the card worker, like any card job)."""
        actor, demo = self.desk.actor, self.desk.demo_cards
        if demo is None:
            actor.problem(ProblemKind.DEMO, "demo cards exist only in demo mode", code="no_demo")
            return

        def finish(_: None, error: BaseException | None) -> None:
            if error is not None:
                actor.problem(ProblemKind.DEMO, str(error), code=type(error).__name__)
            self.desk.status.publish()

        actor.work(actor.card_pool, lambda: action(demo), finish)
