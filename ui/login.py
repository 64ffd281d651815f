"""Login, first-run admin, password change and the lock screen: pages of the main window.

They are pages (not modal dialogs) so the desk keeps running behind them: a locked desk keeps
its open sessions, and nothing on these pages blocks the event loop. :class:`Accounts` carries
out what staff submit on them: logging in through the desk (its status says who is logged in),
account changes through the store on a Jobs thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from policies.records import StaffRef
from storage.errors import (
    PasswordChangedMeanwhile,
    PasswordFault,
    WeakPassword,
    WrongCurrentPassword,
)
from storage.passwords import MIN_LENGTH
from ui.bridge import Jobs
from ui.stack import Stack
from ui.widgets import Level, chip, scaled, set_level, wrapped


class _Page(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QWidget()
        # A width of its own: centred at its size hint, the box would take the wrapped
        # messages' narrowest guess and cut their last lines off.
        em = box.fontMetrics().horizontalAdvance("あ")
        box.setFixedWidth(em * 32)
        self.layout_ = QVBoxLayout(box)
        self.title = QLabel(title)
        self.title.setObjectName("PageTitle")
        self.title.setWordWrap(True)
        scaled(self.title, 1.5, bold=True)
        self.layout_.addWidget(self.title)
        self.message = chip("", Level.ERROR)
        self.message.setObjectName("PageMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.layout_.addWidget(self.message)
        row = QHBoxLayout()  # centred by stretches, not alignment: the height follows the width
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def say(self, text: str, level: Level = Level.ERROR) -> None:
        self.message.setText(text)
        set_level(self.message, level)
        self.message.setVisible(bool(text))

    def _password(self) -> QLineEdit:
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def _submit_button(self, text: str) -> QPushButton:
        btn = QPushButton(text)
        btn.setObjectName("SubmitButton")
        btn.setDefault(True)
        scaled(btn, 1.15, bold=True)
        self.layout_.addWidget(btn)
        return btn


class LoginPage(_Page):
    """Staff login; in lock mode the user is fixed and only the password is asked."""

    submitted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("ログイン"), parent)
        self.user = QLineEdit()
        self.user.setObjectName("LoginUser")
        self.password = self._password()
        self.password.setObjectName("LoginPassword")
        self.form.addRow(self.tr("ユーザー名(&U)"), self.user)
        self.form.addRow(self.tr("パスワード(&P)"), self.password)
        self.note = wrapped()
        self.layout_.addWidget(self.note)
        self.button = self._submit_button(self.tr("ログイン(&L)"))
        self.button.clicked.connect(self._submit)
        self.user.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self._submit)
        self.locked_user: str | None = None

    def set_locked(self, username: str | None, display: str = "") -> None:
        self.locked_user = username
        if username:
            self.title.setText(self.tr("画面をロックしました"))
            self.note.setText(
                self.tr(
                    "{name} さんの受付は保持されています。パスワードを入力して再開してください。"
                ).format(name=display or username)
            )
            self.user.setText(username)
            self.user.setEnabled(False)
            self.button.setText(self.tr("ロック解除(&L)"))
        else:
            self.title.setText(self.tr("ログイン"))
            self.note.setText("")
            self.user.setEnabled(True)
            self.button.setText(self.tr("ログイン(&L)"))
        self.note.setVisible(bool(username))  # no empty gap above the login button
        self.password.clear()
        self.say("")

    def focus_first(self) -> None:
        (self.password if self.locked_user or self.user.text() else self.user).setFocus()

    def _submit(self) -> None:
        user = self.user.text().strip()
        password = self.password.text()
        self.password.clear()
        if user and password:
            self.button.setEnabled(False)
            self.submitted.emit(user, password)

    def done_waiting(self) -> None:
        self.button.setEnabled(True)


class FirstAdminPage(_Page):
    """First run: no staff exists yet; create the administrator."""

    submitted = Signal(str, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("はじめに：管理者アカウントを作成します"), parent)
        self.user = QLineEdit()
        self.user.setObjectName("AdminUser")
        self.display = QLineEdit()
        self.display.setObjectName("AdminDisplay")
        self.password = self._password()
        self.password.setObjectName("AdminPassword")
        self.again = self._password()
        self.again.setObjectName("AdminPassword2")
        self.form.addRow(self.tr("ユーザー名(&U)"), self.user)
        self.form.addRow(self.tr("表示名(&D)"), self.display)
        self.form.addRow(self.tr("パスワード(&P)"), self.password)
        self.form.addRow(self.tr("パスワード（確認）(&A)"), self.again)
        self.layout_.addWidget(
            wrapped(
                self.tr(
                    "パスワードは8文字以上で、英字・数字・記号のうち2種類以上を含めてください。この管理者が職員を登録します。"
                )
            )
        )
        self.button = self._submit_button(self.tr("作成してログイン(&C)"))
        self.button.clicked.connect(self._submit)
        self.again.returnPressed.connect(self._submit)

    def _submit(self) -> None:
        if self.password.text() != self.again.text():
            self.say(self.tr("2つのパスワードが一致しません。"))
            return
        user, display = self.user.text().strip(), self.display.text().strip()
        if not user or not display or not self.password.text():
            self.say(self.tr("すべての項目を入力してください。"))
            return
        password = self.password.text()
        self.password.clear()
        self.again.clear()
        self.submitted.emit(user, display, password)


class ChangePasswordPage(_Page):
    """Must-change-password at login (SEC-05): the desk stays closed until it is changed."""

    submitted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("パスワードを変更してください"), parent)
        self.current = self._password()
        self.current.setObjectName("CurrentPassword")
        self.new = self._password()
        self.new.setObjectName("NewPassword")
        self.again = self._password()
        self.again.setObjectName("NewPassword2")
        self.form.addRow(self.tr("現在のパスワード(&C)"), self.current)
        self.form.addRow(self.tr("新しいパスワード(&N)"), self.new)
        self.form.addRow(self.tr("新しいパスワード（確認）(&A)"), self.again)
        self.layout_.addWidget(
            wrapped(self.tr("管理者が設定した初期パスワードは、最初のログインで変更が必要です。"))
        )
        self.button = self._submit_button(self.tr("変更する(&S)"))
        self.button.clicked.connect(self._submit)
        self.again.returnPressed.connect(self._submit)

    def _submit(self) -> None:
        if self.new.text() != self.again.text():
            self.say(self.tr("2つの新しいパスワードが一致しません。"))
            return
        current, new = self.current.text(), self.new.text()
        for edit in (self.current, self.new, self.again):
            edit.clear()
        if current and new:
            self.submitted.emit(current, new)


class Accounts(QObject):
    """The three pages and what their submissions do; ``staff_seen``: the last staff member
    the desk reported logged in (the one a must-change password belongs to)."""

    #: The first administrator exists: the login page, while the desk logs them in.
    admin_created = Signal()

    def __init__(self, stack: Stack, jobs: Jobs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = stack
        self.jobs = jobs
        self.staff_seen: StaffRef | None = None
        self.login_page = LoginPage()
        self.login_page.submitted.connect(self._login)
        self.first_page = FirstAdminPage()
        self.first_page.submitted.connect(self._create_admin)
        self.password_page = ChangePasswordPage()
        self.password_page.submitted.connect(self._change_password)

    def _refusal(self, exc: Exception) -> str:
        """Why a new password or account was refused: the policy's rule or the store's typed
        refusal in words, else the store's own (English) message."""
        if isinstance(exc, WeakPassword):
            return {
                PasswordFault.TOO_SHORT: self.tr(
                    "パスワードが短すぎます。{n}文字以上にしてください。"
                ).format(n=MIN_LENGTH),
                PasswordFault.ONE_KIND: self.tr(
                    "英字・数字・記号のうち2種類以上を含めてください。"
                ),
                PasswordFault.COMMON: self.tr(
                    "よく使われるパスワードのため使えません。別のパスワードにしてください。"
                ),
            }[exc.fault]
        if isinstance(exc, WrongCurrentPassword):
            return self.tr("現在のパスワードが違います。")
        if isinstance(exc, PasswordChangedMeanwhile):
            return self.tr("その間にパスワードが変更されました。もう一度お試しください。")
        return str(exc)

    def _login(self, user: str, password: str) -> None:
        self.login_page.say(self.tr("確認しています…"), Level.INFO)
        self.stack.desk.login(user, password)

    def _create_admin(self, user: str, display: str, password: str) -> None:
        self.first_page.say(self.tr("作成しています…"), Level.INFO)
        store = self.stack.store

        def done(_staff: object) -> None:
            self.stack.desk.login(user, password)
            self.login_page.user.setText(user)
            self.admin_created.emit()

        def failed(exc: Exception) -> None:
            self.first_page.say(self.tr("作成できません：{e}").format(e=self._refusal(exc)))

        self.jobs.run(lambda: store.create_first_admin(user, display, password), done, failed)

    def _change_password(self, current: str, new: str) -> None:
        staff = self.staff_seen
        if staff is None:
            return
        self.password_page.say(self.tr("変更しています…"), Level.INFO)
        stack = self.stack

        def job() -> None:
            actor = stack.actor()
            stack.store.change_password(actor, actor.username, new, current_password=current)

        def done(_: object) -> None:
            self.password_page.say("")
            stack.desk.login(staff.username, new)  # fresh account state (no must-change)

        def failed(exc: Exception) -> None:
            self.password_page.say(self.tr("変更できません：{e}").format(e=self._refusal(exc)))

        self.jobs.run(job, done, failed)
