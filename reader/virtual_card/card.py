"""The My Number card as a state machine over APDU bytes: SIMULATED, for tests and the demo.

It models what Madoguchi relies on (research notes §2–§4, §10.1): the JPKI application with the
auth certificate (EF 000A), its CA certificate (000B), token info (0006), the auth key (0017) and
the auth PIN (0018, 3 tries, ``63Cx``/``6984``), signing with ``80 2A``, and the power rules
(the verified state survives a reset and dies on power-off). It also carries the two
applications Madoguchi must never touch — 券面事項入力補助AP with a FAKE individual-number EF
and 券面事項確認AP — and counts every access to them as a *violation*, so the tests can prove
the client never goes there.

Transport-free: :class:`reader.virtual_card.vpcd.VirtualCard` puts it behind a real pcscd, and
:class:`CardModelConnection` lets the APDU layer be exercised in-process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from reader.apdu import SW, ApduFormatError, CommandApdu, Connection, redacted
from reader.virtual_card.identity import CardIdentity

JPKI_AID = bytes.fromhex("D392F000260100000001")
TEXT_AP_AID = bytes.fromhex("D3921000310001010408")  # 券面事項入力補助AP
VISUAL_AP_AID = bytes.fromhex("D3921000310001010402")  # 券面事項確認AP
FORBIDDEN_AIDS = frozenset({TEXT_AP_AID, VISUAL_AP_AID})

#: Contact ATR of the real card (T=1, no historical bytes). Shared with old 住基カード, which is
#: exactly why the client identifies the card by SELECTing the JPKI AID, not by ATR.
DEFAULT_ATR = bytes.fromhex("3BE000FF8131FE4514")

#: A FAKE 12-digit number kept in the forbidden EF. Distinctive so that tests can grep every log
#: and captured output for it: it must never appear anywhere.
FAKE_INDIVIDUAL_NUMBER = "987654321098"

AUTH_PIN_TRIES = 3
TOKEN_LABEL = "JPKIAPICCTOKEN2"  # noqa: S105 - a public label, not a secret
_FILLER = b"\xff"


@dataclass
class _Pin:
    value: bytes
    max_tries: int
    tries: int


@dataclass
class _Ef:
    data: bytes = b""
    #: FID of the PIN that must be verified to READ, or None if free.
    needs: int | None = None
    #: "binary" (readable), "pin" (key reference), "key" (private key, never readable).
    kind: str = "binary"


@dataclass
class _Df:
    name: str
    efs: dict[int, _Ef]
    pins: dict[int, _Pin]
    #: PIN FIDs whose verification also opens an EF guarded by another FID (照合番号A opens 0001).
    alternates: dict[int, set[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedApdu:
    """One APDU as the card saw it (credential data masked) and what it answered."""

    index: int
    command: bytes
    sw: int
    df: str
    ef: int | None


def _padded(data: bytes, size: int) -> bytes:
    return data + _FILLER * max(0, size - len(data))


def _token_info() -> bytes:
    return TOKEN_LABEL.encode("ascii").ljust(32, b" ") + bytes(128)


def _pkcs1_type1(data: bytes, k: int) -> bytes:
    return b"\x00\x01" + b"\xff" * (k - len(data) - 3) + b"\x00" + data


class MyNumberCardModel:
    """The card's file system, credentials and security state. Thread-safe."""

    def __init__(
        self,
        identity: CardIdentity,
        *,
        pin: str | None = None,
        atr: bytes = DEFAULT_ATR,
        response_chunk: int | None = None,
        strict_le: bool = False,
        mute_first_command: bool = False,
    ) -> None:
        """``response_chunk``: answer longer responses in pieces with ``61xx`` (T=0 style).
        ``strict_le``: answer ``6Cxx`` when Le asks for more than a READ BINARY can return.
        ``mute_first_command``: answer ``6F00`` to the first APDU after power-on (seen on one
        real card, research §9.6)."""
        self.identity = identity
        self.atr = atr
        self.response_chunk = response_chunk
        self.strict_le = strict_le
        self.mute_first_command = mute_first_command
        self._lock = threading.RLock()
        self._key = identity.key
        pin_bytes = (pin if pin is not None else identity.pin).encode("ascii")
        cert = _padded(identity.certificate_der, 2048)
        ca = _padded(identity.ca_certificate_der, 2048)
        self._dfs: dict[bytes, _Df] = {
            JPKI_AID: _Df(
                "JPKI",
                {
                    0x0001: _Ef(b"\x30\x03\x02\x01\x00", needs=0x001B),  # sign cert: sign password
                    0x0002: _Ef(ca),
                    0x0006: _Ef(_token_info()),
                    0x000A: _Ef(cert),
                    0x000B: _Ef(ca),
                    0x0017: _Ef(kind="key"),
                    0x0018: _Ef(kind="pin"),
                    0x001A: _Ef(kind="key"),
                    0x001B: _Ef(kind="pin"),
                },
                {
                    0x0018: _Pin(pin_bytes, AUTH_PIN_TRIES, AUTH_PIN_TRIES),
                    0x001B: _Pin(b"SIMULATED1", 5, 5),
                },
            ),
            TEXT_AP_AID: _Df(
                "TEXT_AP",
                {
                    0x0001: _Ef(
                        b"\xff\x10\x0c" + FAKE_INDIVIDUAL_NUMBER.encode() + b"\xff\xff",
                        needs=0x0011,
                    ),
                    0x0011: _Ef(kind="pin"),
                    0x0014: _Ef(kind="pin"),
                },
                {
                    0x0011: _Pin(pin_bytes, 3, 3),
                    0x0014: _Pin(FAKE_INDIVIDUAL_NUMBER.encode(), 3, 3),
                },
                {0x0011: {0x0014}},
            ),
            VISUAL_AP_AID: _Df(
                "VISUAL_AP",
                {
                    0x0005: _Ef(b"\xff\x40\x03\xdf\x41\x00", needs=0x0013),
                    0x0013: _Ef(kind="pin"),
                },
                {0x0013: _Pin(FAKE_INDIVIDUAL_NUMBER.encode(), 3, 3)},
            ),
        }
        self._df: bytes | None = None
        self._ef: int | None = None
        self._verified: set[tuple[bytes, int]] = set()
        self._pending = b""
        self._fresh = True
        self.log: list[LoggedApdu] = []
        self.violations: list[str] = []
        self.pin_presentations = 0  # VERIFYs carrying data, any DF

    # -- observation ------------------------------------------------------------------------

    @property
    def auth_pin_tries(self) -> int:
        with self._lock:
            return self._dfs[JPKI_AID].pins[0x0018].tries

    @auth_pin_tries.setter
    def auth_pin_tries(self, tries: int) -> None:
        with self._lock:
            self._dfs[JPKI_AID].pins[0x0018].tries = tries

    @property
    def auth_pin_verified(self) -> bool:
        with self._lock:
            return (JPKI_AID, 0x0018) in self._verified

    # -- power --------------------------------------------------------------------------------

    def power_off(self) -> None:
        """Contacts unpowered / card pulled: all security state is lost."""
        with self._lock:
            self._verified.clear()
            self._reset_selection()

    def reset(self) -> None:
        """Warm reset: selection lost, verified state kept (as on the real card, research §9.5)."""
        with self._lock:
            self._reset_selection()

    def _reset_selection(self) -> None:
        self._df = None
        self._ef = None
        self._pending = b""
        self._fresh = True

    # -- APDU processing ------------------------------------------------------------------------

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU with response data ‖ SW1 SW2."""
        with self._lock:
            try:
                cmd = CommandApdu.decode(apdu)
            except ApduFormatError:
                cmd = None
            if cmd is None:
                data, sw = b"", int(SW.WRONG_LENGTH)
            elif self._fresh and self.mute_first_command:
                self._fresh = False
                data, sw = b"", int(SW.NO_PRECISE_DIAGNOSIS)
            else:
                self._fresh = False
                self._note_violation(cmd)
                data, sw = self._dispatch(cmd)
            if cmd is None or cmd.ins != 0xC0:
                data, sw = self._chunk(data, sw)
            df = self._dfs[self._df].name if self._df is not None else "MF"
            self.log.append(LoggedApdu(len(self.log) + 1, redacted(apdu), sw, df, self._ef))
            return data + sw.to_bytes(2, "big")

    def _note_violation(self, cmd: CommandApdu) -> None:
        if cmd.ins == 0xA4 and cmd.p1 == 0x04 and bytes(cmd.data) in FORBIDDEN_AIDS:
            name = self._dfs[bytes(cmd.data)].name
            self.violations.append(f"SELECT {name}")
        elif self._df in FORBIDDEN_AIDS:
            name = self._dfs[self._df].name
            self.violations.append(f"{cmd.ins:02X} {cmd.p1:02X}{cmd.p2:02X} inside {name}")

    def _chunk(self, data: bytes, sw: int) -> tuple[bytes, int]:
        limit = self.response_chunk
        if sw != SW.OK or limit is None or len(data) <= limit:
            self._pending = b""
            return data, sw
        self._pending = data[limit:]
        return data[:limit], SW.BYTES_REMAINING | min(len(self._pending), 256) % 256

    def _dispatch(self, cmd: CommandApdu) -> tuple[bytes, int]:
        if cmd.cla & 0x0C:
            return b"", SW.SECURE_MESSAGING_NOT_SUPPORTED
        if cmd.cla & 0x03:
            return b"", SW.LOGICAL_CHANNEL_NOT_SUPPORTED
        if cmd.cla == 0x80 and cmd.ins == 0x2A:
            return self._sign(cmd)
        if cmd.cla != 0x00:
            return b"", SW.CLA_NOT_SUPPORTED
        handler = {
            0xA4: self._select,
            0xB0: self._read_binary,
            0x20: self._verify,
            0xC0: self._get_response,
        }.get(cmd.ins)
        if handler is None:
            return b"", SW.INS_NOT_SUPPORTED
        return handler(cmd)

    def _select(self, cmd: CommandApdu) -> tuple[bytes, int]:
        if cmd.p2 not in (0x0C, 0x00):
            return b"", SW.INCORRECT_P1P2
        if cmd.p1 == 0x04:
            if bytes(cmd.data) not in self._dfs:
                return b"", SW.FILE_NOT_FOUND
            self._df, self._ef = bytes(cmd.data), None
            return b"", SW.OK
        if cmd.p1 == 0x02:
            if len(cmd.data) != 2 or self._df is None:
                return b"", SW.FILE_NOT_FOUND
            fid = int.from_bytes(cmd.data, "big")
            if fid not in self._dfs[self._df].efs:
                return b"", SW.FILE_NOT_FOUND
            self._ef = fid
            return b"", SW.OK
        if cmd.p1 == 0x00:
            return (b"", SW.OK) if self._df is not None else (b"", SW.INCORRECT_P1P2)
        return b"", SW.INCORRECT_P1P2

    def _read_binary(self, cmd: CommandApdu) -> tuple[bytes, int]:
        if self._df is None:
            return b"", SW.COMMAND_NOT_ALLOWED
        df = self._dfs[self._df]
        if cmd.p1 & 0x80:  # short EF identifier: selects the EF, 8-bit offset
            fid, offset = cmd.p1 & 0x1F, cmd.p2
            if fid not in df.efs:
                return b"", SW.FILE_NOT_FOUND
            self._ef = fid
        else:
            fid, offset = self._ef, (cmd.p1 << 8) | cmd.p2
            if fid is None:
                return b"", SW.COMMAND_NOT_ALLOWED
        ef = df.efs[fid]
        if ef.kind != "binary":
            return b"", SW.INCOMPATIBLE_FILE_STRUCTURE
        if ef.needs is not None and not self._opened(df, ef.needs):
            return b"", SW.SECURITY_STATUS_NOT_SATISFIED
        if cmd.le is None:
            return b"", SW.WRONG_LENGTH
        if offset >= len(ef.data):
            return b"", SW.WRONG_P1P2
        available = len(ef.data) - offset
        if self.strict_le and cmd.le > available and available < 256:
            return b"", SW.WRONG_LE | available
        # vpcd frames replies with a 16-bit length: keep room for the status word.
        return ef.data[offset : offset + min(cmd.le, 0xFFFD)], SW.OK

    def _opened(self, df: _Df, pin_fid: int) -> bool:
        aid = next(aid for aid, d in self._dfs.items() if d is df)
        keys = {pin_fid} | df.alternates.get(pin_fid, set())
        return any((aid, k) in self._verified for k in keys)

    def _verify(self, cmd: CommandApdu) -> tuple[bytes, int]:
        if self._df is None:
            return b"", SW.COMMAND_NOT_ALLOWED
        if cmd.p1 != 0x00:
            return b"", SW.INCORRECT_P1P2
        df = self._dfs[self._df]
        if cmd.p2 == 0x80:
            fid = self._ef
            if fid is None or df.efs[fid].kind != "pin":
                return b"", SW.COMMAND_NOT_ALLOWED
        elif cmd.p2 & 0x80:
            fid = cmd.p2 & 0x1F
        else:
            return b"", SW.INCORRECT_P1P2
        pin = df.pins.get(fid)
        if pin is None:
            return b"", SW.REFERENCED_DATA_NOT_FOUND
        key = (self._df, fid)
        if not cmd.data:  # the query: never spends a try
            if key in self._verified:
                return b"", SW.OK
            return b"", SW.VERIFY_FAILED | pin.tries
        self.pin_presentations += 1
        if pin.tries == 0:
            return b"", SW.REFERENCE_DATA_BLOCKED
        if bytes(cmd.data) == pin.value:
            pin.tries = pin.max_tries
            self._verified.add(key)
            return b"", SW.OK
        pin.tries -= 1
        self._verified.discard(key)
        return b"", SW.VERIFY_FAILED | pin.tries

    def _sign(self, cmd: CommandApdu) -> tuple[bytes, int]:
        if self._df != JPKI_AID:
            return b"", SW.COMMAND_NOT_ALLOWED
        if cmd.p1 != 0x00:
            return b"", SW.INCORRECT_P1P2
        if cmd.p2 == 0x80:
            key_fid = self._ef
        elif cmd.p2 in (0x97, 0x9A):
            key_fid = cmd.p2 & 0x1F
        else:
            return b"", SW.INCORRECT_P1P2
        if key_fid != 0x0017:  # only the auth key is modelled (0x001A would need the password)
            return b"", SW.SECURITY_STATUS_NOT_SATISFIED
        if (JPKI_AID, 0x0018) not in self._verified:
            return b"", SW.SECURITY_STATUS_NOT_SATISFIED
        k = self._key.key_size // 8
        if not cmd.data or len(cmd.data) > k - 11:
            return b"", SW.WRONG_LENGTH
        numbers = self._key.private_numbers()
        m = int.from_bytes(_pkcs1_type1(bytes(cmd.data), k), "big")
        # CRT: four times faster than pow(m, d, n), which matters for the latency figures.
        s1 = pow(m, numbers.dmp1, numbers.p)
        s2 = pow(m, numbers.dmq1, numbers.q)
        h = (numbers.iqmp * (s1 - s2)) % numbers.p
        s = s2 + h * numbers.q
        return s.to_bytes(k, "big"), SW.OK

    def _get_response(self, cmd: CommandApdu) -> tuple[bytes, int]:
        if not self._pending:
            return b"", SW.CONDITIONS_NOT_SATISFIED
        want = cmd.le or 256
        out, self._pending = self._pending[:want], self._pending[want:]
        if self._pending:
            return out, SW.BYTES_REMAINING | min(len(self._pending), 256) % 256
        return out, SW.OK


class CardModelConnection(Connection):
    """The card model as an in-process :class:`Connection` (no pcscd): APDU-layer tests, tools."""

    simulated = True

    def __init__(self, model: MyNumberCardModel) -> None:
        self.model = model

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        reply = self.model.process(apdu)
        return reply[:-2], int.from_bytes(reply[-2:], "big")

    def close(self) -> None:
        self.model.power_off()
