"""A bookings list (予約一覧) from the clinic's appointment system, as CSV, resolved to patients.

Reading a file and looking chart numbers up is I/O, so it lives here rather than in policies/;
it only reads (``Store.find_patients``), and the patients on file supply the insurance numbers the
一括照会 asks with (``Booking.numbers``) and the values it is compared against (``Booking.known``).

Column mapping (a header row is required; columns are found by name, in any order, extra columns
ignored; names are matched after NFKC and without spaces, case-insensitively):

==============  =============================================  ==============================
what            header names accepted                          values
==============  =============================================  ==============================
date            予約日, 日付, 診療日, date                      2026-12-02, 2026/12/2, 20261202 (*)
time            予約時刻, 予約時間, 時刻, 時間, time            9:30, 09:30, 0930 (may be empty)
chart number    カルテ番号, 患者番号, 患者ID, chart, chart_number  as on file (leading zeros kept)
==============  =============================================  ==============================

(*) A list without a date column is one day's list (many appointment systems export a day per
file): its rows are on the day checked, when the caller names one.

The file is UTF-8 (with or without BOM) or Shift_JIS, as Excel writes it. A row that cannot be
used (bad date, unknown chart number…) is listed in ``problems`` with its line number and the
others are still imported; a file that cannot be read at all raises :class:`BookingsCsvError`,
whose ``problem`` says why in a stable code (the window says it in Japanese).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from pathlib import Path

from policies.bookings import KnownCoverage
from policies.records import InsuranceNumbers, insurance_numbers
from storage import sanitise
from storage.errors import InvalidInput
from storage.records import PatientRecord
from storage.store import Store

#: A bookings list is a few hundred rows; anything this large is not one.
MAX_CSV_BYTES = 4 * 1024 * 1024

COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("予約日", "日付", "診療日", "date"),
    "time": ("予約時刻", "予約時間", "時刻", "時間", "time"),
    "chart": ("カルテ番号", "患者番号", "患者id", "chart", "chart_number", "chartnumber"),
}
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})(\d{2})(\d{2})")
_TIME = re.compile(r"(\d{1,2}):?(\d{2})")


class CsvProblem(StrEnum):
    """Why a file is not a bookings list at all."""

    UNREADABLE = "unreadable"  # cannot be opened or read
    TOO_LARGE = "too_large"
    ENCODING = "encoding"  # neither UTF-8 nor Shift_JIS
    EMPTY = "empty"
    NO_COLUMN = "no_column"  # ``column``: "date" or "chart"
    NO_BOOKINGS = "no_bookings"  # nothing on the day checked (bulk check)


class BookingsCsvError(InvalidInput):
    """The file cannot be read as a bookings list at all (the message says why, in English;
    ``problem`` and ``column`` say it as codes)."""

    def __init__(self, message: str, problem: CsvProblem, column: str | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.column = column


@dataclass(frozen=True, slots=True)
class Booking:
    day: date
    time: time | None
    chart_number: str
    patient: PatientRecord

    @property
    def numbers(self) -> InsuranceNumbers | None:
        """What the 一括照会 asks with; None when the numbers on file are incomplete."""
        p = self.patient
        return insurance_numbers(
            p.insurer_number, p.insured_number, p.birth_date, p.insured_symbol, p.insured_branch
        )

    @property
    def known(self) -> KnownCoverage:
        """The numbers on file, as the bookings check compares them."""
        p = self.patient
        return KnownCoverage(p.insurer_number, p.insured_symbol, p.insured_number, p.insured_branch)


@dataclass(frozen=True, slots=True)
class BookingsImport:
    bookings: tuple[Booking, ...]
    #: (line number, reason) for every row not imported.
    problems: tuple[tuple[int, str], ...]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _decode(data: bytes, name: str) -> str:
    for codec in ("utf-8-sig", "cp932"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise BookingsCsvError(f"{name}: neither UTF-8 nor Shift_JIS", CsvProblem.ENCODING)


def parse_day(raw: str) -> date:
    m = _DATE.fullmatch(unicodedata.normalize("NFKC", raw).strip())
    if m is None:
        raise ValueError(f"date {raw!r} is not YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD")
    y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    return date(y, mo, d)


def parse_time(raw: str) -> time | None:
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    m = _TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"time {raw!r} is not HH:MM")
    return time(int(m.group(1)), int(m.group(2)))


def read_bookings_csv(path: Path, store: Store, day: date | None = None) -> BookingsImport:
    """Read a bookings CSV and resolve each chart number to the patient on file; ``day``: the
    day of a list without a date column."""
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise BookingsCsvError(
                f"{path.name}: {size} bytes (limit {MAX_CSV_BYTES})", CsvProblem.TOO_LARGE
            )
        data = path.read_bytes()
    except OSError as exc:
        raise BookingsCsvError(f"{path}: {exc.strerror or exc}", CsvProblem.UNREADABLE) from None
    rows = list(csv.reader(io.StringIO(_decode(data, path.name), newline="")))
    if not rows:
        raise BookingsCsvError(f"{path.name}: empty", CsvProblem.EMPTY)
    header = [_norm(h) for h in rows[0]]
    index: dict[str, int] = {}
    for column, names in COLUMNS.items():
        found = [i for i, h in enumerate(header) if h in {_norm(n) for n in names}]
        if found:
            index[column] = found[0]
        elif column == "chart" or (column == "date" and day is None):
            raise BookingsCsvError(
                f"{path.name}: no {column} column (one of {', '.join(names)}) in the header",
                CsvProblem.NO_COLUMN,
                column,
            )
    bookings: list[Booking] = []
    problems: list[tuple[int, str]] = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(column: str, row: list[str] = row) -> str:
            i = index.get(column)
            return row[i].strip() if i is not None and i < len(row) else ""

        chart = unicodedata.normalize("NFKC", cell("chart"))
        try:
            on = day if "date" not in index and day is not None else parse_day(cell("date"))
            at = parse_time(cell("time"))
        except ValueError as exc:
            problems.append((line_no, str(exc)))
            continue
        if not chart:
            problems.append((line_no, "no chart number"))
            continue
        matches = [p for p in store.find_patients(chart) if p.chart_number == chart]
        if not matches:
            problems.append((line_no, f"chart number {chart!r} is not on file"))
            continue
        bookings.append(Booking(on, at, chart, matches[0]))
    # A reason may quote a cell (a chart number, a time): never print a 12-digit value back.
    masked = tuple((line_no, sanitise.clean_text(reason)) for line_no, reason in problems)
    return BookingsImport(tuple(bookings), masked)
