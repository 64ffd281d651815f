"""What an option's last day (``AcceptedOption.valid_until``) stands for, in words staff can act on.

The engine merges three kinds of end into one date (engine._merge): the end of a temporary rule's
window, a document's printed expiry, and — for options that use the card online — the day the
card stops working (e-certificate expiry plus the DOC-11 grace). "Usable until 2036/03/31" means
very different things in each case, so the desk says which one it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.engine import AcceptedOption
from policies.model import AcceptAction, DocumentKind, PatientContext
from policies.rulebook import Condition


class DeadlineBasis(StrEnum):
    CARD = "card"  # the card's e-certificate expiry plus the DOC-11 grace
    DOCUMENT = "document"  # a document's printed expiry (or the rules' assumed one)
    RULE = "rule"  # the end of a temporary handling (e.g. DOC-05 until 2026-03-31)


@dataclass(frozen=True, slots=True)
class Deadline:
    until: date
    basis: DeadlineBasis


def option_deadline(
    option: AcceptedOption, patient: PatientContext, card_usable_until: date | None
) -> Deadline | None:
    """The option's last day and what it comes from (None: no end known).

    ``card_usable_until`` is ``PolicyEngine.cert_status(patient, on)[1]`` (None before the card
    was read). A printed expiry counts only when staff entered it for one of the option's
    documents; an end the rules assume is the rules' end.
    """
    until = option.valid_until
    if until is None:
        return None
    uses_card = option.action is AcceptAction.ONLINE and DocumentKind.MYNA_CARD in option.documents
    if uses_card and card_usable_until is not None and until == card_usable_until:
        return Deadline(until, DeadlineBasis.CARD)
    if Condition.PRINTED_EXPIRY in option.conditions and any(
        patient.expiry_of(d) == until for d in option.documents
    ):
        return Deadline(until, DeadlineBasis.DOCUMENT)
    return Deadline(until, DeadlineBasis.RULE)
