"""Card sources for the desk (real PC/SC, or an in-process SIMULATED reader) and the card jobs.

The jobs run on the desk's single card worker thread (one reader = one card session at a time)
and turn every card-layer error into the failure reason the fallback guide opens with. The PIN
is handed straight to :meth:`JpkiApplication.verify_pin` and is never stored, logged or put into
an exception message here; a PIN is presented at most once per call, never retried.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from policies.model import FailureReason
from reader.apdu import Connection
from reader.mynumber import (
    CardError,
    CardLayerError,
    CardRemovedError,
    CardTimeout,
    InvalidPinFormat,
    JpkiApplication,
    LastTryNeedsConfirmation,
    MalformedCardData,
    NotAMyNumberCard,
    PinBlocked,
    ReaderBusy,
    ReaderGone,
    ServiceUnavailable,
    WrongPin,
)
from reader.pcsc import (
    CardInserted,
    CardRemoved,
    PcscConnection,
    ReaderAdded,
    ReaderEvent,
    ReaderInfo,
    ReaderMonitor,
)
from reader.virtual_card import (
    CardModelConnection,
    MyNumberCardModel,
    PcscdUnavailable,
    SlotsBusy,
    demo_card_ids,
    ensure_pcscd,
    lease_slot,
    load_identity,
)

log = logging.getLogger(__name__)

Sink = Callable[[ReaderEvent], None]

IN_PROCESS_READER = ReaderInfo("Madoguchi in-process demo reader (SIMULATED)", virtual=True)


class CardSource(Protocol):
    """Readers and cards as :mod:`reader.pcsc` events, and connections to a card."""

    #: Shown in the status strip: "pcsc" or "in-process (simulated, pcscd unavailable)".
    description: str

    def start(self, sink: Sink) -> None: ...

    def stop(self) -> None: ...

    def connect(self, reader: ReaderInfo, *, exclusive: bool = False) -> Connection: ...


class DemoCards(Protocol):
    """The demo's "insert / remove the demo card" control (SIMULATED cards only)."""

    def card_ids(self) -> list[str]: ...

    def inserted(self) -> str | None: ...

    def insert(self, card_id: str) -> None: ...

    def remove(self) -> None: ...


class PcscCardSource:
    """Real PC/SC through pcscd/WinSCard: a :class:`ReaderMonitor` and :class:`PcscConnection`."""

    description = "pcsc"

    def __init__(self, *, timeout: float = 1.5) -> None:
        self.timeout = timeout
        self._monitor = ReaderMonitor()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self, sink: Sink) -> None:
        self._unsubscribe = self._monitor.subscribe(sink)
        self._monitor.start()

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._monitor.stop()

    def connect(self, reader: ReaderInfo, *, exclusive: bool = False) -> Connection:
        return PcscConnection(reader, timeout=self.timeout, exclusive=exclusive)


class InProcessCardSource:
    """A SIMULATED reader inside the process, for the demo where pcscd/vpcd are unavailable.

    It is also its own :class:`DemoCards`: inserting a demo card makes it present at once.
    """

    description = "in-process (SIMULATED; pcscd/vpcd unavailable)"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sink: Sink | None = None
        self._model: MyNumberCardModel | None = None
        self._models: dict[str, MyNumberCardModel] = {}

    def start(self, sink: Sink) -> None:
        self._sink = sink
        sink(ReaderAdded(IN_PROCESS_READER))

    def stop(self) -> None:
        self._sink = None

    def connect(self, reader: ReaderInfo, *, exclusive: bool = False) -> Connection:
        with self._lock:
            model = self._model
        if model is None:
            raise CardRemovedError("no demo card in the in-process reader")
        return CardModelConnection(model)

    # -- DemoCards --

    def card_ids(self) -> list[str]:
        return demo_card_ids()

    def inserted(self) -> str | None:
        with self._lock:
            return self._model.identity.card_id if self._model else None

    def insert(self, card_id: str) -> None:
        with self._lock:
            if self._model is not None:
                self._model.power_off()
                self._model = None
                removed = True
            else:
                removed = False
            # A card keeps its PIN counter between insertions, like a physical one.
            model = self._models.get(card_id)
            if model is None:
                model = self._models[card_id] = MyNumberCardModel(load_identity(card_id))
            self._model = model
        if self._sink is not None:
            if removed:
                self._sink(CardRemoved(IN_PROCESS_READER))
            self._sink(CardInserted(IN_PROCESS_READER, model.atr))

    def remove(self) -> None:
        with self._lock:
            model, self._model = self._model, None
        if model is not None:
            model.power_off()
            if self._sink is not None:
                self._sink(CardRemoved(IN_PROCESS_READER))


class VpcdDemoCards:
    """Demo cards put into a leased vpcd slot of a real pcscd (SIMULATED cards, real stack)."""

    def __init__(self, slot: int) -> None:
        self.slot = slot
        self._lock = threading.Lock()
        self._card = None  # type: ignore[var-annotated]
        self._cards: dict[str, object] = {}

    def card_ids(self) -> list[str]:
        return demo_card_ids()

    def inserted(self) -> str | None:
        with self._lock:
            return self._card.card_id if self._card is not None else None  # type: ignore[attr-defined]

    def insert(self, card_id: str) -> None:
        from reader.virtual_card import VirtualCard  # noqa: PLC0415 - only in demo mode

        self.remove()
        with self._lock:
            card = self._cards.get(card_id)
            if card is None:
                card = self._cards[card_id] = VirtualCard(card_id, slot=self.slot)
            card.insert()  # type: ignore[attr-defined]
            self._card = card

    def remove(self) -> None:
        with self._lock:
            card, self._card = self._card, None
        if card is not None:
            card.remove()  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DemoCardChoice:
    """The demo's reader and its insert/remove control, as :func:`demo_card_source` chose them."""

    source: CardSource
    cards: DemoCards
    #: The leased vpcd slot's reader, the one the desk watches (None: the in-process reader).
    preferred_reader: str | None = None
    #: Why the in-process reader is used (None: the real pcscd with a leased vpcd slot).
    note: str | None = None


def demo_card_source(defer: Callable[[Callable[[], object]], None]) -> DemoCardChoice:
    """Demo cards in a leased vpcd slot of this machine's pcscd (SIMULATED cards, real PC/SC
    stack), else the in-process SIMULATED reader with a note saying why. ``defer`` is handed
    what releases the pcscd, the slot and the inserted card, to run when the desk stops."""
    try:
        service = ensure_pcscd()
        defer(service.release)
        lease = lease_slot(timeout=5.0)
        defer(lease.release)
        source = PcscCardSource()
        cards = VpcdDemoCards(lease.slot)
        defer(cards.remove)
        return DemoCardChoice(source, cards, preferred_reader=lease.reader_name)
    except (PcscdUnavailable, SlotsBusy, OSError) as exc:
        in_process = InProcessCardSource()
        note = f"card reader: in-process SIMULATED reader ({exc})"
        return DemoCardChoice(in_process, in_process, note=note)


# -- card jobs (run on the card worker) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardFailure:
    """A card job that could not finish: the reason for the fallback guide, and what to say."""

    reason: FailureReason
    message: str
    hint: str = ""


def classify(exc: BaseException) -> CardFailure:
    """Map a card-layer error to a failure reason (issue 6: reader vs card vs timeout)."""
    if isinstance(exc, ReaderGone | ServiceUnavailable):
        return CardFailure(FailureReason.READER_FAILURE, str(exc), "check the reader's cable")
    if isinstance(exc, CardTimeout):
        return CardFailure(
            FailureReason.CARD_UNREADABLE,
            str(exc),
            "the card does not answer: remove it, then insert it again",
        )
    if isinstance(exc, CardRemovedError):
        return CardFailure(FailureReason.CARD_UNREADABLE, str(exc), "the card was removed")
    if isinstance(exc, NotAMyNumberCard):
        return CardFailure(FailureReason.CARD_UNREADABLE, str(exc), "not a My Number card")
    if isinstance(exc, ReaderBusy):
        return CardFailure(
            FailureReason.CARD_UNREADABLE, str(exc), "another program is using the card"
        )
    if isinstance(exc, MalformedCardData | CardError | CardLayerError):
        return CardFailure(FailureReason.CARD_UNREADABLE, str(exc))
    return CardFailure(FailureReason.CARD_UNREADABLE, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class CertRead:
    der: bytes
    expiry: date  # last valid day, Japanese calendar (JST)
    simulated: bool


@dataclass(frozen=True, slots=True)
class PinOutcome:
    """Result of one PIN presentation (the PIN itself is never part of it)."""

    ok: bool = False
    wrong_tries_left: int | None = None
    blocked: bool = False
    needs_confirmation: bool = False
    invalid_format: bool = False
    signature: bytes = b""


def _session(source: CardSource, reader: ReaderInfo, exclusive: bool = False) -> Connection:
    return source.connect(reader, exclusive=exclusive)


def read_certificate(source: CardSource, reader: ReaderInfo) -> CertRead:
    conn = _session(source, reader)
    try:
        cert = JpkiApplication(conn).read_auth_certificate()
    finally:
        with contextlib.suppress(Exception):
            conn.close()
    simulated = reader.virtual or bool(getattr(conn, "simulated", False)) or cert.simulated
    return CertRead(cert.der, cert.not_after_jst, simulated)


def read_pin_tries(source: CardSource, reader: ReaderInfo) -> int:
    conn = _session(source, reader)
    try:
        return JpkiApplication(conn).pin_tries_remaining()
    finally:
        with contextlib.suppress(Exception):
            conn.close()


def present_pin(
    source: CardSource,
    reader: ReaderInfo,
    pin: str,
    *,
    confirm_last_try: bool,
    challenge: bytes | None,
) -> PinOutcome:
    """One VERIFY of the auth PIN; on success sign ``challenge`` in the same card session.

    The session is exclusive and the card is unpowered afterwards (a verified PIN must not
    outlive it). Transport errors propagate for :func:`classify`.
    """
    conn = _session(source, reader, exclusive=True)
    try:
        app = JpkiApplication(conn)
        try:
            app.verify_pin(pin, confirm_last_try=confirm_last_try)
        except InvalidPinFormat:
            return PinOutcome(invalid_format=True)
        except LastTryNeedsConfirmation:
            return PinOutcome(needs_confirmation=True)
        except WrongPin as exc:
            return PinOutcome(wrong_tries_left=exc.tries_left)
        except PinBlocked:
            return PinOutcome(blocked=True)
        signature = app.sign(challenge) if challenge is not None else b""
        return PinOutcome(ok=True, signature=signature)
    finally:
        with contextlib.suppress(Exception):
            conn.close()
