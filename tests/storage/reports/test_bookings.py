"""The bookings list, read back: labels per flag, masking as the daily log, the simulated banner
only for the simulator, the chain event at the bottom, and a CSV a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from datetime import date, time

import pytest

from policies.bookings import BookingFlag, Change, KnownCoverage
from policies.bulk_check import BookedPatient, BulkCheckRun, CheckedBooking
from storage.reports.bookings import flag_text, render_bookings_list, write_bookings_csv
from storage.reports.fonts import JapaneseFont
from storage.reports.model import Facility, PatientMasking
from storage.reports.pdfkit import SIMULATED_BANNER
from tests.storage.reports.pdfcheck import ReadBack, squash

DAY = date(2026, 12, 2)
FACILITY = Facility("架空クリニック", "1312345678", None, None)


def _row(chart: str, at: time | None, flag: BookingFlag, *changes: Change) -> CheckedBooking:
    booked = BookedPatient(
        DAY, at, chart, "架空 太郎", "カクウ タロウ", date(1980, 4, 1), None, KnownCoverage()
    )
    return CheckedBooking(booked, flag, changes)


def _run(*, simulated: bool, rows: int = 5) -> BulkCheckRun:
    base = [
        _row("00001", time(9), BookingFlag.OK),
        _row("00002", time(9, 30), BookingFlag.CHANGED, Change.INSURER, Change.RATIO, Change.LIMIT),
        _row("=2+3", None, BookingFlag.NOT_FOUND),
    ]
    many = [_row(f"{n:05d}", time(10), BookingFlag.ENDED) for n in range(10, 10 + rows)]
    return BulkCheckRun(
        day=DAY,
        reception_number="R-7",
        answer_sha256="ab" * 32,
        answer_file="OQSmuquc02res_x.xml",
        simulated=simulated,
        processing_answers=0,
        rows=(*base, *many),
        warnings=("NumberOfProcessingResult 3, but 2 units",),
        chain_seq=812,
        chain_hash="cd" * 32,
    )


def test_flag_texts() -> None:
    changed = _row("1", None, BookingFlag.CHANGED, Change.INSURER, Change.RATIO, Change.LIMIT)
    assert flag_text(changed) == "変更あり（保険者・負担割合・限度額）"
    assert [flag_text(_row("1", None, f)) for f in BookingFlag] == [
        "資格喪失",
        "該当なし",
        "変更あり",
        "未照会",
        "確認済み",
    ]


@pytest.mark.parametrize("simulated", [True, False])
def test_banner_only_for_the_simulator_on_every_page(font: JapaneseFont, simulated: bool) -> None:
    buf = io.BytesIO()
    result = render_bookings_list(
        _run(simulated=simulated, rows=80), buf, facility=FACILITY, font=font
    )
    back = ReadBack.of(buf.getvalue())
    assert result.pages == len(back.pages) >= 2
    banner = squash(SIMULATED_BANNER)
    assert all((banner in squash(p)) is simulated for p in back.pages)
    assert "通番812" in back.flat and "cd" * 32 in back.flat and "R-7" in back.flat
    assert "NumberOfProcessingResult3,but2units" in back.flat


@pytest.mark.parametrize(
    ("masking", "shown", "hidden"),
    [
        (PatientMasking.FULL, ["架空太郎", "1980-04-01"], []),
        (PatientMasking.PARTIAL, ["架空○○", "1980年生"], ["架空太郎"]),
        (PatientMasking.CHART_ONLY, ["00001"], ["架空", "1980"]),
    ],
)
def test_masking_as_the_daily_log(
    font: JapaneseFont, masking: PatientMasking, shown: list[str], hidden: list[str]
) -> None:
    buf = io.BytesIO()
    render_bookings_list(_run(simulated=False), buf, facility=FACILITY, masking=masking, font=font)
    body = ReadBack.of(buf.getvalue()).flat.replace("架空クリニック", "")
    assert all(s in body for s in shown) and not any(h in body for h in hidden)

    out = io.BytesIO()
    write_bookings_csv(_run(simulated=False), out, masking=masking)
    text = out.getvalue().decode("utf-8-sig")
    assert not any(h in text.replace("架空クリニック", "") for h in hidden)


def test_csv_rows_marked_and_formulas_defused() -> None:
    out = io.BytesIO()
    count = write_bookings_csv(_run(simulated=True, rows=1), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert count == len(rows) == 4
    assert [r["要確認"] for r in rows] == ["0", "1", "1", "1"]
    assert rows[1]["結果"] == "変更あり（保険者・負担割合・限度額）"
    assert rows[1]["変更項目"] == "insurer;ratio;limit" and rows[1]["予約時刻"] == "09:30"
    assert rows[2]["カルテ番号"] == "'=2+3" and rows[2]["予約時刻"] == ""
    assert all(r["模擬"] == "1" for r in rows)
