"""Evening: the 日報 of a chosen day (the desk's Tokyo day by default), printed or saved as PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)

from ui.printouts import Printouts
from ui.widgets import wrapped


class DailyLogDialog(QDialog):
    """日報（資格確認 日次記録）: a day, then 印刷 or PDFとして保存."""

    def __init__(self, printouts: Printouts, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DailyLogDialog")
        self.printouts = printouts
        self.setWindowTitle(self.tr("日報（資格確認 日次記録）"))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("あ") * 30)
        layout = QVBoxLayout(self)
        form = QFormLayout()
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
                self.printouts.print_pdf(path)
            else:
                self.printouts.save_pdf(path, target)

        self.printouts.make_daily_pdf(self.chosen_day(), ready)
