"""Whole card flows through the real window: pcscd + vpcd card, simulator, SQLite."""

from __future__ import annotations

import builtins
import dataclasses
import io
import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit
from sqlalchemy import event as sa_event

from policies.model import DocumentKind, FailureReason, Outcome, VerificationPath
from policies.reception import Screen
from reader.pcsc import PcscConnection
from reader.reception import ReaderState, TerminalState
from reader.terminal import TerminalExchange
from tests.ui.conftest import shot
from tests.ui.steps import (
    P03,
    P26,
    StallMeter,
    begin_visit,
    choose,
    rows_for,
    settle,
    type_pin,
    wait_session,
)
from ui.labels import label
from ui.visit_list import Category

PIN = "7391"
GROSS_STALL_MS = 500


def _texts(w) -> str:
    shown = [lbl.text() for lbl in w.findChildren(QLabel)]
    shown += [e.text() for e in w.findChildren(QLineEdit)]
    return "\n".join(shown)


def test_normal_card_visit(desk_window, simulator, card_rig_factory, qtbot) -> None:
    rig = card_rig_factory("demo-03", insert=False, pin=PIN)
    w, stack = desk_window(simulator=simulator, reader=rig.reader.name)
    assert "資格確認端末：模擬" in w.strip.terminal.text()
    assert "フォルダー監視：変更通知" in w.strip.terminal.toolTip()  # a local folder
    assert w.strip.banner.isVisible() and "模擬" in w.strip.banner.text()
    s = begin_visit(qtbot, w, P03)
    visit = s.visit_id
    assert s.screen is Screen.CHOOSE_ROUTE and w.session_panel.route.options.count() >= 2
    shot(w, "01_choose_route")

    rig.insert()  # the patient puts the card on the reader
    qtbot.waitUntil(lambda: w.status.reader.state is ReaderState.CARD_PRESENT, timeout=10_000)
    assert "カードあり" in w.strip.reader.text() and "仮想" in w.strip.reader.text()
    qtbot.waitUntil(lambda: w.pin_dialog is not None, timeout=20_000)
    dialog = w.pin_dialog
    assert "3" in dialog.tries.text()  # shown before any digit is typed
    assert rig.model.pin_presentations == 0
    qtbot.keyClicks(dialog, PIN[:2])
    shot(dialog, "02_pin_pad")
    qtbot.keyClicks(dialog, PIN[2:])
    assert dialog.display.text().count("●") == 4 and PIN not in dialog.display.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.entered() == 0  # nothing kept after submit

    done = wait_session(qtbot, w, visit, lambda s: s.recorded)
    assert done.screen is Screen.DONE
    qtbot.waitUntil(lambda: "資格あり" in w.result_panel.status.text(), timeout=5000)
    text = w.result_panel.plain_text()
    for expected in ("見本 一郎", "01130012", "全国健康保険協会", "【模擬】"):
        assert expected in text, expected
    qtbot.waitUntil(
        lambda: bool(w.visits.model.rows) and w.visits.model.rows[0].category is Category.DONE,
        timeout=10_000,
    )
    assert w.visits.model.rows[0].status == "資格確認済み"
    assert w.visits.model.data(w.visits.model.index(0, 5)) == "模擬"
    shot(w, "03_result")

    assert "3割（年齢から判定）" in text  # the simulator sends no ratio for a 50-year-old
    (row,) = rows_for(stack, visit)
    assert row.path is VerificationPath.MYNA_GENERAL_READER_PIN
    assert row.outcome is Outcome.CONFIRMED and row.simulated
    assert rig.model.pin_presentations == 1
    assert PIN not in _texts(w)

    # closed: selecting the recorded visit shows its full record and the kept answer, re-read
    qtbot.mouseClick(w.session_panel.record.close_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: visit not in w.sessions, timeout=10_000)
    qtbot.waitUntil(lambda: "記録 1" in w.result_panel.plain_text(), timeout=10_000)
    shown = w.result_panel.plain_text()
    for expected in (
        "記録済み：資格確認済み",
        "マイナ保険証",  # the path recorded
        "受付 管理者",  # staff
        "全国健康保険協会",  # the eligibility result from the kept XML
        "01130012",
        "3割（年齢から判定）",
        "【模擬】",
        *row.rule_ids,
    ):
        assert expected in shown, (expected, shown)
    shot(w, "17_recorded_visit")


def _measure_visit(qtbot, w, rig, n: int) -> tuple[float, float, int, int]:
    """One card visit with a 5 ms timer running: (card read gap, terminal gap, ticks, ticks)."""
    visit = begin_visit(qtbot, w, dataclasses.replace(P03, chart=f"C-000{n}")).visit_id
    settle(qtbot, 0.3)
    meter = StallMeter()
    meter.start()
    # card read: certificate + PIN tries on the desk's card thread; the patient's hand is
    # another thread, so the GUI thread only waits; it ends when the PIN pad is on screen
    threading.Thread(target=rig.insert, daemon=True).start()
    qtbot.waitUntil(lambda: w.pin_dialog is not None and w.pin_dialog.isVisible(), timeout=20_000)
    card_gap, card_ticks = meter.stop(), len(meter.gaps)
    dialog = w.pin_dialog
    meter.start()
    for digit in "1234":
        dialog.press(digit)
    dialog.submit()  # one VERIFY, then the terminal round trip and the result on screen
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    settle(qtbot, 1.0)  # the list reload that follows
    terminal_gap = meter.stop()
    rig.remove()
    return card_gap, terminal_gap, card_ticks, len(meter.gaps)


def _record_gui_thread_io(monkeypatch, stack) -> list[str]:
    """Every card, terminal, database or file operation that runs on the GUI thread."""
    gui = threading.main_thread()
    on_gui: list[str] = []

    def spy(owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            if threading.current_thread() is gui:
                on_gui.append(label)
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    spy(PcscConnection, "__init__", "PC/SC connect")
    spy(PcscConnection, "send_and_receive", "APDU")
    for name in ("submit", "query", "rescan_now"):
        spy(TerminalExchange, name, f"terminal {name}")
    spy(builtins, "open", "file open")
    spy(io, "open", "file open")

    def statement(conn, cursor, sql, *_args) -> None:
        if threading.current_thread() is gui:
            on_gui.append(f"SQL {sql.split()[0]}")

    sa_event.listen(stack.store.engine, "before_cursor_execute", statement)
    return on_gui


def test_card_terminal_and_database_work_stays_off_the_gui_thread(
    desk_window, simulator, card_rig_factory, qtbot, monkeypatch
) -> None:
    """Issue 6 §4: card, terminal and database work off the GUI thread; the loop keeps turning.

    A card visit (certificate, PIN tries, the patient's PIN, VERIFY, the terminal round trip,
    recording, the list reload) runs with a 5 ms timer on the GUI thread. Asserted: not one
    APDU, terminal exchange, SQL statement or file open on the GUI thread, and the timer kept
    ticking throughout. The issue's 50 ms stall target is a speed figure, so (by the project's
    rule: targets by benchmarks, not timed unit tests) ``benchmarks/ui_event_loop.py`` measures
    and prints it; here only a stall of GROSS_STALL_MS fails (blocking I/O: seconds), and the
    gaps seen are printed.
    """
    rig = card_rig_factory("demo-03", insert=False)
    w, stack = desk_window(simulator=simulator, reader=rig.reader.name)
    on_gui = _record_gui_thread_io(monkeypatch, stack)
    card_gap, terminal_gap, card_ticks, terminal_ticks = _measure_visit(qtbot, w, rig, 0)
    print(f"event-loop gaps: card read max {card_gap} ms, terminal max {terminal_gap} ms")
    seen = list(on_gui)  # before the test's own query below
    assert rows_for(stack, w.current_visit()), "the visit was recorded"
    assert seen == [], sorted(set(seen))
    assert card_ticks > 3 and terminal_ticks > 10
    assert card_gap < GROSS_STALL_MS and terminal_gap < GROSS_STALL_MS, (card_gap, terminal_gap)


def test_gui_thread_io_spy_sees_work_done_on_the_gui_thread(
    desk_window, simulator, qtbot, monkeypatch
) -> None:
    """The spy above can fail: a statement and a file open made on the GUI thread are seen."""
    _w, stack = desk_window(simulator=simulator, reader=None)
    on_gui = _record_gui_thread_io(monkeypatch, stack)
    with stack.store.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    with open(__file__, encoding="utf-8"):
        pass
    assert on_gui == ["SQL BEGIN", "SQL SELECT", "file open"]


def test_pin_locked_card_goes_to_qualification_certificate(
    desk_window, simulator, card_rig_factory, qtbot
) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    rig.model.auth_pin_tries = 0
    w, stack = desk_window(simulator=simulator, reader=rig.reader.name)
    visit = begin_visit(qtbot, w, P03).visit_id
    rig.insert()
    guide = wait_session(qtbot, w, visit, lambda s: s.reason is FailureReason.PIN_LOCKED)
    assert w.pin_dialog is None  # a locked card never gets the PIN pad
    qtbot.waitUntil(lambda: "暗証番号ロック" in w.session_panel.reason.text(), timeout=5000)
    first = w.session_panel.route.options.item(0).text()
    assert first.startswith("【推奨】") and "根拠：" in first
    assert guide.steps and "まずすること" in w.session_panel.route.steps.text()
    shot(w, "04_fallback_pin_locked")

    choose(qtbot, w, visit, VerificationPath.DOCUMENTS, (DocumentKind.QUALIFICATION_CERTIFICATE,))
    wait_session(qtbot, w, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    panel = w.session_panel
    qtbot.waitUntil(lambda: bool(panel.documents.rows), timeout=5000)
    # live validation: a wrong check digit is refused with words, the right one accepted
    numbers = panel.documents.numbers
    numbers.insurer.setText("01130013")
    assert "✗" in numbers.insurer.verdict.text() and "正しくは 2" in numbers.insurer.verdict.text()
    panel.documents.rows[0].check.setChecked(True)
    assert not panel.documents.record_btn.isEnabled(), (
        panel.documents._numbers_wanted,
        numbers.ok(),
        numbers.insurer.text(),
        [r.ok() for r in panel.documents.rows],
    )
    numbers.insurer.setText("01130012")
    assert numbers.insurer.verdict.text().startswith("✓")
    assert panel.documents.record_btn.isEnabled()
    shot(w, "05_documents")
    qtbot.mouseClick(panel.documents.record_btn, Qt.MouseButton.LeftButton)
    done = wait_session(qtbot, w, visit, lambda s: s.recorded)
    assert done.can_query_numbers
    (row,) = rows_for(stack, visit)
    assert (row.path, row.failure_reason) == (VerificationPath.DOCUMENTS, FailureReason.PIN_LOCKED)
    assert row.documents[0].kind is DocumentKind.QUALIFICATION_CERTIFICATE
    assert row.documents[0].details["insurer_number"] == "01130012"
    assert rig.model.pin_presentations == 0 and rig.model.auth_pin_tries == 0


def test_welfare_patient_with_paper_medical_ticket(
    desk_window, simulator, card_rig_factory, qtbot
) -> None:
    rig = card_rig_factory("demo-26", insert=False)
    w, stack = desk_window(simulator=simulator, reader=rig.reader.name)
    visit = begin_visit(qtbot, w, P26, welfare=True).visit_id
    rig.insert()
    type_pin(qtbot, w, "1234")
    guide = wait_session(
        qtbot, w, visit, lambda s: s.reason is FailureReason.NOT_DESIGNATED_WELFARE
    )
    assert guide.result is not None and guide.result.record.is_welfare
    qtbot.waitUntil(lambda: "医療扶助" in w.result_panel.plain_text(), timeout=5000)
    shown = w.result_panel.plain_text()
    # the 医療扶助 numbers under their own names, never as 保険者番号
    assert "公費負担者番号\n12130019" in shown and "受給者番号\n2345676" in shown, shown
    assert "保険者番号" not in shown.replace("公費負担者番号", "")
    choose(qtbot, w, visit, VerificationPath.WELFARE_PAPER_TICKET)
    s = wait_session(qtbot, w, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    assert DocumentKind.MEDICAL_TICKET in s.documents_requested
    panel = w.session_panel
    qtbot.waitUntil(lambda: bool(panel.documents.rows), timeout=5000)
    ticket = next(r for r in panel.documents.rows if r.kind is DocumentKind.MEDICAL_TICKET)
    ticket.check.setChecked(True)
    ticket.payer.setText("12130018")  # wrong check digit: refused
    assert not panel.documents.record_btn.isEnabled() and "✗" in ticket.payer.verdict.text()
    ticket.payer.setText("12130019")
    ticket.recipient.setText("2345676")
    ticket.valid_until.setText("R8.12.31")
    assert "2026/12/31" in ticket.valid_until.verdict.text()
    assert panel.documents.record_btn.isEnabled()
    shot(w, "06_welfare_ticket")
    qtbot.mouseClick(panel.documents.record_btn, Qt.MouseButton.LeftButton)
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    (row,) = rows_for(stack, visit)
    assert (row.path, row.failure_reason) == (
        VerificationPath.WELFARE_PAPER_TICKET,
        FailureReason.NOT_DESIGNATED_WELFARE,
    )
    details = row.documents[0].details
    assert details["payer_number"] == "12130019" and details["valid_until"] == "2026-12-31"


def test_terminal_down_fallback_then_requery(
    desk_window, simulator, card_rig_factory, qtbot
) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    w, stack = desk_window(simulator=simulator, reader=rig.reader.name, answer_timeout_s=2.0)
    simulator.control(fault="silence")
    visit = begin_visit(qtbot, w, P03).visit_id
    rig.insert()
    type_pin(qtbot, w, "1234")
    wait_session(qtbot, w, visit, lambda s: s.reason is FailureReason.TERMINAL_DOWN, 30_000)
    qtbot.waitUntil(lambda: w.status.terminal.state is TerminalState.UNREACHABLE, timeout=10_000)
    assert "接続できません" in w.strip.terminal.text()
    shot(w, "07_terminal_down")
    choose(qtbot, w, visit, VerificationPath.SELF_DECLARATION)
    wait_session(qtbot, w, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    panel = w.session_panel
    qtbot.waitUntil(lambda: bool(panel.documents.rows), timeout=5000)
    assert panel.documents.declaration_btn.isVisible()
    for row in panel.documents.rows:
        row.check.setChecked(True)
    qtbot.mouseClick(panel.documents.record_btn, Qt.MouseButton.LeftButton)
    first = wait_session(qtbot, w, visit, lambda s: s.recorded)
    assert rows_for(stack, visit)[0].outcome is Outcome.PROVISIONAL

    simulator.control(fault="none")  # the terminal is back: confirm later (FAIL-04)
    qtbot.waitUntil(lambda: panel.record.requery_btn.isVisible(), timeout=5000)
    assert first.can_query_numbers
    qtbot.mouseClick(panel.record.requery_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(rows_for(stack, visit)) == 2, timeout=30_000)
    rows = rows_for(stack, visit)
    assert [(r.path, r.outcome) for r in rows] == [
        (VerificationPath.SELF_DECLARATION, Outcome.PROVISIONAL),
        (VerificationPath.NUMBER_QUERY, Outcome.CONFIRMED),
    ]
    qtbot.waitUntil(lambda: "番号による個別照会" in w.message.text(), timeout=10_000)


def test_the_reason_box_starts_from_the_visits_real_reason(
    desk_window, simulator, card_rig_factory, qtbot
) -> None:
    rig = card_rig_factory("demo-03", insert=False, pin=PIN)
    w, _stack = desk_window(simulator=simulator, reader=rig.reader.name)
    panel = w.session_panel
    card_visit = begin_visit(qtbot, w, P03).visit_id
    rig.insert()
    type_pin(qtbot, w, "0000")  # wrong: the card is on the reader, its PIN refused
    s = wait_session(qtbot, w, card_visit, lambda s: s.screen is Screen.PIN_WRONG)
    qtbot.waitUntil(lambda: panel.reason_combo.currentData() == FailureReason.PIN_UNKNOWN)
    assert panel.fail_btn.isEnabled()
    panel.reason_combo.setCurrentIndex(panel.reason_combo.findData(FailureReason.NO_CARD))

    other = begin_visit(qtbot, w, P26).visit_id  # a fresh visit: nothing carried over
    assert panel.session.visit_id == other
    assert panel.reason_combo.currentIndex() == -1 and not panel.fail_btn.isEnabled()

    w.select_visit(card_visit)  # back: its own reason again, not the last choice
    qtbot.waitUntil(lambda: panel.session is not None and panel.session.visit_id == card_visit)
    assert panel.reason_combo.currentData() == FailureReason.PIN_UNKNOWN
    qtbot.mouseClick(panel.fail_btn, Qt.MouseButton.LeftButton)  # 代替手段へ
    s = wait_session(qtbot, w, card_visit, lambda s: s.reason is not None)
    assert s.reason is FailureReason.PIN_UNKNOWN  # not 持参なし with the card in the reader
    assert label(FailureReason.PIN_UNKNOWN) in panel.reason.text()
    assert panel.reason_combo.currentData() == s.reason  # the box agrees with the banner
