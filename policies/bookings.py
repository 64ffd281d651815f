"""Tomorrow's bookings against tonight's 一括照会: what to tell the desk before the patient comes.

Pure: the terminal's answer for one patient arrives as a :class:`Coverage` (built by the reader
from a ``BulkConfirmUnit``), what the clinic knew as a :class:`KnownCoverage` (the numbers of the
patient on file, and the 負担割合 / 限度額 区分 of the last confirmed result when known), and the
booking's date is passed in. One flag per booking, most urgent first:

* ``ENDED`` — 資格喪失: the terminal says 無効, or its record ends before the booking
  (資格喪失日 on or before the day: that day is the first one without cover; the card's
  有効期限 before the day: the expiry date is its last valid day);
* ``NOT_FOUND`` — 該当資格なし: the numbers on file designate no one (typing error, or gone);
* ``CHANGED`` — covered, but not as on file: other insurer numbers (including 無効（新しい資格
  あり）, which means a new insurance replaced this one), another 負担割合, another 限度額 区分.
  A value unknown on either side is never a change: only two known values that differ are;
* ``UNCHECKED`` — nothing usable came back for this booking (no numbers on file, the unit was
  an error, or several people match): the desk confirms at the visit as usual;
* ``OK`` — covered on the day as on file.

Staff still confirm identity at the visit whatever the flag; the flag only says what to expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.matching import MismatchField, PersonFacts, compare
from policies.numbers import normalise_insurer_number


class CoverageStatus(StrEnum):
    """The terminal's 資格有効性 for one patient, as the bookings check needs it."""

    VALID = "valid"  # 有効 (and 医療扶助 有効（未登録）)
    ENDED = "ended"  # 無効
    REPLACED = "replaced"  # 無効（新しい資格あり）
    NOT_FOUND = "not_found"  # 該当資格なし
    MULTIPLE = "multiple"  # 複数該当
    ERROR = "error"  # the unit's ProcessingResultStatus says エラー, or no validity sent


class BookingFlag(StrEnum):
    ENDED = "ended"
    NOT_FOUND = "not_found"
    CHANGED = "changed"
    UNCHECKED = "unchecked"
    OK = "ok"


class Change(StrEnum):
    """What changed for a ``CHANGED`` booking."""

    INSURER = "insurer"  # 保険者番号・記号・番号・枝番, or a new insurance replaced it
    RATIO = "ratio"  # 負担割合
    LIMIT = "limit"  # 限度額適用認定証の区分


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the terminal said for one patient (any field may be unsent: None)."""

    status: CoverageStatus
    insurer_number: str | None = None
    symbol: str | None = None
    number: str | None = None
    branch: str | None = None
    #: 資格喪失年月日: the first day without cover.
    disqualification_date: date | None = None
    #: 有効期限 of the 資格: its last valid day.
    valid_until: date | None = None
    #: 負担割合 in 割 as sent (高齢受給者 ratio, else 一部負担金割合).
    ratio_wari: int | None = None
    #: 限度額 区分 code as sent (A01…B10), only with the patient's consent.
    limit_category: str | None = None


@dataclass(frozen=True, slots=True)
class KnownCoverage:
    """What the clinic had on file before tonight's check."""

    insurer_number: str | None = None
    symbol: str | None = None
    number: str | None = None
    branch: str | None = None
    ratio_wari: int | None = None
    limit_category: str | None = None


@dataclass(frozen=True, slots=True)
class BookingCheck:
    flag: BookingFlag
    changes: tuple[Change, ...] = ()


_NUMBER_FIELDS = frozenset(
    {MismatchField.INSURER_NUMBER, MismatchField.SYMBOL, MismatchField.NUMBER, MismatchField.BRANCH}
)


def _facts(
    insurer: str | None, symbol: str | None, number: str | None, branch: str | None
) -> PersonFacts:
    return PersonFacts(
        insurer_number=normalise_insurer_number(insurer) or None,
        symbol=symbol,
        number=number,
        branch=branch,
    )


def ended_by(coverage: Coverage, on: date) -> bool:
    """True when the record itself says the cover is over on ``on``."""
    lost = coverage.disqualification_date is not None and coverage.disqualification_date <= on
    expired = coverage.valid_until is not None and coverage.valid_until < on
    return lost or expired


def check_booking(on: date, known: KnownCoverage, coverage: Coverage | None) -> BookingCheck:
    """The flag for a booking on ``on`` (None: no answer for this patient)."""
    if coverage is None or coverage.status in (CoverageStatus.ERROR, CoverageStatus.MULTIPLE):
        return BookingCheck(BookingFlag.UNCHECKED)
    if coverage.status is CoverageStatus.NOT_FOUND:
        return BookingCheck(BookingFlag.NOT_FOUND)
    if coverage.status is CoverageStatus.ENDED:
        return BookingCheck(BookingFlag.ENDED)
    if coverage.status is CoverageStatus.REPLACED:
        # The numbers on file ended; a new insurance exists that the patient must show.
        return BookingCheck(BookingFlag.CHANGED, (Change.INSURER,))
    if ended_by(coverage, on):
        return BookingCheck(BookingFlag.ENDED)
    changes: list[Change] = []
    mismatches = compare(
        _facts(known.insurer_number, known.symbol, known.number, known.branch),
        _facts(coverage.insurer_number, coverage.symbol, coverage.number, coverage.branch),
    )
    if any(m.field in _NUMBER_FIELDS for m in mismatches):
        changes.append(Change.INSURER)
    if (
        known.ratio_wari is not None
        and coverage.ratio_wari is not None
        and known.ratio_wari != coverage.ratio_wari
    ):
        changes.append(Change.RATIO)
    if (
        known.limit_category
        and coverage.limit_category
        and known.limit_category.strip() != coverage.limit_category.strip()
    ):
        changes.append(Change.LIMIT)
    if changes:
        return BookingCheck(BookingFlag.CHANGED, tuple(changes))
    return BookingCheck(BookingFlag.OK)
