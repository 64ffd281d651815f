"""PC/SC readers: enumeration, a connection with deadlines, and a hot-plug monitor thread.

Three facts shape this module (research §9–§10, and measured against pcscd 1.9.9 + vpcd):

* A card that stops answering blocks ``SCardTransmit`` indefinitely (vpcd waits on its socket;
  a real reader waits for its own, long, timeout) and holds the PC/SC context's lock meanwhile.
  So every call for a connection runs on that connection's own daemon thread, with its own
  context, and the caller waits with a deadline: it gets :class:`CardTimeout` in time, the stuck
  thread finishes (and cleans up) whenever the card is finally pulled.
* A card pulled during a command often yields "success" with an empty response, or
  ``SCARD_E_NOT_TRANSACTED``, before pcscd notices the removal at its next poll (400 ms). Such
  failures are classified by briefly waiting for the reader state to settle.
* A verified PIN outlives SCardDisconnect/Reconnect until the card is unpowered; a PIN session
  therefore runs in exclusive mode and ends with ``SCARD_UNPOWER_CARD``.

No Qt here: the monitor calls plain callbacks on its own thread.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

from smartcard import scard

from reader.apdu import (
    CardRemovedError,
    CardTimeout,
    CommunicationError,
    Connection,
    ReaderBusy,
    ReaderGone,
    ServiceUnavailable,
    TransportError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Name prefixes of readers that are simulations (vsmartcard's vpcd): results read through them
#: are labelled as simulated everywhere.
VIRTUAL_READER_PREFIXES = ("Virtual PCD",)
PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

#: Default per-command deadline. A contact card reads 256 bytes in ~0.3 s at 9600 bps.
DEFAULT_TIMEOUT = 1.5
_SETTLE_SECONDS = 1.0  # pcscd polls presence every 0.4 s

_REMOVED = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD}
_READER_GONE = {scard.SCARD_E_READER_UNAVAILABLE, scard.SCARD_E_UNKNOWN_READER}
_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}
_BUSY = {scard.SCARD_E_SHARING_VIOLATION}
_MUTE = {scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_E_TIMEOUT}


def _u32(code: int) -> int:
    return code & 0xFFFFFFFF


def _message(code: int) -> str:
    try:
        return str(scard.SCardGetErrorMessage(code))
    except Exception:  # the message is decoration only
        return "unknown error"


def error_for(code: int, operation: str) -> TransportError:
    """Map a PC/SC result code to the typed transport error a UI can route."""
    code = _u32(code)
    text = f"{operation}: {_message(code)} (0x{code:08X})"
    if code in {_u32(c) for c in _REMOVED}:
        return CardRemovedError(text)
    if code in {_u32(c) for c in _READER_GONE}:
        return ReaderGone(text)
    if code in {_u32(c) for c in _NO_SERVICE}:
        return ServiceUnavailable(text)
    if code in {_u32(c) for c in _BUSY}:
        return ReaderBusy(text)
    if code in {_u32(c) for c in _MUTE}:
        return CardTimeout(text)
    return CommunicationError(text)


@dataclass(frozen=True)
class ReaderInfo:
    name: str
    virtual: bool

    @classmethod
    def named(cls, name: str) -> ReaderInfo:
        return cls(name, is_virtual_reader(name))


def is_virtual_reader(name: str) -> bool:
    return name.startswith(VIRTUAL_READER_PREFIXES)


# ---------------------------------------------------------------------------------------------
# One-shot queries
# ---------------------------------------------------------------------------------------------


def _establish() -> Any:
    try:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    except (SystemError, TypeError) as exc:  # pyscard wrapper failures
        raise ServiceUnavailable(f"SCardEstablishContext: {exc}") from exc
    if hresult != scard.SCARD_S_SUCCESS:
        raise error_for(hresult, "SCardEstablishContext")
    return context


def _release(context: Any) -> None:
    with contextlib.suppress(Exception):
        scard.SCardReleaseContext(context)


def _list(context: Any) -> list[str]:
    hresult, names = scard.SCardListReaders(context, [])
    if _u32(hresult) in (_u32(scard.SCARD_E_NO_READERS_AVAILABLE),):
        return []
    if hresult != scard.SCARD_S_SUCCESS:
        raise error_for(hresult, "SCardListReaders")
    return list(names)


def list_readers() -> list[ReaderInfo]:
    """The readers PC/SC knows now. Raises :class:`ServiceUnavailable` without a service."""
    context = _establish()
    try:
        return [ReaderInfo.named(n) for n in _list(context)]
    finally:
        _release(context)


def _reader_state(
    context: Any, reader: str, timeout_ms: int = 0, known: int = 0
) -> tuple[int, bytes]:
    hresult, states = scard.SCardGetStatusChange(
        context, timeout_ms, [(reader, known or scard.SCARD_STATE_UNAWARE)]
    )
    if _u32(hresult) == _u32(scard.SCARD_E_TIMEOUT):
        return known, b""
    if hresult != scard.SCARD_S_SUCCESS:
        raise error_for(hresult, "SCardGetStatusChange")
    _, state, atr = states[0]
    if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
        raise ReaderGone(f"reader {reader!r} not found")
    return state, bytes(atr)


def card_present(reader: str) -> bool:
    context = _establish()
    try:
        state, _ = _reader_state(context, reader)
        return bool(state & scard.SCARD_STATE_PRESENT)
    finally:
        _release(context)


def wait_for_card(reader: str, *, present: bool = True, timeout: float = 5.0) -> bytes | None:
    """Wait until a card is (``present``) or is not in ``reader``.

    Returns the ATR (``b""`` when waiting for absence) or ``None`` on timeout.
    """
    context = _establish()
    try:
        deadline = time.monotonic() + timeout
        state, atr = _reader_state(context, reader)
        while True:
            if bool(state & scard.SCARD_STATE_PRESENT) == present and not (
                state & scard.SCARD_STATE_MUTE and present
            ):
                return atr if present else b""
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            state, new_atr = _reader_state(
                context, reader, int(left * 1000) + 1, state & ~scard.SCARD_STATE_CHANGED
            )
            atr = new_atr or atr
    finally:
        _release(context)


# ---------------------------------------------------------------------------------------------
# Connection
# ---------------------------------------------------------------------------------------------


class _Worker:
    """A daemon thread that runs PC/SC calls for one connection, in order."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the waiting caller
                future.set_exception(exc)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        return future

    def stop(self) -> None:
        self._jobs.put(None)


class PcscConnection(Connection):
    """A connection to the card in one reader, with a deadline on every call.

    After a deadline passes the connection is *abandoned*: every later call raises
    :class:`CardTimeout` at once, and the worker releases the card when (if) the stuck call
    returns. Use as a context manager; :meth:`close` powers the card down after a PIN session.
    """

    def __init__(
        self,
        reader: str | ReaderInfo,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        exclusive: bool = False,
    ) -> None:
        self.reader = reader if isinstance(reader, ReaderInfo) else ReaderInfo.named(reader)
        self.timeout = timeout
        self.simulated = self.reader.virtual
        self._worker = _Worker(f"pcsc-{self.reader.name}")
        self._context: Any = None
        self._card: Any = None
        self._protocol = 0
        self._secured = False
        self._abandoned = False
        self._closed = False
        self._depth = 0
        self.atr = b""
        try:
            self._call(lambda: self._connect(exclusive), "SCardConnect")
        except BaseException:
            self.close()
            raise

    # -- worker-side (blocking) --------------------------------------------------------------

    def _connect(self, exclusive: bool) -> None:
        self._context = _establish()
        share = scard.SCARD_SHARE_EXCLUSIVE if exclusive else scard.SCARD_SHARE_SHARED
        protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        hresult, card, protocol = scard.SCardConnect(
            self._context, self.reader.name, share, protocols
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise error_for(hresult, "SCardConnect")
        self._card, self._protocol = card, protocol
        self._secured = exclusive
        hresult, _reader, _state, _proto, atr = scard.SCardStatus(card)
        if hresult == scard.SCARD_S_SUCCESS:
            self.atr = bytes(atr)

    def _transmit(self, apdu: bytes) -> tuple[bytes, int]:
        try:
            hresult, response = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        except (SystemError, TypeError) as exc:
            raise self._classify(f"SCardTransmit: {exc}") from exc
        if hresult != scard.SCARD_S_SUCCESS:
            if _u32(hresult) in {_u32(c) for c in _REMOVED | _READER_GONE | _NO_SERVICE}:
                raise error_for(hresult, "SCardTransmit")
            raise self._classify(f"SCardTransmit: {_message(_u32(hresult))}")
        if len(response) < 2:  # pcscd's way of saying the card went away mid-command
            raise self._classify("SCardTransmit: empty response")
        raw = bytes(response)
        return raw[:-2], int.from_bytes(raw[-2:], "big")

    def _classify(self, what: str) -> TransportError:
        """A failed exchange: removed card, vanished reader, or a plain communication error."""
        try:
            deadline = time.monotonic() + _SETTLE_SECONDS
            state, _ = _reader_state(self._context, self.reader.name)
            while state & scard.SCARD_STATE_PRESENT and time.monotonic() < deadline:
                left = int((deadline - time.monotonic()) * 1000) + 1
                state, _ = _reader_state(
                    self._context, self.reader.name, left, state & ~scard.SCARD_STATE_CHANGED
                )
        except TransportError as exc:
            return exc
        if not state & scard.SCARD_STATE_PRESENT:
            return CardRemovedError(f"{what}; the card was removed")
        return CommunicationError(what)

    def _reconnect_exclusive(self) -> None:
        hresult, protocol = scard.SCardReconnect(
            self._card,
            scard.SCARD_SHARE_EXCLUSIVE,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            scard.SCARD_LEAVE_CARD,
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise error_for(hresult, "SCardReconnect(exclusive)")
        self._protocol = protocol

    def _disconnect(self) -> None:
        if self._card is not None:
            disposition = scard.SCARD_UNPOWER_CARD if self._secured else scard.SCARD_LEAVE_CARD
            with contextlib.suppress(Exception):
                scard.SCardDisconnect(self._card, disposition)
            self._card = None
        if self._context is not None:
            _release(self._context)
            self._context = None

    # -- caller-side --------------------------------------------------------------------------

    def _call(self, fn: Callable[[], T], what: str, timeout: float | None = None) -> T:
        if self._abandoned:
            raise CardTimeout(f"{what}: an earlier command on {self.reader.name} never returned")
        if self._closed:
            raise CommunicationError(f"{what}: connection closed")
        future = self._worker.submit(fn)
        try:
            return future.result(timeout if timeout is not None else self.timeout)
        except FutureTimeout:
            self._abandon()
            raise CardTimeout(
                f"{what}: no answer from the card in {self.reader.name} within "
                f"{timeout or self.timeout:.1f} s"
            ) from None

    def _abandon(self) -> None:
        self._abandoned = True
        self._closed = True
        # Runs after the stuck call returns (card pulled): release the card and the context.
        self._worker.submit(self._disconnect)
        self._worker.stop()

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        return self._call(lambda: self._transmit(apdu), "SCardTransmit")

    def secure(self) -> None:
        """Switch to exclusive mode before a PIN goes to the card; close() will unpower it."""
        if not self._secured:
            self._call(self._reconnect_exclusive, "SCardReconnect")
            self._secured = True

    def _begin(self) -> None:
        hresult = scard.SCardBeginTransaction(self._card)
        if hresult != scard.SCARD_S_SUCCESS:
            raise error_for(hresult, "SCardBeginTransaction")

    def _end(self) -> None:
        with contextlib.suppress(Exception):
            scard.SCardEndTransaction(self._card, scard.SCARD_LEAVE_CARD)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth == 0:
            self._call(self._begin, "SCardBeginTransaction")
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and not self._closed:
                with contextlib.suppress(TransportError):
                    self._call(self._end, "SCardEndTransaction")

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        previous, self.timeout = self.timeout, seconds
        try:
            yield
        finally:
            self.timeout = previous

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        future = self._worker.submit(self._disconnect)
        self._worker.stop()
        with contextlib.suppress(FutureTimeout, Exception):
            future.result(self.timeout)

    def __enter__(self) -> PcscConnection:
        return self


# ---------------------------------------------------------------------------------------------
# Monitor
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderEvent:
    """Base of monitor events; ``at`` is ``time.monotonic()`` when the monitor saw it."""

    at: float = field(default_factory=time.monotonic, compare=False, kw_only=True)


@dataclass(frozen=True)
class ReaderAdded(ReaderEvent):
    reader: ReaderInfo


@dataclass(frozen=True)
class ReaderRemoved(ReaderEvent):
    reader: ReaderInfo


@dataclass(frozen=True)
class CardInserted(ReaderEvent):
    reader: ReaderInfo
    atr: bytes


@dataclass(frozen=True)
class CardRemoved(ReaderEvent):
    """The card left ``reader``. (The exception of the same name lives in :mod:`reader.apdu`.)"""

    reader: ReaderInfo


@dataclass(frozen=True)
class ServiceLost(ReaderEvent):
    reason: str = ""


@dataclass(frozen=True)
class ServiceRestored(ReaderEvent):
    pass


Subscriber = Callable[[ReaderEvent], None]


class ReaderMonitor:
    """Watches readers and cards on a daemon thread and tells subscribers what changed.

    Survives pcscd restarts: on service loss it reports :class:`ServiceLost` plus the removal of
    every reader and card it knew, then re-establishes a context every ``retry_interval`` and
    reports :class:`ServiceRestored` and the current readers and cards again.
    """

    def __init__(self, *, retry_interval: float = 0.5, wait_ms: int = 2000) -> None:
        self.retry_interval = retry_interval
        self.wait_ms = wait_ms
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: Any = None
        self._readers: dict[str, ReaderInfo] = {}
        self._cards: dict[str, bytes] = {}
        self._service_up: bool | None = None
        self._started = threading.Event()

    # -- public -------------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber, *, replay: bool = True) -> Callable[[], None]:
        """Call ``callback(event)`` (on the monitor thread) for every event from now on.

        With ``replay`` the current state is first replayed as ReaderAdded/CardInserted events,
        atomically with the subscription, so nothing is missed or seen twice. Returns the
        function that unsubscribes.
        """
        with self._lock:
            if replay:
                for reader in self._readers.values():
                    self._safe_call(callback, ReaderAdded(reader))
                    if reader.name in self._cards:
                        self._safe_call(callback, CardInserted(reader, self._cards[reader.name]))
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def readers(self) -> list[ReaderInfo]:
        with self._lock:
            return list(self._readers.values())

    def cards(self) -> dict[str, bytes]:
        """{reader name: ATR} of the cards present now."""
        with self._lock:
            return dict(self._cards)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, wait: float = 2.0) -> ReaderMonitor:
        """Start the thread; waits (up to ``wait``) until the first reader scan is done."""
        if self.running:
            return self
        self._stop.clear()
        self._started.clear()
        self._thread = threading.Thread(target=self._run, name="pcsc-monitor", daemon=True)
        self._thread.start()
        self._started.wait(wait)
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Stop cleanly: SCardCancel wakes the blocked SCardGetStatusChange."""
        self._stop.set()
        thread = self._thread
        deadline = time.monotonic() + timeout
        while thread is not None and thread.is_alive() and time.monotonic() < deadline:
            context = self._context
            if context is not None:
                with contextlib.suppress(Exception):
                    scard.SCardCancel(context)
            thread.join(0.05)
        self._thread = None

    def __enter__(self) -> ReaderMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- thread -------------------------------------------------------------------------------

    @staticmethod
    def _safe_call(callback: Subscriber, event: ReaderEvent) -> None:
        try:
            callback(event)
        except Exception:
            log.exception("reader event subscriber failed on %s", type(event).__name__)

    def _emit(self, event: ReaderEvent) -> None:
        with self._lock:
            for callback in list(self._subscribers):
                self._safe_call(callback, event)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                context = _establish()
            except TransportError as exc:
                self._service_lost(str(exc))
                self._started.set()
                self._stop.wait(self.retry_interval)
                continue
            self._context = context
            try:
                if self._service_up is False:
                    self._service_up = True
                    self._emit(ServiceRestored())
                self._service_up = True
                self._watch(context)
            except TransportError as exc:
                if not self._stop.is_set():
                    self._service_lost(str(exc))
                    self._stop.wait(self.retry_interval)
            except Exception:
                log.exception("reader monitor failed; restarting it")
                self._stop.wait(self.retry_interval)
            finally:
                self._context = None
                _release(context)
            self._started.set()

    def _service_lost(self, reason: str) -> None:
        if self._service_up is False:
            return
        self._service_up = False
        with self._lock:
            self._emit(ServiceLost(reason=reason))
            for name in list(self._readers):
                self._drop_reader(name)

    def _drop_reader(self, name: str) -> None:
        reader = self._readers.pop(name)
        if self._cards.pop(name, None) is not None:
            self._emit(CardRemoved(reader))
        self._emit(ReaderRemoved(reader))

    def _sync_readers(self, context: Any, states: dict[str, int]) -> None:
        names = _list(context)
        with self._lock:
            for name in [n for n in self._readers if n not in names]:
                self._drop_reader(name)
                states.pop(name, None)
            for name in names:
                if name not in self._readers:
                    reader = ReaderInfo.named(name)
                    self._readers[name] = reader
                    self._emit(ReaderAdded(reader))
                    states[name] = scard.SCARD_STATE_UNAWARE

    def _watch(self, context: Any) -> None:
        states: dict[str, int] = {PNP_NOTIFICATION: scard.SCARD_STATE_UNAWARE}
        self._sync_readers(context, states)
        # First pass: learn the present cards without waiting.
        first = True
        while not self._stop.is_set():
            request = list(states.items())
            hresult, results = scard.SCardGetStatusChange(
                context, 0 if first else self.wait_ms, request
            )
            code = _u32(hresult)
            if code in (_u32(scard.SCARD_E_TIMEOUT), _u32(scard.SCARD_E_CANCELLED)):
                first = False
                self._started.set()
                continue
            if code in {_u32(c) for c in _READER_GONE}:
                self._sync_readers(context, states)
                continue
            if code == _u32(scard.SCARD_E_NO_READERS_AVAILABLE):  # stacks without PnP support
                self._stop.wait(self.wait_ms / 1000)
                self._sync_readers(context, states)
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                raise error_for(hresult, "SCardGetStatusChange")
            resync = False
            for name, event_state, atr in results:
                if name == PNP_NOTIFICATION:
                    if event_state & scard.SCARD_STATE_CHANGED:
                        resync = True
                    states[name] = event_state & ~scard.SCARD_STATE_CHANGED
                    continue
                if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
                    resync = True
                    continue
                self._card_state(name, states.get(name, 0), event_state, bytes(atr))
                states[name] = event_state & ~scard.SCARD_STATE_CHANGED
            if resync:
                self._sync_readers(context, states)
            first = False
            self._started.set()

    def _card_state(self, name: str, old: int, new: int, atr: bytes) -> None:
        reader = self._readers.get(name)
        if reader is None:
            return
        present = bool(new & scard.SCARD_STATE_PRESENT) and not new & scard.SCARD_STATE_MUTE
        with self._lock:
            was_present = name in self._cards
            # The high word counts card events: a jump of 2+ while present means the card was
            # swapped between two looks.
            swapped = (
                was_present
                and present
                and old >> 16 != 0
                and ((new >> 16) - (old >> 16)) & 0xFFFF >= 2
            )
            if was_present and (not present or swapped):
                del self._cards[name]
                self._emit(CardRemoved(reader))
            if present and (not was_present or swapped):
                self._cards[name] = atr
                self._emit(CardInserted(reader, atr))
