"""Put the SIMULATED card model behind a real pcscd through vsmartcard's vpcd driver.

vpcd (inside pcscd) listens on TCP 35963 + slot; a virtual card ("vicc") connects to it. Every
message both ways is a 2-byte big-endian length and a payload; a 1-byte payload from vpcd is a
control code (00 power off, 01 power on, 02 reset, 04 "send your ATR"), anything longer is a
command APDU answered by one response APDU (research §10). A dead socket is a removed card.

Faults for the tests are injected here, on the wire, exactly where a real card fails: the card is
pulled at APDU *n*, goes silent at APDU *n*, answers a wrong status word at APDU *n*, or is slow.
"""

from __future__ import annotations

import contextlib
import enum
import socket
import struct
import threading
import time
from dataclasses import dataclass

from reader.virtual_card.card import LoggedApdu, MyNumberCardModel
from reader.virtual_card.identity import CardIdentity, load_identity

VPCD_BASE_PORT = 35963
VPCD_SLOTS = 2
_CTRL_OFF, _CTRL_ON, _CTRL_RESET, _CTRL_ATR = 0x00, 0x01, 0x02, 0x04


class VpcdUnavailable(ConnectionError):
    """Nothing listens on the vpcd port (pcscd not running, or without the vpcd driver)."""


class SlotBusy(ConnectionError):
    """vpcd did not take this card: another virtual card already sits in the slot."""


def reader_name_for_slot(slot: int) -> str:
    """The PC/SC reader name pcscd gives vpcd slot ``slot`` (one vpcd instance)."""
    return f"Virtual PCD 00 {slot:02d}"


class FaultKind(enum.StrEnum):
    REMOVE = "remove"  # drop the connection instead of answering: the card was pulled
    SILENT = "silent"  # never answer this or anything after it, until removed
    WRONG_SW = "wrong_sw"  # answer only a status word


@dataclass(frozen=True)
class Fault:
    """Trigger ``kind`` at the ``at``-th APDU counted from when the fault was armed (1-based)."""

    kind: FaultKind
    at: int
    sw: int = 0x6581


def _quickack(sock: socket.socket) -> None:
    # Linux delays ACKs (~40 ms) after the first exchanges; re-arming after each recv keeps every
    # APDU round trip sub-millisecond. Absent on Windows/macOS, where it is simply skipped.
    opt = getattr(socket, "TCP_QUICKACK", None)
    if opt is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, opt, 1)


class VirtualCard:
    """A SIMULATED My Number card that can be inserted into / removed from a vpcd slot.

    The model (PIN counter, keys, logs) persists across removal and reinsertion like a physical
    card does; only its security state is lost when it leaves the reader.
    """

    def __init__(
        self,
        identity: CardIdentity | str = "demo-01",
        *,
        slot: int = 0,
        host: str = "127.0.0.1",
        port: int | None = None,
        pin: str | None = None,
        model: MyNumberCardModel | None = None,
    ) -> None:
        ident = load_identity(identity) if isinstance(identity, str) else identity
        self.model = model or MyNumberCardModel(ident, pin=pin)
        self.slot = slot
        self.host = host
        self.port = port if port is not None else VPCD_BASE_PORT + slot
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._accepted = threading.Event()
        self._faults: list[Fault] = []
        self._delay = 0.0
        self._armed_at = 0
        self.apdus_received = 0
        self.control_messages = 0

    # -- identity ---------------------------------------------------------------------------

    @property
    def card_id(self) -> str:
        return self.model.identity.card_id

    @property
    def reader_name(self) -> str:
        return reader_name_for_slot(self.slot)

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    # -- faults -----------------------------------------------------------------------------

    def inject(self, *faults: Fault) -> None:
        """Arm faults; their ``at`` counts APDUs from now."""
        with self._lock:
            self._armed_at = self.apdus_received
            self._faults = list(faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = []
            self._delay = 0.0

    def set_delay(self, seconds: float) -> None:
        """Answer every APDU ``seconds`` late (a slow card or a contactless link)."""
        self._delay = seconds

    # -- lifecycle --------------------------------------------------------------------------

    def insert(self, *, timeout: float = 5.0) -> None:
        """Connect to vpcd. Returns once vpcd has talked to the card (pcscd then reports it present
        within its 400 ms poll); raises :class:`VpcdUnavailable` or :class:`SlotBusy`."""
        if self.inserted:
            return
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as exc:
            raise VpcdUnavailable(f"vpcd not reachable on {self.host}:{self.port}: {exc}") from exc
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _quickack(sock)
        self._accepted.clear()
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"vicc-slot{self.slot}", daemon=True
        )
        self._thread.start()
        if not self._accepted.wait(timeout):
            self.remove()
            raise SlotBusy(f"vpcd slot {self.slot} did not take the card (already occupied?)")

    def remove(self) -> None:
        """Pull the card: close the socket; pcscd sees it gone at its next poll."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)
        self.model.power_off()

    start = insert
    stop = remove

    @property
    def apdu_log(self) -> list[LoggedApdu]:
        """Every APDU the card processed (credential data masked), oldest first."""
        return list(self.model.log)

    @property
    def pin_tries(self) -> int:
        """The auth-PIN retry counter, straight from the card's memory."""
        return self.model.auth_pin_tries

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # -- wire ---------------------------------------------------------------------------------

    @staticmethod
    def _recv_exact(sock: socket.socket, size: int) -> bytes:
        buf = bytearray()
        while len(buf) < size:
            chunk = sock.recv(size - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    @staticmethod
    def _send(sock: socket.socket, payload: bytes) -> None:
        sock.sendall(struct.pack("!H", len(payload)) + payload)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            n = self.apdus_received - self._armed_at
            for fault in self._faults:
                if fault.at == n:
                    return fault
        return None

    def _serve(self, sock: socket.socket) -> None:
        silent = False
        try:
            while True:
                _quickack(sock)  # must be armed *before* the data arrives to ACK it at once
                (length,) = struct.unpack("!H", self._recv_exact(sock, 2))
                payload = self._recv_exact(sock, length)
                _quickack(sock)
                self._accepted.set()
                if silent:
                    continue
                if length == 1:
                    self.control_messages += 1
                    self._control(sock, payload[0])
                    continue
                self.apdus_received += 1
                fault = self._next_fault()
                if fault is not None and fault.kind is FaultKind.REMOVE:
                    break
                if fault is not None and fault.kind is FaultKind.SILENT:
                    silent = True
                    continue
                if self._delay:
                    time.sleep(self._delay)
                if fault is not None:
                    self._send(sock, fault.sw.to_bytes(2, "big"))
                else:
                    self._send(sock, self.model.process(payload))
        except (EOFError, OSError):
            pass
        finally:
            if self._sock is sock:
                self._sock = None
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.model.power_off()

    def _control(self, sock: socket.socket, code: int) -> None:
        if code == _CTRL_ATR:
            self._send(sock, self.model.atr)
        elif code == _CTRL_OFF:
            self.model.power_off()
        elif code in (_CTRL_ON, _CTRL_RESET):
            self.model.reset()
