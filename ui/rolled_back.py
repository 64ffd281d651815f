"""The administrator's decision on an audit chain this PC saw rolled back: a small dialog.

While this PC's witness shows the chain behind or diverging from what it recorded
(``DatabaseStatus.rolled_back``), nothing is recorded and the status strip says so. The decision
to go on from the chain as it is belongs to an administrator and is recorded with a reason; the
dialog only collects that reason (OK stays disabled while it is blank) and forwards it to the
desk, whose status then clears (or whose Problem says why not).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui import texts


class RolledBackDialog(QDialog):
    """Window-modal; ``decided(reason)`` when the administrator confirms."""

    decided = Signal(str)

    def __init__(self, problem: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RolledBackDialog")
        self.setWindowTitle(self.tr("監査記録の巻き戻り：管理者の確認"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        layout = QVBoxLayout(self)
        explain = QLabel(
            texts.rolled_back_text()
            + "\n\n"
            + self.tr(
                "データベースを古いコピーに戻した・バックアップから復元したなど、理由が分かって"
                "いる場合に限り、今のデータベースを正として記録を再開できます。判断と理由は監査"
                "記録に残ります。心当たりがなければ再開せず、データベースの管理者に連絡して"
                "ください。"
            )
        )
        explain.setWordWrap(True)
        layout.addWidget(explain)
        detail = QLabel(problem)
        detail.setObjectName("RolledBackDetail")
        detail.setWordWrap(True)
        detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(detail)
        layout.addWidget(QLabel(self.tr("理由（必須・監査記録に残ります）")))
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("RolledBackReason")
        self.reason.setTabChangesFocus(True)
        layout.addWidget(self.reason)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(
            self.tr("確認を記録して再開"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(self.tr("キャンセル"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ok.setEnabled(False)
        self.reason.textChanged.connect(
            lambda: self.ok.setEnabled(bool(self.reason.toPlainText().strip()))
        )

    def accept(self) -> None:
        reason = self.reason.toPlainText().strip()
        if not reason:
            return
        self.decided.emit(reason)
        super().accept()
