"""A マイナポータル PDF chosen or dropped for a visit: read off the GUI thread, parsed by the desk.

The desk parses the bytes in an isolated process and sends what it read back with the session
(shown by :mod:`ui.portal_pdf`); a file over the size limit is read one byte past it so that
the desk can refuse it with its own words.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from reader.reception import ReceptionDesk
from ui.bridge import Jobs
from ui.printouts import Tell, documents
from ui.widgets import Level

LIMIT = 20 * 1024 * 1024


class PdfImport(QObject):
    def __init__(self, owner: QWidget, desk: ReceptionDesk, jobs: Jobs, tell: Tell) -> None:
        super().__init__(owner)
        self.owner = owner
        self.desk = desk
        self.jobs = jobs
        self.tell = tell

    def pick(self, visit_id: int) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.owner,
            self.tr("マイナポータルのPDFを選ぶ"),
            str(documents()),
            self.tr("PDF (*.pdf)"),
            options=QFileDialog.Option.DontUseNativeDialog,  # Qt's own, translated
        )
        if path:
            self.load(visit_id, path)

    def load(self, visit_id: int, path: str) -> None:
        def job() -> bytes:
            with Path(path).open("rb") as fh:
                return fh.read(LIMIT + 1)

        def done(data: bytes) -> None:
            self.desk.import_mynaportal_pdf(data, visit_id=visit_id)
            self.tell(self.tr("PDFを読み取っています…"), Level.INFO)

        self.jobs.run(job, done, lambda exc: self.tell(str(exc), Level.ERROR))
