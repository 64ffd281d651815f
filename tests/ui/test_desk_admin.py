"""Login, first run, must-change password, idle lock, settings permission, English, printing."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pypdf
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget
from reportlab.pdfgen import canvas

import main
from policies.model import FailureReason
from policies.reception import Failed
from reader.reception import VisitRequest
from storage import settings_keys
from storage.models import StaffRole
from tests.reader.reception.flows import P03
from tests.storage.test_witness import cut_tail_behind_witness
from tests.ui.conftest import ADMIN, login, shot
from tests.ui.steps import (
    P01,
    P26,
    begin_visit,
    cut_texts,
    declaration_visit,
    print_through_the_dialog,
    settle,
    wait_session,
)
from ui import i18n, printing
from ui.app import Shell
from ui.i18n import apply_language
from ui.main_window import PAGE_DESK, PAGE_FIRST, PAGE_LOGIN, PAGE_PASSWORD, MainWindow
from ui.printouts import documents


def test_first_run_creates_the_admin_and_logs_in(desk_window, qtbot) -> None:
    w, _stack = desk_window(simulator=None, reader=None, admin=False, log_in=False)
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_FIRST, timeout=10_000)
    page = w.first_page
    qtbot.keyClicks(page.user, "boss")
    page.display.setText("院長")
    qtbot.keyClicks(page.password, "first-pass-1")
    qtbot.keyClicks(page.again, "first-pass-2")
    qtbot.keyClick(page.again, Qt.Key.Key_Return)
    assert "一致しません" in page.message.text()
    shot(w, "08_first_run")
    page.password.setText("first-pass-1")
    page.again.setText("first-pass-1")
    qtbot.keyClick(page.again, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_DESK, timeout=20_000)
    assert w.status.staff.is_admin and "院長" in w.strip.staff.text()
    assert w.act_settings.isVisible() and w.act_settings.isEnabled()


def test_wrong_password_then_must_change_and_no_settings_for_staff(desk_window, qtbot) -> None:
    w, stack = desk_window(simulator=None, reader=None, log_in=False)
    admin = next(s for s in stack.store.list_staff() if s.username == ADMIN[0])
    stack.store.create_staff(admin, "uketsuke", "受付 花子", StaffRole.RECEPTION, "init-pass-1")
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_LOGIN, timeout=10_000)
    qtbot.keyClicks(w.login_page.user, "uketsuke")
    qtbot.keyClicks(w.login_page.password, "wrong-pass-9")
    qtbot.keyClick(w.login_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "違います" in w.login_page.message.text(), timeout=15_000)
    assert w.login_page.password.text() == ""  # never kept
    shot(w, "09_login_failed")
    qtbot.keyClicks(w.login_page.password, "init-pass-1")
    qtbot.keyClick(w.login_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_PASSWORD, timeout=15_000)
    page = w.password_page
    page.current.setText("init-pass-1")
    page.new.setText("own-pass-22")
    page.again.setText("own-pass-22")
    qtbot.keyClick(page.again, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_DESK, timeout=20_000)
    assert not w.status.staff.is_admin
    assert not w.act_settings.isVisible() and not w.act_settings.isEnabled()
    w.open_settings()  # even when called directly: refused, nothing opened
    assert "管理者だけ" in w.message.text() and w.settings.dialog is None


def test_the_login_page_says_a_wait_and_a_lock_not_a_database_error(desk_window, qtbot) -> None:
    w, stack = desk_window(simulator=None, reader=None, log_in=False)
    admin = next(s for s in stack.store.list_staff() if s.username == ADMIN[0])
    stack.store.create_staff(admin, "uketsuke", "受付 花子", StaffRole.RECEPTION, "init-pass-1")
    stack.store.set_setting(admin, settings_keys.LOGIN_LOCK_AFTER, "3")
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_LOGIN, timeout=10_000)
    page = w.login_page

    def attempt(user: str, password: str, words: str) -> None:
        page.user.setText(user)
        qtbot.keyClicks(page.password, password)
        qtbot.keyClick(page.password, Qt.Key.Key_Return)
        assert page.message.text() == "確認しています…"  # the answer below is this try's
        qtbot.waitUntil(
            lambda: words in page.message.text() and page.button.isEnabled(), timeout=15_000
        )
        assert "データベース" not in page.message.text() + w.message.text()
        assert w.pages.currentIndex() == PAGE_LOGIN and w.status.database.ok

    for _ in range(3):  # the third locks the account
        attempt("uketsuke", "wrong-pass-9", "ユーザー名またはパスワードが違います。")
    attempt(ADMIN[0], ADMIN[2], "ログインが一時的に制限されています。あと1秒お待ちください。")
    shot(w, "09b_login_wait")
    attempt(
        "uketsuke",
        "init-pass-1",
        "このアカウントはロックされています。管理者に解除を依頼してください。",
    )


def test_a_refused_password_change_says_why_in_words(desk_window, qtbot) -> None:
    w, stack = desk_window(simulator=None, reader=None, log_in=False)
    admin = next(s for s in stack.store.list_staff() if s.username == ADMIN[0])
    stack.store.create_staff(admin, "uketsuke", "受付 花子", StaffRole.RECEPTION, "init-pass-1")
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_LOGIN, timeout=10_000)
    w.login_page.user.setText("uketsuke")
    qtbot.keyClicks(w.login_page.password, "init-pass-1")
    qtbot.keyClick(w.login_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_PASSWORD, timeout=15_000)
    page = w.password_page
    for current, new, words in (
        ("init-pass-1", "password1", "よく使われるパスワードのため使えません。"),
        ("init-pass-1", "ab-1", "パスワードが短すぎます。8文字以上にしてください。"),
        ("init-pass-1", "abcdefghij", "英字・数字・記号のうち2種類以上を含めてください。"),
        ("not-it-at-all-7", "own-pass-22", "変更できません：現在のパスワードが違います。"),
    ):
        page.current.setText(current)
        page.new.setText(new)
        page.again.setText(new)
        qtbot.keyClick(page.again, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda words=words: words in page.message.text(), timeout=15_000)
        assert "password" not in page.message.text()  # the reason in words, not the log's
    assert w.pages.currentIndex() == PAGE_PASSWORD


def test_idle_lock_keeps_the_visit_and_unlocks_with_the_password(desk_window, qtbot) -> None:
    w, _stack = desk_window(simulator=None, reader=None)
    visit = begin_visit(qtbot, w, P01).visit_id
    w.idle.set_interval_ms(400)
    qtbot.waitUntil(w.is_locked, timeout=5000)
    assert w.pages.currentIndex() == PAGE_LOGIN and not w.login_page.user.isEnabled()
    qtbot.waitUntil(lambda: w.status.staff is None, timeout=5000)
    assert w.strip.staff.text() == f"担当：{ADMIN[1]}（ロック中）"  # held, not 未ログイン
    w.resize(1366, 768)
    qtbot.keyClicks(w.login_page.password, "wrong-password")
    qtbot.keyClick(w.login_page.password, Qt.Key.Key_Return)
    page = w.login_page
    qtbot.waitUntil(lambda: page.button.isEnabled() and page.message.isVisible(), timeout=15_000)
    settle(qtbot, 0.2)
    assert cut_texts(page) == []  # the instruction and the refusal, every line
    shot(w, "10_locked")
    w.login_page.password.clear()
    qtbot.keyClicks(w.login_page.password, ADMIN[2])
    qtbot.keyClick(w.login_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_DESK, timeout=15_000)
    assert not w.is_locked()
    assert w.strip.staff.text().startswith(f"担当：{ADMIN[1]}（管理者）")
    s = wait_session(qtbot, w, visit, lambda s: not s.final)  # the visit is still open
    assert w.visits.model.row_of(s.visit_id) is not None


def _windows_on_screen(w: MainWindow) -> list[QWidget]:
    return [x for x in QApplication.topLevelWidgets() if x is not w and x.isVisible()]


def test_the_lock_hides_every_window_with_patient_data(desk_window, qtbot) -> None:
    w, _stack = desk_window(simulator=None, reader=None)
    w.act_new.trigger()
    qtbot.waitUntil(lambda: w.new_visit_dialog is not None, timeout=5000)
    d = w.new_visit_dialog
    qtbot.waitUntil(d.isVisible, timeout=5000)
    d.tabs.setCurrentIndex(1)
    d.name.insert("架空 太郎")
    w.idle.set_interval_ms(300)
    qtbot.waitUntil(w.is_locked, timeout=5000)
    settle(qtbot, 0.1)
    assert _windows_on_screen(w) == []  # the dialog with a name is not over the lock page
    w.about()  # a window opened while locked (as a print job's dialog may) stays hidden
    settle(qtbot, 0.2)
    assert _windows_on_screen(w) == []
    qtbot.keyClicks(w.login_page.password, ADMIN[2])
    qtbot.keyClick(w.login_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_DESK, timeout=15_000)
    qtbot.waitUntil(d.isVisible, timeout=5000)  # the same clerk: back as it was
    assert d.name.text() == "架空 太郎"

    w.logout()  # another clerk logs in next: nothing of this one stays or comes back
    qtbot.waitUntil(lambda: w.pages.currentIndex() == PAGE_LOGIN, timeout=5000)
    assert _windows_on_screen(w) == []
    login(qtbot, w)
    settle(qtbot, 0.2)
    assert _windows_on_screen(w) == []


def test_settings_saved_by_admin_change_font_and_idle(desk_window, qtbot, app) -> None:
    w, stack = desk_window(simulator=None, reader=None)
    w.act_settings.trigger()
    qtbot.waitUntil(lambda: w.settings.dialog is not None, timeout=10_000)
    d = w.settings.dialog
    d.font_pt.setValue(15)
    d.idle.setValue(7)
    qtbot.mouseClick(d.save_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "保存しました" in w.message.text(), timeout=15_000)
    assert app.font().pointSize() == 15
    assert stack.idle_lock_minutes() == 7 and stack.store.setting("ui_font_pt") == "15"
    assert w.idle.timer.interval() == 7 * 60_000
    i18n.apply_font(app, 12)


def test_admin_edits_this_pcs_connections_with_a_restart_notice(
    desk_window, qtbot, tmp_path: Path
) -> None:
    w, stack = desk_window(simulator=None, reader=None)
    w.act_settings.trigger()
    qtbot.waitUntil(lambda: w.settings.dialog is not None, timeout=10_000)
    d = w.settings.dialog
    assert d.pc_limited.isChecked() and not d.pc_code.isEnabled()  # no terminal folder yet
    d.pc_limited.setChecked(False)
    folder = tmp_path / "OQS"
    folder.mkdir()
    d.pc_root.setText(str(folder))
    d.pc_code.setText("13123")  # too short: said at once, and Save refuses
    assert "10桁" in d.pc_notice.text() and d.pc_notice.property("level") == "error"
    qtbot.mouseClick(d.save_btn, Qt.MouseButton.LeftButton)
    assert d.isVisible() and "10桁" in d.problem.text()
    d.pc_code.setText("1312345678")
    d.pc_encoding.setCurrentIndex(d.pc_encoding.findData("shift_jis"))
    assert "再起動" in d.pc_notice.text() and d.pc_notice.property("level") == "warn"
    shot(d, "11_settings")
    qtbot.mouseClick(d.save_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "再起動" in w.message.text(), timeout=15_000)
    saved = main.load_config(stack.config.source)
    assert saved.terminal is not None and saved.terminal.root == folder
    assert saved.terminal.medical_institution_code == "1312345678"
    assert saved.terminal.request_encoding == "shift_jis"
    assert saved.database == stack.pc_settings().database  # the database line kept


def test_qm_is_compiled_from_the_current_ts(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.qm"
    i18n.compile_qm(fresh)
    assert fresh.read_bytes() == i18n.QM.read_bytes(), "run: python -m ui.i18n"


def test_every_ui_string_has_a_finished_english_translation() -> None:
    """100% of the .ts entries (UI strings and enum labels) are translated and finished, and
    no UI string hides from lupdate (it reads only literal tr()/translate() calls)."""
    for source in sorted((i18n.ROOT / "ui").glob("*.py")):
        code = source.read_text("utf-8")
        assert not re.search(r"=\s*QCoreApplication\.translate\s*$", code, re.M), source
        assert not re.search(r"\{[^}\n]*self\.tr\(", code), f"tr() inside an f-string: {source}"
    root = ElementTree.parse(i18n.TS).getroot()
    messages = list(root.iter("message"))
    assert len(messages) > 500
    open_ = [
        m.findtext("source")
        for m in messages
        if (t := m.find("translation")) is None
        or t.get("type") in ("unfinished", "vanished", "obsolete")
        or not (t.text or "").strip()
    ]
    assert open_ == [], f"{len(open_)} of {len(messages)} not translated: {open_[:10]}"
    # the translations keep the placeholders and one accelerator where the source has them
    for m in messages:
        source, text = m.findtext("source") or "", m.findtext("translation") or ""
        for name in re.findall(r"\{\w*\}", source):
            assert name in text, (source, text)
        assert ("&" in source.replace("&&", "")) <= ("&" in text.replace("&&", "")), source


def test_english_switch_changes_visible_labels(desk_window, qtbot, app) -> None:
    w, stack = desk_window(simulator=None, reader=None)
    assert w.act_new.text().startswith("新しい受付")
    stack.store.set_setting(stack.actor(), settings_keys.UI_LANGUAGE, "en")
    try:
        assert apply_language(app, "en")
        english = MainWindow(w.stack)  # what the shell does when the language setting changes
        qtbot.addWidget(english)
        english.start()
        english.show()
        # the desk replays its status: the staff member is still logged in
        qtbot.waitUntil(lambda: english.pages.currentIndex() == PAGE_DESK, timeout=15_000)
        assert english.act_new.text().startswith("New visit")
        qtbot.waitUntil(lambda: english.strip.staff.text().startswith("Staff:"), timeout=10_000)
        assert english.visits.model.headerData(0, Qt.Orientation.Horizontal) == "Time"
        english.about()
        qtbot.waitUntil(lambda: english.about_box.isVisible(), timeout=5000)
        assert "stays in Japanese" in english.about_box.informativeText()
        english.about_box.close()
        visit = begin_visit(qtbot, english, P01).visit_id
        english.desk.dispatch(Failed(FailureReason.NO_CARD), visit_id=visit)
        wait_session(qtbot, english, visit, lambda s: s.reason is FailureReason.NO_CARD)
        qtbot.waitUntil(lambda: english.session_panel.route.options.count() > 0, timeout=5000)
        assert english.session_panel.route.choose_btn.text().startswith("&Go") or (
            "Go" in english.session_panel.route.choose_btn.text()
        )
        settle(qtbot, 0.2)
        assert cut_texts(english.visits) == []  # the chart number of a live row too
        shot(english, "12_english")
        english.close()
    finally:
        apply_language(app, "ja")
        stack.store.set_setting(stack.actor(), settings_keys.UI_LANGUAGE, "ja")
    assert w.tr("新しい受付") == "新しい受付"  # back to Japanese


def test_language_setting_rebuilds_the_window_keeping_the_clerk_and_the_visit(
    desk_window, qtbot, app
) -> None:
    """The shell's window emits language_changed when the admin saves English; the shell builds
    a window in English on the same desk: still logged in, the visit in progress still open."""
    _w, stack = desk_window(simulator=None, reader=None)
    shell = Shell(stack)
    first = shell.window
    try:
        qtbot.waitUntil(lambda: first.pages.currentIndex() == PAGE_DESK, timeout=15_000)
        visit = begin_visit(qtbot, first, P01).visit_id
        first.open_settings()
        qtbot.waitUntil(lambda: first.settings.dialog is not None, timeout=10_000)
        d = first.settings.dialog
        d.language.setCurrentIndex(d.language.findData("en"))
        qtbot.mouseClick(d.save_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: shell.window is not first, timeout=15_000)
        english = shell.window
        qtbot.waitUntil(lambda: english.pages.currentIndex() == PAGE_DESK, timeout=15_000)
        assert english.act_new.text().startswith("New visit")
        assert english.status.staff.username == ADMIN[0]  # nobody logged out
        qtbot.waitUntil(lambda: visit in english.sessions, timeout=10_000)
        assert not english.sessions[visit].final  # the visit in progress is still open
    finally:
        apply_language(app, "ja")
        stack.store.set_setting(stack.actor(), settings_keys.UI_LANGUAGE, "ja")
        shell.window.close()


def _sample_pdf(path: Path, pages: int) -> Path:
    c = canvas.Canvas(str(path))
    for n in range(pages):
        c.drawString(72, 720, f"page {n + 1}")
        c.showPage()
    c.save()
    return path


def test_pdf_pages_go_onto_the_qt_printer(tmp_path: Path, app) -> None:
    src = _sample_pdf(tmp_path / "in.pdf", 3)
    pages = printing.rasterise(src, dpi=100)
    assert len(pages) == 3 and pages[0].image.width() > 500
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "out.pdf"))
    assert printing.paint(pages, printer) == 3
    assert len(pypdf.PdfReader(tmp_path / "out.pdf").pages) == 3


def test_daily_log_prints_from_the_window(desk_window, qtbot, tmp_path: Path) -> None:
    w, _stack = desk_window(simulator=None, reader=None)
    # 申立書: pre-filled for this patient, printed through the print dialog
    visit = declaration_visit(qtbot, w, P01)
    panel = w.session_panel
    saved = tmp_path / "declaration.pdf"  # "print to file": the form itself, not page images
    assert print_through_the_dialog(qtbot, w, saved) >= 1
    assert saved.read_bytes() == w.printouts.last_declaration.read_bytes()
    form = "".join(p.extract_text() for p in pypdf.PdfReader(saved).pages)
    assert "申立書" in form and "架空" in form
    assert saved.stat().st_size < 200_000, saved.stat().st_size  # text, not a 937 KB picture
    for row in panel.documents.rows:
        row.check.setChecked(True)
    qtbot.mouseClick(panel.documents.record_btn, Qt.MouseButton.LeftButton)
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    qtbot.waitUntil(lambda: "記録しました" in w.message.text(), timeout=5000)
    begin_visit(qtbot, w, P26)  # the next patient: the last one's 記録しました goes
    assert w.message.text() == ""

    w.act_daily.trigger()
    qtbot.waitUntil(lambda: w.daily_dialog is not None, timeout=5000)
    shot(w.daily_dialog, "13_daily_log")
    qtbot.mouseClick(w.daily_dialog.print_btn, Qt.MouseButton.LeftButton)
    assert print_through_the_dialog(qtbot, w, tmp_path / "printed.pdf") >= 1
    log = "".join(p.extract_text() for p in pypdf.PdfReader(w.daily_dialog.last_pdf).pages)
    assert "（1件）" in log or "1 件" in log or "架空" in log, log[:800]
    # PDFとして保存: Qt's own file dialog, in Japanese, opening in the documents folder
    w.daily_dialog.run(print_it=False)
    qtbot.waitUntil(lambda: w.printouts.save_dialog is not None, timeout=60_000)
    save = w.printouts.save_dialog
    qtbot.waitUntil(save.isVisible, timeout=5000)
    assert Path(save.directory().absolutePath()) == documents() == tmp_path / "home/Documents"
    assert "保存(&S)" in [b.text() for b in save.findChildren(QPushButton)]
    save.findChild(QLineEdit, "fileNameEdit").setText(str(tmp_path / "saved.pdf"))  # typed
    save.accept()
    qtbot.waitUntil(lambda: (tmp_path / "saved.pdf").exists(), timeout=60_000)
    assert (tmp_path / "saved.pdf").read_bytes() == w.daily_dialog.last_pdf.read_bytes()


def test_the_window_refuses_a_daily_log_of_records_that_do_not_verify(
    desk_window, qtbot, tmp_path: Path
) -> None:
    """A staff row changed behind the application's back: the daily log is not printed and the
    message bar says why in Japanese (the window has no override)."""
    w, stack = desk_window(simulator=None, reader=None)
    with stack.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE staff SET display_name = '偽の管理者'")
    w.act_daily.trigger()
    qtbot.waitUntil(lambda: w.daily_dialog is not None, timeout=5000)
    qtbot.mouseClick(w.daily_dialog.print_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "監査記録と一致しない記録" in w.message.text(), timeout=60_000)
    assert "（改ざんの可能性：表 staff、番号 1、項目 display_name" in w.message.text()
    assert "verify" not in w.message.text() and w.printouts.print_dialog is None
    assert w.daily_dialog.last_pdf is None or not w.daily_dialog.last_pdf.exists()


def test_a_daily_log_refused_for_a_rolled_back_chain_blocks_the_desk_at_once(
    desk_window, qtbot
) -> None:
    """The chain cut back behind this PC's witness, found first by the daily log's check (no
    write came before it): the printout is refused, and the blocking banner shows at once with
    新しい受付 off — not only at the next write."""
    w, stack = desk_window(simulator=None, reader=None)
    qtbot.waitUntil(w.act_new.isEnabled, timeout=10_000)
    cut_tail_behind_witness(stack.store)
    w.act_daily.trigger()
    qtbot.waitUntil(lambda: w.daily_dialog is not None, timeout=5000)
    qtbot.mouseClick(w.daily_dialog.print_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "印刷を中止しました" in w.message.text(), timeout=60_000)
    qtbot.waitUntil(w.strip.rolled_back.isVisible, timeout=10_000)
    assert "記録停止中" in w.strip.database.text() and not w.act_new.isEnabled()
    assert w.printouts.print_dialog is None


def test_a_rolled_back_chain_blocks_the_desk_until_the_admin_records_a_decision(
    desk_window, qtbot
) -> None:
    """The chain cut back under the running window: the first write shows the blocking banner
    (not a failing visit), 新しい受付 is off, and the administrator's reasoned decision in the
    small dialog unblocks the desk."""
    w, stack = desk_window(simulator=None, reader=None)
    cut_tail_behind_witness(stack.store)
    w.desk.begin_visit(VisitRequest(new_patient=P03))
    # two events: the status (banner, strip, 新しい受付) and then the refused write's Problem
    # (the message); the banner alone may be on screen before the Problem was even emitted
    qtbot.waitUntil(
        lambda: w.strip.rolled_back.isVisible() and "管理者の確認が必要です" in w.message.text(),
        timeout=10_000,
    )
    assert "管理者の確認が必要です" in w.strip.rolled_back.text()
    assert "記録停止中" in w.strip.database.text() and not w.act_new.isEnabled()
    shot(w, "24_rolled_back")
    assert w.strip.accept_btn.isVisible()
    qtbot.mouseClick(w.strip.accept_btn, Qt.MouseButton.LeftButton)
    dialog = w.rolled_back_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.ok.isEnabled()
    dialog.reason.setPlainText("院長：前日のコピーに戻したことを確認")
    assert dialog.ok.isEnabled()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.strip.rolled_back.isVisible(), timeout=10_000)
    assert "再開します" in w.message.text() and w.act_new.isEnabled()
    assert stack.store.witness_problem is None and stack.store.verify_chain().ok
