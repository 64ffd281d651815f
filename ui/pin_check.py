"""The card holder's check: the PIN (tries left, the pad, after a wrong PIN) or the 目視確認.

The PIN itself is typed on the pad (:mod:`ui.pin_dialog`), never here: this section shows the
tries read before anything was sent, and offers the steps the state machine allows after a
wrong PIN — another try by the patient, or the visual check instead.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from policies.reception import RetryPin, Screen, UseVisualCheck, VisualCheckDone
from reader.reception import ReceptionDesk, SessionUpdated, WaitingFor
from ui.flow_section import FlowSection
from ui.widgets import Level, button, button_row, chip, scaled, set_level, wrapped


class PinSection(FlowSection):
    """暗証番号: shown while the PIN is asked for and after a wrong one."""

    #: (visit_id) staff want the PIN pad (re)opened.
    pad_wanted = Signal(int)

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("暗証番号"))
        v = QVBoxLayout(self)
        self.tries = chip("", Level.INFO)
        self.tries.setObjectName("PanelTries")
        scaled(self.tries, 1.3, bold=True)
        v.addWidget(self.tries)
        self.open_pad_btn = button(
            self.tr("暗証番号の入力画面を開く(&P)"), "OpenPinPad", self._open_pad
        )
        self.retry_btn = button(
            self.tr("もう一度入力してもらう(&R)"), "RetryPinButton", self._retry
        )
        self.visual_btn = button(
            self.tr("目視確認に切り替える(&V)"), "UseVisualButton", self._use_visual
        )
        v.addLayout(button_row(self.open_pad_btn, self.retry_btn, self.visual_btn))

    def update_for(self, s: SessionUpdated) -> None:
        screen = s.screen
        self.setVisible(screen in (Screen.ASK_PIN, Screen.PIN_WRONG))
        if s.pin_tries_left is not None:
            last = s.last_try_warning
            self.tries.setText(
                self.tr("残り {n} 回").format(n=s.pin_tries_left)
                + (self.tr("　⚠ 最後の1回：間違えるとロックされます") if last else "")
            )
            set_level(self.tries, Level.ERROR if last else Level.INFO)
        self.open_pad_btn.setVisible(screen is Screen.ASK_PIN)
        self.open_pad_btn.setEnabled(s.waiting_for is WaitingFor.PIN)
        self.retry_btn.setVisible(screen is Screen.PIN_WRONG)
        self.retry_btn.setEnabled(RetryPin in s.allowed)
        self.visual_btn.setVisible(screen is Screen.PIN_WRONG)
        self.visual_btn.setEnabled(UseVisualCheck in s.allowed)

    def _open_pad(self) -> None:
        if self.session is not None:
            self.pad_wanted.emit(self.session.visit_id)

    def _retry(self) -> None:
        self.desk.dispatch(RetryPin(), visit_id=self.visit_id())

    def _use_visual(self) -> None:
        self.desk.dispatch(UseVisualCheck(), visit_id=self.visit_id())


class VisualCheck(FlowSection):
    """目視確認: staff compare the card's photo with the patient in front of them."""

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("目視確認"))
        v = QVBoxLayout(self)
        v.addWidget(
            wrapped(
                self.tr(
                    "カードの顔写真と、目の前の患者さんを見比べてください。"
                    "マスク等は外してもらってください。"
                )
            )
        )
        self.match_btn = button(
            self.tr("本人と一致した(&Y)"), "VisualMatch", lambda: self._done(True)
        )
        self.nomatch_btn = button(
            self.tr("一致しない(&N)"), "VisualNoMatch", lambda: self._done(False)
        )
        v.addLayout(button_row(self.match_btn, self.nomatch_btn))

    def update_for(self, s: SessionUpdated) -> None:
        self.setVisible(s.screen is Screen.VISUAL_CHECK)

    def _done(self, matches: bool) -> None:
        self.desk.dispatch(VisualCheckDone(matches), visit_id=self.visit_id())
