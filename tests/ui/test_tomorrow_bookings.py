"""明日の予約 in the window: the bookings CSV checked against the simulator process on real
folders, the flags shown, a stopped check and a bad list that lose nothing, and the printable
list written and read back — real widgets offscreen on a real SQLite store."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QApplication, QMessageBox

import main
from reader.reception import SimulatedTerminalProcess
from reader.terminal.bulk import BulkSchedule
from storage.bulk_checks import bulk_events
from storage.demo_data import seed_demo_patients
from storage.store import AuditKind
from tests.reader.test_bulk_check import CSV_TEXT, DAY, EXPECTED, file_patients
from tests.storage.reports.pdfcheck import ReadBack, squash
from tests.ui.conftest import shot
from ui.main_window import MainWindow
from ui.printouts import documents
from ui.tomorrow_bookings import DEMO_BOOKINGS, TomorrowBookings

Window = Callable[..., tuple[MainWindow, main.DeskStack]]


def _checks(stack: main.DeskStack) -> int:
    with stack.store.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM audit_events WHERE kind = ?", (AuditKind.BULK_CHECKED,)
            ).scalar_one()
        )


def _control(sim: SimulatedTerminalProcess, **values: object) -> None:
    """The simulator's faults, changed at run time through its control file."""
    tmp = sim.root / "sim-control.tmp"
    tmp.write_text(json.dumps(values), "utf-8")
    os.replace(tmp, sim.root / "sim-control.json")
    time.sleep(0.05)  # the simulator reads it by mtime


def _open(qtbot: Any, window: MainWindow, csv: Path) -> TomorrowBookings:
    window.act_bookings.trigger()
    view = window.bookings_view
    assert view is not None
    qtbot.waitExposed(view)
    view.csv_path.setText(str(csv))
    view.day.setDate(QDate(DAY.year, DAY.month, DAY.day))
    return view


def _check(qtbot: Any, view: TomorrowBookings) -> None:
    view.start_btn.click()
    assert view.running() and view.stop_btn.isEnabled() and view.busy.isVisible()
    qtbot.waitUntil(lambda: not view.running(), timeout=30_000)


def _shown(view: TomorrowBookings) -> dict[str, str]:
    t = view.table
    return {t.item(r, 1).text(): t.item(r, 3).text() for r in range(t.rowCount())}


@pytest.fixture
def clinic(
    desk_window: Window, simulator: SimulatedTerminalProcess, tmp_path: Path
) -> tuple[MainWindow, main.DeskStack, Path]:
    """The window logged in on a store with the simulator's persons, and tomorrow's list."""
    window, stack = desk_window(simulator=simulator, reader=None)
    file_patients(stack.store, stack.actor())
    bookings = tmp_path / "予約.csv"
    bookings.write_bytes(CSV_TEXT.encode("cp932"))
    return window, stack, bookings


def test_the_check_flags_each_booking_and_prints_the_list(
    clinic: tuple[MainWindow, main.DeskStack, Path], qtbot: Any, tmp_path: Path
) -> None:
    window, stack, bookings = clinic
    window.act_bookings.trigger()
    view = window.bookings_view
    assert view is not None
    # The day is tomorrow in Japan time unless staff choose another.
    assert view.chosen_day() == stack.desk.clock().date() + timedelta(days=1)
    # The list is chosen in Qt's own dialog, in the documents folder.
    view.choose_btn.click()
    dialog = view.file_dialog
    assert dialog is not None and dialog.isVisible()
    assert Path(dialog.directory().absolutePath()) == documents()
    dialog.fileSelected.emit(str(bookings))
    dialog.reject()
    assert view.csv_path.text() == str(bookings)
    view = _open(qtbot, window, bookings)

    _check(qtbot, view)
    assert _shown(view) == {chart: text for chart, (_, text) in EXPECTED.items()}
    assert view.sim.isVisible() and "模擬" in view.sim.text()
    assert "要確認 5件" in view.summary.text() and "資格喪失 1" in view.summary.text()
    notes = {view.table.item(r, 4).text() for r in range(view.table.rowCount())}
    assert "負担割合 3割→1割" in notes and "新しい保険の資格あり" in notes
    assert view.problems.text() == "取り込めなかった行が 1 行あります（8行目）。"
    assert "77777" in view.problems.toolTip()
    assert view.run is not None and f"通番 {view.run.chain_seq}" in view.state.text()
    assert _checks(stack) == 1
    view.resize(1366 - 40, 768 - 80)  # as maximised on a 1366×768 reception PC, with frame
    shot(view, "22_tomorrow_bookings")
    for r in range(view.table.rowCount()):  # no result is cut off in its column
        text = view.table.item(r, 3).text()
        need = view.table.fontMetrics().horizontalAdvance(text)
        assert view.table.columnWidth(3) >= need, text

    # A list the check cannot use: a specific Japanese message, the result shown stays.
    bad = tmp_path / "列なし.csv"
    bad.write_text("予約日,時刻\n2026-12-02,10:00\n", "utf-8")
    view.csv_path.setText(str(bad))
    _check(qtbot, view)
    assert view.state.text() == (
        "列なし.csv の1行目にカルテ番号の列（カルテ番号・患者番号・患者ID）がありません。"
    )
    assert "Traceback" not in view.state.toolTip() and view.state.property("level") == "error"
    assert len(_shown(view)) == len(EXPECTED) and _checks(stack) == 1
    view.day.setDate(QDate(2026, 12, 24))
    view.csv_path.setText(str(bookings))
    _check(qtbot, view)
    assert (
        view.state.text() == "予約.csv には 2026/12/24 の予約がありません。日付を確かめてください。"
    )

    # The printable list: into the documents folder, recorded, offered to open; read back.
    view.pdf_btn.click()
    qtbot.waitUntil(lambda: view.pdf_box is not None and view.pdf_box.isVisible(), timeout=30_000)
    pdf = view.last_pdf
    assert pdf is not None and pdf.parent == documents()
    assert pdf.name == f"明日の予約-{DAY.isoformat()}.pdf"
    box = view.pdf_box
    assert box is not None and str(pdf) in box.text()
    close = next(b for b in box.buttons() if box.buttonRole(b) is QMessageBox.ButtonRole.RejectRole)
    close.click()  # not opened: no viewer here
    back = ReadBack.of(pdf)
    assert all("模擬" in page for page in back.pages)
    for _, text in EXPECTED.values():
        assert squash(text) in back.flat
    assert f"通番{view.run.chain_seq}" in back.flat
    view.pdf_btn.click()  # a second copy never replaces the first
    qtbot.waitUntil(lambda: view.last_pdf != pdf, timeout=30_000)
    assert view.last_pdf == pdf.with_name(f"明日の予約-{DAY.isoformat()}-2.pdf") and pdf.exists()
    # A row changed behind the application's back: no list, and why in Japanese.
    with stack.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE staff SET display_name = '偽の管理者'")
    printed = view.last_pdf
    view.pdf_btn.click()
    qtbot.waitUntil(lambda: "監査記録と一致しない記録" in view.state.text(), timeout=30_000)
    assert "表 staff、番号 1、項目 display_name" in view.state.text()
    assert "verify" not in view.state.text() and view.last_pdf == printed


def test_stop_ends_a_check_the_terminal_is_still_processing(
    clinic: tuple[MainWindow, main.DeskStack, Path],
    simulator: SimulatedTerminalProcess,
    qtbot: Any,
) -> None:
    window, stack, bookings = clinic
    _control(simulator, bulk_processing=5)
    view = _open(qtbot, window, bookings)
    view.start_btn.click()
    # The job is shown as the terminal reports it: its reception number, 処理中, the time.
    qtbot.waitUntil(lambda: "処理中の回答 1回" in view.state.text(), timeout=30_000)
    assert "受付番号 SIM" in view.state.text() and "経過" in view.state.text()
    started = time.monotonic()
    view.stop_btn.click()
    qtbot.waitUntil(lambda: not view.running(), timeout=10_000)
    assert time.monotonic() - started < 5  # not after the 10 s wait the schedule asks
    assert view.state.text() == "一括照会を中止しました。何も記録していません。"
    assert view.start_btn.isEnabled() and not view.pdf_btn.isEnabled() and view.run is None
    assert _checks(stack) == 0

    # Closing the view while a check runs stops it too; the window is unaffected.
    view.start_btn.click()
    qtbot.waitUntil(lambda: "受付番号" in view.state.text(), timeout=30_000)
    view.close()
    QApplication.processEvents()
    assert not view.running() and _checks(stack) == 0


def test_a_check_left_processing_is_received_later_once(
    clinic: tuple[MainWindow, main.DeskStack, Path],
    simulator: SimulatedTerminalProcess,
    qtbot: Any,
) -> None:
    """The job takes longer than the check's deadline: the view names its reception number and
    offers 結果を受け取る (also when opened again on that day), which downloads that job only,
    shows it and records it once; pressed when nothing is pending, it says so."""
    window, stack, bookings = clinic
    _control(simulator, bulk_ready_ms=2500)
    stack.bulk_schedule = BulkSchedule(waits_s=(0.1,), deadline_s=0.5)
    view = _open(qtbot, window, bookings)
    assert not view.resume_btn.isVisible()  # nothing pending for the day yet
    _check(qtbot, view)
    pending = stack.pending_bulk_check(DAY)
    assert pending is not None and pending.reception_number.startswith("SIM")
    waiting = (
        f"端末がまだ処理中です（受付番号 {pending.reception_number}）。"
        "しばらくしてから「結果を受け取る」を押してください。"
    )
    assert view.state.text() == waiting and view.state.property("level") == "warn"
    assert view.resume_btn.isVisible() and view.resume_btn.isEnabled()
    assert view.run is None and view.table.rowCount() == 0 and _checks(stack) == 0
    view.resize(1366 - 40, 768 - 80)
    shot(view, "23_tomorrow_bookings_pending")

    # Opened again on that day, the view finds the job in the chain and offers it.
    view.close()
    view = _open(qtbot, window, bookings)
    qtbot.waitUntil(lambda: view.state.text() == waiting, timeout=10_000)
    assert view.resume_btn.isVisible()
    view.day.setDate(QDate(2026, 12, 24))  # another day: nothing to receive, the hint again
    qtbot.waitUntil(lambda: not view.resume_btn.isVisible(), timeout=10_000)
    assert view.state.text() == view.hint
    view.day.setDate(QDate(DAY.year, DAY.month, DAY.day))
    qtbot.waitUntil(lambda: view.resume_btn.isVisible(), timeout=10_000)
    assert view.state.text() == waiting

    stack.bulk_schedule = BulkSchedule(waits_s=(0.1,))  # asked until the job is ready
    view.resume_btn.click()
    assert view.running() and view.stop_btn.isEnabled() and not view.resume_btn.isEnabled()
    qtbot.waitUntil(lambda: not view.running(), timeout=30_000)
    assert _shown(view) == {chart: text for chart, (_, text) in EXPECTED.items()}
    assert view.run is not None and view.run.resumed
    assert f"通番 {view.run.chain_seq}" in view.state.text()
    [event] = bulk_events(stack.store, AuditKind.BULK_CHECKED, DAY)
    assert event.payload["reception_number"] == pending.reception_number
    assert event.payload["resumed"] and event.seq == view.run.chain_seq
    qtbot.waitUntil(lambda: not view.resume_btn.isVisible(), timeout=10_000)

    # Pressed again (as when another PC received it meanwhile): nothing pending, said so.
    view.resume()
    qtbot.waitUntil(lambda: not view.running(), timeout=10_000)
    assert view.state.text() == "この日の一括照会で、受け取っていない結果はありません。"
    assert len(_shown(view)) == len(EXPECTED) and _checks(stack) == 1
    assert stack.pending_bulk_check(DAY) is None


def test_the_demo_bookings_list_checks_the_demo_patients(
    desk_window: Window, simulator: SimulatedTerminalProcess, qtbot: Any
) -> None:
    """resources/demo/bookings.csv (no date column: the day chosen) names the demo cards'
    patients, and the demo simulator's persons answer it with an ended and a changed cover."""
    window, stack = desk_window(simulator=simulator, reader=None)
    seed_demo_patients(stack.store, stack.actor())
    view = _open(qtbot, window, DEMO_BOOKINGS)
    _check(qtbot, view)
    assert view.run is not None and view.run.problems == () and view.sim.isVisible()
    shown = _shown(view)
    assert shown["D-0001"] == "確認済み" and shown["D-0020"] == "資格喪失"
    assert shown["D-0021"] == "変更あり（保険者）" and shown["D-0022"] == "未照会"


def test_without_a_terminal_the_view_says_so(desk_window: Window, qtbot: Any) -> None:
    window, _ = desk_window(simulator=None, reader=None)
    window.act_bookings.trigger()
    view = window.bookings_view
    assert view is not None and not view.start_btn.isEnabled()
    assert "資格確認端末が設定されていない" in view.state.text()
