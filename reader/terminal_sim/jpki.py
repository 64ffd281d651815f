"""Checks the simulator makes on a presented card, standing in for the real face reader + OQS.

The certificate must be issued by the simulated JPKI CA, be valid today (or expired no longer
than the grace: end of the expiry month + 3 months, policy-rules DOC-11) and the signature over
the challenge must verify with its key (RSA PKCS#1 v1.5, SHA-256). CN is the card id. The auth
key only signs after the PIN, so a signature is required for `pin`; for `visual` (目視確認) and
`face` the certificate alone is checked unless a signature is given, as the real reader does.
"""

from __future__ import annotations

import base64
import binascii
import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from reader.terminal.outcome import CARD_EXPIRED_CODES
from reader.terminal.sim_channel import PRESENTATION_FORMAT, IdentityCheck

DEFAULT_CA = Path(__file__).resolve().parents[2] / "resources" / "demo" / "jpki" / "ca.crt"
CODE_EXPIRED = next(iter(CARD_EXPIRED_CODES))


@dataclass(frozen=True, slots=True)
class CardCheck:
    """Outcome of checking one presentation: a card id, or an error code and message."""

    card_id: str | None
    identity_check: str | None
    limit_consent: bool
    presentation_id: str
    error_code: str | None = None
    error_message: str | None = None
    in_grace: bool = False

    @property
    def ok(self) -> bool:
        return self.error_code is None


def load_ca(path: Path) -> x509.Certificate | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        try:
            return x509.load_der_x509_certificate(data)
        except ValueError:
            return None


def grace_end(not_after: date) -> date:
    """Last day the card still works as マイナ保険証: end of the expiry month + 3 months."""
    month = not_after.month + 3
    year = not_after.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def check_presentation(doc: Any, ca: x509.Certificate | None, today: date) -> CardCheck:
    """Validate a presentation document (already JSON-decoded) against the CA."""
    pid = str(doc.get("presentation_id", "")) if isinstance(doc, dict) else ""

    def fail(code: str, message: str, card_id: str | None = None) -> CardCheck:
        return CardCheck(card_id, None, False, pid, code, message)

    if not isinstance(doc, dict) or doc.get("format") != PRESENTATION_FORMAT:
        return fail("SIM-BAD-PRESENTATION", "（模擬）カード提示データの形式が不正です")
    try:
        cert_der = base64.b64decode(doc["certificate"], validate=True)
        challenge = base64.b64decode(doc["challenge"], validate=True)
        signature = base64.b64decode(doc["signature"], validate=True)
        identity = IdentityCheck(doc["identity_check"]).value
    except (KeyError, TypeError, ValueError, binascii.Error):
        return fail("SIM-BAD-PRESENTATION", "（模擬）カード提示データの項目が不正です")
    if ca is None:
        return fail("SIM-CA-MISSING", "（模擬）JPKI 認証局証明書がありません")
    try:
        cert = x509.load_der_x509_certificate(cert_der)
    except ValueError:
        return fail("SIM-CERT-UNREADABLE", "（模擬）電子証明書を読み取れません")
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    card_id = str(cns[0].value) if cns else None
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return fail("SIM-CERT-UNTRUSTED", "（模擬）電子証明書を検証できません", card_id)
    not_before = cert.not_valid_before_utc.date()
    not_after = cert.not_valid_after_utc.date()
    if today < not_before:
        return fail("SIM-CERT-NOT-YET-VALID", "（模擬）電子証明書の有効期間前です", card_id)
    in_grace = False
    if today > not_after:
        if today > grace_end(not_after):
            return fail(
                CODE_EXPIRED,
                f"（模擬）電子証明書の有効期限切れ（{not_after:%Y-%m-%d}、猶予期間終了）",
                card_id,
            )
        in_grace = True
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return fail("SIM-CERT-UNTRUSTED", "（模擬）RSA 鍵ではありません", card_id)
    if not signature and identity == IdentityCheck.PIN:
        return fail("SIM-BAD-SIGNATURE", "（模擬）暗証番号照合後の署名がありません", card_id)
    if signature:
        try:
            key.verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return fail("SIM-BAD-SIGNATURE", "（模擬）署名を検証できません", card_id)
    return CardCheck(
        card_id, identity, bool(doc.get("limit_consent", False)), pid, in_grace=in_grace
    )
