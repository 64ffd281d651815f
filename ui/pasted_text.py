"""資格確認限定型: the マイナ資格確認アプリ's copied result, pasted for the desk to parse.

Offered with the route options when the rules allow the limited-app path, and while the runtime
waits for a pasted text (or a face-reader result). The desk parses the text; what it cannot read
comes back as a Problem with the lines concerned.
"""

from __future__ import annotations

from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from policies.model import VerificationPath
from policies.reception import Screen
from reader.reception import ReceptionDesk, SessionUpdated, WaitingFor
from ui.flow_section import FlowSection
from ui.widgets import button, button_row


class PastedAppText(FlowSection):
    """マイナ資格確認アプリの結果を貼り付け."""

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("マイナ資格確認アプリの結果を貼り付け"))
        v = QVBoxLayout(self)
        self.paste = QPlainTextEdit()
        self.paste.setObjectName("PasteText")
        self.paste.setPlaceholderText(
            self.tr("アプリの「コピー」で取った結果をここに貼り付けます（Ctrl+V）")
        )
        self.paste.setTabChangesFocus(True)
        self.paste.setMaximumHeight(120)
        v.addWidget(self.paste)
        self.paste_btn = button(self.tr("貼り付けた結果を使う(&T)"), "PasteButton", self._use)
        v.addLayout(button_row(self.paste_btn))

    def update_for(self, s: SessionUpdated) -> None:
        offered = s.screen is Screen.CHOOSE_ROUTE and any(
            o.path is VerificationPath.LIMITED_APP for o in s.options
        )
        self.setVisible(
            offered or s.waiting_for in (WaitingFor.PASTED_TEXT, WaitingFor.FACE_OR_PASTE)
        )

    def reset(self) -> None:
        self.paste.clear()

    def _use(self) -> None:
        text = self.paste.toPlainText()
        if text.strip():
            self.desk.paste_limited_app_text(text, visit_id=self.visit_id())
