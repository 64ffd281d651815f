"""The patient-facing PIN pad: large digits, tries left shown first, last try confirmed.

The PIN lives only in this dialog's private digit list while it is typed; it is handed to the
desk once (one VERIFY, never retried) and the list is cleared at once. It is never echoed (dots
only), logged, put in a signal, a setting or a widget's text.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from policies.model import FailureReason
from policies.reception import Failed
from reader.reception import ReceptionDesk
from ui.widgets import Level, chip, scaled, set_level, wrapped

PIN_LENGTH = 4


class PinDialog(QDialog):
    """Shown for PinRequested. ``on_submit(pin, confirm_last_try)`` sends the one VERIFY.

    The window keeps one pad and :meth:`prepare` s it for each request: building a dialog under
    the style sheet takes 25–35 ms, too long to do while a card is being read.
    """

    def __init__(
        self,
        tries_left: int,
        last_try_warning: bool,
        on_submit: Callable[[str, bool], None],
        on_give_up: Callable[[], None],
        parent: QWidget | None = None,
        *,
        simulated: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("PinDialog")
        self.setWindowTitle(self.tr("暗証番号の入力（患者さん用）"))
        self.setModal(True)
        self._digits: list[str] = []
        outer = QVBoxLayout(self)
        self.banner = QLabel(self.tr("模擬カード（デモ）：実在のカードではありません"))
        self.banner.setObjectName("SimBanner")
        outer.addWidget(self.banner)
        # Words on the left, digits on the right: one column was taller than a 768-pixel
        # screen at the large font with the last-try warning, and the keys were squeezed.
        columns = QHBoxLayout()
        outer.addLayout(columns, 1)
        self.words = QWidget()  # a fixed width (see prepare): the wrapped texts' height is exact
        layout = QVBoxLayout(self.words)
        layout.setContentsMargins(0, 0, 0, 0)
        keypad = QVBoxLayout()
        columns.addWidget(self.words)
        columns.addLayout(keypad, 1)
        self.title = title = QLabel(
            self.tr("マイナンバーカードの暗証番号（数字4桁）を入力してください")
        )
        title.setWordWrap(True)
        scaled(title, 1.5, bold=True)
        layout.addWidget(title)

        self.tries = chip()
        self.tries.setObjectName("TriesLeft")
        self.tries.setWordWrap(True)
        scaled(self.tries, 1.5, bold=True)
        layout.addWidget(self.tries)

        self.warning = chip(
            self.tr(
                "最後の1回です。間違えるとカードがロックされ、市区町村の窓口での"
                "手続きが必要になります。暗証番号に自信がなければ入力せず、"
                "職員にお伝えください。"
            ),
            Level.ERROR,
        )
        self.warning.setWordWrap(True)
        self.warning.setObjectName("LastTryWarning")
        scaled(self.warning, 1.15, bold=True)
        layout.addWidget(self.warning)
        self.confirm = QCheckBox(self.tr("最後の1回であることを理解して入力します(&C)"))
        self.confirm.setObjectName("LastTryConfirm")
        scaled(self.confirm, 1.15, bold=True)
        self.confirm.toggled.connect(self._refresh)
        layout.addWidget(self.confirm)

        self.display = QLabel()
        self.display.setObjectName("PinDisplay")
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scaled(self.display, 3.2, bold=True)
        keypad.addWidget(self.display)

        grid = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        for i, d in enumerate("123456789"):
            self._key(grid, d, i // 3, i % 3)
        self.clear_btn = QPushButton(self.tr("訂正"))
        self.clear_btn.setObjectName("PinClear")
        scaled(self.clear_btn, 1.5, bold=True)
        self.clear_btn.setMinimumSize(110, 70)
        self.clear_btn.setAutoDefault(False)
        self.clear_btn.clicked.connect(self._backspace)
        grid.addWidget(self.clear_btn, 3, 0)
        self._key(grid, "0", 3, 1)
        self.ok_btn = QPushButton(self.tr("決定"))
        self.ok_btn.setObjectName("PinOk")
        scaled(self.ok_btn, 1.5, bold=True)
        self.ok_btn.setMinimumSize(110, 70)
        self.ok_btn.setAutoDefault(False)
        self.ok_btn.clicked.connect(self.submit)
        grid.addWidget(self.ok_btn, 3, 2)
        keypad.addLayout(grid)
        keypad.addStretch(1)

        self.help = wrapped(
            self.tr("数字キーでも入力できます。Backspaceで1文字消去、Enterで決定。")
        )
        layout.addWidget(self.help)
        row = QHBoxLayout()
        self.give_up = QPushButton(self.tr("暗証番号が分からない・入力しない(&U)"))
        self.give_up.setObjectName("PinGiveUp")
        self.give_up.setAutoDefault(False)
        self.give_up.clicked.connect(self._give_up)
        row.addWidget(self.give_up)
        row.addStretch(1)
        layout.addStretch(1)
        layout.addLayout(row)
        self.prepare(tries_left, last_try_warning, on_submit, on_give_up, simulated=simulated)

    def prepare(
        self,
        tries_left: int,
        last_try_warning: bool,
        on_submit: Callable[[str, bool], None],
        on_give_up: Callable[[], None],
        *,
        simulated: bool = False,
    ) -> None:
        """Ready the pad for one PIN request (no digits, the confirmation unticked)."""
        self._digits.clear()
        self._on_submit, self._on_give_up = on_submit, on_give_up
        self.last_try = last_try_warning
        self.banner.setVisible(simulated)
        self.tries.setText(
            self.tr("あと {n} 回 間違えるとカードがロックされます").format(n=tries_left)
        )
        set_level(self.tries, Level.ERROR if last_try_warning else Level.INFO)
        self.tries.ensurePolished()  # its enlarged font comes from the style sheet
        width = self.tries.fontMetrics().horizontalAdvance("あ") * 17
        self.words.setFixedWidth(width)
        for text in (self.title, self.tries, self.warning, self.help):
            # the wrapped height at the column's width, which the layout underestimates for
            # labels styled with padding and borders
            text.ensurePolished()
            text.setMinimumHeight(text.heightForWidth(width) + 4)
        self.warning.setVisible(last_try_warning)
        self.confirm.setChecked(False)
        self.confirm.setVisible(last_try_warning)
        self._refresh()

    def _key(self, grid: QGridLayout, digit: str, r: int, c: int) -> None:
        btn = QPushButton(digit)
        btn.setObjectName(f"PinKey{digit}")
        scaled(btn, 2.2, bold=True)
        btn.setMinimumSize(110, 70)
        btn.setAutoDefault(False)
        btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        btn.clicked.connect(lambda: self.press(digit))
        grid.addWidget(btn, r, c)
        self.keys[digit] = btn

    # -- input -----------------------------------------------------------------------------------

    def press(self, digit: str) -> None:
        if digit.isdigit() and len(digit) == 1 and len(self._digits) < PIN_LENGTH:
            self._digits.append(digit)
        self._refresh()

    def _backspace(self) -> None:
        if self._digits:
            self._digits.pop()
        self._refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text and text.isdigit() and text.isascii():
            self.press(text)
            return
        if event.key() == Qt.Key.Key_Backspace:
            self._backspace()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            return
        if event.key() == Qt.Key.Key_Escape:  # closes only; staff can reopen the pad
            self.reject()
            return
        super().keyPressEvent(event)

    def _ready(self) -> bool:
        return len(self._digits) == PIN_LENGTH and (not self.last_try or self.confirm.isChecked())

    def _refresh(self) -> None:
        shown = "●" * len(self._digits) + "○" * (PIN_LENGTH - len(self._digits))
        self.display.setText(" ".join(shown))
        self.ok_btn.setEnabled(self._ready())

    def entered(self) -> int:
        """How many digits are typed (never which)."""
        return len(self._digits)

    def submit(self) -> None:
        if not self._ready():
            return
        pin = "".join(self._digits)
        self._digits.clear()
        self._refresh()
        confirm = self.last_try and self.confirm.isChecked()
        self.accept()
        self._on_submit(pin, confirm)

    def _give_up(self) -> None:
        self._digits.clear()
        self.reject()
        self._on_give_up()

    def done(self, result: int) -> None:  # every way out clears the digits
        self._digits.clear()
        super().done(result)


class PinPadHost(QObject):
    """The window's one pad: built once while nothing else happens (after login), then
    prepared for each request; ``dialog`` is the pad while it is open for a visit."""

    def __init__(self, window: QWidget, desk: ReceptionDesk) -> None:
        super().__init__(window)
        self.owner = window
        self.desk = desk
        self.dialog: PinDialog | None = None
        self._pad: PinDialog | None = None

    def prebuild(self) -> PinDialog:
        if self._pad is None:
            self._pad = PinDialog(3, False, lambda _p, _c: None, lambda: None, self.owner)
            self._pad.finished.connect(lambda _r: self._closed())
            self._pad.ensurePolished()
            self._pad.adjustSize()
            self._pad.winId()  # its native window now, not when the card is being read
        return self._pad

    def open(self, visit_id: int, tries: int, last: bool, *, simulated: bool) -> None:
        """The pad for ``visit_id``; the PIN goes to the desk once, or staff give up."""
        self.close()

        def submit(pin: str, confirm: bool) -> None:
            self.desk.submit_pin(pin, confirm_last_try=confirm, visit_id=visit_id)

        def give_up() -> None:
            self.desk.dispatch(Failed(FailureReason.PIN_UNKNOWN), visit_id=visit_id)

        pad = self.prebuild()
        pad.prepare(tries, last, submit, give_up, simulated=simulated)
        pad.setProperty("visit_id", visit_id)
        self.dialog = pad
        # Shown in the next loop turn: preparing and showing in one go held the loop ~45 ms.
        QTimer.singleShot(0, lambda: self.dialog is pad and not pad.isVisible() and pad.open())

    def close(self, visit_id: int | None = None) -> None:
        """Close the open pad (only if it is for ``visit_id``, when given)."""
        pad = self.dialog
        if pad is not None and (visit_id is None or pad.property("visit_id") == visit_id):
            pad.reject()
            self.dialog = None

    def _closed(self) -> None:
        self.dialog = None
