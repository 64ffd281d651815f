"""A SIMULATED My Number card behind a real pcscd (vsmartcard vpcd), for tests and the demo.

``VirtualCard`` speaks the vpcd protocol around ``MyNumberCardModel`` (the card's files, PIN
counter, keys and the never-to-be-touched number applications); ``ensure_pcscd`` and
``lease_slot`` share the machine's single pcscd and its two vpcd slots between processes.
Readers it appears in are named ``Virtual PCD …`` and reported with ``virtual=True``.
"""

from __future__ import annotations

from reader.virtual_card.card import (
    FAKE_INDIVIDUAL_NUMBER,
    FORBIDDEN_AIDS,
    JPKI_AID,
    TEXT_AP_AID,
    VISUAL_AP_AID,
    CardModelConnection,
    LoggedApdu,
    MyNumberCardModel,
)
from reader.virtual_card.identity import (
    CardIdentity,
    demo_card_ids,
    load_identity,
    mint_identity,
)
from reader.virtual_card.service import (
    PcscdService,
    PcscdUnavailable,
    SlotLease,
    SlotsBusy,
    ensure_pcscd,
    lease_slot,
    missing_requirements,
)
from reader.virtual_card.vpcd import (
    Fault,
    FaultKind,
    SlotBusy,
    VirtualCard,
    VpcdUnavailable,
    reader_name_for_slot,
)

__all__ = [
    "FAKE_INDIVIDUAL_NUMBER",
    "FORBIDDEN_AIDS",
    "JPKI_AID",
    "TEXT_AP_AID",
    "VISUAL_AP_AID",
    "CardIdentity",
    "CardModelConnection",
    "Fault",
    "FaultKind",
    "LoggedApdu",
    "MyNumberCardModel",
    "PcscdService",
    "PcscdUnavailable",
    "SlotBusy",
    "SlotLease",
    "SlotsBusy",
    "VirtualCard",
    "VpcdUnavailable",
    "demo_card_ids",
    "ensure_pcscd",
    "lease_slot",
    "load_identity",
    "mint_identity",
    "missing_requirements",
    "reader_name_for_slot",
]
