"""Printing the daily log and the 申立書: reportlab PDFs onto Qt's printer.

The reports package renders the PDF (and records the export in the audit chain); PySide6
Essentials cannot rasterise PDF, so pypdfium2 turns each page into an image, which QPainter puts
on the QPrinter the staff chose in the print dialog. "Save as PDF" keeps the original file.
Rendering happens off the GUI thread (:func:`rasterise`); only painting happens on it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPainter
from PySide6.QtPrintSupport import QPrinter

from policies.model import FailureReason
from storage.reports.model import PatientMasking

if TYPE_CHECKING:  # the store and its exporters load at the first printout, not at start-up
    from policies.bulk_check import BulkCheckRun
    from policies.rulebook import RuleBook
    from storage.records import StaffInfo
    from storage.store import Store

#: Raster resolution for paper; 300 dpi keeps 7.5 pt Japanese table text crisp.
PRINT_DPI = 300


@dataclass(frozen=True, slots=True)
class PageImage:
    image: QImage
    width_pt: float
    height_pt: float


def rasterise(pdf: Path | bytes, dpi: int = PRINT_DPI) -> list[PageImage]:
    """Every page of ``pdf`` as an RGBA image at ``dpi`` (safe to call off the GUI thread)."""
    doc = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    pages: list[PageImage] = []
    try:
        for page in doc:
            width, height = page.get_size()
            bitmap = page.render(
                scale=dpi / 72,
                rev_byteorder=True,
                force_bitmap_format=pdfium_c.FPDFBitmap_BGRA,
                fill_color=(255, 255, 255, 255),
            )
            data = bytes(bitmap.buffer)
            image = QImage(
                data, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGBA8888
            ).copy()  # own the pixels: the buffer dies with the bitmap
            pages.append(PageImage(image, width, height))
            page.close()
    finally:
        doc.close()
    return pages


def paint(pages: list[PageImage], printer: QPrinter) -> int:
    """Paint the pages onto ``printer`` (GUI thread), each fitted to the printable area."""
    if not pages:
        return 0
    first = pages[0]
    orientation = (
        QPageLayout.Orientation.Landscape
        if first.width_pt > first.height_pt
        else QPageLayout.Orientation.Portrait
    )
    printer.setPageOrientation(orientation)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be opened")
    try:
        for i, page in enumerate(pages):
            if i:
                printer.newPage()
            area = QRectF(printer.pageLayout().paintRectPixels(printer.resolution()))
            area.moveTo(0, 0)
            size = page.image.size().toSizeF()
            size.scale(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(area.topLeft(), size)
            painter.drawImage(target, page.image)
    finally:
        painter.end()
    return len(pages)


def export_daily(store: Store, day: date, out: Path, masking: str, actor: StaffInfo) -> Path:
    """Render the daily log of ``day`` to ``out`` (the export is recorded in the chain)."""
    from storage.reports import exports  # noqa: PLC0415 - reportlab: 0.5 s of start-up otherwise

    exports.export_daily(store, day, out, masking=PatientMasking(masking), actor=actor)
    return out


def export_declaration(
    store: Store,
    rulebook: RuleBook,
    out: Path,
    *,
    patient_id: int,
    on: date,
    reason: FailureReason | None,
    actor: StaffInfo,
) -> Path:
    """A 被保険者資格申立書 pre-filled with the patient on file, for the patient to complete."""
    known = {"reason": reason} if reason is not None else {}
    from storage.reports import exports  # noqa: PLC0415 - see export_daily

    exports.export_declaration(
        store, rulebook, out, on=on, patient_id=patient_id, actor=actor, **known
    )
    return out


def export_bookings(
    store: Store, run: BulkCheckRun, out: Path, masking: str, actor: StaffInfo
) -> Path:
    """The bookings list of a 一括照会 (明日の予約) to ``out``; recorded in the chain. Records that
    do not verify refuse it (RecordsUnverified), as every printout of the window."""
    from storage.reports.bookings import export_bookings_list  # noqa: PLC0415 - see export_daily
    from storage.reports.exports import report_font  # noqa: PLC0415
    from storage.reports.from_store import facility_of, verified  # noqa: PLC0415

    verified(store, "bookings list", print_unverified=False)
    export_bookings_list(
        store,
        run,
        out,
        facility=facility_of(store.facility_profile()),
        masking=PatientMasking(masking),
        font=report_font(),
        actor=actor,
    )
    return out


def save_copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target
