"""Bookings CSV import: the documented columns, both encodings, every bad row named."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from policies.individual_number import contains_twelve_digits
from policies.records import InsuranceNumbers
from storage.bookings import BookingsCsvError, CsvProblem, read_bookings_csv
from storage.records import NewPatient, StaffInfo
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY

pytestmark = SQLITE_ONLY


@pytest.fixture
def patients(store: Store, admin: StaffInfo) -> Store:
    store.create_patient(
        admin,
        NewPatient(
            "00042", "架空 太郎", "カクウ タロウ", date(1980, 4, 1),
            insurer_number="138057", insured_symbol="架空", insured_number="1001",
            insured_branch="00",
        ),
    )  # fmt: skip
    store.create_patient(admin, NewPatient("00043", "見本 花子", "ミホン ハナコ"))
    return store


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "bookings.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_columns_by_name_in_any_order(patients: Store, tmp_path: Path, encoding: str) -> None:
    text = "メモ,カルテ番号,予約時刻,予約日\n初診,00042,9:30,2026/12/2\n,00043,,20261202\n"
    imported = read_bookings_csv(write(tmp_path, text, encoding), patients)
    assert imported.problems == ()
    first, second = imported.bookings
    assert (first.day, first.time, first.chart_number) == (date(2026, 12, 2), time(9, 30), "00042")
    assert first.patient.name == "架空 太郎"
    assert first.numbers == InsuranceNumbers("138057", "1001", date(1980, 4, 1), "架空", "00")
    assert first.known.insurer_number == "138057"
    assert second.time is None and second.numbers is None  # no numbers on file: unchecked


def test_bad_rows_are_listed_and_the_rest_imported(patients: Store, tmp_path: Path) -> None:
    text = (
        "date,time,chart\n"
        "2026-12-02,10:00,00042\n"
        "2026-13-02,10:00,00042\n"
        "2026-12-02,ten,00042\n"
        "2026-12-02,10:00,99999\n"
        "2026-12-02,10:00,\n"
        ",,\n"
    )
    imported = read_bookings_csv(write(tmp_path, text), patients)
    assert [b.chart_number for b in imported.bookings] == ["00042"]
    lines = [line for line, _ in imported.problems]
    assert lines == [3, 4, 5, 6]
    assert "not on file" in imported.problems[2][1]


def test_a_reason_never_repeats_a_twelve_digit_value(patients: Store, tmp_path: Path) -> None:
    twelve = "123456789012"
    text = (
        "予約時刻,カルテ番号,予約日\n"
        f"9:30,{twelve},2026-12-02\n"  # a number typed into the chart column
        f"{twelve},00042,2026-12-02\n"
        f"9:30,00042,{twelve}\n"
    )
    imported = read_bookings_csv(write(tmp_path, text), patients)
    assert [line for line, _ in imported.problems] == [2, 3, 4]
    assert "is not on file" in imported.problems[0][1]
    assert not any(contains_twelve_digits(reason) for _, reason in imported.problems)


@pytest.mark.parametrize(
    ("content", "message", "problem"),
    [
        (b"", "empty", CsvProblem.EMPTY),
        ("予約日,時刻\n2026-12-02,10:00\n".encode(), "no chart column", CsvProblem.NO_COLUMN),
        ("カルテ番号\n00042\n".encode(), "no date column", CsvProblem.NO_COLUMN),
        (b"date,chart\n\x82\xff", "neither UTF-8 nor Shift_JIS", CsvProblem.ENCODING),
    ],
)
def test_unreadable_files_are_refused(
    patients: Store, tmp_path: Path, content: bytes, message: str, problem: CsvProblem
) -> None:
    path = tmp_path / "bookings.csv"
    path.write_bytes(content)
    with pytest.raises(BookingsCsvError, match=message) as caught:
        read_bookings_csv(path, patients)
    assert caught.value.problem is problem


def test_a_list_without_dates_is_the_day_asked_for(patients: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "予約時刻,カルテ番号\n9:30,00042\n10:00,00043\n")
    imported = read_bookings_csv(path, patients, date(2026, 12, 2))
    assert imported.problems == ()
    assert [(b.day, b.chart_number) for b in imported.bookings] == [
        (date(2026, 12, 2), "00042"),
        (date(2026, 12, 2), "00043"),
    ]
    missing = tmp_path / "gone.csv"
    with pytest.raises(BookingsCsvError) as caught:
        read_bookings_csv(missing, patients, date(2026, 12, 2))
    assert caught.value.problem is CsvProblem.UNREADABLE
