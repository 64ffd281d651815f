"""The マイナポータル PDF in the documents form: dropped or chosen, read back for staff to check.

The runtime parses the file in an isolated process and sends back what it read
(``SessionUpdated.portal_pdf``); this box shows every field (or that it could not be read), the
parser's warnings and any difference from the patient on file, and asks staff to confirm that they
compared it with the original. It never trusts the file on its own.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from reader.reception import PortalPdfView
from ui import texts
from ui.labels import jp_date
from ui.widgets import Level, button, button_row, set_level, wrapped


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


class PortalPdfBox(QGroupBox):
    """マイナポータルのPDF: drop or choose the file, read what was parsed, confirm the check."""

    #: Staff want to choose the file with the file dialog.
    file_wanted = Signal()
    #: (path) a file was dropped.
    dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("マイナポータルのPDF"))
        v = QVBoxLayout(self)
        self.drop = PdfDropArea()
        self.drop.setObjectName("PdfDrop")
        self.drop.dropped.connect(self.dropped)
        v.addWidget(self.drop)
        self.file_btn = button(self.tr("PDFファイルを選ぶ(&O)…"), "PdfFileButton", self._want_file)
        v.addLayout(button_row(self.file_btn))
        self.view = wrapped()
        self.view.setObjectName("PdfView")
        self.view.setTextFormat(Qt.TextFormat.RichText)
        v.addWidget(self.view)
        self.confirm = QCheckBox(
            self.tr("PDFの内容を原本（画面・紙）と1項目ずつ照合し、確認した(&K)")
        )
        self.confirm.setObjectName("PdfConfirm")
        v.addWidget(self.confirm)

    def _want_file(self) -> None:
        self.file_wanted.emit()

    def show_pdf(self, view: PortalPdfView | None) -> None:
        self.confirm.setVisible(view is not None)
        if view is None:
            self.view.setText("")
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
        self.view.setText(
            f"<p>{escape(intro)}</p><table cellspacing='4'>{cells}</table>{warn_html}"
        )
