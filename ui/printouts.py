"""From PDF to paper: the daily log and the 被保険者資格申立書, rendered and rasterised off the GUI
thread, then Qt's print dialog (window-modal, no nested event loop) or a saved copy.

The PDFs themselves come from storage's report exporters (:mod:`ui.printing`); this object only
runs them on :class:`~ui.bridge.Jobs` threads and reports the outcome on the window's message bar.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QFileDialog, QWidget

from reader.reception import SessionUpdated
from storage.reports.errors import RecordsUnverified
from ui import printing, texts
from ui.bridge import Jobs
from ui.stack import Stack
from ui.widgets import Level

Tell = Callable[[str, Level], None]


def documents() -> Path:
    """The user's documents folder (not the program's): where saved PDFs go by default."""
    where = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if not where:
        return Path.home()
    try:
        Path(where).mkdir(parents=True, exist_ok=True)  # a fresh Linux account may lack it
    except OSError:
        return Path.home()
    return Path(where)


def _print_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="madoguchi-print-"))


class Printouts(QObject):
    """Printing for one window; dialogs open over ``window``, outcomes go to ``tell``."""

    def __init__(self, window: QWidget, stack: Stack, jobs: Jobs, tell: Tell) -> None:
        super().__init__(window)
        self.owner = window
        self.stack = stack
        self.jobs = jobs
        self.tell = tell
        self.print_dialog: QPrintDialog | None = None
        self.save_dialog: QFileDialog | None = None
        self._printer: QPrinter | None = None
        self.last_declaration: Path | None = None

    def make_daily_pdf(self, day: date, then: Callable[[Path], None]) -> None:
        """Render the daily log of ``day`` off the GUI thread; ``then(path)`` on the GUI thread."""
        out = _print_dir() / f"daily-{day.isoformat()}.pdf"
        stack = self.stack

        def job() -> Path:
            return printing.export_daily(
                stack.store, day, out, stack.print_masking(), stack.actor()
            )

        self.jobs.run(job, then, self._failed)

    def print_pdf(self, path: Path) -> None:
        """Rasterise off the GUI thread, then the print dialog; pages go to the chosen printer."""

        def ask(pages: list[printing.PageImage]) -> None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setDocName(
                path.stem
            )  # the print job's name, and the PDF's when printing to file
            if not QPrinterInfo.availablePrinters():  # only "print to file": name it
                printer.setOutputFileName(str(documents() / path.name))
            dialog = QPrintDialog(printer, self.owner)
            dialog.setObjectName("PrintDialog")
            self.print_dialog = dialog
            self._printer = printer  # the dialog only points to it: keep it alive

            def paint() -> None:
                target = printer.outputFileName()
                if printer.outputFormat() is QPrinter.OutputFormat.PdfFormat and target:
                    self.save_pdf(path, target)  # "print to file": the text PDF, not page images
                    return
                try:
                    count = printing.paint(pages, printer)
                except OSError as exc:
                    self._failed(exc)
                    return
                self.tell(self.tr("{n} ページを印刷しました。").format(n=count), Level.OK)

            dialog.accepted.connect(paint)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.show()  # modal to the window, without a nested event loop

        self.jobs.run(lambda: printing.rasterise(path), ask, self._failed)

    def save_pdf(self, path: Path, target: str | None = None) -> None:
        """A copy of ``path`` at ``target``, or where staff choose in Qt's own (translated)
        file dialog, which opens in the user's documents folder, window-modal."""
        if target is not None:
            self._save(path, target)
            return
        dialog = QFileDialog(
            self.owner,
            self.tr("PDFとして保存"),
            str(documents() / path.name),
            self.tr("PDF (*.pdf)"),
        )
        dialog.setObjectName("SaveDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda chosen: self._save(path, chosen))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.save_dialog = dialog
        dialog.show()

    def _save(self, path: Path, target: str) -> None:
        self.jobs.run(
            lambda: printing.save_copy(path, Path(target)),
            lambda p: self.tell(self.tr("保存しました：{p}").format(p=p), Level.OK),
            self._failed,
        )

    def print_declaration(self, s: SessionUpdated) -> None:
        """The 被保険者資格申立書 pre-filled for the patient of ``s``, to the print dialog."""
        out = _print_dir() / f"declaration-{s.visit_id}.pdf"
        stack = self.stack
        today = stack.desk.clock().date()

        def job() -> Path:
            return printing.export_declaration(
                stack.store,
                stack.desk.engine.rb,
                out,
                patient_id=s.patient.id,
                on=today,
                reason=s.reason,
                actor=stack.actor(),
            )

        self.last_declaration = None

        def done(path: Path) -> None:
            self.last_declaration = path
            self.print_pdf(path)

        self.jobs.run(job, done, self._failed)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, RecordsUnverified):  # nothing was written: the window never overrides
            self.tell(texts.unverified_words(exc), Level.ERROR)
            self.stack.desk.refresh_database()  # a rolled-back chain: the banner at once
            return
        self.tell(self.tr("印刷できません：{e}").format(e=exc), Level.ERROR)
