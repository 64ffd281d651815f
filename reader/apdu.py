"""ISO 7816-4 APDUs over an abstract connection: encoding, status words, chaining, typed errors.

The transport (PC/SC, an in-process card model, a future NFC bridge) only moves bytes; everything
a card application needs on top of that lives here so it is written and tested once:

* ``CommandApdu`` encodes cases 1–4 in short and extended form;
* ``ApduProtocol`` follows ``61xx`` with GET RESPONSE and re-issues on ``6Cxx``, raises a typed
  ``ApduError`` on any other non-``9000`` status, and tells observers about every exchange;
* ``redacted``/``describe`` render commands for logs with credential bytes masked, because a PIN
  must never reach a log file, a test report or a crash dump.

The exception root ``CardLayerError`` is shared by transport and application errors so a UI can
route every card problem through one ``except`` and then dispatch on the concrete type.
"""

from __future__ import annotations

import contextlib
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar

# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class CardLayerError(Exception):
    """Root of every error the card layer raises on purpose (transport, APDU, application)."""


class TransportError(CardLayerError):
    """The bytes did not make it to the card and back; nothing is known about the card's state."""


class CardRemovedError(TransportError):
    """The card left the reader (or was pulled) during or before the operation."""


class ReaderGone(TransportError):
    """The reader itself disappeared (unplugged, driver gone)."""


class CardTimeout(TransportError):
    """The card did not answer in time; the caller should ask for it to be reinserted."""


class ServiceUnavailable(TransportError):
    """The smart-card service (pcscd / WinSCard) is not running or was restarted."""


class ReaderBusy(TransportError):
    """Another program holds the card exclusively (or refuses to let us have it exclusively)."""


class CommunicationError(TransportError):
    """The transport reported a failure that is none of the specific cases above."""


class SW(IntEnum):
    """Status words the My Number card (and generic ISO 7816 cards) answer with.

    Families whose low byte carries a value (``61xx``, ``6Cxx``, ``63Cx``) are listed with that
    byte zero; use :func:`sw_family` to classify a raw status word.
    """

    OK = 0x9000
    BYTES_REMAINING = 0x6100  # 61xx: xx more bytes available with GET RESPONSE
    WRONG_LE = 0x6C00  # 6Cxx: re-issue with Le = xx
    VERIFY_FAILED = 0x63C0  # 63Cx: x tries left (also the reply to an empty VERIFY)
    WARNING_EOF = 0x6282  # end of file reached before Le bytes
    WRONG_LENGTH = 0x6700
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881
    SECURE_MESSAGING_NOT_SUPPORTED = 0x6882
    INCOMPATIBLE_FILE_STRUCTURE = 0x6981
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    REFERENCE_DATA_BLOCKED = 0x6984  # JPKI: the PIN is blocked
    CONDITIONS_NOT_SATISFIED = 0x6985
    COMMAND_NOT_ALLOWED = 0x6986  # e.g. no current EF
    WRONG_DATA = 0x6A80
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    INCORRECT_P1P2 = 0x6A86
    REFERENCED_DATA_NOT_FOUND = 0x6A88
    WRONG_P1P2 = 0x6B00  # JPKI: offset beyond the end of the EF
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00
    MEMORY_FAILURE = 0x6581


_FAMILIES = (SW.BYTES_REMAINING, SW.WRONG_LE)


def sw_family(sw: int) -> SW | None:
    """The :class:`SW` a raw status word belongs to (``63C2`` → ``VERIFY_FAILED``), or ``None``."""
    if (sw & 0xFFF0) == SW.VERIFY_FAILED:
        return SW.VERIFY_FAILED
    for fam in _FAMILIES:
        if (sw & 0xFF00) == fam:
            return fam
    try:
        return SW(sw)
    except ValueError:
        return None


class ApduError(CardLayerError):
    """The card answered a command with a status word other than ``9000``.

    ``command`` is the *redacted* encoded command (credentials masked), safe to log.
    """

    def __init__(self, sw: int, command: bytes = b"") -> None:
        self.sw = sw
        self.command = redacted(command) if command else b""
        super().__init__(f"card answered {sw:04X} to {describe(command) if command else '?'}")

    @staticmethod
    def for_sw(sw: int, command: bytes = b"") -> ApduError:
        """The most specific subclass for ``sw``."""
        fam = sw_family(sw)
        if fam is SW.VERIFY_FAILED:
            return VerificationFailed(sw, command)
        cls = _ERROR_CLASSES.get(fam, ApduError) if fam is not None else ApduError
        return cls(sw, command)


class VerificationFailed(ApduError):
    """``63Cx``: a credential was rejected (or queried); ``tries_left`` = x."""

    @property
    def tries_left(self) -> int:
        return self.sw & 0x0F


class SecurityStatusNotSatisfied(ApduError):
    """``6982``: the object needs a credential that has not been verified."""


class ReferenceBlocked(ApduError):
    """``6983``/``6984``: the credential is blocked."""


class FileNotFound(ApduError):
    """``6A82``: no such application or file."""


class WrongParameters(ApduError):
    """``6A86``/``6B00``: P1/P2 wrong (for READ BINARY: offset past the end of the file)."""


class WrongLength(ApduError):
    """``6700``: Lc/Le not acceptable."""


class NotSupported(ApduError):
    """``6D00``/``6E00``/``6881``/``6882``/``6A81``: the card does not know the command."""


_ERROR_CLASSES: dict[SW, type[ApduError]] = {
    SW.SECURITY_STATUS_NOT_SATISFIED: SecurityStatusNotSatisfied,
    SW.AUTH_METHOD_BLOCKED: ReferenceBlocked,
    SW.REFERENCE_DATA_BLOCKED: ReferenceBlocked,
    SW.FILE_NOT_FOUND: FileNotFound,
    SW.INCORRECT_P1P2: WrongParameters,
    SW.WRONG_P1P2: WrongParameters,
    SW.WRONG_LENGTH: WrongLength,
    SW.INS_NOT_SUPPORTED: NotSupported,
    SW.CLA_NOT_SUPPORTED: NotSupported,
    SW.LOGICAL_CHANNEL_NOT_SUPPORTED: NotSupported,
    SW.SECURE_MESSAGING_NOT_SUPPORTED: NotSupported,
    SW.FUNCTION_NOT_SUPPORTED: NotSupported,
}

# ---------------------------------------------------------------------------------------------
# Command encoding
# ---------------------------------------------------------------------------------------------

SHORT_MAX_LC = 255
SHORT_MAX_LE = 256
EXTENDED_MAX_LC = 65535
EXTENDED_MAX_LE = 65536


class ApduFormatError(ValueError):
    """A command or response that cannot be encoded/decoded (a bug or hostile bytes)."""


@dataclass(frozen=True)
class CommandApdu:
    """One command APDU. ``le=None``: no Le field; ``le=256`` (short) / ``65536`` (extended): "all".

    ``extended=None`` chooses extended form only when Lc or Le do not fit the short form.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ApduFormatError(f"{name} out of range: {value!r}")
        if len(self.data) > EXTENDED_MAX_LC:
            raise ApduFormatError(f"data too long for any APDU: {len(self.data)} bytes")
        if self.le is not None and not 1 <= self.le <= EXTENDED_MAX_LE:
            raise ApduFormatError(f"Le out of range: {self.le}")
        if self.extended is False and not self._fits_short():
            raise ApduFormatError("command does not fit a short APDU")

    def _fits_short(self) -> bool:
        return len(self.data) <= SHORT_MAX_LC and (self.le is None or self.le <= SHORT_MAX_LE)

    @property
    def is_extended(self) -> bool:
        return self.extended if self.extended is not None else not self._fits_short()

    @property
    def case(self) -> int:
        """ISO 7816-3 case: 1 (header only), 2 (Le), 3 (Lc+data), 4 (Lc+data+Le)."""
        return (3 if self.data else 1) + (1 if self.le is not None else 0)

    def encode(self) -> bytes:
        header = bytes((self.cla, self.ins, self.p1, self.p2))
        lc, le = len(self.data), self.le
        if not self.is_extended:
            body = bytes((lc,)) + self.data if lc else b""
            if le is not None:
                body += bytes((le & 0xFF,))  # 256 → 00
            return header + body
        body = b""
        if lc:
            body = b"\x00" + lc.to_bytes(2, "big") + self.data
        if le is not None:
            le_bytes = (le & 0xFFFF).to_bytes(2, "big")  # 65536 → 0000
            body += le_bytes if lc else b"\x00" + le_bytes
        return header + body

    def with_le(self, le: int) -> CommandApdu:
        return CommandApdu(self.cla, self.ins, self.p1, self.p2, self.data, le, self.extended)

    @classmethod
    def decode(cls, raw: bytes) -> CommandApdu:
        """Parse an encoded command (used by the card emulator and to render logs)."""
        if len(raw) < 4:
            raise ApduFormatError(f"APDU shorter than its header: {len(raw)} bytes")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or 256, extended=False)
        if body[0] != 0:  # short Lc
            lc = body[0]
            rest = body[1:]
            if len(rest) == lc:
                return cls(cla, ins, p1, p2, rest, extended=False)
            if len(rest) == lc + 1:
                return cls(cla, ins, p1, p2, rest[:lc], le=rest[lc] or 256, extended=False)
            raise ApduFormatError("short APDU body does not match its Lc")
        # body[0] == 0 and len(body) >= 2: extended
        if len(body) == 3:
            le = int.from_bytes(body[1:3], "big") or 65536
            return cls(cla, ins, p1, p2, le=le, extended=True)
        if len(body) < 3:
            raise ApduFormatError("truncated extended APDU")
        lc = int.from_bytes(body[1:3], "big")
        rest = body[3:]
        if lc == 0:
            raise ApduFormatError("extended Lc of zero")
        if len(rest) == lc:
            return cls(cla, ins, p1, p2, rest, extended=True)
        if len(rest) == lc + 2:
            le = int.from_bytes(rest[lc:], "big") or 65536
            return cls(cla, ins, p1, p2, rest[:lc], le=le, extended=True)
        raise ApduFormatError("extended APDU body does not match its Lc")


#: INS codes whose data field is a credential: VERIFY, CHANGE REFERENCE DATA, RESET RETRY
#: COUNTER, JICSAP CHANGE KEY. Their data never appears in any rendering.
CREDENTIAL_INS = frozenset({0x20, 0x21, 0x24, 0x2C, 0x32})


def redacted(apdu: bytes) -> bytes:
    """``apdu`` with the data field of credential commands replaced by ``*`` bytes (same length)."""
    if len(apdu) < 5 or apdu[1] not in CREDENTIAL_INS:
        return bytes(apdu)
    try:
        cmd = CommandApdu.decode(bytes(apdu))
    except ApduFormatError:
        return bytes(apdu[:4]) + b"*" * (len(apdu) - 4)
    if not cmd.data:
        return bytes(apdu)
    stars = b"*" * len(cmd.data)
    return CommandApdu(cmd.cla, cmd.ins, cmd.p1, cmd.p2, stars, cmd.le, cmd.extended).encode()


def describe(apdu: bytes) -> str:
    """Hex rendering for logs and error messages; credential data shows as ``**``."""
    raw = bytes(apdu)
    if len(raw) >= 5 and raw[1] in CREDENTIAL_INS:
        try:
            cmd = CommandApdu.decode(raw)
        except ApduFormatError:
            return raw[:4].hex(" ").upper() + " <redacted>"
        if cmd.data:
            le_len = _le_len(cmd)
            prefix = raw[: len(raw) - len(cmd.data) - le_len]
            parts = [prefix.hex(" ").upper(), " ".join(["**"] * len(cmd.data))]
            if le_len:
                parts.append(raw[-le_len:].hex(" ").upper())
            return " ".join(parts)
    return raw.hex(" ").upper()


def _le_len(cmd: CommandApdu) -> int:
    if cmd.le is None:
        return 0
    return 2 if cmd.is_extended else 1


# ---------------------------------------------------------------------------------------------
# Connection and protocol
# ---------------------------------------------------------------------------------------------


class Connection(ABC):
    """A channel to one inserted card. Implementations raise :class:`TransportError` subclasses."""

    #: True when the card behind this connection is simulated (virtual reader): every result read
    #: through it must be labelled as simulated.
    simulated: bool = False

    @abstractmethod
    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one encoded command; return (response data, status word)."""

    def secure(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Called before a credential is presented: no other program may use the card until
        :meth:`close`, which must then power the card down so the verified state dies with it."""

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """Allow ``seconds`` per command inside the block (RSA on a contactless card is slow)."""
        yield

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Keep other programs off the card for a multi-command sequence (a DF/EF selection
        made by someone else in between would derail it). Reentrant."""
        yield

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the card. Idempotent."""

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class ApduExchange:
    """One command/response pair as observers see it. ``command`` is already redacted."""

    command: bytes
    response: bytes
    sw: int
    seconds: float
    index: int = field(default=0)

    @property
    def ins(self) -> int:
        return self.command[1] if len(self.command) > 1 else -1

    def __str__(self) -> str:
        reply = self.response.hex().upper()
        return f"#{self.index} > {describe(self.command)}  < {reply} {self.sw:04X}"


Observer = Callable[[ApduExchange], None]


class ApduProtocol:
    """Typed request/response over a :class:`Connection`.

    ``transceive`` returns the final (data, sw) after chaining; ``send`` additionally raises
    :class:`ApduError` for anything but ``9000``. Observers get every exchange on the wire,
    GET RESPONSEs included, with credential data masked.
    """

    #: Cap on GET RESPONSE rounds so a hostile card cannot keep us looping.
    MAX_CHAIN = 64

    GET_RESPONSE_INS: ClassVar[int] = 0xC0

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._observers: list[Observer] = []
        self._lock = threading.Lock()
        self._count = 0

    @property
    def exchanges(self) -> int:
        """How many APDUs went to the card through this protocol."""
        return self._count

    def add_observer(self, observer: Observer) -> Callable[[], None]:
        """Register ``observer``; returns a function that removes it again."""
        with self._lock:
            self._observers.append(observer)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._observers.remove(observer)

        return remove

    def _exchange(self, raw: bytes) -> tuple[bytes, int]:
        start = time.perf_counter()
        data, sw = self.connection.send_and_receive(raw)
        self._count += 1
        elapsed = time.perf_counter() - start
        exchange = ApduExchange(redacted(raw), bytes(data), sw, elapsed, self._count)
        with self._lock:
            observers = list(self._observers)
        for observer in observers:
            observer(exchange)
        return bytes(data), sw

    def transceive(self, command: CommandApdu) -> tuple[bytes, int]:
        """Send ``command``; follow ``6Cxx`` once and ``61xx`` until done. Returns (data, sw).

        A credential command is never re-issued, whatever the card answers: a PIN goes to the
        card at most once per call.
        """
        data, sw = self._exchange(command.encode())
        reissue = command.le is not None and command.ins not in CREDENTIAL_INS
        if (sw & 0xFF00) == SW.WRONG_LE and reissue:
            data, sw = self._exchange(command.with_le(sw & 0xFF or 256).encode())
        chunks = [data]
        rounds = 0
        while (sw & 0xFF00) == SW.BYTES_REMAINING:
            rounds += 1
            if rounds > self.MAX_CHAIN:
                raise ApduError(sw, command.encode())
            get_response = CommandApdu(0x00, self.GET_RESPONSE_INS, 0, 0, le=sw & 0xFF or 256)
            more, sw = self._exchange(get_response.encode())
            chunks.append(more)
        return b"".join(chunks), sw

    def send(self, command: CommandApdu) -> bytes:
        """Send ``command``, return its data; raise the typed :class:`ApduError` unless ``9000``."""
        data, sw = self.transceive(command)
        if sw != SW.OK:
            raise ApduError.for_sw(sw, command.encode())
        return data
