"""The demo as a new user meets it, and a visit done with the keyboard alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

import main
from policies.dates import JST
from policies.model import DocumentKind, FailureReason, VerificationPath
from policies.reception import Failed, Screen
from tests.storage.test_witness import cut_tail_behind_witness
from tests.ui.conftest import login, shot
from tests.ui.steps import (
    P01,
    begin_visit,
    choose,
    cut_texts,
    rows_for,
    settle,
    type_pin,
    wait_session,
)
from ui.main_window import MainWindow


def test_demo_card_from_the_visible_control(app, qtbot, tmp_path: Path) -> None:
    stack = main.build_demo_stack(tmp_path / "demo", answer_timeout_s=10.0)
    try:
        w = MainWindow(stack)
        qtbot.addWidget(w)
        w.start()
        w.show()
        login(qtbot, w, "demo", "demo-1234")
        assert w.demo_box.isVisible() and w.strip.banner.isVisible()
        assert "デモ" in w.strip.mode.text()
        qtbot.waitUntil(lambda: w.demo_box.cards.count() > 3, timeout=10_000)
        visit = begin_visit(qtbot, w, P01).visit_id
        w.demo_box.cards.setCurrentIndex(w.demo_box.cards.findData("demo-01"))
        qtbot.mouseClick(w.demo_box.insert_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "demo-01" in w.demo_box.state.text(), timeout=15_000)
        type_pin(qtbot, w, "1234")
        wait_session(qtbot, w, visit, lambda s: s.recorded)
        # the name alone is already there (the patient on file); the result is laid out in the
        # loop turn after the record, with its status line
        qtbot.waitUntil(lambda: "【模擬】" in w.result_panel.status.text(), timeout=10_000)
        assert "架空 太郎" in w.result_panel.plain_text()
        shot(w, "00_demo_result")
        (row,) = rows_for(stack, visit)
        assert row.path is VerificationPath.MYNA_GENERAL_READER_PIN and row.simulated
        w.close()
    finally:
        stack.close()


def _activate(qtbot, widget) -> None:
    """Offscreen windows only get the keyboard when activated explicitly."""
    widget.activateWindow()
    if QApplication.activeWindow() is not widget:
        QApplication.setActiveWindow(widget)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=5000)


def test_keyboard_only_visit(desk_window, qtbot) -> None:
    """No card with them: fall back, 資格確認書, record — keys only."""
    w, stack = desk_window(simulator=None, reader=None)
    _activate(qtbot, w)
    qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.new_visit_dialog is not None, timeout=5000)
    d = w.new_visit_dialog
    _activate(qtbot, d)
    qtbot.keyClick(d, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)  # 新しい患者 tab
    assert d.tabs.currentIndex() == 1
    d.chart.setFocus()
    qtbot.keyClicks(d.chart, "K-0001")
    qtbot.keyClick(d.chart, Qt.Key.Key_Tab)
    QApplication.focusWidget().insert("架空 太郎")  # typed through the input method
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    QApplication.focusWidget().insert("カクウ タロウ")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "S55.4.1")
    assert d.birth.value() is not None
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # default: 受付開始
    qtbot.waitUntil(lambda: bool(w.sessions), timeout=15_000)
    (visit,) = w.sessions
    _activate(qtbot, w)
    panel = w.session_panel
    qtbot.waitUntil(lambda: panel.session is not None, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)  # 理由
    assert panel.reason_combo.hasFocus()
    assert panel.reason_combo.currentIndex() == -1  # nothing failed yet: no reason pretended
    assert not panel.fail_btn.isEnabled()
    qtbot.keyClick(panel.reason_combo, Qt.Key.Key_Down)  # the first: 持参なし
    assert panel.reason_combo.currentData() == FailureReason.NO_CARD
    qtbot.keyClick(w, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # 代替手段へ
    s = wait_session(qtbot, w, visit, lambda s: s.reason is FailureReason.NO_CARD)
    assert s.screen is Screen.CHOOSE_ROUTE
    qtbot.waitUntil(lambda: panel.route.options.count() > 0, timeout=5000)
    panel.route.options.setFocus()
    want = next(
        i for i, o in enumerate(s.options) if o.documents and o.path is VerificationPath.DOCUMENTS
    )
    for _ in range(want - panel.route.options.currentRow()):
        qtbot.keyClick(panel.route.options, Qt.Key.Key_Down)
    qtbot.keyClick(panel.route.options, Qt.Key.Key_Return)  # activates: この方法で進める
    wait_session(qtbot, w, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    qtbot.waitUntil(lambda: bool(panel.documents.rows), timeout=5000)
    for row in panel.documents.rows:
        row.check.setFocus()
        qtbot.keyClick(row.check, Qt.Key.Key_Space)
    qtbot.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # 記録する
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    (row,) = rows_for(stack, visit)
    assert row.failure_reason is FailureReason.NO_CARD and row.path is VerificationPath.DOCUMENTS


def test_no_keyboard_traps(desk_window, qtbot) -> None:
    """Enter right after typing a search, Tab out of 有効期限, the new-patient form's hint."""
    w, _stack = desk_window(simulator=None, reader=None)
    _activate(qtbot, w)
    first = begin_visit(qtbot, w, P01).visit_id

    # the 250 ms search delay does not swallow Enter: it searches now and begins the visit
    w.new_visit_dialog = None
    w.act_new.trigger()
    qtbot.waitUntil(lambda: w.new_visit_dialog is not None, timeout=5000)
    d = w.new_visit_dialog
    _activate(qtbot, d)
    assert d.search.hasFocus()
    qtbot.keyClicks(d.search, P01.chart)
    qtbot.keyClick(d.search, Qt.Key.Key_Return)  # at once, well within 250 ms
    qtbot.waitUntil(lambda: len(w.sessions) == 2, timeout=15_000)
    (second,) = set(w.sessions) - {first}
    assert w.sessions[second].patient.chart_number == P01.chart

    # Tab from a document's 有効期限 goes on to the insurer digits, not to the toolbar
    _activate(qtbot, w)
    w.select_visit(first)
    w.desk.dispatch(Failed(FailureReason.NO_CARD), visit_id=first)
    wait_session(qtbot, w, first, lambda s: s.reason is FailureReason.NO_CARD)
    choose(qtbot, w, first, VerificationPath.DOCUMENTS, (DocumentKind.QUALIFICATION_CERTIFICATE,))
    wait_session(qtbot, w, first, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    form = w.session_panel.documents
    qtbot.waitUntil(lambda: bool(form.rows) and form.numbers_box.isVisible(), timeout=5000)
    (row,) = form.rows
    row.valid_until.edit.setFocus()
    qtbot.keyClicks(row.valid_until.edit, "R9.3.31")
    qtbot.keyClick(row.valid_until.edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.numbers.insurer.edit

    # the new-patient form says what 受付開始 still waits for, required fields marked
    w.new_visit_dialog = None
    w.act_new.trigger()
    qtbot.waitUntil(lambda: w.new_visit_dialog is not None, timeout=5000)
    d = w.new_visit_dialog
    d.tabs.setCurrentIndex(1)
    d.name.insert(P01.name)
    assert not d.ok.isEnabled()
    assert d.missing.isVisible()
    assert d.missing.text().endswith("：カルテ番号、カナ氏名、生年月日")  # 氏名 is given
    form_labels = [lbl.text() for lbl in d.findChildren(QLabel) if "カルテ番号(&C)" in lbl.text()]
    assert form_labels and all(t.endswith("＊") for t in form_labels)
    d.reject()


def test_face_result_line_is_whole_and_in_japan_time(app, qtbot, tmp_path: Path) -> None:
    stack = main.build_demo_stack(tmp_path / "demo", answer_timeout_s=10.0)
    try:
        w = MainWindow(stack)
        qtbot.addWidget(w)
        w.start()
        w.show()
        login(qtbot, w, "demo", "demo-1234")
        w.resize(1366, 768)
        # demo-01's patient is on file (D-0001, seeded): the result comes with one candidate
        qtbot.waitUntil(lambda: w.demo_box.cards.count() > 3, timeout=10_000)
        w.demo_box.cards.setCurrentIndex(w.demo_box.cards.findData("demo-01"))
        w.demo_box.face_reader()  # the patient at the (simulated) face reader, nobody waiting
        box = w.face_box
        qtbot.waitUntil(lambda: box.list.count() == 1 and box.isVisible(), timeout=20_000)
        settle(qtbot, 0.2)
        item = box.list.item(0)
        now = datetime.now(JST)
        assert any((now - timedelta(minutes=m)).strftime("%H:%M") in item.text() for m in (0, 1))
        shown = box.list.visualItemRect(item)
        needed = box.list.fontMetrics().boundingRect(
            shown.adjusted(0, 0, -8, 0), Qt.TextFlag.TextWordWrap, item.text()
        )
        assert "候補 1 人" in item.text()
        assert needed.height() <= shown.height(), (item.text(), needed, shown)  # no 「候補…」
        assert cut_texts(w) == []  # the デモ操作 heading included
        w.close()
    finally:
        stack.close()


def test_a_demo_database_rolled_back_behind_this_pc_is_said_so(app, qtbot, tmp_path: Path) -> None:
    """The DEMO stack checks this PC's witness as production does: a note at start, and the
    strip shows 記録停止中 with the red banner, never データベース：正常."""
    stack = main.build_demo_stack(tmp_path / "demo")
    end = cut_tail_behind_witness(stack.store)
    stack.close()
    stack = main.build_demo_stack(tmp_path / "demo")
    try:
        assert any(
            "AUDIT CHAIN NOT AS THIS PC SAW IT" in n and f"ends at event {end}" in n
            for n in stack.notes
        ), stack.notes
        w = MainWindow(stack)
        qtbot.addWidget(w)
        w.start()
        w.show()
        qtbot.waitUntil(w.strip.rolled_back.isVisible, timeout=15_000)
        assert "記録停止中" in w.strip.database.text() and "正常" not in w.strip.database.text()
        w.close()
    finally:
        stack.close()
