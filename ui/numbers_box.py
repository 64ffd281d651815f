"""Insurance numbers read off a document: the fields, and the section that sends a query with them.

保険者番号・記号・番号・枝番・生年月日, each validated as typed (:mod:`ui.fields`). The same fields
appear twice in the flow: on their own while the runtime waits for numbers to query with
(:class:`NumbersQuery`), and in the documents form, where they are recorded with the document and
feed an individual query (:mod:`ui.documents_form`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from policies.records import InsuranceNumbers, insurance_numbers
from reader.reception import (
    ProblemKind,
    ReceptionDesk,
    SessionUpdated,
    WaitingFor,
)
from ui import texts
from ui.fields import DateField, insurer_field
from ui.flow_section import FlowSection
from ui.widgets import button


class NumbersFields(QWidget):
    """The five fields in a form (no frame of its own: it sits in a titled box)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.insurer = insurer_field()
        self.symbol_edit = QLineEdit()
        self.number_edit = QLineEdit()
        self.branch_edit = QLineEdit()
        self.birth = DateField()
        self.form.addRow(self.tr("保険者番号(&I)"), self.insurer)
        self.form.addRow(self.tr("記号(&Y)"), self.symbol_edit)
        self.form.addRow(self.tr("番号(&M)"), self.number_edit)
        self.form.addRow(self.tr("枝番(&E)"), self.branch_edit)
        self.form.addRow(self.tr("生年月日(&B)"), self.birth)
        for lbl, w in (
            (self.form.labelForField(self.insurer), self.insurer.edit),
            (self.form.labelForField(self.birth), self.birth.edit),
        ):
            if isinstance(lbl, QLabel):
                lbl.setBuddy(w)

    def prefill(self, s: SessionUpdated) -> None:
        """Start from the patient on file (staff correct what the document says)."""
        p = s.patient
        if self.insurer.is_empty() and p.insurer_number:
            self.insurer.setText(p.insurer_number)
        if not self.symbol_edit.text() and p.insured_symbol:
            self.symbol_edit.setText(p.insured_symbol)
        if not self.number_edit.text() and p.insured_number:
            self.number_edit.setText(p.insured_number)
        if not self.branch_edit.text() and p.insured_branch:
            self.branch_edit.setText(p.insured_branch)
        if self.birth.is_empty() and p.birth_date:
            self.birth.setText(p.birth_date.isoformat())

    def clear(self) -> None:
        for edit in (self.insurer.edit, self.symbol_edit, self.number_edit, self.branch_edit):
            edit.clear()
        self.birth.edit.clear()

    def ok(self) -> bool:
        return self.insurer.ok() and self.birth.ok()

    def numbers(self) -> InsuranceNumbers | None:
        return insurance_numbers(
            self.insurer.value(),
            self.number_edit.text().strip() or None,
            self.birth.value(),
            self.symbol_edit.text().strip() or None,
            self.branch_edit.text().strip() or None,
        )

    def details(self) -> dict[str, str]:
        out = {
            "insurer_number": self.insurer.value() or "",
            "symbol": self.symbol_edit.text().strip(),
            "number": self.number_edit.text().strip(),
            "branch": self.branch_edit.text().strip(),
        }
        return {k: v for k, v in out.items() if v}


class NumbersQuery(FlowSection):
    """照会に使う番号: shown while the runtime waits for numbers; sends the individual query."""

    #: What is missing, in words (the panel shows it with the runtime's problems).
    problem = Signal(str)

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("照会に使う番号（書類から読み取り）"))
        self.setObjectName("NumbersBox")
        v = QVBoxLayout(self)
        self.fields = NumbersFields()
        v.addWidget(self.fields)
        self.query_btn = button(
            self.tr("この番号で照会する(&Q)"), "QueryNumbersButton", self._query
        )
        self.fields.form.addRow(self.query_btn)

    def update_for(self, s: SessionUpdated) -> None:
        wanted = s.waiting_for is WaitingFor.NUMBERS
        self.setVisible(wanted)
        if wanted:
            self.fields.prefill(s)

    def reset(self) -> None:
        self.fields.clear()

    def _query(self) -> None:
        numbers = self.fields.numbers()
        if numbers is None:
            self.problem.emit(texts.problem_text(ProblemKind.COMMAND, "numbers_needed"))
            return
        self.desk.query_numbers(numbers, visit_id=self.visit_id())
