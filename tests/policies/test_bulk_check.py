"""The bulk check's audit payload: every flag counted (zeros too), one entry per booking, and
nothing in it that names a person or their insurance."""

from __future__ import annotations

import json
from datetime import date, time

from policies.bookings import BookingFlag, Change, KnownCoverage
from policies.bulk_check import BookedPatient, BulkCheckRun, CheckedBooking
from policies.records import InsuranceNumbers

DAY = date(2026, 12, 2)
NUMBERS = InsuranceNumbers("138057", "1001", date(1980, 4, 1), "架空", "00")


def test_payload_counts_every_flag_and_names_bookings_by_chart_number_only() -> None:
    booked = BookedPatient(
        DAY, time(9), "00042", "架空 太郎", "カクウ", date(1980, 4, 1), NUMBERS,
        KnownCoverage("138057", "架空", "1001", "00"), patient_id=7,
    )  # fmt: skip
    run = BulkCheckRun(
        day=DAY,
        reception_number="R-1",
        answer_sha256="ab" * 32,
        answer_file="OQSmuquc02res_1.zip",
        simulated=False,
        processing_answers=3,
        rows=(
            CheckedBooking(booked, BookingFlag.CHANGED, (Change.RATIO,)),
            CheckedBooking(booked, BookingFlag.UNCHECKED, note="照会エラー"),
        ),
        problems=((5, "bad date"),),
        warnings=("1 units match no patient asked for",),
    )
    payload = run.audit_payload()
    assert payload["counts"] == {"ended": 0, "not_found": 0, "changed": 1, "unchecked": 1, "ok": 0}
    assert payload["bookings"] == [
        {"chart_number": "00042", "flag": "changed", "changes": ["ratio"]},
        {"chart_number": "00042", "flag": "unchecked", "changes": [], "note": "照会エラー"},
    ]  # why a booking was not checked goes with it, for the desk the next day
    assert (payload["day"], payload["processing_answers"], payload["rows_not_imported"]) == (
        "2026-12-02",
        3,
        1,
    )
    text = json.dumps(payload, ensure_ascii=False)
    for secret in ("架空", "カクウ", "1001", "138057", "1980"):
        assert secret not in text
