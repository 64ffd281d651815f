"""The bookings check: one flag per booking, at the boundaries of each rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from policies.bookings import (
    BookingCheck,
    BookingFlag,
    Change,
    Coverage,
    CoverageStatus,
    KnownCoverage,
    check_booking,
    ended_by,
)

DAY = date(2026, 12, 2)
KNOWN = KnownCoverage("138057", "架空", "1001", "00", ratio_wari=3, limit_category="A03")
SAME = Coverage(
    CoverageStatus.VALID,
    insurer_number="  138057",
    symbol="架空",
    number="1001",
    branch="00",
    ratio_wari=3,
    limit_category="A03",
)


def check(coverage: Coverage | None, known: KnownCoverage = KNOWN) -> BookingCheck:
    return check_booking(DAY, known, coverage)


def with_(**values: object) -> Coverage:
    return replace(SAME, **values)  # type: ignore[arg-type]


def test_same_as_on_file_is_ok() -> None:
    assert check(SAME) == BookingCheck(BookingFlag.OK)


def test_padding_width_and_zero_padded_national_number_are_not_changes() -> None:
    assert check(with_(insurer_number="00138057", symbol="架空", branch="0")).flag is BookingFlag.OK
    assert check(with_(number="１００１")).flag is BookingFlag.OK


@pytest.mark.parametrize(
    ("status", "flag"),
    [
        (CoverageStatus.ENDED, BookingFlag.ENDED),
        (CoverageStatus.NOT_FOUND, BookingFlag.NOT_FOUND),
        (CoverageStatus.MULTIPLE, BookingFlag.UNCHECKED),
        (CoverageStatus.ERROR, BookingFlag.UNCHECKED),
    ],
)
def test_terminal_status_decides_first(status: CoverageStatus, flag: BookingFlag) -> None:
    # Even with every number differing, the status says it all.
    assert check(with_(status=status, number="9")).flag is flag


def test_no_answer_is_unchecked() -> None:
    assert check(None) == BookingCheck(BookingFlag.UNCHECKED)


def test_replaced_is_an_insurer_change() -> None:
    replaced = with_(status=CoverageStatus.REPLACED, disqualification_date=DAY - timedelta(days=5))
    assert check(replaced) == BookingCheck(BookingFlag.CHANGED, (Change.INSURER,))


@pytest.mark.parametrize(
    ("lost", "flag"),
    [
        (DAY - timedelta(days=1), BookingFlag.ENDED),
        (DAY, BookingFlag.ENDED),  # 資格喪失日 is the first day without cover
        (DAY + timedelta(days=1), BookingFlag.OK),  # still covered on the booking's day
    ],
)
def test_disqualification_date_boundary(lost: date, flag: BookingFlag) -> None:
    assert check(with_(disqualification_date=lost)).flag is flag
    assert ended_by(with_(disqualification_date=lost), DAY) is (flag is BookingFlag.ENDED)


@pytest.mark.parametrize(
    ("until", "flag"),
    [
        (DAY - timedelta(days=1), BookingFlag.ENDED),
        (DAY, BookingFlag.OK),  # 有効期限 is the last valid day
    ],
)
def test_valid_until_boundary(until: date, flag: BookingFlag) -> None:
    assert check(with_(valid_until=until)).flag is flag


@pytest.mark.parametrize(
    ("field", "value", "change"),
    [
        ("insurer_number", "06131015", Change.INSURER),
        ("symbol", "架共", Change.INSURER),
        ("number", "1002", Change.INSURER),
        ("branch", "01", Change.INSURER),
        ("ratio_wari", 2, Change.RATIO),
        ("limit_category", "A04", Change.LIMIT),
    ],
)
def test_each_change(field: str, value: object, change: Change) -> None:
    assert check(with_(**{field: value})) == BookingCheck(BookingFlag.CHANGED, (change,))


def test_several_changes_in_order() -> None:
    result = check(with_(insurer_number="06131015", ratio_wari=1, limit_category="B01"))
    assert result == BookingCheck(BookingFlag.CHANGED, (Change.INSURER, Change.RATIO, Change.LIMIT))


def test_unknown_on_either_side_is_never_a_change() -> None:
    assert check(with_(ratio_wari=None, limit_category=None)).flag is BookingFlag.OK
    bare = KnownCoverage("138057", None, "1001", None)
    assert check(with_(ratio_wari=1, limit_category="B01"), bare).flag is BookingFlag.OK
    assert check(Coverage(CoverageStatus.VALID), KNOWN).flag is BookingFlag.OK


def test_ended_wins_over_changes() -> None:
    ended = with_(disqualification_date=DAY, insurer_number="06131015", ratio_wari=1)
    assert check(ended) == BookingCheck(BookingFlag.ENDED)
