"""Decisions the runtime holds for staff, taken in the real window (issue 14 §1, §8, §9).

A verified identity that differs from the chart, a re-query answer that contradicts the record,
a second visit of the same patient today, a face-reader wait that times out, a result that could
not be handed to the receipt computer: each is shown in the window in words, and each decision
is made with the window's own buttons — with pcscd-free parts: the simulator subprocess (its
face reader stands in for the patient) and SQLite.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from policies.model import DocumentKind, FailureReason, Outcome, VerificationPath
from policies.reception import Failed, Screen
from reader.terminal.config import HandOffConfig
from tests.ui.conftest import shot
from tests.ui.steps import P01, Person, begin_visit, choose, rows_for, wait_session
from ui.main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton
DONE_TITLE = "資格確認が終わりました"
#: P01 with numbers no person of the simulator holds: a re-query answers 資格情報なし.
UNKNOWN = dataclasses.replace(P01, insurer="138057", symbol="99", number="9999999")


def _click(qtbot: Any, button: Any) -> None:
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=10_000)
    qtbot.mouseClick(button, LEFT)


def test_a_kana_typed_wrongly_is_corrected_with_update_chart(desk_window, simulator, qtbot) -> None:
    w, stack = desk_window(simulator=simulator, reader=None)
    typo = dataclasses.replace(P01, kana="カクウ タロ")
    visit = begin_visit(qtbot, w, typo).visit_id
    w.desk.demo_face_reader("demo-01")  # the patient at the (simulated) face reader
    held = wait_session(qtbot, w, visit, lambda s: s.identity_decision)
    section = w.session_panel.identity
    qtbot.waitUntil(section.isVisible, timeout=5000)
    # the card's kana as the terminal sends it (half-width), against the chart's
    assert section.differences.text() == "カナ氏名：カルテ「カクウ タロ」／確認結果「ｶｸｳ ﾀﾛｳ」"
    assert DONE_TITLE not in w.session_panel.title.text()
    assert "記録の前に選んでください" in w.session_panel.title.text()
    assert rows_for(stack, visit) == []  # nothing recorded before staff decide
    assert w.visits.model.rows[0].status == "本人確認待ち"  # not 完了
    assert not w.session_panel.record.close_btn.isVisible()
    shot(w, "18_identity_hold")

    _click(qtbot, section.update_btn)
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    (row,) = rows_for(stack, visit)
    assert (row.path, row.outcome) == (VerificationPath.MYNA_FACE_READER, Outcome.CONFIRMED)
    assert stack.store.patient(held.patient.id).kana == "カクウ タロウ"  # the chart, updated
    qtbot.waitUntil(lambda: not section.isVisible(), timeout=5000)
    assert w.session_panel.title.text() == DONE_TITLE


def test_another_persons_card_is_cancelled_as_another_person(desk_window, simulator, qtbot) -> None:
    w, stack = desk_window(simulator=simulator, reader=None)
    other = dataclasses.replace(P01, name="架空 次郎")  # the card says 架空 太郎
    visit = begin_visit(qtbot, w, other).visit_id
    w.desk.demo_face_reader("demo-01")
    held = wait_session(qtbot, w, visit, lambda s: s.identity_decision)
    section = w.session_panel.identity
    qtbot.waitUntil(section.isVisible, timeout=5000)
    assert "氏名：カルテ「架空 次郎」／確認結果「架空 太郎」" in section.differences.text()
    _click(qtbot, section.other_btn)
    done = wait_session(qtbot, w, visit, lambda s: s.recorded)
    assert done.screen is Screen.ABANDONED
    (row,) = rows_for(stack, visit)
    assert (row.outcome, row.failure_reason) == (Outcome.ABANDONED, FailureReason.IDENTITY_MISMATCH)
    assert stack.store.patient(held.patient.id).name == "架空 次郎"  # the chart left alone


def _certificate_visit(qtbot: Any, w: MainWindow, p: Person) -> int:
    """A visit recorded with a valid 資格確認書 (expiry 2027-03-31) and its numbers, no card."""
    visit = begin_visit(qtbot, w, p).visit_id
    w.desk.dispatch(Failed(FailureReason.NO_CARD), visit_id=visit)
    wait_session(qtbot, w, visit, lambda s: s.reason is FailureReason.NO_CARD)
    choose(qtbot, w, visit, VerificationPath.DOCUMENTS, (DocumentKind.QUALIFICATION_CERTIFICATE,))
    wait_session(qtbot, w, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    documents = w.session_panel.documents
    qtbot.waitUntil(lambda: bool(documents.rows), timeout=5000)
    (row,) = (r for r in documents.rows if r.kind is DocumentKind.QUALIFICATION_CERTIFICATE)
    row.check.setChecked(True)
    row.valid_until.setText("2027-03-31")
    _click(qtbot, documents.record_btn)
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    return visit


def test_a_contradicting_re_query_shows_both_and_staff_decide(
    desk_window, simulator, qtbot
) -> None:
    """Issue 14 §1: a valid 資格確認書 became 確認できず after a re-query, unasked."""
    w, stack = desk_window(simulator=simulator, reader=None)
    visit = _certificate_visit(qtbot, w, UNKNOWN)
    panel = w.session_panel
    box = panel.follow_up
    _click(qtbot, panel.record.requery_btn)  # 番号で再照会する
    qtbot.waitUntil(box.isVisible, timeout=20_000)
    assert DONE_TITLE not in panel.title.text()
    assert "架空 太郎 さんの再照会の結果が記録と違います" in w.message.text()
    assert "資格確認書" in box.recorded.text() and "資格確認済み" in box.recorded.text()
    assert "資格情報なし" in box.answer.text() and "【模擬】" in box.answer.text()
    assert "規則上有効" in box.verdict.text() and "DOC-03" in box.verdict.text()
    assert box.keep_btn.text().startswith("【推奨】")
    assert not box.take_btn.text().startswith("【推奨】")
    assert len(rows_for(stack, visit)) == 1  # nothing recorded before staff decide
    shot(w, "19_follow_up_conflict")

    _click(qtbot, box.keep_btn)
    qtbot.waitUntil(lambda: len(rows_for(stack, visit)) == 2, timeout=15_000)
    assert [(r.path, r.outcome) for r in rows_for(stack, visit)] == [
        (VerificationPath.DOCUMENTS, Outcome.CONFIRMED)
    ] * 2
    assert not box.isVisible() and panel.title.text() == DONE_TITLE

    # the visit closed, on file only: Ctrl+R asks again; this time the answer is taken
    _click(qtbot, panel.record.close_btn)
    qtbot.waitUntil(lambda: visit not in w.sessions, timeout=10_000)
    w.requery_selected()
    qtbot.waitUntil(box.isVisible, timeout=20_000)
    _click(qtbot, box.take_btn)
    qtbot.waitUntil(lambda: len(rows_for(stack, visit)) == 3, timeout=15_000)
    last = rows_for(stack, visit)[-1]
    assert (last.path, last.outcome) == (VerificationPath.NUMBER_QUERY, Outcome.NOT_CONFIRMED)
    assert not box.isVisible()


def _begin_again(qtbot: Any, w: MainWindow, chart: str) -> int:
    """Ctrl+N, the patient found on file by chart number, 受付開始."""
    before = set(w.sessions)
    w.new_visit_dialog = None
    w.act_new.trigger()
    qtbot.waitUntil(lambda: w.new_visit_dialog is not None, timeout=5000)
    d = w.new_visit_dialog
    d.tabs.setCurrentIndex(0)
    qtbot.keyClicks(d.search, chart)
    qtbot.waitUntil(lambda: d.results.count() > 0, timeout=10_000)
    d.results.setCurrentRow(0)
    _click(qtbot, d.ok)
    qtbot.waitUntil(lambda: bool(set(w.sessions) - before), timeout=15_000)
    (visit,) = set(w.sessions) - before
    return visit


def test_a_second_visit_today_is_named_a_possible_double_check_in(desk_window, qtbot) -> None:
    w, _stack = desk_window(simulator=None, reader=None)
    first = begin_visit(qtbot, w, P01).visit_id
    qtbot.waitUntil(lambda: w.visits.model.row_of(first) is not None, timeout=5000)
    opened = w.visits.model.rows[w.visits.model.row_of(first)].time
    second = _begin_again(qtbot, w, P01.chart)
    qtbot.waitUntil(lambda: w.current_visit() == second, timeout=10_000)
    notice = w.session_panel.notice
    qtbot.waitUntil(notice.isVisible, timeout=10_000)
    from policies.dates import JST

    at = opened.astimezone(JST).strftime("%H:%M")
    assert f"（{at}）" in notice.text() and "二重受付" in notice.text(), notice.text()
    assert "架空 太郎" in notice.text()
    shot(w, "20_same_day_visit")
    w.select_visit(first)  # the warning belongs to the second visit only
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=5000)


def test_a_face_wait_times_out_and_a_waiting_result_is_attached(
    desk_window, simulator, qtbot
) -> None:
    """Issue 14 §8: no timeout on the face wait, and no way to give it the result that came."""
    w, stack = desk_window(simulator=simulator, reader=None, face_wait_s=0.5)
    w.desk.demo_face_reader("demo-03")  # another patient's result, unclaimed
    qtbot.waitUntil(lambda: w.face_box.list.count() == 1, timeout=20_000)
    w.desk.demo_face_reader("demo-01")  # the patient used the face reader before the visit
    qtbot.waitUntil(lambda: w.face_box.list.count() == 2, timeout=20_000)
    visit = begin_visit(qtbot, w, P01).visit_id
    w.desk.dispatch(Failed(FailureReason.PIN_UNKNOWN), visit_id=visit)
    wait_session(qtbot, w, visit, lambda s: s.reason is FailureReason.PIN_UNKNOWN)
    choose(qtbot, w, visit, VerificationPath.MYNA_FACE_READER_VISUAL)
    wait_session(qtbot, w, visit, lambda s: s.last_error and "face reader" in s.last_error)
    qtbot.waitUntil(lambda: "顔認証付きカードリーダーの結果が届きません" in w.message.text())
    assert "顔認証付きカードリーダーの結果が届きません" in w.session_panel.problem.text()
    box = w.face_box
    assert box.attach_to_btn.isVisible() and "架空 太郎" in box.attach_to_btn.text()
    shot(w, "21_face_wait_timeout")
    assert rows_for(stack, visit) == []

    def pick(name: str) -> None:
        (row,) = [i for i in range(box.list.count()) if name in box.list.item(i).text()]
        box.list.setCurrentRow(row)

    pick("見本 一郎")  # the wrong one: the runtime refuses it, and it waits in the list again
    _click(qtbot, box.attach_to_btn)
    qtbot.waitUntil(lambda: "別の人のもの" in w.message.text(), timeout=10_000)
    qtbot.waitUntil(lambda: box.list.count() == 2, timeout=5000)
    assert rows_for(stack, visit) == []

    pick("架空 太郎")
    _click(qtbot, box.attach_to_btn)
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    (row,) = rows_for(stack, visit)
    assert (row.path, row.outcome) == (VerificationPath.MYNA_FACE_READER_VISUAL, Outcome.CONFIRMED)
    assert box.list.count() == 1 and "見本 一郎" in box.list.item(0).text()


def test_a_failed_hand_off_is_said_in_words(desk_window, simulator, qtbot, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the レセコン folder should be", "utf-8")
    w, stack = desk_window(simulator=simulator, reader=None, handoff=HandOffConfig(blocked))
    visit = begin_visit(qtbot, w, P01).visit_id
    w.desk.demo_face_reader("demo-01")
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    problem = w.session_panel.problem  # stays with the visit; the message bar moves on
    qtbot.waitUntil(lambda: "レセコンのフォルダー" in problem.text(), timeout=10_000)
    assert "記録は保存済みです" in problem.text() and problem.isVisible()
    assert "receipt computer" in w.message.toolTip()  # the runtime's detail, for support
    (row,) = rows_for(stack, visit)
    assert row.outcome is Outcome.CONFIRMED  # the record stands
