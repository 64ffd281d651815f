"""The documents form: what the patient presented for the chosen fallback, checked as typed.

One row per document the chosen option asks for ('presented' and what staff read on it:
validity, 公費負担者番号 and 受給者番号 with their check digits), the マイナポータル PDF
(:mod:`ui.portal_pdf`), the insurance numbers of a numbered document, and the
被保険者資格申立書 to print. 記録する is enabled only when the state machine allows it and every
field typed is valid.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QVBoxLayout, QWidget

from policies.model import DocumentKind
from policies.reception import DocumentsRecorded, Screen
from policies.records import SeenDocument
from reader.reception import ReceptionDesk, SessionUpdated
from ui.fields import DateField, NumberField, payer_field, recipient_field
from ui.flow_section import FlowSection
from ui.labels import label, labels
from ui.numbers_box import NumbersFields
from ui.portal_pdf import PortalPdfBox
from ui.widgets import Level, button, chip, scaled, wrapped

#: Documents whose insurance numbers staff read off (they feed an individual query).
NUMBER_DOCUMENTS = frozenset(
    {
        DocumentKind.QUALIFICATION_CERTIFICATE,
        DocumentKind.QUALIFICATION_NOTICE,
        DocumentKind.INSURANCE_CARD,
        DocumentKind.EXPIRED_INSURANCE_CARD,
        DocumentKind.MYNAPORTAL_SCREEN,
    }
)
TICKETS = frozenset({DocumentKind.MEDICAL_TICKET, DocumentKind.DISPENSING_TICKET})


class DocumentRow(QWidget):
    """One requested document: 'presented' checkbox and what staff read on it."""

    def __init__(self, kind: DocumentKind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        self.check = QCheckBox(self.tr("{doc} を確認した").format(doc=label(kind)))
        self.check.setObjectName(f"doc_{kind.value}")
        scaled(self.check, 1.15, bold=True)
        layout.addWidget(self.check)
        form = QFormLayout()
        self.valid_until = DateField()
        self.payer: NumberField | None = None
        self.recipient: NumberField | None = None
        if kind in TICKETS:
            self.payer = payer_field()
            self.recipient = recipient_field()
            form.addRow(self.tr("公費負担者番号"), self.payer)
            form.addRow(self.tr("受給者番号"), self.recipient)
        #: Where Tab goes, in order (the form's fields, the check first).
        self.tab_chain: list[QWidget] = [self.check]
        if self.payer is not None and self.recipient is not None:
            self.tab_chain += [self.payer.edit, self.recipient.edit]
        if kind is not DocumentKind.SELF_DECLARATION_FORM and kind is not DocumentKind.MYNA_CARD:
            form.addRow(self.tr("有効期限（券面）"), self.valid_until)
            self.tab_chain.append(self.valid_until.edit)
        layout.addLayout(form)

    def ok(self) -> bool:
        fields = [self.valid_until, self.payer, self.recipient]
        return all(f.ok() for f in fields if f is not None)

    def details(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if (d := self.valid_until.value()) is not None:
            out["valid_until"] = d.isoformat()
        if self.payer is not None and (v := self.payer.value()):
            out["payer_number"] = v
        if self.recipient is not None and (v := self.recipient.value()):
            out["recipient_number"] = v
        return out


class DocumentsForm(FlowSection):
    """提示された書類: shown on the collect-documents screen."""

    #: (visit_id) print a 被保険者資格申立書 for this patient.
    declaration_wanted = Signal(int)
    #: (visit_id) choose a マイナポータル PDF with the file dialog.
    pdf_file_wanted = Signal(int)
    #: (visit_id, path) a PDF was dropped.
    pdf_dropped = Signal(int, str)

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("提示された書類"))
        self.rows: list[DocumentRow] = []
        self._rows_for: tuple[int, str] | None = None
        self._numbers_wanted = False
        v = QVBoxLayout(self)
        self.chosen = wrapped()
        self.chosen.setObjectName("ChosenOption")
        scaled(self.chosen, 1.15, bold=True)
        v.addWidget(self.chosen)
        self.rows_layout = QVBoxLayout()
        v.addLayout(self.rows_layout)
        self.missing = chip("", Level.ERROR)
        self.missing.setObjectName("MissingDocs")
        self.missing.setWordWrap(True)
        v.addWidget(self.missing)
        self.pdf = PortalPdfBox()
        self.pdf.confirm.toggled.connect(self._refresh_record)
        self.pdf.file_wanted.connect(self._pick_pdf)
        self.pdf.dropped.connect(self._dropped)
        v.addWidget(self.pdf)
        self.numbers_box = QGroupBox(self.tr("書類の番号（個別照会に使います）"))
        self.numbers_box.setObjectName("DocNumbers")
        self.numbers = NumbersFields()
        QVBoxLayout(self.numbers_box).addWidget(self.numbers)
        self.numbers.insurer.changed.connect(self._refresh_record)
        self.numbers.birth.changed.connect(self._refresh_record)
        v.addWidget(self.numbers_box)
        self.declaration_btn = button(
            self.tr("被保険者資格申立書を印刷(&D)…"), "PrintDeclaration", self._print_declaration
        )
        self.record_btn = button(
            self.tr("確認した内容を記録する(&S)"), "RecordDocuments", self._record
        )
        row = QHBoxLayout()
        row.addWidget(self.declaration_btn)
        row.addStretch(1)
        row.addWidget(self.record_btn)
        v.addLayout(row)

    def reset(self) -> None:
        self.numbers.clear()
        self.pdf.confirm.setChecked(False)

    def update_for(self, s: SessionUpdated) -> None:
        collect = s.screen is Screen.COLLECT_DOCUMENTS
        self.setVisible(collect)
        if collect:
            self._fill(s)

    def _fill(self, s: SessionUpdated) -> None:
        chosen = s.chosen
        key = (s.visit_id, chosen.id if chosen else "")
        if key != self._rows_for:
            self._rows_for = key
            for row in self.rows:
                row.setParent(None)
                row.deleteLater()
            self.rows = []
            for kind in s.documents_requested:
                if kind is DocumentKind.MYNAPORTAL_PDF:
                    continue  # imported below, confirmed with its own checkbox
                row = DocumentRow(kind)
                row.check.toggled.connect(self._refresh_record)
                for field in (row.valid_until, row.payer, row.recipient):
                    if field is not None:
                        field.changed.connect(self._refresh_record)
                self.rows_layout.addWidget(row)
                row.show()  # added to a visible panel: Qt does not show it by itself
                self.rows.append(row)
            # Rows made now would come last in the window's Tab chain (after the toolbar):
            # from a row's last field Tab goes on to the next row, then the numbers.
            n = self.numbers
            chain = [
                *(w for row in self.rows for w in row.tab_chain),
                *(n.insurer.edit, n.symbol_edit, n.number_edit, n.branch_edit, n.birth.edit),
                *(self.declaration_btn, self.record_btn),
            ]
            for a, b in itertools.pairwise(chain):
                QWidget.setTabOrder(a, b)
            self.numbers.clear()
            self.pdf.confirm.setChecked(False)
            if any(k in NUMBER_DOCUMENTS for k in s.documents_requested):
                self.numbers.prefill(s)
        if chosen is not None:
            self.chosen.setText(
                self.tr("選んだ方法：{label}（根拠：{rules}）").format(
                    label=chosen.label, rules="、".join(chosen.rules)
                )
            )
        self._numbers_wanted = any(k in NUMBER_DOCUMENTS for k in s.documents_requested)
        self.numbers_box.setVisible(self._numbers_wanted)
        if s.documents_missing:
            self.missing.setText(self.tr("✗ まだ足りない書類：") + labels(s.documents_missing))
            self.missing.show()
        else:
            self.missing.hide()
        self.pdf.setVisible(s.portal_pdf_wanted)
        self.pdf.show_pdf(s.portal_pdf)
        self.declaration_btn.setVisible(DocumentKind.SELF_DECLARATION_FORM in s.documents_requested)
        self._refresh_record()

    def _refresh_record(self) -> None:
        s = self.session
        if s is None or s.screen is not Screen.COLLECT_DOCUMENTS:
            self.record_btn.setEnabled(False)
            return
        fields_ok = all(r.ok() for r in self.rows) and (
            not self._numbers_wanted or self.numbers.ok()
        )
        pdf_ok = not s.portal_pdf_wanted or (
            s.portal_pdf is not None and self.pdf.confirm.isChecked()
        )
        any_doc = any(r.check.isChecked() for r in self.rows) or (s.portal_pdf_wanted and pdf_ok)
        self.record_btn.setEnabled(
            DocumentsRecorded in s.allowed and fields_ok and pdf_ok and any_doc
        )

    def _record(self) -> None:
        s = self.session
        if s is None or not self.record_btn.isEnabled():
            return
        numbers_details = self.numbers.details() if self._numbers_wanted else {}
        documents = []
        for row in self.rows:
            if not row.check.isChecked():
                continue
            details = row.details()
            if row.kind in NUMBER_DOCUMENTS:
                details.update(numbers_details)
            documents.append(SeenDocument(row.kind, details))
        numbers = self.numbers.numbers() if self._numbers_wanted else None
        use_pdf = s.portal_pdf_wanted and s.portal_pdf is not None and self.pdf.confirm.isChecked()
        self.desk.record_documents(
            documents, numbers=numbers, use_portal_pdf=use_pdf, visit_id=s.visit_id
        )

    def _print_declaration(self) -> None:
        if self.session is not None:
            self.declaration_wanted.emit(self.session.visit_id)

    def _pick_pdf(self) -> None:
        if self.session is not None:
            self.pdf_file_wanted.emit(self.session.visit_id)

    def _dropped(self, path: str) -> None:
        if self.session is not None:
            self.pdf_dropped.emit(self.session.visit_id, path)
