"""The flow panel for the selected visit: what the state machine shows, and the staff's intents.

Everything here is driven by the runtime's ``SessionUpdated``: the screen decides which section
is visible, ``allowed`` decides which buttons are enabled, the options (with their rule IDs and
notices) come from the rules. The panel only forwards intents to the desk.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from policies.deadlines import DeadlineBasis, option_deadline
from policies.model import DocumentKind, FailureReason, VerificationPath
from policies.reception import (
    Cancel,
    ChooseOption,
    DocumentsRecorded,
    Failed,
    PublicExpenseResolved,
    RetryPin,
    Screen,
    UseVisualCheck,
    VisualCheckDone,
)
from reader.reception import (
    InsuranceNumbers,
    ProblemKind,
    SeenDocument,
    SessionUpdated,
    WaitingFor,
    insurance_numbers,
)
from ui import texts
from ui.fields import DateField, NumberField, insurer_field, payer_field, recipient_field
from ui.labels import jp_date, label, labels, sources
from ui.widgets import FlowLayout, Level, chip, scaled, set_level, wrapped

#: Reasons staff can observe at the desk and report themselves (the runtime reports the rest).
STAFF_REASONS = (
    FailureReason.NO_CARD,
    FailureReason.PIN_UNKNOWN,
    FailureReason.PATIENT_CANNOT_OPERATE,
    FailureReason.FACE_AUTH_FAILED,
    FailureReason.CARD_UNREADABLE,
    FailureReason.READER_FAILURE,
    FailureReason.TERMINAL_DOWN,
)
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


class NumbersBox(QGroupBox):
    """保険者番号・記号・番号・枝番・生年月日, each validated as typed."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        form = QFormLayout(self)
        self.insurer = insurer_field()
        self.symbol_edit = QLineEdit()
        self.number_edit = QLineEdit()
        self.branch_edit = QLineEdit()
        self.birth = DateField()
        form.addRow(self.tr("保険者番号(&I)"), self.insurer)
        form.addRow(self.tr("記号(&Y)"), self.symbol_edit)
        form.addRow(self.tr("番号(&M)"), self.number_edit)
        form.addRow(self.tr("枝番(&E)"), self.branch_edit)
        form.addRow(self.tr("生年月日(&B)"), self.birth)
        for lbl, w in (
            (form.labelForField(self.insurer), self.insurer.edit),
            (form.labelForField(self.birth), self.birth.edit),
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
        if kind is not DocumentKind.SELF_DECLARATION_FORM and kind is not DocumentKind.MYNA_CARD:
            form.addRow(self.tr("有効期限（券面）"), self.valid_until)
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


class PdfDropArea(QLabel):
    """Drop a マイナポータル PDF here (or use the button next to it)."""

    dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumHeight(60)
        self.setText(self.tr("ここにマイナポータルのPDFをドラッグ＆ドロップ"))
        self.setProperty("chip", "true")
        set_level(self, Level.INFO)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.dropped.emit(url.toLocalFile())
                event.acceptProposedAction()
                return


class SessionPanel(QWidget):
    """Shows one SessionUpdated and forwards staff intents to the desk."""

    #: (visit_id) the panel wants the PIN pad (re)opened.
    pin_pad_wanted = Signal(int)
    #: (visit_id) print a 被保険者資格申立書 for this patient.
    declaration_wanted = Signal(int)
    #: (visit_id) choose a マイナポータル PDF with the file dialog.
    pdf_file_wanted = Signal(int)
    #: (visit_id, path) a PDF was dropped.
    pdf_dropped = Signal(int, str)

    def __init__(self, desk: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SessionPanel")
        self.desk = desk
        self.session: SessionUpdated | None = None
        self._cancel_armed = False
        self._doc_rows: list[DocumentRow] = []
        self._docs_for: tuple[int, str] | None = None
        self._numbers_wanted = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.patient = QLabel()
        self.patient.setObjectName("SessionPatient")
        self.patient.setWordWrap(True)
        scaled(self.patient, 1.3, bold=True)
        self.sim = chip(self.tr("模擬"), Level.SIM)
        self.sim.setToolTip(self.tr("仮想カード・模擬端末・デモを使った受付です（記録も模擬）"))
        outer.addWidget(self.patient)
        self.title = QLabel()
        self.title.setObjectName("ScreenTitle")
        self.title.setWordWrap(True)
        scaled(self.title, 1.5, bold=True)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.sim, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(top)
        self.reason = chip("", Level.WARN)
        self.reason.setObjectName("ReasonChip")
        self.reason.setWordWrap(True)
        scaled(self.reason, 1.15, bold=True)
        outer.addWidget(self.reason)
        self.waiting = chip("", Level.INFO)
        self.waiting.setObjectName("WaitingChip")
        self.waiting.setWordWrap(True)
        scaled(self.waiting, 1.15)
        outer.addWidget(self.waiting)
        self.problem = chip("", Level.ERROR)
        self.problem.setObjectName("ProblemChip")
        self.problem.setWordWrap(True)
        outer.addWidget(self.problem)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 0, 4, 0)
        self.scroll.setWidget(body)
        outer.addWidget(self.scroll, 1)

        self._build_options()
        self._build_pin()
        self._build_visual()
        self._build_paste()
        self._build_numbers()
        self._build_documents()
        self._build_expense()
        self._build_done()
        self.body.addStretch(1)
        self._build_footer(outer)
        self.show_session(None)

    # -- construction ----------------------------------------------------------------------------

    def _button(self, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        btn = QPushButton(text)
        btn.setObjectName(name)
        btn.setAutoDefault(False)
        btn.clicked.connect(slot)
        return btn

    def _build_options(self) -> None:
        """The route choice: a scannable list, and the full provenance of the selected option.

        Both have a fixed height (rows and lines of the current font): inside the scroll area
        nothing is squeezed, so nothing can be laid over the list when texts wrap.
        """
        self.options_box = QGroupBox(self.tr("今日このお客さんに使える確認方法（ルールより）"))
        v = QVBoxLayout(self.options_box)
        self.steps = wrapped()
        self.steps.setObjectName("GuideSteps")
        v.addWidget(self.steps)
        self.options = QListWidget()
        self.options.setObjectName("OptionList")
        self.options.setWordWrap(False)
        self.options.setUniformItemSizes(True)  # two lines each: measured once, not per item
        self.options.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.options.itemActivated.connect(lambda _item: self._choose())
        self.options.currentItemChanged.connect(lambda *_: self._show_option_details())
        v.addWidget(self.options)
        row = QHBoxLayout()
        self.choose_btn = self._button(
            self.tr("この方法で進める(&G)"), "ChooseButton", self._choose
        )
        row.addWidget(self.choose_btn)
        row.addStretch(1)
        v.addLayout(row)
        self.option_details = QTextBrowser()
        self.option_details.setObjectName("OptionDetails")
        self.option_details.setOpenLinks(False)
        self.option_details.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        v.addWidget(self.option_details)
        self.body.addWidget(self.options_box)

    def _build_pin(self) -> None:
        self.pin_box = QGroupBox(self.tr("暗証番号"))
        v = QVBoxLayout(self.pin_box)
        self.pin_tries = chip("", Level.INFO)
        self.pin_tries.setObjectName("PanelTries")
        scaled(self.pin_tries, 1.3, bold=True)
        v.addWidget(self.pin_tries)
        row = QHBoxLayout()
        self.open_pad_btn = self._button(
            self.tr("暗証番号の入力画面を開く(&P)"), "OpenPinPad", self._open_pad
        )
        self.retry_btn = self._button(
            self.tr("もう一度入力してもらう(&R)"), "RetryPinButton", self._retry_pin
        )
        self.visual_btn = self._button(
            self.tr("目視確認に切り替える(&V)"), "UseVisualButton", self._use_visual
        )
        for b in (self.open_pad_btn, self.retry_btn, self.visual_btn):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        self.body.addWidget(self.pin_box)

    def _build_visual(self) -> None:
        self.visual_box = QGroupBox(self.tr("目視確認"))
        v = QVBoxLayout(self.visual_box)
        v.addWidget(
            wrapped(
                self.tr(
                    "カードの顔写真と、目の前の患者さんを見比べてください。"
                    "マスク等は外してもらってください。"
                )
            )
        )
        row = QHBoxLayout()
        self.match_btn = self._button(
            self.tr("本人と一致した(&Y)"), "VisualMatch", lambda: self._visual(True)
        )
        self.nomatch_btn = self._button(
            self.tr("一致しない(&N)"), "VisualNoMatch", lambda: self._visual(False)
        )
        row.addWidget(self.match_btn)
        row.addWidget(self.nomatch_btn)
        row.addStretch(1)
        v.addLayout(row)
        self.body.addWidget(self.visual_box)

    def _build_paste(self) -> None:
        self.paste_box = QGroupBox(self.tr("マイナ資格確認アプリの結果を貼り付け"))
        v = QVBoxLayout(self.paste_box)
        self.paste = QPlainTextEdit()
        self.paste.setObjectName("PasteText")
        self.paste.setPlaceholderText(
            self.tr("アプリの「コピー」で取った結果をここに貼り付けます（Ctrl+V）")
        )
        self.paste.setTabChangesFocus(True)
        self.paste.setMaximumHeight(120)
        v.addWidget(self.paste)
        self.paste_btn = self._button(
            self.tr("貼り付けた結果を使う(&T)"), "PasteButton", self._use_paste
        )
        row = QHBoxLayout()
        row.addWidget(self.paste_btn)
        row.addStretch(1)
        v.addLayout(row)
        self.body.addWidget(self.paste_box)

    def _build_numbers(self) -> None:
        self.numbers_box = NumbersBox(self.tr("照会に使う番号（書類から読み取り）"))
        self.numbers_box.setObjectName("NumbersBox")
        self.query_btn = self._button(
            self.tr("この番号で照会する(&Q)"), "QueryNumbersButton", self._query_numbers
        )
        self.numbers_box.layout().addRow(self.query_btn)  # type: ignore[attr-defined]
        self.body.addWidget(self.numbers_box)

    def _build_documents(self) -> None:
        self.docs_box = QGroupBox(self.tr("提示された書類"))
        v = QVBoxLayout(self.docs_box)
        self.chosen = wrapped()
        self.chosen.setObjectName("ChosenOption")
        scaled(self.chosen, 1.15, bold=True)
        v.addWidget(self.chosen)
        self.docs_list = QVBoxLayout()
        v.addLayout(self.docs_list)
        self.missing = chip("", Level.ERROR)
        self.missing.setObjectName("MissingDocs")
        self.missing.setWordWrap(True)
        v.addWidget(self.missing)
        # マイナポータル PDF
        self.pdf_box = QGroupBox(self.tr("マイナポータルのPDF"))
        pv = QVBoxLayout(self.pdf_box)
        self.drop = PdfDropArea()
        self.drop.setObjectName("PdfDrop")
        self.drop.dropped.connect(self._dropped)
        pv.addWidget(self.drop)
        prow = QHBoxLayout()
        self.pdf_btn = self._button(
            self.tr("PDFファイルを選ぶ(&O)…"), "PdfFileButton", self._pick_pdf
        )
        prow.addWidget(self.pdf_btn)
        prow.addStretch(1)
        pv.addLayout(prow)
        self.pdf_view = wrapped()
        self.pdf_view.setObjectName("PdfView")
        self.pdf_view.setTextFormat(Qt.TextFormat.RichText)
        pv.addWidget(self.pdf_view)
        self.pdf_confirm = QCheckBox(
            self.tr("PDFの内容を原本（画面・紙）と1項目ずつ照合し、確認した(&K)")
        )
        self.pdf_confirm.setObjectName("PdfConfirm")
        self.pdf_confirm.toggled.connect(self._refresh_record)
        pv.addWidget(self.pdf_confirm)
        v.addWidget(self.pdf_box)
        # numbers for a query with the documents
        self.doc_numbers = NumbersBox(self.tr("書類の番号（個別照会に使います）"))
        self.doc_numbers.setObjectName("DocNumbers")
        self.doc_numbers.insurer.changed.connect(self._refresh_record)
        self.doc_numbers.birth.changed.connect(self._refresh_record)
        v.addWidget(self.doc_numbers)
        row = QHBoxLayout()
        self.declaration_btn = self._button(
            self.tr("被保険者資格申立書を印刷(&D)…"), "PrintDeclaration", self._print_declaration
        )
        self.record_btn = self._button(
            self.tr("確認した内容を記録する(&S)"), "RecordDocuments", self._record
        )
        row.addWidget(self.declaration_btn)
        row.addStretch(1)
        row.addWidget(self.record_btn)
        v.addLayout(row)
        self.body.addWidget(self.docs_box)

    def _build_expense(self) -> None:
        self.expense_box = QGroupBox(self.tr("公費（医療費助成）"))
        v = QVBoxLayout(self.expense_box)
        self.expense_text = wrapped()
        self.expense_text.setObjectName("ExpenseText")
        scaled(self.expense_text, 1.15)
        v.addWidget(self.expense_text)
        row = QHBoxLayout()
        self.expense_yes = self._button(
            self.tr("紙の受給者証を確認した(&Y)"), "ExpensePresented", lambda: self._expense(True)
        )
        self.expense_no = self._button(
            self.tr("受給者証の持参なし(&N)"), "ExpenseMissing", lambda: self._expense(False)
        )
        row.addWidget(self.expense_yes)
        row.addWidget(self.expense_no)
        row.addStretch(1)
        v.addLayout(row)
        self.body.addWidget(self.expense_box)

    def _build_done(self) -> None:
        self.done_box = QGroupBox(self.tr("記録"))
        v = QVBoxLayout(self.done_box)
        self.done_text = wrapped()
        self.done_text.setObjectName("DoneText")
        scaled(self.done_text, 1.15, bold=True)
        v.addWidget(self.done_text)
        row = QHBoxLayout()
        self.requery_btn = self._button(
            self.tr("番号で再照会する(&Q)"), "RequeryButton", self._requery
        )
        self.retry_record_btn = self._button(
            self.tr("記録を再試行(&R)"), "RetryRecordButton", self._retry_record
        )
        self.close_btn = self._button(self.tr("この受付を閉じる(&W)"), "CloseSession", self._close)
        for b in (self.requery_btn, self.retry_record_btn, self.close_btn):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        self.body.addWidget(self.done_box)

    def _build_footer(self, outer: QVBoxLayout) -> None:
        row = FlowLayout()
        reason_label = QLabel(self.tr("うまくいかない理由(&F)："))
        row.addWidget(reason_label)
        self.reason_combo = QComboBox()
        self.reason_combo.setObjectName("FailReason")
        for r in STAFF_REASONS:
            self.reason_combo.addItem(label(r), r)
        reason_label.setBuddy(self.reason_combo)
        row.addWidget(self.reason_combo)
        self.fail_btn = self._button(self.tr("代替手段へ(&A)"), "FailButton", self._fail)
        row.addWidget(self.fail_btn)
        self.cancel_btn = self._button(self.tr("受付を中止(&X)"), "CancelButton", self._cancel)
        row.addWidget(self.cancel_btn)
        self.footer = QWidget()
        self.footer.setLayout(row)
        outer.addWidget(self.footer)

    # -- showing ---------------------------------------------------------------------------------

    def show_session(self, s: SessionUpdated | None) -> None:
        previous = self.session
        self.session = s
        if previous is None or s is None or previous.visit_id != s.visit_id:
            self._cancel_armed = False
            self.problem.hide()
            self.paste.clear()
            self.numbers_box.clear()
            self.doc_numbers.clear()
            self.pdf_confirm.setChecked(False)
        self._update_cancel_text()
        sections = (
            self.options_box,
            self.pin_box,
            self.visual_box,
            self.paste_box,
            self.numbers_box,
            self.docs_box,
            self.expense_box,
            self.done_box,
        )
        if s is None:
            self.patient.setText(self.tr("受付を選ぶか、新しい受付を始めてください（Ctrl+N）"))
            self.title.setText("")
            for w in (*sections, self.reason, self.waiting, self.sim, self.footer, self.scroll):
                w.hide()
            return
        p = s.patient
        revisit = self.tr("再診") if s.revisit else self.tr("初診")
        chart = self.tr("カルテ")
        self.patient.setText(
            f"{p.name}（{p.kana}）　{chart} {p.chart_number}　{label(s.setting)}・{revisit}"
        )
        self.sim.setVisible(s.simulated)
        self.title.setText(texts.screen_title(s.screen))
        if s.reason is not None:
            self.reason.setText(self.tr("理由：{reason}").format(reason=label(s.reason)))
            self.reason.show()
        else:
            self.reason.hide()
        words = texts.waiting_text(s.waiting_for)
        self.waiting.setText(words)
        self.waiting.setVisible(bool(words))
        allowed = s.allowed
        screen = s.screen

        # options
        show_options = screen is Screen.CHOOSE_ROUTE
        self.options_box.setVisible(show_options)
        if show_options:
            self._fill_options(s)
        self.choose_btn.setEnabled(ChooseOption in allowed and bool(s.options))

        # PIN
        self.pin_box.setVisible(screen in (Screen.ASK_PIN, Screen.PIN_WRONG))
        if s.pin_tries_left is not None:
            last = s.last_try_warning
            self.pin_tries.setText(
                self.tr("残り {n} 回").format(n=s.pin_tries_left)
                + (self.tr("　⚠ 最後の1回：間違えるとロックされます") if last else "")
            )
            set_level(self.pin_tries, Level.ERROR if last else Level.INFO)
        self.open_pad_btn.setVisible(screen is Screen.ASK_PIN)
        self.open_pad_btn.setEnabled(s.waiting_for is WaitingFor.PIN)
        self.retry_btn.setVisible(screen is Screen.PIN_WRONG)
        self.retry_btn.setEnabled(RetryPin in allowed)
        self.visual_btn.setVisible(screen is Screen.PIN_WRONG)
        self.visual_btn.setEnabled(UseVisualCheck in allowed)

        # visual check
        self.visual_box.setVisible(screen is Screen.VISUAL_CHECK)

        # pasted app text
        limited_offered = screen is Screen.CHOOSE_ROUTE and any(
            o.path is VerificationPath.LIMITED_APP for o in s.options
        )
        self.paste_box.setVisible(
            limited_offered or s.waiting_for in (WaitingFor.PASTED_TEXT, WaitingFor.FACE_OR_PASTE)
        )

        # numbers for a waiting query
        wants_numbers = s.waiting_for is WaitingFor.NUMBERS
        self.numbers_box.setVisible(wants_numbers)
        if wants_numbers:
            self.numbers_box.prefill(s)

        # documents
        collect = screen is Screen.COLLECT_DOCUMENTS
        self.docs_box.setVisible(collect)
        if collect:
            self._fill_documents(s)

        # public expense
        self.expense_box.setVisible(screen is Screen.PUBLIC_EXPENSE)
        if screen is Screen.PUBLIC_EXPENSE:
            payer = self.tr("公費負担者番号")
            lines = [
                f"・{label(e.subsidy_type)}　{e.prefecture}{e.municipality}"
                + (f"　{payer} {e.payer_number}" if e.payer_number else "")
                for e in s.public_expenses_pending
            ]
            self.expense_text.setText(
                self.tr(
                    "次の公費はオンラインで確認できません。紙の受給者証を見せてもらってください。"
                )
                + "\n"
                + "\n".join(lines)
            )
            self.expense_yes.setEnabled(PublicExpenseResolved in allowed)
            self.expense_no.setEnabled(PublicExpenseResolved in allowed)

        # done
        self.done_box.setVisible(s.final)
        if s.final:
            self._fill_done(s)

        self.scroll.setVisible(any(not w.isHidden() for w in sections))

        # footer
        self.footer.setVisible(not s.final)
        self.fail_btn.setEnabled(Failed in allowed)
        self.reason_combo.setEnabled(Failed in allowed)
        self.cancel_btn.setEnabled(Cancel in allowed)

    def show_problem(self, text: str) -> None:
        self.problem.setText("⚠ " + text)
        self.problem.show()

    def _fill_options(self, s: SessionUpdated) -> None:
        if s.steps:
            self.steps.setText(
                self.tr("まずすること：")
                + "\n"
                + "\n".join(f"{i}. {step}" for i, step in enumerate(s.steps, 1))
            )
            self.steps.show()
        else:
            self.steps.hide()
        key = (s.visit_id, s.options, s.recommended_option, s.notes, s.card_usable_until)
        if key == getattr(self, "_options_for", None):
            return  # unchanged: keep the list (and the staff's selection) as it is
        self._options_for = key
        current = self.selected_option_id()
        self.options.blockSignals(True)
        self.options.clear()
        for option in s.options:
            recommended = option.id == s.recommended_option
            item = QListWidgetItem(self._option_text(option, recommended))
            item.setData(Qt.ItemDataRole.UserRole, option.id)
            item.setToolTip(self._option_html(option, recommended, s))
            self.options.addItem(item)
        self.options.blockSignals(False)
        ids = [o.id for o in s.options]
        wanted = current if current in ids else (s.recommended_option or (ids[0] if ids else None))
        if wanted is not None:
            self.options.setCurrentRow(ids.index(wanted))
        frame = 2 * self.options.frameWidth() + 4
        row = max(self.options.sizeHintForRow(0), 1)
        self.options.setFixedHeight(row * min(max(len(ids), 1), 5) + frame)
        lines = self.option_details.fontMetrics().lineSpacing()
        self.option_details.setFixedHeight(lines * 9 + frame + 8)
        self._show_option_details()

    def _option_text(self, option: Any, recommended: bool) -> str:
        """Two lines that scan: what it is; documents and rule IDs (the rest in the details)."""
        head = (self.tr("【推奨】") if recommended else "") + option.label
        second = [
            self.tr("書類：") + labels(option.documents)
            if option.documents
            else self.tr("書類：なし")
        ]
        second.append(self.tr("根拠：") + "・".join(option.rules))
        return head + "\n　" + "　｜　".join(second)

    def _deadline_text(self, option: Any, s: SessionUpdated) -> str | None:
        deadline = option_deadline(option, s.state.patient, s.card_usable_until)
        if deadline is None:
            return None
        when = jp_date(deadline.until)
        if deadline.basis is DeadlineBasis.CARD:
            return self.tr(
                "このカードで使えるのは {d} まで（カードの電子証明書の有効期限に"
                "猶予期間を加えた日：DOC-11）"
            ).format(d=when)
        if deadline.basis is DeadlineBasis.DOCUMENT:
            return self.tr("書類の有効期限（券面など）：{d} まで").format(d=when)
        return self.tr("この取扱いが認められるのは {d} まで（期限付きの取扱い）").format(d=when)

    def _option_html(self, option: Any, recommended: bool, s: SessionUpdated) -> str:
        rows = [
            (self.tr("書類"), labels(option.documents) if option.documents else self.tr("なし")),
            (self.tr("記録される確認方法"), label(option.path)),
            (self.tr("記録される結果"), label(option.outcome)),
        ]
        if option.conditions:
            rows.append((self.tr("条件"), labels(option.conditions)))
        if (deadline := self._deadline_text(option, s)) is not None:
            rows.append((self.tr("期限"), deadline))
        rows.append((self.tr("根拠ルール"), "、".join(option.rules)))
        cells = "".join(
            f"<tr><td style='padding-right:10px; white-space:nowrap'>{escape(k)}</td>"
            f"<td><b>{escape(v)}</b></td></tr>"
            for k, v in rows
        )
        head = (self.tr("【推奨】") if recommended else "") + option.label
        html = f"<p><b>{escape(head)}</b></p><table cellspacing='2'>{cells}</table>"
        citations = sources(option.sources)
        if citations:
            heading = escape(self.tr("出典"))
            html += f"<p style='margin-top:6px'>{heading}</p><ul>"
            html += "".join(f"<li>{escape(c)}</li>" for c in citations) + "</ul>"
        extra = [*option.notes, *(n.text for n in s.notes)]
        if extra:
            html += "".join(f"<p>※ {escape(n)}</p>" for n in extra)
        return html

    def _show_option_details(self) -> None:
        s = self.session
        option_id = self.selected_option_id()
        option = next((o for o in s.options if o.id == option_id), None) if s else None
        if option is None or s is None:
            self.option_details.clear()
            return
        self.option_details.setHtml(self._option_html(option, option.id == s.recommended_option, s))

    def selected_option_id(self) -> str | None:
        item = self.options.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _fill_documents(self, s: SessionUpdated) -> None:
        chosen = s.chosen
        key = (s.visit_id, chosen.id if chosen else "")
        if key != self._docs_for:
            self._docs_for = key
            for row in self._doc_rows:
                row.setParent(None)
                row.deleteLater()
            self._doc_rows = []
            for kind in s.documents_requested:
                if kind is DocumentKind.MYNAPORTAL_PDF:
                    continue  # imported below, confirmed with its own checkbox
                row = DocumentRow(kind)
                row.check.toggled.connect(self._refresh_record)
                for field in (row.valid_until, row.payer, row.recipient):
                    if field is not None:
                        field.changed.connect(self._refresh_record)
                self.docs_list.addWidget(row)
                row.show()  # added to a visible panel: Qt does not show it by itself
                self._doc_rows.append(row)
            self.doc_numbers.clear()
            self.pdf_confirm.setChecked(False)
            if any(k in NUMBER_DOCUMENTS for k in s.documents_requested):
                self.doc_numbers.prefill(s)
        if chosen is not None:
            self.chosen.setText(
                self.tr("選んだ方法：{label}（根拠：{rules}）").format(
                    label=chosen.label, rules="、".join(chosen.rules)
                )
            )
        self._numbers_wanted = any(k in NUMBER_DOCUMENTS for k in s.documents_requested)
        self.doc_numbers.setVisible(self._numbers_wanted)
        if s.documents_missing:
            self.missing.setText(self.tr("✗ まだ足りない書類：") + labels(s.documents_missing))
            self.missing.show()
        else:
            self.missing.hide()
        self.pdf_box.setVisible(s.portal_pdf_wanted)
        self._show_pdf(s)
        self.declaration_btn.setVisible(DocumentKind.SELF_DECLARATION_FORM in s.documents_requested)
        self._refresh_record()

    def _show_pdf(self, s: SessionUpdated) -> None:
        view = s.portal_pdf
        self.pdf_confirm.setVisible(view is not None)
        if view is None:
            self.pdf_view.setText("")
            return
        q = view.parsed
        cov = q.coverage
        rows = [
            (self.tr("氏名"), q.name),
            (self.tr("カナ氏名"), q.name_kana),
            (self.tr("生年月日"), jp_date(q.birth_date) if q.birth_date else None),
            (self.tr("保険者"), cov.insurer_name if cov else None),
            (self.tr("保険者番号"), cov.insurer_number if cov else None),
            (self.tr("記号"), cov.insured_symbol if cov else None),
            (self.tr("番号"), cov.insured_number if cov else None),
            (self.tr("枝番"), cov.insured_branch if cov else None),
            (
                self.tr("負担割合"),
                self.tr("{n}割").format(n=cov.burden_ratio) if cov and cov.burden_ratio else None,
            ),
            (self.tr("有効期限"), jp_date(cov.valid_until) if cov and cov.valid_until else None),
            (
                self.tr("PDFの取得日時"),
                q.issued_at.strftime("%Y/%m/%d %H:%M") if q.issued_at else None,
            ),
        ]
        unread = "— " + self.tr("読めず：原本で確認")
        cells = "".join(
            f"<tr><td>{escape(k)}</td><td><b>{escape(v or unread)}</b></td></tr>" for k, v in rows
        )
        warn = []
        if not q.source_confirmed:
            warn.append(self.tr("マイナポータルのPDFと確認できません"))
        warn.extend(self.tr("注意：{code}").format(code=w.code.value) for w in q.warnings)
        warn.extend(
            self.tr("{field}：登録「{a}」≠ PDF「{b}」").format(
                field=texts.mismatch_field(m.field), a=m.on_file, b=m.in_result
            )
            for m in view.mismatches
        )
        warn_html = "".join(f"<p style='color:#5c0000'><b>⚠ {escape(w)}</b></p>" for w in warn)
        intro = self.tr("PDFから読み取った内容（そのまま信用せず、原本と照合してください）")
        self.pdf_view.setText(
            f"<p>{escape(intro)}</p><table cellspacing='4'>{cells}</table>{warn_html}"
        )

    def _fill_done(self, s: SessionUpdated) -> None:
        if s.screen is Screen.ABANDONED:
            text = self.tr("受付は中止されました。")
        elif s.record_pending:
            text = self.tr("⚠ 記録をまだ保存できていません（内容は保持しています）。")
        elif s.waiting_for is WaitingFor.RECORDING:
            text = self.tr("記録を保存しています…")
        elif s.recorded:
            path = label(s.chosen.path) if s.chosen else "—"
            text = self.tr("✓ 記録しました：{path}（記録番号 {ids}）").format(
                path=path, ids="、".join(str(i) for i in s.recorded)
            )
        else:
            text = self.tr("記録を待っています。")
        if s.simulated:
            text += "\n" + self.tr("【模擬】この記録は模擬として保存されます。")
        self.done_text.setText(text)
        self.requery_btn.setVisible(s.can_query_numbers)
        self.retry_record_btn.setVisible(s.record_pending)

    # -- intents ---------------------------------------------------------------------------------

    def _visit(self) -> int | None:
        return self.session.visit_id if self.session else None

    def _choose(self) -> None:
        option = self.selected_option_id()
        if self.session is None or option is None or not self.choose_btn.isEnabled():
            return
        self.desk.dispatch(ChooseOption(option), visit_id=self._visit())

    def _open_pad(self) -> None:
        if self.session is not None:
            self.pin_pad_wanted.emit(self.session.visit_id)

    def _retry_pin(self) -> None:
        self.desk.dispatch(RetryPin(), visit_id=self._visit())

    def _use_visual(self) -> None:
        self.desk.dispatch(UseVisualCheck(), visit_id=self._visit())

    def _visual(self, matches: bool) -> None:
        self.desk.dispatch(VisualCheckDone(matches), visit_id=self._visit())

    def _use_paste(self) -> None:
        text = self.paste.toPlainText()
        if text.strip():
            self.desk.paste_limited_app_text(text, visit_id=self._visit())

    def _query_numbers(self) -> None:
        numbers = self.numbers_box.numbers()
        if numbers is None:
            self.show_problem(texts.problem_text(ProblemKind.COMMAND, "numbers_needed"))
            return
        self.desk.query_numbers(numbers, visit_id=self._visit())

    def _requery(self) -> None:
        self.desk.query_numbers(visit_id=self._visit())

    def _retry_record(self) -> None:
        self.desk.retry_record(self._visit())

    def _close(self) -> None:
        if self.session is not None:
            self.desk.close_session(self.session.visit_id)

    def _expense(self, presented: bool) -> None:
        self.desk.dispatch(PublicExpenseResolved(presented), visit_id=self._visit())

    def _fail(self) -> None:
        reason = self.reason_combo.currentData()  # a str: the desk takes the enum's value
        if reason is not None:
            self.desk.dispatch(Failed(reason), visit_id=self._visit())

    def _cancel(self) -> None:
        if not self._cancel_armed:  # two presses: a slip of the finger never ends a visit
            self._cancel_armed = True
            self._update_cancel_text()
            return
        self._cancel_armed = False
        self._update_cancel_text()
        self.desk.dispatch(Cancel(), visit_id=self._visit())

    def _update_cancel_text(self) -> None:
        self.cancel_btn.setText(
            self.tr("本当に中止する（もう一度押す）(&X)")
            if self._cancel_armed
            else self.tr("受付を中止(&X)")
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

    def _refresh_record(self) -> None:
        s = self.session
        if s is None or s.screen is not Screen.COLLECT_DOCUMENTS:
            self.record_btn.setEnabled(False)
            return
        fields_ok = all(r.ok() for r in self._doc_rows) and (
            not self._numbers_wanted or self.doc_numbers.ok()
        )
        pdf_ok = not s.portal_pdf_wanted or (
            s.portal_pdf is not None and self.pdf_confirm.isChecked()
        )
        any_doc = any(r.check.isChecked() for r in self._doc_rows) or (
            s.portal_pdf_wanted and pdf_ok
        )
        self.record_btn.setEnabled(
            DocumentsRecorded in s.allowed and fields_ok and pdf_ok and any_doc
        )

    def _record(self) -> None:
        s = self.session
        if s is None or not self.record_btn.isEnabled():
            return
        numbers_details = self.doc_numbers.details() if self._numbers_wanted else {}
        documents = []
        for row in self._doc_rows:
            if not row.check.isChecked():
                continue
            details = row.details()
            if row.kind in NUMBER_DOCUMENTS:
                details.update(numbers_details)
            documents.append(SeenDocument(row.kind, details))
        numbers = self.doc_numbers.numbers() if self._numbers_wanted else None
        use_pdf = s.portal_pdf_wanted and s.portal_pdf is not None and self.pdf_confirm.isChecked()
        self.desk.record_documents(
            documents, numbers=numbers, use_portal_pdf=use_pdf, visit_id=s.visit_id
        )
