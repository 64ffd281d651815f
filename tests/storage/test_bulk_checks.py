"""The database's side of the bookings check (reader's BookingsPort) on SQLite and PostgreSQL:
the day's bookings only, the answer of the last *confirmed* verification, and the check kept and
chained without an individual number or a name."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from policies.bookings import BookingFlag, Change, KnownCoverage
from policies.bulk_check import BookedPatient, BulkCheckRun, CheckedBooking, PendingBulkCheck
from policies.model import FailureReason, Outcome, VerificationPath
from storage.bookings import BookingsCsvError, CsvProblem
from storage.bulk_checks import StoreBookings, result_for
from storage.models import AuditEvent, VisitKind
from storage.records import NewPatient, NewVerification, StaffInfo
from storage.store import AuditKind, Store

DAY = date(2026, 12, 2)


def _patient(store: Store, admin: StaffInfo) -> int:
    return store.create_patient(
        admin,
        NewPatient("00042", "架空 太郎", "カクウ タロウ", date(1980, 4, 1),
                   insurer_number="138057", insured_symbol="架空", insured_number="1001",
                   insured_branch="00"),
    ).id  # fmt: skip


def _visit(
    store: Store, admin: StaffInfo, patient_id: int, outcome: Outcome, answer: bytes | None
) -> None:
    kept = None
    if answer is not None:
        kept = store.save_terminal_result(
            admin,
            raw_xml=answer,
            file_name="a.xml",
            arbitrary_file_identifier=None,
            summary={},
            simulated=True,
        ).id
    visit = store.open_visit(admin, patient_id, VisitKind.OUTPATIENT)
    failed = outcome is not Outcome.CONFIRMED
    store.record_verification(
        admin,
        NewVerification(
            visit.id,
            VerificationPath.MYNA_GENERAL_READER_PIN,
            outcome,
            started_at=datetime(2026, 11, 1, tzinfo=UTC),
            failure_reason=FailureReason.TERMINAL_ERROR if failed else None,
            terminal_result_id=kept,
            simulated=True,
        ),
    )


def test_the_days_bookings_and_every_problem(
    store: Store, admin: StaffInfo, tmp_path: Path
) -> None:
    _patient(store, admin)
    csv = tmp_path / "b.csv"
    csv.write_text(
        "予約日,予約時刻,カルテ番号\n2026-12-02,9:30,00042\n2026-12-03,9:30,00042\n"
        "2026-12-02,10:00,99999\n",
        "utf-8",
    )
    bookings, problems = StoreBookings(store).bookings(csv, DAY)
    (booked,) = bookings
    assert (booked.day, booked.time, booked.chart_number, booked.name) == (
        DAY,
        time(9, 30),
        "00042",
        "架空 太郎",
    )
    assert booked.numbers is not None and booked.known.insurer_number == "138057"
    assert [line for line, _ in problems] == [4] and "99999" in problems[0][1]
    with pytest.raises(
        BookingsCsvError, match=r"no bookings on 2026-12-04 to check \(rows not imported: 1,"
    ) as caught:
        StoreBookings(store).bookings(csv, date(2026, 12, 4))
    assert caught.value.problem is CsvProblem.NO_BOOKINGS


def test_last_confirmed_answer(store: Store, admin: StaffInfo) -> None:
    port = StoreBookings(store)
    pid = _patient(store, admin)
    assert port.last_confirmed_answer(pid) is None  # never verified
    _visit(store, admin, pid, Outcome.CONFIRMED, b"<XmlMsg>first</XmlMsg>")
    _visit(store, admin, pid, Outcome.NOT_CONFIRMED, b"<XmlMsg>failed</XmlMsg>")
    assert port.last_confirmed_answer(pid) == b"<XmlMsg>first</XmlMsg>"  # the failure skipped
    _visit(store, admin, pid, Outcome.CONFIRMED, None)
    assert port.last_confirmed_answer(pid) is None  # the newest confirmation kept no answer


def _run(store: Store, admin: StaffInfo, *, answered: bool) -> BulkCheckRun:
    pid = _patient(store, admin)
    booked = BookedPatient(DAY, time(9), "00042", "架空 太郎", "", None, None, KnownCoverage(), pid)
    rows = (
        CheckedBooking(booked, BookingFlag.CHANGED, (Change.INSURER, Change.LIMIT)),
        CheckedBooking(booked, BookingFlag.ENDED),
    )
    return BulkCheckRun(
        day=DAY,
        reception_number="R-1" if answered else None,
        answer_sha256="ab" * 32 if answered else None,
        answer_file="OQSmuquc02res_1.xml" if answered else None,
        simulated=True,
        processing_answers=2,
        rows=rows,
        problems=((3, "chart number '1' is not on file"),),
    )


@pytest.mark.parametrize("answered", [True, False])
def test_record_keeps_the_answer_and_chains_the_check(
    store: Store, admin: StaffInfo, answered: bool
) -> None:
    run = _run(store, admin, answered=answered)
    recorded = StoreBookings(store, admin).record(run, b"PK-answer" if answered else None)
    assert recorded.rows == run.rows and recorded.chain_seq and recorded.chain_hash
    events = AuditEvent.__table__
    with store.engine.connect() as conn:
        seq, digest, text, actor = conn.execute(
            select(events.c.seq, events.c.hash, events.c.payload, events.c.actor).where(
                events.c.kind == AuditKind.BULK_CHECKED
            )
        ).one()
    payload = json.loads(text)
    assert (seq, bytes(digest).hex(), actor) == (recorded.chain_seq, recorded.chain_hash, "admin")
    assert payload["counts"] == {"ended": 1, "not_found": 0, "changed": 1, "unchecked": 0, "ok": 0}
    assert payload["bookings"][0] == {
        "chart_number": "00042",
        "flag": "changed",
        "changes": ["insurer", "limit"],
    }
    assert payload["reception_number"] == run.reception_number and payload["rows_not_imported"] == 1
    assert "架空" not in json.dumps(payload, ensure_ascii=False)
    if answered:
        record, raw = store.terminal_result(payload["terminal_result_id"])
        assert raw == b"PK-answer" and record.arbitrary_file_identifier == "R-1"
    else:
        assert payload["terminal_result_id"] is None and payload["answer_sha256"] is None
    assert store.verify_chain().ok


def test_a_pending_download_is_kept_once_and_ends_with_its_record(
    store: Store, admin: StaffInfo
) -> None:
    port = StoreBookings(store, admin)
    assert port.pending(DAY) is None
    kept = port.keep_pending(PendingBulkCheck(DAY, "R-1", simulated=True, processing_answers=3))
    assert kept.chain_seq and port.keep_pending(PendingBulkCheck(DAY, "R-1", True)) == kept
    assert port.pending(DAY) == kept and port.pending(date(2026, 12, 3)) is None
    port.record(_run(store, admin, answered=True), None)  # the check of R-1
    assert port.pending(DAY) is None
    events = AuditEvent.__table__
    with store.engine.connect() as conn:
        kinds = conn.execute(
            select(events.c.kind).where(events.c.kind.like("bulk%")).order_by(events.c.seq)
        ).scalars()
        assert list(kinds) == [AuditKind.BULK_PENDING, AuditKind.BULK_CHECKED]


def test_a_later_check_of_the_day_ends_a_pending_download(store: Store, admin: StaffInfo) -> None:
    """The terminal may never deliver a job left 処理中; once the day was checked again, the
    window must not offer 「結果を受け取る」 for it for ever."""
    port = StoreBookings(store, admin)
    port.keep_pending(PendingBulkCheck(DAY, "R-1", simulated=True))
    port.record(replace(_run(store, admin, answered=True), reception_number="R-2"), None)
    assert port.pending(DAY) is None
    later = port.keep_pending(PendingBulkCheck(DAY, "R-3", simulated=True))
    assert port.pending(DAY) == later  # a job left after that check is pending again


def test_the_visit_reads_the_latest_check_of_its_day(store: Store, admin: StaffInfo) -> None:
    assert result_for(store, "00042", DAY) is None
    run = _run(store, admin, answered=False)
    first = StoreBookings(store, admin).record(run, None)
    found = result_for(store, "00042", DAY)
    assert found is not None and found.chain_seq == first.chain_seq
    assert (found.flag, found.changes, found.simulated) == (
        BookingFlag.CHANGED, (Change.INSURER, Change.LIMIT), True,
    )  # fmt: skip
    assert found.checked_at.utcoffset() == timedelta(hours=9) and found.note is None
    assert result_for(store, "00043", DAY) is None
    assert result_for(store, "00042", date(2026, 12, 3)) is None
    unchecked = CheckedBooking(run.rows[0].booking, BookingFlag.UNCHECKED, note="番号が未登録")
    later = StoreBookings(store, admin).record(replace(run, rows=(unchecked,)), None)
    found = result_for(store, "00042", DAY)
    assert found is not None and found.chain_seq == later.chain_seq
    assert (found.flag, found.note) == (BookingFlag.UNCHECKED, "番号が未登録")
