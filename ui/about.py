"""このアプリについて: what Madoguchi is, and that the rule data stays in Japanese in English."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


class AboutBox(QMessageBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AboutBox")
        self.setWindowTitle(self.tr("このアプリについて"))
        self.setText(
            self.tr("窓口 Madoguchi — マイナ保険証による資格確認と代替手段の記録（受付用）")
        )
        self.setInformativeText(
            self.tr(
                "確認方法の名称・まずすること・注記・出典などのルールデータは、"
                "元の厚生労働省の通知等のとおり日本語で表示します。"
            )
        )
        self.setStandardButtons(QMessageBox.StandardButton.Close)
