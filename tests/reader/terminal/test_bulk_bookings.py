"""Tomorrow's bookings checked tonight, the whole way: a bookings CSV resolved against a real
SQLite store, one 一括照会 through the simulator process, one flag per booking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from policies.bookings import BookingCheck, BookingFlag, Change, check_booking
from reader.terminal import TerminalConfig
from reader.terminal.bulk import BulkClient, BulkSchedule, BulkSearch
from storage.bookings import read_bookings_csv
from storage.engine import sqlite_url
from storage.records import NewPatient
from storage.store import Store
from tests.reader.terminal.support import INSTITUTION, Simulator

TOMORROW = date(2026, 12, 2)

#: chart number → (name, birth date, insurer, symbol, number, branch), persons of the simulator.
PATIENTS = {
    "00001": ("架空 太郎", date(1980, 4, 1), "138057", "架空", "1001", "00"),  # covered
    "00002": ("架空 退職", date(1970, 3, 31), "01130012", "11229999", "20", "00"),  # 資格喪失
    "00003": ("見本 転職", date(1992, 11, 11), "06131015", "5", "2121", "00"),  # new insurance
    "00004": ("架空 誤記", date(1980, 4, 1), "138057", "架空", "9999", None),  # typo on file
    "00005": ("見本 未登録", None, None, None, None, None),  # no numbers on file
    "00006": ("架空 後期", date(1940, 1, 10), "39130059", None, "10000010", None),  # 1割 now
}
CSV = "予約日,予約時刻,カルテ番号\n" + "".join(
    f"2026/12/02,{9 + i}:00,{chart}\n" for i, chart in enumerate(PATIENTS)
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(
        sqlite_url(tmp_path / "db" / "m.sqlite3").render_as_string(),
        terminal_id="test-pc",
        backup_dir=tmp_path / "backups",
    )
    admin = s.create_first_admin("admin", "管理者", "admin-pass-1")
    for chart, (name, born, insurer, symbol, number, branch) in PATIENTS.items():
        s.create_patient(
            admin,
            NewPatient(chart, name, "カクウ", born, insurer_number=insurer,
                       insured_symbol=symbol, insured_number=number, insured_branch=branch),
        )  # fmt: skip
    yield s
    s.close()


def test_bookings_csv_to_flags(store: Store, tmp_path: Path) -> None:
    csv_path = tmp_path / "予約.csv"
    csv_path.write_bytes(CSV.encode("cp932"))
    imported = read_bookings_csv(csv_path, store)
    assert imported.problems == () and len(imported.bookings) == 6

    shift_jis = ("--encoding", "shift_jis")  # answers in Shift_JIS, as many sites have them
    with Simulator(tmp_path / "oqs", "--bulk-processing", "1", "--bulk-zip", *shift_jis) as sim:
        config = TerminalConfig(
            root=sim.root,
            data_dir=tmp_path / "data",
            medical_institution_code=INSTITUTION,
            simulated=True,
        )
        searches = [BulkSearch(b.numbers) for b in imported.bookings if b.numbers is not None]
        bulk = BulkClient(config, BulkSchedule(waits_s=(0.05,))).check(searches, TOMORROW)
    assert bulk.simulated and bulk.zipped and bulk.processing_answers == 1
    assert {u.result.encoding for u in bulk.units} == {"cp932"} and bulk.warnings == ()
    assert all(u.result.warnings == () for u in bulk.units)

    checks = {}
    for booking in imported.bookings:
        known = booking.known
        if booking.chart_number == "00006":
            known = replace(known, ratio_wari=3)  # the last visit's result said 3割
        unit = bulk.unit_for(booking.numbers) if booking.numbers is not None else None
        checks[booking.chart_number] = check_booking(
            booking.day, known, unit.coverage if unit is not None else None
        )
    assert checks == {
        "00001": BookingCheck(BookingFlag.OK),
        "00002": BookingCheck(BookingFlag.ENDED),
        "00003": BookingCheck(BookingFlag.CHANGED, (Change.INSURER,)),
        "00004": BookingCheck(BookingFlag.NOT_FOUND),
        "00005": BookingCheck(BookingFlag.UNCHECKED),
        "00006": BookingCheck(BookingFlag.CHANGED, (Change.RATIO,)),
    }
