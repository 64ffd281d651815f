"""The reception window: it composes the screen sections and routes the desk's events to them.

Status strip on top; below it a page stack and the message bar. The pages are the desk
(:mod:`ui.desk_page`: demo box, face-reader results, today's list, the flow panel of
:mod:`ui.session_panel` and the result panel) and the account pages of :mod:`ui.login` (login and
lock, first admin, password change). The window holds no reception logic: it shows the runtime's
events (through :class:`DeskBridge`), forwards staff intents to the desk, and owns what spans the
pages — the toolbar, the PIN pad, the idle lock, settings, printing. Database work (lists,
accounts, settings, printing) runs on :class:`Jobs` threads, card and terminal work on the
desk's own threads. The UI never imports main.py: the stack it gets is typed by
:class:`ui.stack.Stack`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from policies.dates import JST
from policies.reception import Screen
from policies.records import StaffRef
from reader.reception import (
    DeskStatus,
    FaceResultUnattached,
    FollowUpConflict,
    PinRequested,
    Problem,
    ProblemKind,
    SameDayVisit,
    SessionClosed,
    SessionUpdated,
    TerminalState,
    VisitDetails,
    VisitRecorded,
    VisitRequest,
)
from ui import labels as ui_labels
from ui import texts
from ui.about import AboutBox
from ui.bridge import DeskBridge, Jobs
from ui.daily_log import DailyLogDialog
from ui.desk_page import DeskPage
from ui.face_box import face_name
from ui.i18n import apply_font, apply_language
from ui.idle_lock import IdleLock, LockCover
from ui.labels import label
from ui.login import Accounts
from ui.new_visit import NewVisitDialog, patient_from_result
from ui.pdf_import import PdfImport
from ui.pin_dialog import PinDialog, PinPadHost
from ui.printouts import Printouts
from ui.rolled_back import RolledBackDialog
from ui.settings import DeskSettings, SettingsEditor, load_settings
from ui.stack import Stack
from ui.status_strip import StatusStrip
from ui.tomorrow_bookings import TomorrowBookings
from ui.widgets import Level, chip, set_level

PAGE_DESK, PAGE_LOGIN, PAGE_FIRST, PAGE_PASSWORD = range(4)


class MainWindow(QMainWindow):
    """Build with the stack main.py made; ``start()`` subscribes to the desk."""

    #: The language setting changed: the owner (ui.app.Shell) builds a window in the new
    #: language; the staff member and the visits stay in the desk.
    language_changed = Signal()

    def __init__(self, stack: Stack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.stack = stack
        self.desk = stack.desk
        self.store = stack.store
        ui_labels.use(self.desk.engine.rb)
        self.jobs = Jobs(self)
        self.jobs.error.connect(lambda exc: self.tell(str(exc), Level.ERROR))
        self.printouts = Printouts(self, stack, self.jobs, self.tell)
        self.settings = SettingsEditor(stack, self.jobs, self)
        self.settings.saved.connect(self._settings_saved)
        self.settings.load_failed.connect(self._db_failed)
        self.settings.save_failed.connect(lambda exc: self.tell(str(exc), Level.ERROR))
        self.bridge: DeskBridge | None = None
        self.status: DeskStatus | None = None
        self.pin_pad = PinPadHost(self, self.desk)
        self.locked_user: tuple[str, str] | None = None
        self._settings: DeskSettings | None = None
        self.new_visit_dialog: NewVisitDialog | None = None
        self.daily_dialog: DailyLogDialog | None = None
        self.bookings_view: TomorrowBookings | None = None

        self.setWindowTitle(self.tr("窓口 — 資格確認"))
        self.resize(1600, 900)  # Shell.build maximises it on a smaller screen
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 6, 8, 6)
        self.strip = StatusStrip()
        self.strip.accept_wanted.connect(self.accept_rolled_back)
        self.rolled_back_dialog: RolledBackDialog | None = None
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

        self.desk_page = DeskPage(self.desk)
        self.pages.addWidget(self.desk_page)
        # the sections the window routes events and intents to
        self.demo_box = self.desk_page.demo_box
        self.face_box = self.desk_page.face_box
        self.face_box.attach_wanted.connect(self.attach_face)
        self.face_box.attach_to_wanted.connect(
            lambda e, visit: self.desk.attach_face_result_to(e.token, visit)
        )
        self.visits = self.desk_page.visits
        # the message bar speaks of the visit in front: another visit's 記録しました goes
        self.desk_page.visit_changed.connect(lambda _v: self.tell("", Level.OFF))
        self.session_panel = self.desk_page.session_panel
        self.session_panel.pin_pad_wanted.connect(self._reopen_pin)
        self.session_panel.declaration_wanted.connect(self.print_declaration)
        self.pdf_import = PdfImport(self, self.desk, self.jobs, self.tell)
        self.session_panel.pdf_file_wanted.connect(self.pdf_import.pick)
        self.session_panel.pdf_dropped.connect(self.pdf_import.load)
        self.result_panel = self.desk_page.result_panel
        self.accounts = Accounts(stack, self.jobs, self)
        self.accounts.admin_created.connect(lambda: self.pages.setCurrentIndex(PAGE_LOGIN))
        self.login_page = self.accounts.login_page
        self.first_page = self.accounts.first_page
        self.password_page = self.accounts.password_page
        for page in (self.login_page, self.first_page, self.password_page):
            self.pages.addWidget(page)
        self._build_actions()

        self.idle = IdleLock(self)
        self.idle.expired.connect(self.lock)
        self.cover = LockCover(self)
        self.pages.setCurrentIndex(PAGE_LOGIN)
        self._update_actions()

    # ================================================================ construction

    def _build_actions(self) -> None:
        bar = QToolBar(self.tr("操作"))
        bar.setObjectName("MainToolBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

        def action(text: str, shortcut: str, slot: Callable[[], object], name: str) -> QAction:
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
        self.act_bookings = action(
            self.tr("明日の予約"), "Ctrl+B", self.open_bookings, "ActBookings"
        )
        self.act_settings = action(self.tr("設定"), "Ctrl+,", self.open_settings, "ActSettings")
        self.act_lock = action(self.tr("ロック"), "Ctrl+L", self.lock, "ActLock")
        self.act_logout = action(self.tr("ログアウト"), "", self.logout, "ActLogout")
        self.act_about = action(self.tr("このアプリについて"), "F1", self.about, "ActAbout")
        hidden: list[tuple[str, Callable[[], object]]] = [
            ("Ctrl+F", self.visits.filter_text.setFocus),
            ("Alt+1", self.visits.table.setFocus),
            ("Alt+2", self.session_panel.setFocus),
            ("Ctrl+I", self.demo_box.insert_card),
            ("Ctrl+J", self.demo_box.remove_card),
            ("Ctrl+G", self.demo_box.face_reader),
            ("Ctrl+R", self.requery_selected),
        ]
        for key, slot in hidden:
            act = QAction(self)
            act.setShortcut(QKeySequence(key))
            act.triggered.connect(slot)
            self.addAction(act)

    # ================================================================ start / stop

    def start(self) -> None:
        """Subscribe to the desk (the current status and open sessions are replayed)."""
        self.bridge = DeskBridge(self.desk, self.on_event, self)
        self.jobs.run(self.store.has_staff, self._has_staff, self._db_failed)
        self.jobs.run(lambda: load_settings(self.stack), self._apply_settings, self._db_failed)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.idle.detach()
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
            self.face_box.add(event)
            self.tell(
                self.tr("顔認証リーダーの結果が届きました：{name}").format(name=face_name(event)),
                Level.INFO,
            )
        elif isinstance(event, FollowUpConflict):
            self.session_panel.follow_up.add(event)
            self.tell(
                self.tr(
                    "{name} さんの再照会の結果が記録と違います。どちらで記録するか選んでください。"
                ).format(name=self.visits.name_of(event.visit_id)),
                Level.WARN,
            )
        elif isinstance(event, SameDayVisit):
            self._on_same_day(event)
        elif isinstance(event, VisitRecorded):
            self._on_recorded(event)
        elif isinstance(event, SessionClosed):
            self.desk_page.session_closed(event.visit_id)
            self.reload_visits()
        elif isinstance(event, VisitDetails):
            self.desk_page.visit_details(event)
        elif isinstance(event, Problem):
            self._on_problem(event)

    def _on_status(self, s: DeskStatus) -> None:
        before = self.status.staff if self.status else None
        if self.status and self.status.database.rolled_back and not s.database.rolled_back:
            self.tell(self.tr("管理者の確認を記録しました。受付の記録を再開します。"), Level.OK)
        self.status = s
        self.strip.show_status(s)
        self.demo_box.show_status(s)
        staff = s.staff
        if staff is not None and (
            before != staff or self.locked_user or self.pages.currentIndex() != PAGE_DESK
        ):
            self._logged_in(staff)
        elif staff is None and before is not None and self.locked_user is None:
            self._show_login()
        self._update_actions()

    def _logged_in(self, staff: StaffRef) -> None:
        self.login_page.done_waiting()
        self.accounts.staff_seen = staff
        if staff.must_change_password:
            self.pages.setCurrentIndex(PAGE_PASSWORD)
            self.password_page.say("")
            self.password_page.current.setFocus()
            return
        if self.locked_user is not None and self.locked_user[0] == staff.username:
            self.cover.unlock()
        elif self.cover.locked:
            self.cover.close_all()
        self.locked_user = None
        self.strip.show_locked(None)
        self.pages.setCurrentIndex(PAGE_DESK)
        self._restart_idle()
        self.reload_visits()
        self.visits.table.setFocus()
        QTimer.singleShot(0, self.pin_pad.prebuild)

    def _on_session(self, s: SessionUpdated) -> None:
        self.desk_page.session_updated(s)
        if s.screen is not Screen.ASK_PIN:
            self.pin_pad.close(s.visit_id)

    @property
    def sessions(self) -> dict[int, SessionUpdated]:
        """The open sessions the desk has sent, by visit."""
        return self.desk_page.sessions

    def current_visit(self) -> int | None:
        return self.desk_page.selected

    def select_visit(self, visit_id: int) -> None:
        self.desk_page.select_visit(visit_id)

    # -- the PIN pad ----------------------------------------------------------------------------

    @property
    def pin_dialog(self) -> PinDialog | None:
        """The PIN pad while it is open."""
        return self.pin_pad.dialog

    def _on_pin(self, e: PinRequested) -> None:
        if self.locked_user is not None or self.pages.currentIndex() != PAGE_DESK:
            return  # staff reopen the pad from the panel after unlocking
        self.select_visit(e.visit_id)
        self._open_pin(e.visit_id, e.tries_left, e.last_try_warning)

    def _open_pin(self, visit_id: int, tries: int, last: bool) -> None:
        simulated = bool(self.status and self.status.reader.virtual)
        self.pin_pad.open(visit_id, tries, last, simulated=simulated)

    def _reopen_pin(self, visit_id: int) -> None:
        s = self.sessions.get(visit_id)
        if s is not None and s.screen is Screen.ASK_PIN and s.pin_tries_left is not None:
            self._open_pin(visit_id, s.pin_tries_left, s.last_try_warning)

    # -- records and problems -------------------------------------------------------------------

    def _on_recorded(self, e: VisitRecorded) -> None:
        self.desk_page.visit_recorded(e.visit_id)
        sim = self.tr("【模擬】") if e.simulated else ""
        self.tell(
            sim
            + self.tr("記録しました：{path}／{outcome}").format(
                path=label(e.path), outcome=label(e.outcome)
            ),
            Level.SIM if e.simulated else Level.OK,
        )
        self.reload_visits()

    def _on_same_day(self, e: SameDayVisit) -> None:
        rows = {r.visit_id: r for r in self.visits.model.rows}
        times = [
            row.time.astimezone(JST).strftime("%H:%M")
            if (row := rows.get(v)) is not None and row.time is not None
            else "—"
            for v in e.earlier
        ]
        words = texts.same_day_text(e.patient.name, times)
        self.session_panel.add_notice(e.visit_id, words)
        self.tell(words, Level.WARN)

    def _on_problem(self, p: Problem) -> None:
        if p.kind is ProblemKind.LOGIN:
            self.login_page.done_waiting()
            if self.pages.currentIndex() == PAGE_LOGIN:
                self.login_page.say(texts.problem_words(p))
                self.login_page.focus_first()
                return
        if p.code == "not_waiting_face":
            self.face_box.put_back()
        words = texts.problem_words(p)
        self.desk_page.show_problem(p.visit_id, words)
        self.tell(f"{texts.problem_kind(p.kind)}：{words}", Level.ERROR)
        self.message.setToolTip(p.message)  # the runtime's English detail, for support

    def tell(self, text: str, level: Level = Level.INFO) -> None:
        self.message.setText(text.replace("\n", "　"))
        if self.message.property("level") != level.value:
            set_level(self.message, level)

    # ================================================================ list

    def reload_visits(self) -> None:
        if self.status is None or self.status.staff is None:
            return
        self.jobs.run(self.store.visits_on, self.desk_page.visits_loaded, self._db_failed)

    # ================================================================ commands

    def new_visit(self) -> None:
        if self.pages.currentIndex() != PAGE_DESK:
            return

        def begin(request: VisitRequest) -> None:
            self.desk_page.follow_next_session()
            self.desk.begin_visit(request)

        self._open_new_visit(NewVisitDialog(self.store.find_patients, self.jobs, begin, self))

    def attach_face(self, e: FaceResultUnattached) -> None:
        token = e.token

        def attach(request: VisitRequest) -> None:
            self.desk_page.follow_next_session()
            self.desk.attach_face_result(token, request)
            self.face_box.remove(token)

        dialog = NewVisitDialog(
            self.store.find_patients,
            self.jobs,
            attach,
            self,
            candidates=e.candidates,
            prefill=patient_from_result(e.result.record),
            title=self.tr("顔認証リーダーの結果を受付に割り当て"),
        )
        self._open_new_visit(dialog)

    def _open_new_visit(self, dialog: NewVisitDialog) -> None:
        dialog.open()
        self.new_visit_dialog = dialog

    def requery_selected(self) -> None:
        if (visit := self.current_visit()) is not None:
            self.desk.query_numbers(visit_id=visit)

    # -- login and lock -------------------------------------------------------------------------

    def _show_login(self) -> None:
        self.cover.close_all()
        self.login_page.set_locked(None)
        self.pages.setCurrentIndex(PAGE_LOGIN)
        self.idle.stop()
        self.login_page.focus_first()

    def logout(self) -> None:
        self.locked_user = None
        self.strip.show_locked(None)
        self.desk.logout()

    def lock(self) -> None:
        """Idle or Ctrl+L: the staff member is logged out, the sessions stay open."""
        staff = self.status.staff if self.status else None
        if staff is None or self.locked_user is not None:
            return
        self.locked_user = (staff.username, staff.display_name)
        self.pin_pad.close()
        self.cover.lock()
        self.strip.show_locked(staff.display_name)
        self.desk.logout()
        self.login_page.set_locked(staff.username, staff.display_name)
        self.pages.setCurrentIndex(PAGE_LOGIN)
        self.login_page.focus_first()
        self.idle.stop()
        self._update_actions()

    def is_locked(self) -> bool:
        return self.locked_user is not None

    def _restart_idle(self) -> None:
        minutes = self._settings.idle_minutes if self._settings else self.stack.idle_lock_minutes()
        self.idle.start(minutes)

    def _update_actions(self) -> None:
        staff = self.status.staff if self.status else None
        on_desk = staff is not None and self.locked_user is None
        for act in (
            self.act_new,
            self.act_refresh,
            self.act_daily,
            self.act_bookings,
            self.act_lock,
            self.act_logout,
        ):
            act.setEnabled(on_desk)
        if self.status and self.status.database.rolled_back:  # nothing can be recorded
            self.act_new.setEnabled(False)
        self.act_settings.setEnabled(on_desk and bool(staff and staff.is_admin))
        self.act_settings.setVisible(bool(staff and staff.is_admin))

    def accept_rolled_back(self) -> None:
        """An administrator records the decision on a rolled-back chain (ui.rolled_back)."""
        status = self.status
        if status is None or status.database.rolled_back is None:
            return
        if status.staff is None or not status.staff.is_admin:
            self.tell(texts.problem_text(ProblemKind.DATABASE, "PermissionDenied"), Level.WARN)
            return
        dialog = RolledBackDialog(status.database.rolled_back, self)
        dialog.decided.connect(self.desk.accept_restored_chain)
        self.rolled_back_dialog = dialog
        dialog.show()

    # -- settings -------------------------------------------------------------------------------

    def _apply_settings(self, settings: DeskSettings) -> None:
        self._settings = settings
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_font(app, settings.font_pt)
            self.visits.fit_columns()
            if apply_language(app, settings.language):
                self.language_changed.emit()

    def open_settings(self) -> None:
        staff = self.status.staff if self.status else None
        if staff is None or not staff.is_admin:
            self.tell(self.tr("設定は管理者だけが変更できます。"), Level.WARN)
            return
        status = self.status
        self.settings.open(
            terminal_root=status.terminal.root if status else None,
            database=status.database.description if status else "",
        )

    def _settings_saved(self, saved: DeskSettings, restart: bool) -> None:
        self.desk.refresh_database()
        self._apply_settings(saved)
        self._restart_idle()
        if restart:
            self.tell(
                self.tr("設定を保存しました。接続先の変更はアプリの再起動後に有効になります。"),
                Level.WARN,
            )
        else:
            self.tell(self.tr("設定を保存しました。"), Level.OK)

    def about(self) -> None:
        self.about_box = AboutBox(self)
        self.about_box.open()

    # -- printing -------------------------------------------------------------------------------

    def daily_log_dialog(self) -> None:
        if self.status is None or self.status.staff is None:
            return
        # The desk's day (Asia/Tokyo), not this PC's clock zone: the log is per Tokyo day.
        dialog = DailyLogDialog(self.printouts, self.desk.clock().date(), self)
        self.daily_dialog = dialog
        dialog.open()

    def open_bookings(self) -> None:
        """明日の予約 (一括照会): one view, kept while it is open (a check may be running)."""
        if self.status is None or self.status.staff is None:
            return
        if self.bookings_view is None or not self.bookings_view.isVisible():
            self.bookings_view = TomorrowBookings(
                self.stack,
                self,
                today=self.desk.clock().date(),
                has_terminal=self.status.terminal.state is not TerminalState.NOT_CONFIGURED,
            )
        self.bookings_view.show()
        self.bookings_view.raise_()

    def print_declaration(self, visit_id: int) -> None:
        if (s := self.sessions.get(visit_id)) is not None:
            self.printouts.print_declaration(s)
