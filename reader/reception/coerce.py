"""The desk's command boundary accepts plain strings where it wants a StrEnum.

Qt hands a StrEnum stored in a widget (a combo box's item data) back as ``str``; so do JSON and
command lines. The public commands turn such values into the enum here, before anything is
queued, so a caller never needs its own ``FailureReason(value)`` and an unknown value fails at
once with a ValueError that names the field and what is allowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from policies.model import (
    DocumentKind,
    FailureReason,
    InsuranceKind,
    PublicExpense,
    Sex,
    SubsidyType,
    VisitSetting,
)
from policies.reception import Event, Failed
from policies.records import SeenDocument
from reader.reception.session import VisitRequest

E = TypeVar("E", bound=StrEnum)


def member(enum: type[E], value: E | str, field: str) -> E:
    """``value`` as a member of ``enum`` (a member passes through)."""
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValueError(f"{field}: {value!r} is not one of {allowed}") from None


def event(e: Event) -> Event:
    if isinstance(e, Failed):
        return Failed(member(FailureReason, e.reason, "Failed.reason"))
    return e


def documents(seen: Iterable[SeenDocument]) -> list[SeenDocument]:
    return [
        dataclasses.replace(d, kind=member(DocumentKind, d.kind, "SeenDocument.kind")) for d in seen
    ]


def _expense(p: PublicExpense) -> PublicExpense:
    kind = member(SubsidyType, p.subsidy_type, "PublicExpense.subsidy_type")
    return dataclasses.replace(p, subsidy_type=kind)


def request(r: VisitRequest) -> VisitRequest:
    new = r.new_patient
    if new is not None:
        new = dataclasses.replace(new, sex=member(Sex, new.sex, "NewPatient.sex"))
    return dataclasses.replace(
        r,
        new_patient=new,
        setting=member(VisitSetting, r.setting, "VisitRequest.setting"),
        insurance_kind=member(InsuranceKind, r.insurance_kind, "VisitRequest.insurance_kind"),
        public_expenses=tuple(_expense(p) for p in r.public_expenses),
        printed_expiry=tuple(
            (member(DocumentKind, k, "VisitRequest.printed_expiry"), d) for k, d in r.printed_expiry
        ),
    )
