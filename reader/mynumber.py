"""The JPKI application of the My Number card: auth certificate, auth-PIN tries, PIN, signature.

Two safety rules are enforced in code, not left to callers:

* **Never the individual number.** Every command passes :class:`JpkiGuard` before it can reach
  the card. It lets through only SELECT of the JPKI AID, SELECT of the JPKI EFs this module needs,
  READ BINARY of free JPKI EFs, VERIFY of the auth PIN and the JPKI signature command. The
  券面事項入力補助AP / 券面事項確認AP, their number EFs and 照合番号A cannot be addressed at all.
* **Never lock a patient's card.** The remaining tries are read with the empty VERIFY (which
  does not spend one); a blocked PIN is refused locally; the last try is sent only with
  ``confirm_last_try=True``; exactly one VERIFY is sent per call and never retried.

Errors are typed for the UI: transport problems (:class:`CardRemovedError`, :class:`ReaderGone`,
:class:`CardTimeout`, ...) come from :mod:`reader.apdu`; card answers become
:class:`NotAMyNumberCard`, :class:`PinBlocked`, :class:`WrongPin`,
:class:`LastTryNeedsConfirmation` or :class:`CardError`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from policies.dates import JST
from reader.apdu import (
    SW,
    ApduError,
    ApduProtocol,
    CardLayerError,
    CardRemovedError,
    CardTimeout,
    CommandApdu,
    CommunicationError,
    Connection,
    ReaderBusy,
    ReaderGone,
    ServiceUnavailable,
    TransportError,
    sw_family,
)

__all__ = [
    "AUTH_PIN_MAX_TRIES",
    "JPKI_AID",
    "AuthCertificate",
    "CardError",
    "CardLayerError",
    "CardRemovedError",
    "CardTimeout",
    "CertificateValidity",
    "CommunicationError",
    "ForbiddenCardAccess",
    "InvalidPinFormat",
    "JpkiApplication",
    "JpkiGuard",
    "LastTryNeedsConfirmation",
    "MalformedCardData",
    "MyNumberError",
    "NotAMyNumberCard",
    "PinBlocked",
    "PinNotVerified",
    "PinVerified",
    "ReaderBusy",
    "ReaderGone",
    "ServiceUnavailable",
    "TransportError",
    "WrongPin",
]

JPKI_AID = bytes.fromhex("D392F000260100000001")
AUTH_PIN_MAX_TRIES = 3

EF_TOKEN_INFO = 0x0006
EF_CERT_PRESENCE = 0x0008
EF_AUTH_CERT = 0x000A
EF_AUTH_CA_CERT = 0x000B
EF_AUTH_KEY = 0x0017
EF_AUTH_PIN = 0x0018

#: The only EFs this application may SELECT, and among them the ones it may READ.
ALLOWED_EFS = frozenset(
    {EF_TOKEN_INFO, EF_CERT_PRESENCE, EF_AUTH_CERT, EF_AUTH_CA_CERT, EF_AUTH_KEY, EF_AUTH_PIN}
)
READABLE_EFS = frozenset({EF_TOKEN_INFO, EF_CERT_PRESENCE, EF_AUTH_CERT, EF_AUTH_CA_CERT})

#: Largest DER object we accept from the card: a JPKI certificate is ~1.2–2 KB; anything past
#: this is a damaged or hostile file, not a certificate.
MAX_CERT_BYTES = 8192
_CHUNK = 256  # short READ BINARY; extended length is not needed and not universally supported
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_PIN_RE = re.compile(r"[0-9]{4}")
SIGN_TIMEOUT = 10.0  # RSA over a contactless link can take seconds (research §9.8)

# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class MyNumberError(CardLayerError):
    """Base of the errors this application raises on top of the transport's."""


class NotAMyNumberCard(MyNumberError):
    """The card has no JPKI application (another card, or upside down in a contactless reader)."""


class CardError(MyNumberError):
    """The card answered with an unexpected status word; ``sw`` says which."""

    def __init__(self, sw: int, message: str = "") -> None:
        self.sw = sw
        super().__init__(message or f"the card answered {sw:04X}")


class MalformedCardData(MyNumberError):
    """The card returned data that is not what the file must hold (damaged or hostile card)."""


class ForbiddenCardAccess(MyNumberError):
    """A command outside the JPKI allowlist was about to be sent; it was not. Always a bug."""


class InvalidPinFormat(MyNumberError, ValueError):
    """The PIN is not exactly four ASCII digits; nothing was sent to the card."""


class PinError(MyNumberError):
    pass


class PinBlocked(PinError):
    """The auth PIN is blocked (reset only at the municipal office). ``by_this_attempt`` is True
    when the attempt just made used the last try."""

    def __init__(self, message: str = "", *, by_this_attempt: bool = False) -> None:
        self.by_this_attempt = by_this_attempt
        super().__init__(message or "the card's user-authentication PIN is blocked")


class WrongPin(PinError):
    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        super().__init__(f"wrong PIN; {tries_left} tries left")


class LastTryNeedsConfirmation(PinError):
    """Only one try is left: the caller must warn and pass ``confirm_last_try=True``."""

    def __init__(self) -> None:
        self.tries_left = 1
        super().__init__("one PIN try left; confirmation required before using it")


class PinNotVerified(PinError):
    """The auth key was used without a verified PIN in this card session."""


# ---------------------------------------------------------------------------------------------
# Certificate
# ---------------------------------------------------------------------------------------------


class CertificateValidity(StrEnum):
    NOT_YET_VALID = "not_yet_valid"
    VALID = "valid"
    EXPIRED = "expired"


@dataclass(frozen=True)
class AuthCertificate:
    """The card's user-authentication certificate (利用者証明用電子証明書), parsed.

    It carries no personal attributes. Dates are timezone-aware (UTC). ``simulated`` is True when
    it was read from a virtual card and must be labelled so downstream.
    """

    der: bytes = field(repr=False)
    serial_number: int = field(compare=False)
    issuer: str = field(compare=False)
    subject: str = field(compare=False)
    common_name: str | None = field(compare=False)
    not_before: datetime = field(compare=False)
    not_after: datetime = field(compare=False)
    public_key: rsa.RSAPublicKey = field(compare=False, repr=False)
    simulated: bool = field(default=False, compare=False)

    @classmethod
    def from_der(cls, der: bytes, *, simulated: bool = False) -> AuthCertificate:
        try:
            cert = x509.load_der_x509_certificate(der)
            key = cert.public_key()
        except ValueError as exc:
            raise MalformedCardData(f"the auth certificate does not parse: {exc}") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise MalformedCardData("the auth certificate does not hold an RSA key")
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return cls(
            der=bytes(der),
            serial_number=cert.serial_number,
            issuer=cert.issuer.rfc4514_string(),
            subject=cert.subject.rfc4514_string(),
            common_name=str(cns[0].value) if cns else None,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            public_key=key,
            simulated=simulated,
        )

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)

    @property
    def fingerprint_sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def not_after_jst(self) -> date:
        """The last day of validity as a Japanese calendar date (what the card face shows)."""
        return self.not_after.astimezone(JST).date()

    def validity_on(self, when: datetime | date) -> CertificateValidity:
        """Validity at an instant (aware datetime) or on a Japanese calendar day (date).

        Only the dates: the 3-month grace rule after expiry belongs to ``policies``.
        """
        if isinstance(when, datetime):
            if when.tzinfo is None:
                raise ValueError("pass an aware datetime (or a date)")
            if when < self.not_before:
                return CertificateValidity.NOT_YET_VALID
            return (
                CertificateValidity.VALID if when <= self.not_after else CertificateValidity.EXPIRED
            )
        if when < self.not_before.astimezone(JST).date():
            return CertificateValidity.NOT_YET_VALID
        return (
            CertificateValidity.VALID if when <= self.not_after_jst else CertificateValidity.EXPIRED
        )

    def is_expired(self, when: datetime | date) -> bool:
        return self.validity_on(when) is CertificateValidity.EXPIRED

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this card's PKCS#1 v1.5 / SHA-256 signature of ``data``."""
        try:
            self.public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except Exception:  # cryptography raises InvalidSignature (and ValueError on junk)
            return False
        return True


@dataclass(frozen=True)
class PinVerified:
    """The PIN was accepted; ``tries_before`` is how many tries the card reported beforehand."""

    tries_before: int


# ---------------------------------------------------------------------------------------------
# Allowlist
# ---------------------------------------------------------------------------------------------


class JpkiGuard:
    """Decides, before sending, whether a command stays inside the JPKI allowlist.

    Tracks the DF/EF selection as *it* allowed it; anything unknown is refused.
    """

    def __init__(self) -> None:
        self.df_selected = False
        self.ef: int | None = None

    def check(self, cmd: CommandApdu) -> None:
        ins, p1, p2, data = cmd.ins, cmd.p1, cmd.p2, bytes(cmd.data)
        if cmd.cla == 0x00 and ins == 0xA4:
            if p1 == 0x04 and data == JPKI_AID:
                return
            allowed_ef = len(data) == 2 and int.from_bytes(data, "big") in ALLOWED_EFS
            if p1 == 0x02 and self.df_selected and allowed_ef:
                return
            raise ForbiddenCardAccess(f"SELECT {p1:02X}{p2:02X} {data.hex().upper()} refused")
        if not self.df_selected:
            raise ForbiddenCardAccess(f"INS {ins:02X} refused: JPKI is not selected")
        if cmd.cla == 0x00 and ins == 0xB0:
            fid = p1 & 0x1F if p1 & 0x80 else self.ef
            if fid in READABLE_EFS:
                return
            raise ForbiddenCardAccess(f"READ BINARY of EF {fid} refused")
        if cmd.cla == 0x00 and ins == 0x20 and p1 == 0x00:
            if (p2 == 0x80 and self.ef == EF_AUTH_PIN) or p2 == 0x80 | EF_AUTH_PIN:
                return
            raise ForbiddenCardAccess(f"VERIFY {p2:02X} refused: only the JPKI auth PIN")
        if cmd.cla == 0x80 and ins == 0x2A and p1 == 0x00:
            if (p2 == 0x80 and self.ef == EF_AUTH_KEY) or p2 == 0x80 | EF_AUTH_KEY:
                return
            raise ForbiddenCardAccess("signature refused: only with the JPKI auth key")
        raise ForbiddenCardAccess(f"CLA {cmd.cla:02X} INS {ins:02X} refused")

    def accepted(self, cmd: CommandApdu) -> None:
        """Update the tracked selection after the card accepted ``cmd``."""
        if cmd.ins == 0xA4 and cmd.p1 == 0x04:
            self.df_selected, self.ef = True, None
        elif cmd.ins == 0xA4 and cmd.p1 == 0x02:
            self.ef = int.from_bytes(cmd.data, "big")
        elif cmd.ins == 0xB0 and cmd.p1 & 0x80:
            self.ef = cmd.p1 & 0x1F

    def reset(self) -> None:
        self.df_selected, self.ef = False, None


# ---------------------------------------------------------------------------------------------
# Application
# ---------------------------------------------------------------------------------------------


_F = TypeVar("_F", bound=Callable[..., Any])


def _atomic(method: _F) -> _F:
    """Run a public operation inside one PC/SC transaction, starting from a fresh selection.

    Between two operations another program may have selected something else on the card (even
    another application's PIN); trusting our old selection could send a VERIFY to the wrong key.
    """

    @functools.wraps(method)
    def wrapper(self: JpkiApplication, *args: Any, **kwargs: Any) -> Any:
        with self.protocol.connection.transaction():
            self._depth += 1
            try:
                if self._depth == 1:
                    self.guard.reset()
                return method(self, *args, **kwargs)
            finally:
                self._depth -= 1

    return wrapper  # type: ignore[return-value]


def _der_length(header: bytes) -> int:
    """Total length of the DER SEQUENCE starting ``header`` (tag + length + content)."""
    if len(header) < 2 or header[0] != 0x30:
        raise MalformedCardData("the certificate file does not start with a DER SEQUENCE")
    first = header[1]
    if first < 0x80:
        return 2 + first
    n = first & 0x7F
    if n == 0 or n > 3 or len(header) < 2 + n:
        raise MalformedCardData("unsupported DER length in the certificate file")
    return 2 + n + int.from_bytes(header[2 : 2 + n], "big")


class JpkiApplication:
    """The JPKI application over an :class:`ApduProtocol` (or a bare :class:`Connection`)."""

    def __init__(self, channel: ApduProtocol | Connection) -> None:
        self.protocol = channel if isinstance(channel, ApduProtocol) else ApduProtocol(channel)
        self.guard = JpkiGuard()
        self._first = True
        self._depth = 0

    @property
    def simulated(self) -> bool:
        return bool(getattr(self.protocol.connection, "simulated", False))

    # -- plumbing ---------------------------------------------------------------------------

    def _transceive(self, cmd: CommandApdu) -> tuple[bytes, int]:
        self.guard.check(cmd)  # raises before anything leaves
        data, sw = self.protocol.transceive(cmd)
        if sw == SW.OK:
            self.guard.accepted(cmd)
        return data, sw

    def _send(self, cmd: CommandApdu) -> bytes:
        data, sw = self._transceive(cmd)
        if sw != SW.OK:
            raise _card_error(ApduError.for_sw(sw, cmd.encode()))
        return data

    @_atomic
    def select(self) -> None:
        """SELECT the JPKI application (the card is identified by this, never by its ATR)."""
        cmd = CommandApdu(0x00, 0xA4, 0x04, 0x0C, JPKI_AID)
        _, sw = self._transceive(cmd)
        if sw == SW.NO_PRECISE_DIAGNOSIS and self._first:
            # Some cards answer 6F00 to the first command after power-on (research §9.6).
            _, sw = self._transceive(cmd)
        self._first = False
        if sw in (SW.FILE_NOT_FOUND, SW.INCORRECT_P1P2, SW.INS_NOT_SUPPORTED, SW.CLA_NOT_SUPPORTED):
            raise NotAMyNumberCard(f"no JPKI application on this card ({sw:04X})")
        if sw != SW.OK:
            raise _card_error(ApduError.for_sw(sw, cmd.encode()))

    def _select_ef(self, fid: int) -> None:
        if not self.guard.df_selected:
            self.select()
        if self.guard.ef != fid:
            self._send(CommandApdu(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))

    def _read_der(self, fid: int) -> bytes:
        """A DER object from ``fid``: length from its header, then exact short reads."""
        self._select_ef(fid)
        first = self._send(CommandApdu(0x00, 0xB0, 0x00, 0x00, le=_CHUNK))
        total = _der_length(first[:5])
        if total > MAX_CERT_BYTES:
            raise MalformedCardData(f"certificate length {total} exceeds {MAX_CERT_BYTES} bytes")
        out = bytearray(first[:total])
        while len(out) < total:
            want = min(_CHUNK, total - len(out))
            offset = len(out)
            chunk = self._send(CommandApdu(0x00, 0xB0, offset >> 8, offset & 0xFF, le=want))
            if not chunk:
                raise MalformedCardData(f"the card returned no data at offset {offset}")
            out += chunk[:want]
        return bytes(out)

    # -- reading ------------------------------------------------------------------------------

    @_atomic
    def read_auth_certificate(self) -> AuthCertificate:
        """Read and parse the user-authentication certificate (EF 000A); no PIN needed."""
        return AuthCertificate.from_der(self._read_der(EF_AUTH_CERT), simulated=self.simulated)

    @_atomic
    def read_auth_ca_certificate(self) -> x509.Certificate:
        """The certificate of the CA that issued the auth certificate (EF 000B)."""
        der = self._read_der(EF_AUTH_CA_CERT)
        try:
            return x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise MalformedCardData(f"the CA certificate does not parse: {exc}") from exc

    @_atomic
    def token_label(self) -> str:
        """The token label in EF 0006: ``JPKIAPICCTOKEN2`` on a My Number card."""
        self._select_ef(EF_TOKEN_INFO)
        data = self._send(CommandApdu(0x00, 0xB0, 0x00, 0x00, le=32))
        return data[:32].decode("ascii", errors="replace").strip(" \x00")

    # -- PIN ------------------------------------------------------------------------------------

    def _query_tries(self) -> int:
        self._select_ef(EF_AUTH_PIN)
        cmd = CommandApdu(0x00, 0x20, 0x00, 0x80)  # case 1: no Lc, no data → spends nothing
        _, sw = self._transceive(cmd)
        if sw == SW.OK:  # already verified in this card session: the counter is full
            return AUTH_PIN_MAX_TRIES
        if sw_family(sw) is SW.VERIFY_FAILED:
            return sw & 0x0F
        if sw in (SW.REFERENCE_DATA_BLOCKED, SW.AUTH_METHOD_BLOCKED):
            return 0
        raise _card_error(ApduError.for_sw(sw, cmd.encode()))

    @_atomic
    def pin_tries_remaining(self) -> int:
        """Remaining auth-PIN tries (0 = blocked), read without spending one."""
        return self._query_tries()

    def verify_pin(self, pin: str, *, confirm_last_try: bool = False) -> PinVerified:
        """Present the 4-digit auth PIN once. Never retries; never logs or keeps the PIN.

        Raises :class:`InvalidPinFormat` (nothing sent), :class:`PinBlocked` (nothing sent, or
        this attempt used the last try), :class:`LastTryNeedsConfirmation` (nothing sent), or
        :class:`WrongPin` with the tries left.
        """
        if not isinstance(pin, str) or not _PIN_RE.fullmatch(pin):
            raise InvalidPinFormat("the PIN must be exactly four digits 0-9")
        self.protocol.connection.secure()
        return self._verify_pin(pin, confirm_last_try)

    @_atomic
    def _verify_pin(self, pin: str, confirm_last_try: bool) -> PinVerified:
        tries = self._query_tries()
        if tries == 0:
            raise PinBlocked()
        if tries == 1 and not confirm_last_try:
            raise LastTryNeedsConfirmation()
        cmd = CommandApdu(0x00, 0x20, 0x00, 0x80, pin.encode("ascii"))
        _, sw = self._transceive(cmd)
        if sw == SW.OK:
            return PinVerified(tries_before=tries)
        if sw_family(sw) is SW.VERIFY_FAILED:
            left = sw & 0x0F
            if left == 0:
                raise PinBlocked(
                    "the last PIN try was used; the PIN is now blocked", by_this_attempt=True
                )
            raise WrongPin(left)
        if sw in (SW.REFERENCE_DATA_BLOCKED, SW.AUTH_METHOD_BLOCKED):
            raise PinBlocked()
        raise _card_error(ApduError.for_sw(sw, cmd.encode()))

    # -- signing --------------------------------------------------------------------------------

    @_atomic
    def sign(self, data: bytes, *, timeout: float = SIGN_TIMEOUT) -> bytes:
        """RSA PKCS#1 v1.5 signature of SHA-256(``data``) with the auth key (PIN verified first)."""
        digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(data).digest()
        self._select_ef(EF_AUTH_KEY)
        cmd = CommandApdu(0x80, 0x2A, 0x00, 0x80, digest_info, le=256)
        with self.protocol.connection.deadline(timeout):
            result, sw = self._transceive(cmd)
        if sw == SW.SECURITY_STATUS_NOT_SATISFIED:
            raise PinNotVerified("verify the PIN in this card session before signing")
        if sw != SW.OK:
            raise _card_error(ApduError.for_sw(sw, cmd.encode()))
        if len(result) != 256:
            raise MalformedCardData(f"signature of {len(result)} bytes, expected 256")
        return result


def _card_error(exc: ApduError) -> CardError:
    err = CardError(exc.sw, str(exc))
    err.__cause__ = exc
    return err
