"""The bookings list after tonight's 一括照会 (明日の予約 資格確認一覧): PDF and CSV.

One row per booking in time order; a booking that needs attention at the desk (資格喪失,
該当なし, 変更あり, 未照会) is marked 要確認 and shaded, so the list is read top to bottom as the
day runs and the flagged rows still stand out. Patients are masked as in the daily log (the
print_masking setting), the simulated banner is on every page when the terminal was the
simulator, and the chain event that recorded the check (seq and hash) closes the list so paper
and database can be compared. Rows of the CSV that could not be imported are listed too.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from policies.bookings import BookingFlag, Change
from policies.bulk_check import BulkCheckRun, CheckedBooking
from storage.records import StaffInfo
from storage.reports.csvout import csv_text, write_csv
from storage.reports.exports import Exported, unverified_tag, write_pdf_and_csv
from storage.reports.fonts import JapaneseFont
from storage.reports.labels import label
from storage.reports.masking import clean, masked_birth, masked_kana, masked_name
from storage.reports.model import Facility, GenerationInfo, PatientDisplay, PatientMasking
from storage.reports.pdfkit import (
    CONTENT_W,
    OutputTarget,
    PageSetup,
    RenderResult,
    TextFitter,
    facility_info,
    grid_table,
    info_table,
    listing_table,
    section,
)
from storage.reports.text import jp_date, markup
from storage.store import Store

TITLE = "予約患者 資格確認一覧（一括照会）"
FLAG_LABELS = {
    BookingFlag.ENDED: "資格喪失",
    BookingFlag.NOT_FOUND: "該当なし",
    BookingFlag.CHANGED: "変更あり",
    BookingFlag.UNCHECKED: "未照会",
    BookingFlag.OK: "確認済み",
}
CHANGE_LABELS = {Change.INSURER: "保険者", Change.RATIO: "負担割合", Change.LIMIT: "限度額"}
ATTENTION = "要確認"
ATTENTION_BG = colors.HexColor("#FFF2CC")
ROW_SIZE = 8.0
COLUMNS: tuple[tuple[str, float], ...] = (
    ("#", 8 * mm),
    ("時刻", 12 * mm),
    ("カルテ番号", 20 * mm),
    ("患者", 34 * mm),
    ("結果", 50 * mm),
    ("備考", 42 * mm),
    ("", 20 * mm),
)
CSV_COLUMNS = (
    "予約日",
    "予約時刻",
    "カルテ番号",
    "氏名",
    "カナ",
    "生年月日",
    "結果",
    "結果コード",
    "変更項目",
    "備考",
    "要確認",
    "模擬",
)


def flag_text(row: CheckedBooking) -> str:
    """資格喪失 / 変更あり（保険者・負担割合・限度額） / 該当なし / 未照会 / 確認済み."""
    text = FLAG_LABELS[row.flag]
    if row.changes:
        text += "（" + "・".join(CHANGE_LABELS[c] for c in row.changes) + "）"
    return text


def _patient(row: CheckedBooking) -> PatientDisplay:
    b = row.booking
    return PatientDisplay(b.chart_number, b.name, b.kana, b.birth_date)


def _time(row: CheckedBooking) -> str:
    return row.booking.time.strftime("%H:%M") if row.booking.time else "—"


def _texts(n: int, row: CheckedBooking, masking: PatientMasking) -> list[str]:
    p = _patient(row)
    who = "\n".join(x for x in (masked_name(p.name, masking), masked_birth(p, masking)) if x)
    return [
        str(n),
        _time(row),
        clean(p.chart_no),
        who or "—",
        flag_text(row),
        row.note or "",
        ATTENTION if row.flag is not BookingFlag.OK else "",
    ]


def _rows_table(run: BulkCheckRun, masking: PatientMasking, fit: TextFitter) -> Flowable:
    """The bookings in time order; a booking to check at the desk shaded, its result red."""
    return listing_table(
        COLUMNS,
        (
            (_texts(n, row, masking), row.flag is not BookingFlag.OK)
            for n, row in enumerate(run.rows, 1)
        ),
        fit=fit,
        size=ROW_SIZE,
        marked_bg=ATTENTION_BG,
        marked_column=4,
    )


def _summary(
    run: BulkCheckRun, facility: Facility, masking: PatientMasking
) -> list[tuple[str, str]]:
    counts = run.counts()
    return [
        *facility_info(facility),
        ("予約日", jp_date(run.day)),
        ("受付番号", clean(run.reception_number or "（照会なし）")),
        ("件数", "、".join(f"{FLAG_LABELS[f]} {counts[f.value]}件" for f in BookingFlag)),
        ("処理中の回答", f"{run.processing_answers}回"),
        ("患者表示", label(masking)),
    ]


def _evidence(run: BulkCheckRun, font: str, fit: TextFitter) -> Flowable:
    w0, w1 = 42 * mm, CONTENT_W - 42 * mm
    pairs = [
        (
            "監査チェーン記録",
            f"通番 {run.chain_seq}" if run.chain_seq is not None else "（未記録）",
        ),
        ("ハッシュ", run.chain_hash or "—"),
        ("回答ファイル", clean(run.answer_file or "—")),
        ("回答 SHA-256", run.answer_sha256 or "—"),
    ]
    rows = [[fit.cell(a, 8.5, w0), fit.cell(b, 8.5, w1)] for a, b in pairs]
    return grid_table(rows, (w0, w1), font=font, size=8.5, header_rows=0)


def render_bookings_list(
    run: BulkCheckRun,
    out: OutputTarget,
    *,
    facility: Facility,
    masking: PatientMasking = PatientMasking.PARTIAL,
    font: JapaneseFont | None = None,
    generation: GenerationInfo | None = None,
    unverified: str | None = None,
) -> RenderResult:
    """Render the list as an A4 PDF into ``out`` (path or binary stream); ``unverified``
    (what failed to verify, printed on request) puts the red banner on every page."""
    masking = PatientMasking(masking)
    page = PageSetup.of(
        font,
        header_left=f"{TITLE}　{clean(facility.name)}",
        header_right=jp_date(run.day),
        footer_lines=("本人確認は来院時に窓口で行います。この一覧は来院前の見込みです。",),
        app_version=(generation or GenerationInfo()).app_version,
        simulated=run.simulated,
        unverified=clean(unverified or ""),
    )
    fit, styles = page.fit, page.styles
    story: list[Flowable] = [
        Paragraph(markup(f"{TITLE}　{jp_date(run.day)}"), styles.title),
        info_table(_summary(run, facility, masking), page.font, fit),
        Spacer(1, 4 * mm),
    ]
    if run.rows:
        story.append(_rows_table(run, masking, fit))
    else:
        story.append(Paragraph("この日の予約はありません。", styles.body))
    notes = [f"{line}行目: {clean(reason)}" for line, reason in run.problems]
    notes += [f"回答: {clean(w)}" for w in run.warnings]
    if notes:
        body = [Paragraph(markup(n), styles.small) for n in notes]
        story.append(section("取り込めなかった行・回答の注意", styles, *body))
    story.append(section("監査記録との照合", styles, _evidence(run, page.font, fit)))
    return page.render(
        story,
        out,
        title=f"{TITLE} {run.day.isoformat()}",
        subject="予約患者の一括照会結果" + ("（模擬データ）" if run.simulated else ""),
        author=clean(facility.name),
        created=datetime.combine(run.day, time(0, 0)),
    )


def write_bookings_csv(
    run: BulkCheckRun,
    out: OutputTarget,
    *,
    masking: PatientMasking = PatientMasking.PARTIAL,
    unverified: str | None = None,
) -> int:
    """One row per booking, masked like the PDF (UTF-8 with BOM), after a first line saying
    what did not verify when ``unverified``. Returns the row count."""
    masking = PatientMasking(masking)
    rows = [
        [
            row.booking.day.isoformat(),
            _time(row) if row.booking.time else "",
            csv_text(row.booking.chart_number),
            csv_text(masked_name(row.booking.name, masking)),
            csv_text(masked_kana(row.booking.kana, masking)),
            masked_birth(_patient(row), masking),
            flag_text(row),
            row.flag.value,
            ";".join(c.value for c in row.changes),
            csv_text(row.note or ""),
            int(row.flag is not BookingFlag.OK),
            int(run.simulated),
        ]
        for row in run.rows
    ]
    return write_csv(CSV_COLUMNS, rows, out, warning=unverified)


def export_bookings_list(
    store: Store,
    run: BulkCheckRun,
    pdf: Path,
    *,
    csv: Path | None = None,
    facility: Facility,
    masking: PatientMasking,
    font: JapaneseFont,
    generation: GenerationInfo | None = None,
    actor: StaffInfo | None = None,
    unverified: str | None = None,
) -> list[Exported]:
    """Write the PDF (and CSV) and record each export in the chain. ``unverified``: what
    :func:`storage.reports.from_store.verified` found before the check, printed on request."""
    tag = unverified_tag(
        f"{run.day.isoformat()} masking={PatientMasking(masking).value}", unverified
    )
    return write_pdf_and_csv(
        store,
        actor,
        "bookings_list",
        tag,
        pdf=pdf,
        render=lambda out: render_bookings_list(
            run,
            out,
            facility=facility,
            masking=masking,
            font=font,
            generation=generation,
            unverified=unverified,
        ),
        csv=csv,
        write_csv=lambda out: write_bookings_csv(run, out, masking=masking, unverified=unverified),
    )
