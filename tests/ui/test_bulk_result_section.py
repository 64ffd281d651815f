"""The session panel starts a booked patient's visit from the day's 一括照会: the result (here
変更あり（保険者）from the simulator process), when it was checked, 模擬, and the reminder that
identity is still confirmed at the desk; a booking left 未照会 says why; a patient without a
check that day shows nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reader.bulk_check import NO_NUMBERS
from reader.reception import SimulatedTerminalProcess, VisitRequest
from storage.records import NewPatient
from tests.reader.reception.conftest import Desk
from tests.reader.reception.test_bulk_start import bulk_check_of
from tests.ui.conftest import shot


def _open(qtbot: Any, w: Any, stack: Any, patient_id: int) -> int:
    before = set(w.sessions)
    stack.desk.begin_visit(VisitRequest(patient_id=patient_id))
    qtbot.waitUntil(lambda: bool(set(w.sessions) - before), timeout=15_000)
    (visit,) = set(w.sessions) - before
    w.select_visit(visit)  # as a click on its row
    qtbot.waitUntil(lambda: w.current_visit() == visit, timeout=10_000)
    return visit


def test_the_panel_shows_the_days_bulk_result(
    desk_window, simulator: SimulatedTerminalProcess, qtbot: Any, tmp_path: Path
) -> None:
    w, stack = desk_window(simulator=simulator, reader=None)
    (admin,) = [s for s in stack.store.list_staff() if s.is_admin]
    handle = Desk(stack.desk, stack.store, admin, None, None)  # type: ignore[arg-type]
    ids = bulk_check_of(handle, simulator, tmp_path, {"00003": 0, "00005": 0})

    _open(qtbot, w, stack, ids["00003"])
    section = w.session_panel.bulk
    qtbot.waitUntil(lambda: not section.isHidden(), timeout=5_000)
    assert section.flag.text() == "前日の一括照会：変更あり（保険者）"
    assert section.checked.text().endswith("に照会（模擬の資格確認端末）")
    assert "本人確認と資格確認は窓口で行い" in section.advice.text()
    assert section.flag.property("level") == "warn" and section.note.isHidden()
    shot(w, "25_bulk_result_start")

    _open(qtbot, w, stack, ids["00005"])  # no numbers on file: not checked, and why
    qtbot.waitUntil(lambda: section.flag.text() == "前日の一括照会：未照会", timeout=5_000)
    assert not section.note.isHidden() and section.flag.property("level") == "info"
    assert section.note.text() == f"未照会の理由：{NO_NUMBERS}"

    other = stack.store.create_patient(admin, NewPatient("00077", "見本 未予約", "ミホン", None))
    _open(qtbot, w, stack, other.id)
    assert section.isHidden()
