"""SIMULATOR-ONLY: present a (virtual) My Number card to the Madoguchi terminal simulator.

A real OQS terminal reads the card on its own face-recognition reader; nothing like this channel
exists there. The simulator stands in for that reader: Madoguchi drops a JSON file into
`<root>/sim-present/` with the card's authentication certificate, a fresh challenge, the card's
signature over it (RSA PKCS#1 v1.5, SHA-256) and how identity was checked; the simulator verifies
it against its simulated JPKI CA and writes a face-style result into face. Refuses to run
against a site not configured as simulated. Never carries a PIN or an individual number.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from policies.dates import JST
from reader.terminal.config import TerminalConfig
from reader.terminal.errors import SimulatorChannelError
from reader.terminal.files import atomic_write

PRESENTATION_FORMAT = "madoguchi-sim-present/1"


class IdentityCheck(StrEnum):
    PIN = "pin"
    VISUAL = "visual"
    FACE = "face"


@dataclass(frozen=True, slots=True)
class SimulatedCardPresentation:
    certificate_der: bytes
    challenge: bytes
    signature: bytes
    identity_check: IdentityCheck
    limit_consent: bool = True
    presentation_id: str = ""

    def to_json(self, institution_code: str, presented_at: datetime) -> bytes:
        doc = {
            "format": PRESENTATION_FORMAT,
            "simulated": True,
            "presentation_id": self.presentation_id,
            "certificate": base64.b64encode(self.certificate_der).decode("ascii"),
            "challenge": base64.b64encode(self.challenge).decode("ascii"),
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "identity_check": self.identity_check.value,
            "limit_consent": self.limit_consent,
            "medical_institution_code": institution_code,
            "presented_at": presented_at.isoformat(timespec="seconds"),
        }
        return json.dumps(doc, ensure_ascii=True, indent=1).encode("ascii")


def new_challenge() -> bytes:
    """A fresh random challenge for the card to sign (never reused)."""
    return secrets.token_bytes(32)


def present_card_to_simulator(
    config: TerminalConfig,
    *,
    certificate_der: bytes,
    challenge: bytes,
    identity_check: IdentityCheck,
    signature: bytes = b"",
    limit_consent: bool = True,
    now: datetime | None = None,
) -> str:
    """Drop a card presentation for the simulator; returns the presentation id it will echo
    in the face result (`result.simulator_value("PresentationId")`).

    The auth key signs only after the PIN: `signature` is required for `IdentityCheck.PIN` and
    may be empty for `VISUAL` (目視確認: the certificate alone is checked).
    """
    if identity_check is IdentityCheck.PIN and not signature:
        raise SimulatorChannelError("a PIN-checked presentation needs the card's signature")
    if not config.simulated:
        raise SimulatorChannelError(
            "card presentation files are for the terminal simulator only; this site is real"
        )
    if len(challenge) < 16:
        raise SimulatorChannelError("the challenge must be at least 16 random bytes")
    presentation_id = uuid.uuid4().hex[:16]
    presentation = SimulatedCardPresentation(
        certificate_der, challenge, signature, identity_check, limit_consent, presentation_id
    )
    directory: Path = config.sim_present_dir
    directory.mkdir(parents=True, exist_ok=True)
    data = presentation.to_json(
        config.medical_institution_code, now or datetime.now(JST).replace(tzinfo=None)
    )
    atomic_write(directory, f"present_{presentation_id}.json", data, durable=False)
    return presentation_id
