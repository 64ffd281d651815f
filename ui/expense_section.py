"""公費 the terminal cannot confirm online: staff check the paper 受給者証, or note its absence."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from policies.reception import PublicExpenseResolved, Screen
from reader.reception import ReceptionDesk, SessionUpdated
from ui.flow_section import FlowSection
from ui.labels import label
from ui.widgets import button, button_row, scaled, wrapped


class PublicExpenseSection(FlowSection):
    """公費（医療費助成）: shown on the public-expense screen, one line per pending 公費."""

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("公費（医療費助成）"))
        v = QVBoxLayout(self)
        self.text = wrapped()
        self.text.setObjectName("ExpenseText")
        scaled(self.text, 1.15)
        v.addWidget(self.text)
        self.yes_btn = button(
            self.tr("紙の受給者証を確認した(&Y)"), "ExpensePresented", lambda: self._resolve(True)
        )
        self.no_btn = button(
            self.tr("受給者証の持参なし(&N)"), "ExpenseMissing", lambda: self._resolve(False)
        )
        v.addLayout(button_row(self.yes_btn, self.no_btn))

    def update_for(self, s: SessionUpdated) -> None:
        shown = s.screen is Screen.PUBLIC_EXPENSE
        self.setVisible(shown)
        if not shown:
            return
        payer = self.tr("公費負担者番号")
        lines = [
            f"・{label(e.subsidy_type)}　{e.prefecture}{e.municipality}"
            + (f"　{payer} {e.payer_number}" if e.payer_number else "")
            for e in s.public_expenses_pending
        ]
        self.text.setText(
            self.tr("次の公費はオンラインで確認できません。紙の受給者証を見せてもらってください。")
            + "\n"
            + "\n".join(lines)
        )
        allowed = PublicExpenseResolved in s.allowed
        self.yes_btn.setEnabled(allowed)
        self.no_btn.setEnabled(allowed)

    def _resolve(self, presented: bool) -> None:
        self.desk.dispatch(PublicExpenseResolved(presented), visit_id=self.visit_id())
