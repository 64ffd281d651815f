"""Who is this result about? Compare an eligibility result with the patient on file (pure).

A face-reader result can arrive while several patients wait, and a マイナポータル PDF or a pasted
app text can belong to someone else: reception must see every difference before it attaches a
result to a visit. Names are compared after width/kana folding and without spaces, because the
terminal sends half-width kana and spaces inconsistently; nothing is "fuzzy" beyond that, so a
real difference is never hidden.

Also builds the :class:`PatientContext` the rules need from what the desk knows about a visit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.model import (
    DocumentKind,
    InsuranceKind,
    PatientContext,
    PublicExpense,
    VisitSetting,
)


class MismatchField(StrEnum):
    NAME = "name"
    KANA = "kana"
    BIRTH_DATE = "birth_date"
    INSURER_NUMBER = "insurer_number"
    SYMBOL = "symbol"
    NUMBER = "number"
    BRANCH = "branch"


#: Differences that mean "probably another person" (not just new insurance numbers).
IDENTITY_FIELDS = frozenset({MismatchField.NAME, MismatchField.KANA, MismatchField.BIRTH_DATE})


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What identifies a patient for matching; any field may be unknown (None)."""

    name: str | None = None
    kana: str | None = None
    birth_date: date | None = None
    insurer_number: str | None = None
    symbol: str | None = None
    number: str | None = None
    branch: str | None = None


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One field that differs; values as each side has them (for display, unnormalised)."""

    field: MismatchField
    on_file: str
    in_result: str

    @property
    def identity(self) -> bool:
        """True when the difference suggests another person, not a changed insurance."""
        return self.field in IDENTITY_FIELDS


_SPACES = re.compile(r"[\s\u3000・･]+")


def _fold(text: str) -> str:
    """NFKC (half-width kana → full width, full-width digits → ASCII), no spaces, upper case."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).upper()


def _kana(text: str) -> str:
    """Folded, with hiragana turned into katakana (フリガナ is typed either way)."""
    folded = _fold(text)
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in folded)


def _branch(text: str) -> str:
    return _fold(text).zfill(2)


_COMPARERS = (
    (MismatchField.NAME, "name", _fold),
    (MismatchField.KANA, "kana", _kana),
    (MismatchField.INSURER_NUMBER, "insurer_number", _fold),
    (MismatchField.SYMBOL, "symbol", _fold),
    (MismatchField.NUMBER, "number", _fold),
    (MismatchField.BRANCH, "branch", _branch),
)


def compare(on_file: PersonFacts, result: PersonFacts) -> tuple[Mismatch, ...]:
    """Fields known on both sides that differ (an unknown field never counts as a mismatch)."""
    out: list[Mismatch] = []
    if on_file.birth_date and result.birth_date and on_file.birth_date != result.birth_date:
        out.append(
            Mismatch(
                MismatchField.BIRTH_DATE,
                on_file.birth_date.isoformat(),
                result.birth_date.isoformat(),
            )
        )
    for field, attr, norm in _COMPARERS:
        mine, theirs = getattr(on_file, attr), getattr(result, attr)
        if mine and theirs and norm(mine) != norm(theirs):
            out.append(Mismatch(field, mine, theirs))
    order = list(MismatchField)
    return tuple(sorted(out, key=lambda m: order.index(m.field)))


def identity_conflict(mismatches: tuple[Mismatch, ...]) -> bool:
    """Another person: a different birth date, or both name and kana differ."""
    fields = {m.field for m in mismatches}
    return (
        MismatchField.BIRTH_DATE in fields
        or {
            MismatchField.NAME,
            MismatchField.KANA,
        }
        <= fields
    )


def same_person(on_file: PersonFacts, result: PersonFacts) -> bool:
    """Positive evidence of identity: same birth date and the same name or kana (or numbers)."""
    if not (on_file.birth_date and result.birth_date and on_file.birth_date == result.birth_date):
        return False
    mismatches = {m.field for m in compare(on_file, result)}
    name_ok = bool(on_file.name and result.name) and MismatchField.NAME not in mismatches
    kana_ok = bool(on_file.kana and result.kana) and MismatchField.KANA not in mismatches
    numbers = (MismatchField.INSURER_NUMBER, MismatchField.NUMBER)
    numbers_ok = bool(
        on_file.insurer_number and on_file.number and result.insurer_number and result.number
    ) and not any(f in mismatches for f in numbers)
    return name_ok or kana_ok or numbers_ok


@dataclass(frozen=True, slots=True)
class Candidate:
    """A patient on file who may be the person in a result, best first (see :func:`rank`)."""

    key: int
    facts: PersonFacts
    mismatches: tuple[Mismatch, ...]
    score: int


def rank(result: PersonFacts, people: list[tuple[int, PersonFacts]]) -> tuple[Candidate, ...]:
    """Patients on file who are :func:`same_person` as ``result``, most agreeing fields first."""
    out = []
    for key, facts in people:
        if not same_person(facts, result):
            continue
        mismatches = compare(facts, result)
        agreeing = sum(
            1
            for attr in ("name", "kana", "insurer_number", "symbol", "number", "branch")
            if getattr(facts, attr) and getattr(result, attr)
        ) - len(mismatches)
        out.append(Candidate(key, facts, mismatches, agreeing))
    return tuple(sorted(out, key=lambda c: (-c.score, c.key)))


# -- PatientContext ----------------------------------------------------------------------------


def build_patient_context(
    *,
    setting: VisitSetting = VisitSetting.OUTPATIENT,
    revisit: bool = False,
    insurance_kind: InsuranceKind = InsuranceKind.UNKNOWN,
    welfare: bool = False,
    birth_date: date | None = None,
    public_expenses: tuple[PublicExpense, ...] = (),
    home_first_check: date | None = None,
    first_home_visit: bool = False,
    printed_expiry: tuple[tuple[DocumentKind, date], ...] = (),
    cert_expiry: date | None = None,
) -> PatientContext:
    """The rules' view of the patient for one visit, from what reception knows.

    ``welfare`` (医療扶助) wins over any insurer class: the 福祉事務所 is the payer. The first
    continuing home-care check only matters for 訪問診療等 (a 往診 is checked afresh every time,
    HOME-01), and ``first_home_visit`` forces the first-visit route (consent taken again).
    """
    kind = InsuranceKind.WELFARE if welfare else insurance_kind
    first = home_first_check
    if setting is not VisitSetting.HOME_VISIT or first_home_visit:
        first = None
    return PatientContext(
        insurance_kind=kind,
        birth_date=birth_date,
        revisit=revisit,
        setting=setting,
        public_expenses=public_expenses,
        cert_expiry=cert_expiry,
        printed_expiry=printed_expiry,
        home_first_check=first,
    )
