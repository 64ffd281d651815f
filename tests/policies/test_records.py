"""policies.records: the values crossing the runtime's Recorder port, checked when made."""

from __future__ import annotations

from datetime import date

import pytest

from policies.records import InsuranceNumbers, InvalidNumbers, PatientOnFile, insurance_numbers


def test_numbers_are_normalised_as_the_terminal_expects() -> None:
    nums = InsuranceNumbers(
        "１３８０５７", " １００１ ", date(1980, 4, 1), symbol="　架空", branch="1"
    )
    assert (nums.insurer_number, nums.number, nums.symbol, nums.branch) == (
        "  138057",  # 6-digit 国保 number, left-padded with spaces to 8
        "1001",
        "架空",
        "01",
    )


@pytest.mark.parametrize(
    ("insurer", "number", "branch"),
    [
        ("12345", "1", None),
        ("1234567", "1", None),
        ("abcdef", "1", None),
        ("138057", " ", None),
        ("138057", "1", "123"),
    ],
)
def test_bad_numbers_are_refused(insurer: str, number: str, branch: str | None) -> None:
    with pytest.raises(InvalidNumbers):
        InsuranceNumbers(insurer, number, date(1980, 1, 1), branch=branch)


def test_numbers_on_file_only_when_complete_and_valid() -> None:
    patient = PatientOnFile(1, "C-1", "架空 太郎", "カクウ タロウ", date(1980, 4, 1))
    assert patient.numbers is None
    assert insurance_numbers("01130012", "25", date(1975, 11, 3), "11223344", "00") == (
        InsuranceNumbers("01130012", "25", date(1975, 11, 3), "11223344", "00")
    )
    assert insurance_numbers("0113", "25", date(1975, 11, 3)) is None  # invalid: None, no raise
