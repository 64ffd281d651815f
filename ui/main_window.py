"""The reception window: status strip, today's list, the flow panel and the result panel.

It holds no reception logic: it shows the runtime's events (through :class:`DeskBridge`) and
forwards staff intents to the desk. Database work (lists, login set-up, settings, printing) runs
on :class:`Jobs` threads, card and terminal work on the desk's own threads.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from policies.model import FailureReason, VisitSetting
from policies.reception import Failed, Screen
from reader.reception import (
    DeskMode,
    DeskStatus,
    FaceResultUnattached,
    PinRequested,
    Problem,
    ProblemKind,
    SessionClosed,
    SessionUpdated,
    VisitDetails,
    VisitRecorded,
    VisitRequest,
)
from ui import labels as ui_labels
from ui import printing, texts
from ui.bridge import DeskBridge, Jobs
from ui.i18n import apply_font, apply_language
from ui.labels import label
from ui.login import ChangePasswordPage, FirstAdminPage, LoginPage
from ui.new_visit import NewVisitDialog, patient_from_result
from ui.pin_dialog import PinDialog
from ui.result_panel import ResultPanel
from ui.session_panel import SessionPanel
from ui.settings import DeskSettings, SettingsDialog, load_settings, save_settings
from ui.status_strip import StatusStrip
from ui.visit_list import VisitFilter, VisitTableModel, fit_columns, row_from_summary
from ui.widgets import Level, chip, scaled, set_level, wrapped

PAGE_DESK, PAGE_LOGIN, PAGE_FIRST, PAGE_PASSWORD = range(4)
#: Input that counts as "someone is at the desk" for the idle lock.
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


@dataclass
class FaceEntry:
    event: FaceResultUnattached


class _IdleWatch(QObject):
    """Any keyboard/mouse input restarts the idle timer."""

    def __init__(self, timer: QTimer) -> None:
        super().__init__()
        self.timer = timer

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False


class MainWindow(QMainWindow):
    """Build with the DeskStack main.py made; ``start()`` subscribes to the desk."""

    locked_changed = Signal(bool)

    def __init__(self, stack: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.stack = stack
        self.desk = stack.desk
        self.store = stack.store
        ui_labels.use(self.desk.engine.rb)
        self.jobs = Jobs(self)
        self.jobs.error.connect(lambda exc: self.tell(str(exc), Level.ERROR))
        self.bridge: DeskBridge | None = None
        self.status: DeskStatus | None = None
        self.sessions: dict[int, SessionUpdated] = {}
        self.faces: dict[str, FaceResultUnattached] = {}
        self.pin_dialog: PinDialog | None = None  # the pad while it is open
        self._pad: PinDialog | None = None
        self.locked_user: tuple[str, str] | None = None
        self.staff_seen: Any = None
        self._pending_password: str | None = None
        self._settings: DeskSettings | None = None
        self._selected_visit: int | None = None
        self._follow_new_session = False
        self._known_visits: set[int] = set()
        self._detail_for: int | None = None  # the recorded visit the result panel shows

        self.setWindowTitle(self.tr("窓口 — 資格確認"))
        self.resize(1600, 900)  # Shell.build maximises it on a smaller screen
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 6, 8, 6)
        self.strip = StatusStrip()
        outer.addWidget(self.strip)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.message = chip("", Level.OFF)
        self.message.setObjectName("MessageBar")
        # Always shown, one line, its width ignored: a message never re-lays out the window.
        self.message.setMinimumHeight(self.message.sizeHint().height())
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        outer.addWidget(self.message)

        self.pages.addWidget(self._build_desk())
        self.login_page = LoginPage()
        self.login_page.submitted.connect(self._login)
        self.pages.addWidget(self.login_page)
        self.first_page = FirstAdminPage()
        self.first_page.submitted.connect(self._create_admin)
        self.pages.addWidget(self.first_page)
        self.password_page = ChangePasswordPage()
        self.password_page.submitted.connect(self._change_password)
        self.pages.addWidget(self.password_page)
        self._build_actions()

        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(0)
        self._show_timer.timeout.connect(self._show_selected)
        # The result is laid out in a loop turn of its own: the flow panel and the result
        # together (two relayouts and a repaint) would hold the event loop twice as long.
        self._result_timer = QTimer(self)
        self._result_timer.setSingleShot(True)
        self._result_timer.setInterval(0)
        self._result_timer.timeout.connect(self._show_result)
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self.lock)
        self._idle_watch = _IdleWatch(self.idle_timer)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._idle_watch)
        self.pages.setCurrentIndex(PAGE_LOGIN)
        self._update_actions()

    # ================================================================ construction

    def _build_desk(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 0, 0, 0)
        self.demo_box = QGroupBox(self.tr("デモ操作（模擬カード・模擬の顔認証リーダー）"))
        self.demo_box.setObjectName("DemoBox")
        dh = QHBoxLayout(self.demo_box)
        self.demo_cards = QComboBox()
        self.demo_cards.setObjectName("DemoCards")
        demo_label = QLabel(self.tr("模擬カード(&C)："))
        demo_label.setBuddy(self.demo_cards)
        dh.addWidget(demo_label)
        dh.addWidget(self.demo_cards)
        self.demo_insert = QPushButton(self.tr("カードを置く (Ctrl+I)"))
        self.demo_insert.setObjectName("DemoInsert")
        self.demo_remove = QPushButton(self.tr("カードを取る (Ctrl+J)"))
        self.demo_remove.setObjectName("DemoRemove")
        self.demo_face = QPushButton(self.tr("顔認証リーダーで確認 (Ctrl+G)"))
        self.demo_face.setObjectName("DemoFace")
        self.demo_state = chip("", Level.SIM)
        for w in (self.demo_insert, self.demo_remove, self.demo_face):
            w.setAutoDefault(False)
            dh.addWidget(w)
        dh.addWidget(self.demo_state)
        dh.addStretch(1)
        self.demo_insert.clicked.connect(self.demo_insert_card)
        self.demo_remove.clicked.connect(self.desk.demo_remove_card)
        self.demo_face.clicked.connect(self.demo_face_reader)
        self.demo_box.hide()
        v.addWidget(self.demo_box)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("MainSplit")
        split.setChildrenCollapsible(False)
        # left: faces + list
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.face_box = QGroupBox(self.tr("顔認証リーダーの結果（まだ受付に割り当てていません）"))
        self.face_box.setObjectName("FaceBox")
        fv = QVBoxLayout(self.face_box)
        self.face_list = QListWidget()
        self.face_list.setObjectName("FaceList")
        self.face_list.setMaximumHeight(110)
        fv.addWidget(self.face_list)
        self.attach_btn = QPushButton(self.tr("この結果で受付する(&T)…"))
        self.attach_btn.setObjectName("AttachFace")
        self.attach_btn.setAutoDefault(False)
        self.attach_btn.clicked.connect(self.attach_face)
        self.face_list.itemActivated.connect(lambda _i: self.attach_face())
        self.face_list.currentItemChanged.connect(lambda *_: self._show_face())
        fv.addWidget(self.attach_btn)
        self.face_box.hide()
        lv.addWidget(self.face_box)

        head = QLabel(self.tr("本日の受付(&L)"))
        scaled(head, 1.15, bold=True)
        lv.addWidget(head)
        filters = QHBoxLayout()
        self.filter_text = QLineEdit()
        self.filter_text.setObjectName("FilterText")
        self.filter_text.setPlaceholderText(self.tr("絞り込み：カルテ番号・氏名・カナ（Ctrl+F）"))
        self.filter_status = QComboBox()
        self.filter_status.setObjectName("FilterStatus")
        for value, words in texts.category_names():
            self.filter_status.addItem(words, value)
        filters.addWidget(self.filter_text, 2)
        filters.addWidget(self.filter_status, 1)
        lv.addLayout(filters)
        self.model = VisitTableModel(self)
        self.proxy = VisitFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("VisitTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        # Fixed widths: ResizeToContents re-measures every row on each change (a stall).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        # What staff scan first comes first; the long path label takes what is left.
        for visual, column in enumerate((0, 1, 2, 4, 5, 3)):
            header.moveSection(header.visualIndex(column), visual)
        header.setStretchLastSection(True)
        fit_columns(self.table, self.model)
        head.setBuddy(self.table)
        lv.addWidget(self.table, 1)
        self.filter_text.textChanged.connect(self.proxy.set_text)
        self.filter_status.currentIndexChanged.connect(
            lambda _i: self.proxy.set_category(self.filter_status.currentData())
        )
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._row_selected())
        split.addWidget(left)

        # middle: the flow
        self.session_panel = SessionPanel(self.desk)
        self.session_panel.pin_pad_wanted.connect(self._reopen_pin)
        self.session_panel.declaration_wanted.connect(self.print_declaration)
        self.session_panel.pdf_file_wanted.connect(self.pick_pdf)
        self.session_panel.pdf_dropped.connect(self.import_pdf)
        split.addWidget(self.session_panel)

        # right: the result
        self.result_panel = ResultPanel()
        split.addWidget(self.result_panel)
        # Explicit minimum widths: otherwise a panel whose content changes (a longer line, a
        # shown section) moves the splitter, and the other panels are laid out again (a stall).
        for panel, minimum in ((left, 300), (self.session_panel, 420), (self.result_panel, 320)):
            panel.setMinimumWidth(minimum)
        split.setSizes([420, 560, 420])
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 4)
        split.setStretchFactor(2, 3)
        v.addWidget(split, 1)
        return page

    def _build_actions(self) -> None:
        bar = QToolBar(self.tr("操作"))
        bar.setObjectName("MainToolBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

        def action(text: str, shortcut: str, slot: Any, name: str) -> QAction:
            act = QAction(f"{text} ({shortcut})" if shortcut else text, self)
            act.setObjectName(name)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            bar.addAction(act)
            self.addAction(act)
            return act

        self.act_new = action(self.tr("新しい受付"), "Ctrl+N", self.new_visit, "ActNew")
        self.act_refresh = action(self.tr("一覧を更新"), "F5", self.reload_visits, "ActRefresh")
        self.act_daily = action(self.tr("日報"), "Ctrl+P", self.daily_log_dialog, "ActDaily")
        self.act_settings = action(self.tr("設定"), "Ctrl+,", self.open_settings, "ActSettings")
        self.act_lock = action(self.tr("ロック"), "Ctrl+L", self.lock, "ActLock")
        self.act_logout = action(self.tr("ログアウト"), "", self.logout, "ActLogout")
        self.act_about = action(self.tr("このアプリについて"), "F1", self.about, "ActAbout")
        hidden = [
            ("Ctrl+F", self.filter_text.setFocus),
            ("Alt+1", self.table.setFocus),
            ("Alt+2", self.session_panel.setFocus),
            ("Ctrl+I", self.demo_insert_card),
            ("Ctrl+J", lambda: self.demo_mode() and self.desk.demo_remove_card()),
            ("Ctrl+G", self.demo_face_reader),
            ("Ctrl+R", self.requery_selected),
        ]
        self._hidden_actions = []
        for key, slot in hidden:
            act = QAction(self)
            act.setShortcut(QKeySequence(key))
            act.triggered.connect(slot)
            self.addAction(act)
            self._hidden_actions.append(act)

    # ================================================================ start / stop

    def start(self) -> None:
        """Subscribe to the desk (the current status and open sessions are replayed)."""
        self.bridge = DeskBridge(self.desk, self.on_event, self)
        self.jobs.run(self.store.has_staff, self._has_staff, self._db_failed)
        self.jobs.run(lambda: load_settings(self.stack), self._apply_settings, self._db_failed)

    def closeEvent(self, event: QCloseEvent) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._idle_watch)
        if self.bridge is not None:
            self.bridge.detach()
        self.jobs.wait(15_000)
        super().closeEvent(event)

    def _has_staff(self, has: bool) -> None:
        if not has:
            self.pages.setCurrentIndex(PAGE_FIRST)
            self.first_page.user.setFocus()
        elif self.pages.currentIndex() != PAGE_DESK and not (self.status and self.status.staff):
            self._show_login()

    def _db_failed(self, exc: Exception) -> None:
        self.tell(self.tr("データベースを使えません：{e}").format(e=exc), Level.ERROR)

    # ================================================================ events

    def on_event(self, event: object) -> None:
        if isinstance(event, DeskStatus):
            self._on_status(event)
        elif isinstance(event, SessionUpdated):
            self._on_session(event)
        elif isinstance(event, PinRequested):
            self._on_pin(event)
        elif isinstance(event, FaceResultUnattached):
            self._on_face(event)
        elif isinstance(event, VisitRecorded):
            self._on_recorded(event)
        elif isinstance(event, SessionClosed):
            self.sessions.pop(event.visit_id, None)
            if self._selected_visit == event.visit_id:
                self._show_recorded(event.visit_id, again=True)
            self.reload_visits()
        elif isinstance(event, VisitDetails):
            if event.visit_id == self._selected_visit and event.visit_id not in self.sessions:
                self._result_shown = None
                self.result_panel.show_visit(event)
        elif isinstance(event, Problem):
            self._on_problem(event)

    def _on_status(self, s: DeskStatus) -> None:
        before = self.status.staff if self.status else None
        self.status = s
        self.strip.show_status(s)
        demo = s.mode is DeskMode.DEMO
        self.demo_box.setVisible(demo)
        if demo:
            ids = list(s.demo_cards)
            if [self.demo_cards.itemData(i) for i in range(self.demo_cards.count())] != ids:
                current = self.demo_cards.currentData()
                self.demo_cards.clear()
                for card in ids:
                    self.demo_cards.addItem(card, card)
                if current in ids:
                    self.demo_cards.setCurrentIndex(ids.index(current))
            inserted = s.demo_card_inserted
            self.demo_state.setText(
                self.tr("リーダー内：{card}").format(card=inserted)
                if inserted
                else self.tr("リーダー内：なし")
            )
        staff = s.staff
        if staff is not None and (
            before != staff or self.locked_user or self.pages.currentIndex() != PAGE_DESK
        ):
            self._logged_in(staff)
        elif staff is None and before is not None and self.locked_user is None:
            self._show_login()
        self._update_actions()

    def _logged_in(self, staff: Any) -> None:
        self.login_page.done_waiting()
        self.staff_seen = staff
        if staff.must_change_password:
            self.pages.setCurrentIndex(PAGE_PASSWORD)
            self.password_page.say("")
            self.password_page.current.setFocus()
            return
        self.locked_user = None
        self.pages.setCurrentIndex(PAGE_DESK)
        self._restart_idle()
        self.reload_visits()
        self.table.setFocus()
        QTimer.singleShot(0, self._pin_pad)

    def _on_session(self, s: SessionUpdated) -> None:
        previous = self.sessions.get(s.visit_id)
        self.sessions[s.visit_id] = s
        self.model.upsert(s)
        if previous is None and self._follow_new_session and s.visit_id not in self._known_visits:
            self._follow_new_session = False
            self.select_visit(s.visit_id)
        self._known_visits.add(s.visit_id)
        if s.visit_id == self._selected_visit:
            self._schedule_show()
        if (
            self.pin_dialog is not None
            and self.pin_dialog.property("visit_id") == s.visit_id
            and s.screen is not Screen.ASK_PIN
        ):
            self.pin_dialog.reject()
            self.pin_dialog = None

    def _schedule_show(self) -> None:
        """Bursts of updates are shown once, after the event loop has breathed."""
        if not self._show_timer.isActive():
            self._show_timer.start()

    def _show_selected(self) -> None:
        s = self.sessions.get(self._selected_visit) if self._selected_visit else None
        if s is not None:
            self._show_session(s)

    def _show_session(self, s: SessionUpdated) -> None:
        self._detail_for = None
        self.session_panel.show_session(s)
        shown = (s.visit_id, id(s.result), s.result_outcome, s.mismatches, s.simulated, s.share)
        if shown != getattr(self, "_result_shown", None):  # re-render only what changed
            self._result_shown = shown
            self._result_timer.start()

    def _show_result(self) -> None:
        s = self.sessions.get(self._selected_visit) if self._selected_visit else None
        if s is None:
            return
        self.result_panel.show_result(
            s.result,
            s.result_outcome,
            s.mismatches,
            s.patient,
            simulated=s.simulated,
            share=s.share,
        )

    def _on_pin(self, e: PinRequested) -> None:
        if self.locked_user is not None or self.pages.currentIndex() != PAGE_DESK:
            return  # staff reopen the pad from the panel after unlocking
        self.select_visit(e.visit_id)
        self._open_pin(e.visit_id, e.tries_left, e.last_try_warning)

    def _open_pin(self, visit_id: int, tries: int, last: bool) -> None:
        if self.pin_dialog is not None:
            self.pin_dialog.reject()
        simulated = bool(self.status and self.status.reader.virtual)

        def submit(pin: str, confirm: bool) -> None:
            self.desk.submit_pin(pin, confirm_last_try=confirm, visit_id=visit_id)

        def give_up() -> None:
            self.desk.dispatch(Failed(FailureReason.PIN_UNKNOWN), visit_id=visit_id)

        pad = self._pin_pad()
        pad.prepare(tries, last, submit, give_up, simulated=simulated)
        pad.setProperty("visit_id", visit_id)
        self.pin_dialog = pad
        # Shown in the next loop turn: preparing and showing in one go held the loop ~45 ms.
        QTimer.singleShot(0, lambda: self.pin_dialog is pad and not pad.isVisible() and pad.open())

    def _pin_pad(self) -> PinDialog:
        """The one PIN pad, built while nothing else happens (after login), then reused."""
        if self._pad is None:
            self._pad = PinDialog(3, False, lambda _p, _c: None, lambda: None, self)
            self._pad.finished.connect(lambda _r: self._pin_closed())
            self._pad.ensurePolished()
            self._pad.adjustSize()
            self._pad.winId()  # its native window now, not when the card is being read
        return self._pad

    def _pin_closed(self) -> None:
        self.pin_dialog = None

    def _reopen_pin(self, visit_id: int) -> None:
        s = self.sessions.get(visit_id)
        if s is not None and s.screen is Screen.ASK_PIN and s.pin_tries_left is not None:
            self._open_pin(visit_id, s.pin_tries_left, s.last_try_warning)

    def _on_face(self, e: FaceResultUnattached) -> None:
        self.faces[e.token] = e
        record = e.result.record
        name = record.name if record and record.name else "?"
        sim = self.tr("【模擬】") if e.result.simulated else ""
        item = QListWidgetItem(
            f"{sim}{e.received_at.astimezone().strftime('%H:%M')}　{name}　"
            f"{texts.outcome_text(e.outcome)}"
            + (self.tr("　候補 {n} 人").format(n=len(e.candidates)) if e.candidates else "")
        )
        item.setData(Qt.ItemDataRole.UserRole, e.token)
        self.face_list.addItem(item)
        self.face_list.setCurrentItem(item)
        self.face_box.show()
        self.tell(self.tr("顔認証リーダーの結果が届きました：{name}").format(name=name), Level.INFO)

    def _show_face(self) -> None:
        item = self.face_list.currentItem()
        e = self.faces.get(item.data(Qt.ItemDataRole.UserRole)) if item else None
        if e is not None:
            mismatches = e.candidates[0].mismatches if e.candidates else ()
            self.result_panel.show_result(e.result, e.outcome, mismatches)

    def _on_recorded(self, e: VisitRecorded) -> None:
        if e.visit_id == self._selected_visit and e.visit_id not in self.sessions:
            self._show_recorded(e.visit_id, again=True)  # a follow-up on a recorded visit
        sim = self.tr("【模擬】") if e.simulated else ""
        self.tell(
            sim
            + self.tr("記録しました：{path}／{outcome}").format(
                path=label(e.path), outcome=label(e.outcome)
            ),
            Level.SIM if e.simulated else Level.OK,
        )
        self.reload_visits()

    def _on_problem(self, p: Problem) -> None:
        if p.kind is ProblemKind.LOGIN:
            self.login_page.done_waiting()
            page = self.login_page if self.pages.currentIndex() == PAGE_LOGIN else None
            if page is not None:
                page.say(texts.problem_text(p.kind, p.code))
                page.focus_first()
                return
        words = self._problem_words(p)
        if p.kind is ProblemKind.PASTE and p.lines:
            words += "\n" + "\n".join(
                self.tr("{n}行目：{text}").format(n=line.line_no, text=getattr(line, "text", ""))
                for line in p.lines[:8]
            )
        if p.visit_id is not None and p.visit_id == self._selected_visit:
            self.session_panel.show_problem(words)
        self.tell(f"{texts.problem_kind(p.kind)}：{words}", Level.ERROR)
        self.message.setToolTip(p.message)  # the runtime's English detail, for support

    def _problem_words(self, p: Problem) -> str:
        try:
            reason = FailureReason(p.code)
        except ValueError:
            return texts.problem_text(p.kind, p.code)
        return label(reason)

    def tell(self, text: str, level: Level = Level.INFO) -> None:
        self.message.setText(text.replace("\n", "　"))
        if self.message.property("level") != level.value:
            set_level(self.message, level)

    # ================================================================ list and selection

    def reload_visits(self) -> None:
        if self.status is None or self.status.staff is None:
            return
        self.jobs.run(self.store.visits_on, self._visits_loaded, self._db_failed)

    def _visits_loaded(self, summaries: list[Any]) -> None:
        selected = self._selected_visit
        rows = [row_from_summary(s) for s in summaries]
        self.model.set_rows(rows, self.sessions)
        fit_columns(self.table, self.model)
        self._known_visits.update(r.visit_id for r in rows)
        if selected is not None:
            self.select_visit(selected, focus_desk=False)

    def select_visit(self, visit_id: int, *, focus_desk: bool = True) -> None:
        row = self.model.row_of(visit_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():  # filtered out: show everything so the visit is visible
            self.filter_text.clear()
            self.filter_status.setCurrentIndex(0)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.setCurrentIndex(index)
        if focus_desk and self._selected_visit != visit_id:
            self._row_selected()

    def _row_selected(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        visit_id = self.proxy.data(index, Qt.ItemDataRole.UserRole)
        changed = visit_id != self._selected_visit
        self._selected_visit = visit_id
        s = self.sessions.get(visit_id)
        if s is not None:
            if changed and not s.current and not s.final:
                self.desk.focus(visit_id)
            self._show_session(s)
            return
        self._show_recorded(visit_id)

    def _show_recorded(self, visit_id: int, *, again: bool = False) -> None:
        """A visit without an open session: its record, loaded off the GUI thread."""
        if visit_id == self._detail_for and not again:
            return  # the list was reloaded around the same selection: nothing new to load
        self._detail_for = visit_id
        self.session_panel.show_session(None)
        self._result_shown = None
        index = self.model.row_of(visit_id)
        name = self.model.rows[index].name if index is not None else ""
        self.result_panel.clear(self.tr("記録を読み込んでいます…"))
        self.session_panel.patient.setText(
            self.tr("{name} さんの受付は記録済みです。番号で再照会するには Ctrl+R。").format(
                name=name
            )
        )
        self.desk.show_visit(visit_id)

    def current_visit(self) -> int | None:
        return self._selected_visit

    # ================================================================ commands

    def demo_mode(self) -> bool:
        return self.status is not None and self.status.mode is DeskMode.DEMO

    def demo_insert_card(self) -> None:
        card = self.demo_cards.currentData()
        if self.demo_mode() and card:
            self.desk.demo_insert_card(card)

    def demo_face_reader(self) -> None:
        card = self.demo_cards.currentData()
        if self.demo_mode() and card:
            self.desk.demo_face_reader(card)

    def _allowed_settings(self) -> tuple[VisitSetting, ...]:
        return tuple(VisitSetting)

    def new_visit(self) -> None:
        if self.pages.currentIndex() != PAGE_DESK:
            return

        def begin(request: VisitRequest) -> None:
            self._follow_new_session = True
            self.desk.begin_visit(request)

        dialog = NewVisitDialog(self.store.find_patients, self.jobs, begin, self)
        dialog.open()
        self.new_visit_dialog = dialog

    def attach_face(self) -> None:
        item = self.face_list.currentItem()
        e = self.faces.get(item.data(Qt.ItemDataRole.UserRole)) if item else None
        if e is None or e.result.record is None:
            return
        token = e.token

        def attach(request: VisitRequest) -> None:
            self._follow_new_session = True
            self.desk.attach_face_result(token, request)
            self.faces.pop(token, None)
            self.face_list.takeItem(self.face_list.row(item))
            self.face_box.setVisible(self.face_list.count() > 0)

        dialog = NewVisitDialog(
            self.store.find_patients,
            self.jobs,
            attach,
            self,
            candidates=e.candidates,
            prefill=patient_from_result(e.result.record),
            title=self.tr("顔認証リーダーの結果を受付に割り当て"),
        )
        dialog.open()
        self.new_visit_dialog = dialog

    def requery_selected(self) -> None:
        if self._selected_visit is not None:
            self.desk.query_numbers(visit_id=self._selected_visit)

    # -- login ----------------------------------------------------------------------------------

    def _show_login(self) -> None:
        self.login_page.set_locked(None)
        self.pages.setCurrentIndex(PAGE_LOGIN)
        self.idle_timer.stop()
        self.login_page.focus_first()

    def _login(self, user: str, password: str) -> None:
        self.login_page.say(self.tr("確認しています…"), Level.INFO)
        self.desk.login(user, password)

    def _create_admin(self, user: str, display: str, password: str) -> None:
        self.first_page.say(self.tr("作成しています…"), Level.INFO)

        def done(_staff: Any) -> None:
            self.desk.login(user, password)
            self.login_page.user.setText(user)
            self.pages.setCurrentIndex(PAGE_LOGIN)

        def failed(exc: Exception) -> None:
            self.first_page.say(self.tr("作成できません：{e}").format(e=exc))

        self.jobs.run(lambda: self.store.create_first_admin(user, display, password), done, failed)

    def _actor(self) -> Any:
        """The logged-in staff as the store's StaffInfo (the store re-checks it on write)."""
        return self.stack.actor()

    def _change_password(self, current: str, new: str) -> None:
        staff = self.staff_seen
        self.password_page.say(self.tr("変更しています…"), Level.INFO)

        def job() -> None:
            actor = self._actor()
            self.store.change_password(actor, actor.username, new, current_password=current)

        def done(_: Any) -> None:
            self.password_page.say("")
            self.desk.login(staff.username, new)  # fresh account state (no must-change)

        def failed(exc: Exception) -> None:
            self.password_page.say(self.tr("変更できません：{e}").format(e=exc))

        self.jobs.run(job, done, failed)

    def logout(self) -> None:
        self.locked_user = None
        self.desk.logout()

    def lock(self) -> None:
        """Idle or Ctrl+L: the staff member is logged out, the sessions stay open."""
        staff = self.status.staff if self.status else None
        if staff is None or self.locked_user is not None:
            return
        self.locked_user = (staff.username, staff.display_name)
        if self.pin_dialog is not None:
            self.pin_dialog.reject()
        self.desk.logout()
        self.login_page.set_locked(staff.username, staff.display_name)
        self.pages.setCurrentIndex(PAGE_LOGIN)
        self.login_page.focus_first()
        self.idle_timer.stop()
        self.locked_changed.emit(True)
        self._update_actions()

    def is_locked(self) -> bool:
        return self.locked_user is not None

    def _restart_idle(self) -> None:
        minutes = self._settings.idle_minutes if self._settings else self.stack.idle_lock_minutes()
        self.idle_timer.setInterval(int(minutes * 60_000))
        self.idle_timer.start()

    def set_idle_interval_ms(self, ms: int) -> None:
        """For tests and the settings dialog: a new idle period, restarted now."""
        self.idle_timer.setInterval(ms)
        self.idle_timer.start()

    def _update_actions(self) -> None:
        staff = self.status.staff if self.status else None
        on_desk = staff is not None and self.locked_user is None
        for act in (self.act_new, self.act_refresh, self.act_daily, self.act_lock, self.act_logout):
            act.setEnabled(on_desk)
        self.act_settings.setEnabled(on_desk and bool(staff and staff.is_admin))
        self.act_settings.setVisible(bool(staff and staff.is_admin))

    # -- settings -------------------------------------------------------------------------------

    def _apply_settings(self, settings: DeskSettings) -> None:
        self._settings = settings
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_font(app, settings.font_pt)
            fit_columns(self.table, self.model)
            if apply_language(app, settings.language):
                self.retranslate()

    def open_settings(self) -> None:
        staff = self.status.staff if self.status else None
        if staff is None or not staff.is_admin:
            self.tell(self.tr("設定は管理者だけが変更できます。"), Level.WARN)
            return

        def show(current: DeskSettings) -> None:
            status = self.status
            dialog = SettingsDialog(
                current,
                self._save_settings,
                self,
                terminal_root=status.terminal.root if status else None,
                database=status.database.description if status else "",
            )
            self.settings_dialog = dialog
            dialog.open()

        self.jobs.run(lambda: load_settings(self.stack), show, self._db_failed)

    def _save_settings(self, new: DeskSettings) -> None:
        def job() -> tuple[DeskSettings, bool]:
            restart = save_settings(self.stack, self._actor(), new)
            return load_settings(self.stack), restart

        def done(value: tuple[DeskSettings, bool]) -> None:
            saved, restart = value
            self.desk.reload_settings()
            self._apply_settings(saved)
            self._restart_idle()
            if restart:
                self.tell(
                    self.tr("設定を保存しました。接続先の変更はアプリの再起動後に有効になります。"),
                    Level.WARN,
                )
            else:
                self.tell(self.tr("設定を保存しました。"), Level.OK)

        self.jobs.run(job, done, lambda exc: self.tell(str(exc), Level.ERROR))

    def retranslate(self) -> None:
        """Rebuild the window's texts in the new language (simplest: a fresh window)."""
        self.language_changed = True
        app = QApplication.instance()
        if app is not None:
            app.setProperty("madoguchi_retranslate", True)
        rebuild = getattr(self, "on_language_change", None)
        if rebuild is not None:
            rebuild()

    def about(self) -> None:
        """What this is, and that the rule data stays in Japanese in the English UI."""
        box = QMessageBox(self)
        box.setObjectName("AboutBox")
        box.setWindowTitle(self.tr("このアプリについて"))
        box.setText(
            self.tr("窓口 Madoguchi — マイナ保険証による資格確認と代替手段の記録（受付用）")
        )
        box.setInformativeText(
            self.tr(
                "確認方法の名称・まずすること・注記・出典などのルールデータは、"
                "元の厚生労働省の通知等のとおり日本語で表示します。"
            )
        )
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        self.about_box = box
        box.open()

    # -- printing -------------------------------------------------------------------------------

    def daily_log_dialog(self) -> None:
        if self.status is None or self.status.staff is None:
            return
        dialog = DailyLogDialog(self)
        self.daily_dialog = dialog
        dialog.open()

    def make_daily_pdf(self, day: date, then: Any) -> None:
        """Render the daily log of ``day`` off the GUI thread; ``then(path)`` on the GUI thread."""
        out = Path(tempfile.mkdtemp(prefix="madoguchi-print-")) / f"daily-{day.isoformat()}.pdf"

        def job() -> Path:
            return printing.export_daily(
                self.store, day, out, self.stack.print_masking(), self._actor()
            )

        self.jobs.run(job, then, self._print_failed)

    def print_pdf(self, path: Path) -> None:
        """Rasterise off the GUI thread, then the print dialog; pages go to the chosen printer."""

        def ask(pages: list[printing.PageImage]) -> None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setDocName(
                path.stem
            )  # the print job's name, and the PDF's when printing to file
            dialog = QPrintDialog(printer, self)
            dialog.setObjectName("PrintDialog")
            self.print_dialog = dialog
            self._printer = printer  # the dialog only points to it: keep it alive

            def paint() -> None:
                try:
                    count = printing.paint(pages, printer)
                except OSError as exc:
                    self._print_failed(exc)
                    return
                self.tell(self.tr("{n} ページを印刷しました。").format(n=count), Level.OK)

            dialog.accepted.connect(paint)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.show()  # modal to the window, without a nested event loop

        self.jobs.run(lambda: printing.rasterise(path), ask, self._print_failed)

    def save_pdf(self, path: Path, target: str | None = None) -> None:
        if target is None:
            target, _ = QFileDialog.getSaveFileName(
                self, self.tr("PDFとして保存"), path.name, self.tr("PDF (*.pdf)")
            )
        if not target:
            return
        self.jobs.run(
            lambda: printing.save_copy(path, Path(target)),
            lambda p: self.tell(self.tr("保存しました：{p}").format(p=p), Level.OK),
            self._print_failed,
        )

    def _print_failed(self, exc: Exception) -> None:
        self.tell(self.tr("印刷できません：{e}").format(e=exc), Level.ERROR)

    def print_declaration(self, visit_id: int) -> None:
        s = self.sessions.get(visit_id)
        if s is None:
            return
        out = Path(tempfile.mkdtemp(prefix="madoguchi-print-")) / f"declaration-{visit_id}.pdf"
        today = self.desk.clock().date()

        def job() -> Path:
            return printing.export_declaration(
                self.store,
                self.desk.engine.rb,
                out,
                patient_id=s.patient.id,
                on=today,
                reason=s.reason,
                actor=self._actor(),
            )

        self.last_declaration: Path | None = None

        def done(path: Path) -> None:
            self.last_declaration = path
            self.print_pdf(path)

        self.jobs.run(job, done, self._print_failed)

    # -- マイナポータル PDF ------------------------------------------------------------------

    def pick_pdf(self, visit_id: int) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("マイナポータルのPDFを選ぶ"), "", self.tr("PDF (*.pdf)")
        )
        if path:
            self.import_pdf(visit_id, path)

    def import_pdf(self, visit_id: int, path: str) -> None:
        """Read the file off the GUI thread; the desk parses it in an isolated process."""
        limit = 20 * 1024 * 1024

        def job() -> bytes:
            with open(path, "rb") as fh:
                return fh.read(limit + 1)

        def done(data: bytes) -> None:
            self.desk.import_mynaportal_pdf(data, visit_id=visit_id)
            self.tell(self.tr("PDFを読み取っています…"), Level.INFO)

        self.jobs.run(job, done, lambda exc: self.tell(str(exc), Level.ERROR))


class DailyLogDialog(QDialog):
    """Evening: the 日報 of a chosen day, printed or saved as PDF."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("DailyLogDialog")
        self.window_ = window
        self.setWindowTitle(self.tr("日報（資格確認 日次記録）"))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("あ") * 30)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        # The desk's day (Asia/Tokyo), not this PC's clock zone: the log is per Tokyo day.
        today = window.desk.clock().date()
        self.day = QDateEdit(QDate(today.year, today.month, today.day))
        self.day.setObjectName("DailyDate")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy/MM/dd")
        form.addRow(self.tr("日付(&D)"), self.day)
        layout.addLayout(form)
        layout.addWidget(
            wrapped(
                self.tr(
                    "その日のすべての資格確認を時刻順に、確認方法ごとの件数と監査ログの"
                    "ハッシュとともに印刷します。模擬の記録には「模擬」と印字されます。"
                )
            )
        )
        self.state = wrapped()
        layout.addWidget(self.state)
        buttons = QDialogButtonBox()
        self.print_btn = buttons.addButton(
            self.tr("印刷(&P)…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.print_btn.setObjectName("DailyPrint")
        self.save_btn = buttons.addButton(
            self.tr("PDFとして保存(&S)…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_btn.setObjectName("DailySave")
        close = buttons.addButton(self.tr("閉じる"), QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)
        self.print_btn.clicked.connect(lambda: self.run(print_it=True))
        self.save_btn.clicked.connect(lambda: self.run(print_it=False))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.last_pdf: Path | None = None

    def chosen_day(self) -> date:
        return self.day.date().toPython()  # type: ignore[no-any-return]

    def run(self, *, print_it: bool, target: str | None = None) -> None:
        self.state.setText(self.tr("作成しています…"))

        def ready(path: Path) -> None:
            self.last_pdf = path
            self.state.setText(self.tr("作成しました。"))
            if print_it:
                self.window_.print_pdf(path)
            else:
                self.window_.save_pdf(path, target)

        self.window_.make_daily_pdf(self.chosen_day(), ready)
