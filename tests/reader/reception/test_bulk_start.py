"""The visit starts from the day's 一括照会: a real store, bulk checks run through the simulator
process, then visits opened on the desk. A patient checked for the visit's day carries the
result on the session; one checked for another day carries nothing; nothing of it is recorded
as the visit's verification."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from policies.bookings import BookingFlag
from reader.bulk_check import run_bulk_check
from reader.reception import SimulatedTerminalProcess
from reader.terminal import TerminalConfig
from storage.bulk_checks import StoreBookings
from storage.records import NewPatient
from storage.store import AuditKind
from tests.reader.reception.conftest import INSTITUTION, Desk
from tests.reader.reception.flows import begin
from tests.reader.terminal.test_bulk_bookings import PATIENTS


def bulk_check_of(
    d: Desk, sim: SimulatedTerminalProcess, tmp: Path, charts: dict[str, int]
) -> dict[str, int]:
    """Put the charts' patients on file, book each on its day (offset from the desk's today)
    and run one 一括照会 per day through the simulator; returns chart → patient id."""
    ids: dict[str, int] = {}
    today = d.desk.clock().date()
    config = TerminalConfig(
        root=sim.root, data_dir=tmp / "bulk-data", medical_institution_code=INSTITUTION,
        simulated=True,
    )  # fmt: skip
    port = StoreBookings(d.store, d.admin)
    for chart, offset in charts.items():
        name, born, insurer, symbol, number, branch = PATIENTS[chart]
        ids[chart] = d.store.create_patient(
            d.admin,
            NewPatient(chart, name, "カクウ", born, insurer_number=insurer,
                       insured_symbol=symbol, insured_number=number, insured_branch=branch),
        ).id  # fmt: skip
        day = today + timedelta(days=offset)
        csv = tmp / f"bookings-{chart}.csv"
        csv.write_text(f"予約日,予約時刻,カルテ番号\n{day.isoformat()},10:00,{chart}\n", "utf-8")
        run_bulk_check(port, config, csv, day)
    return ids


def test_a_visit_on_the_booked_day_starts_from_the_bulk_result(
    desk_factory, simulator, tmp_path: Path
) -> None:
    d = desk_factory(simulator=simulator)
    # 00001 is covered and booked today; 00002 (資格喪失) is booked tomorrow only.
    ids = bulk_check_of(d, simulator, tmp_path, {"00001": 0, "00002": 1})
    with d.store.engine.connect() as conn:
        (seq,) = conn.exec_driver_sql(
            "SELECT seq FROM audit_events WHERE kind = ? ORDER BY seq LIMIT 1",
            (AuditKind.BULK_CHECKED,),
        ).one()

    booked = begin(d, ids["00001"])
    bulk = booked.bulk_result
    assert bulk is not None and bulk.day == d.desk.clock().date()
    assert (bulk.flag, bulk.changes, bulk.simulated, bulk.chain_seq) == (
        BookingFlag.OK, (), True, seq,
    )  # fmt: skip
    assert abs(bulk.checked_at - d.desk.clock()) < timedelta(minutes=5)
    assert not booked.final and booked.recorded == ()  # a starting point, not a verification
    assert d.verifications(booked.visit_id) == []

    other_day = begin(d, ids["00002"])
    assert other_day.bulk_result is None  # its check was for tomorrow

    unbooked = d.store.create_patient(d.admin, NewPatient("00009", "見本 来院", "ミホン", None))
    assert begin(d, unbooked.id).bulk_result is None
