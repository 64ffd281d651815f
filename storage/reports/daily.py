"""The daily log (資格確認 日次記録): what the clinic prints in the evening, signs and files."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.colors import black
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from policies.model import Outcome, VerificationPath
from storage.paper import PaperMark
from storage.reports.fonts import JapaneseFont
from storage.reports.labels import label, short_label
from storage.reports.masking import clean, patient_lines
from storage.reports.model import JST, ChainHead, DailyLog, PatientMasking, VerificationRow
from storage.reports.pdfkit import (
    CONTENT_W,
    SIMULATED_ROW_BG,
    OutputTarget,
    PageSetup,
    RenderResult,
    TextFitter,
    facility_info,
    grid_table,
    info_table,
    listing_table,
    reprint_line,
    section,
)
from storage.reports.text import clock, jp_date, markup, stamp
from storage.reports.usage import MYNA_CARD_PATHS, RATE_DEFINITION, daily_rate

TITLE = "資格確認 日次記録"
ROW_SIZE = 7.5
COLUMNS: tuple[tuple[str, float], ...] = (
    ("#", 8 * mm),
    ("時刻", 11 * mm),
    ("患者", 33 * mm),
    ("確認方法", 35 * mm),
    ("結果", 17 * mm),
    ("理由", 24 * mm),
    ("確認書類", 28 * mm),
    ("担当", 18 * mm),
    ("端末", 12 * mm),
)
EMPTY_DAY = "この日の資格確認の記録はありません（0件）。"


def _row_texts(n: int, row: VerificationRow, masking: PatientMasking) -> list[str]:
    return [
        str(n),
        clock(row.local_at) + ("\n模擬" if row.simulated else ""),
        "\n".join(patient_lines(row.patient, masking)),
        label(row.path),
        short_label(row.outcome),
        label(row.failure_reason),
        "、".join(label(d) for d in row.documents) or "—",
        clean(row.staff) or "—",
        clean(row.terminal_id) or "—",
    ]


def _info_table(data: DailyLog, masking: PatientMasking, font: str, fit: TextFitter) -> Flowable:
    f = data.facility
    info = [
        *facility_info(f),
        ("対象日", jp_date(data.day)),
        ("端末", "、".join(clean(t) for t in data.terminals) or "—"),
        ("患者表示", label(masking)),
    ]
    info += reprint_line(data.generation)
    return info_table(info, font, fit)


def _totals(data: DailyLog, font: str, fit: TextFitter) -> list[Flowable]:
    counted = [r for r in data.rows if r.outcome is not Outcome.ABANDONED]
    by_path = Counter(r.path for r in counted)
    abandoned = len(data.rows) - len(counted)
    w = (CONTENT_W - 44 * mm, 20 * mm, 24 * mm)
    rows = [["確認方法", "件数", "利用率の分子"]]
    for path in VerificationPath:
        if by_path[path]:
            mark = "○" if path in MYNA_CARD_PATHS else ""
            rows.append([fit.cell(label(path), 9, w[0]), str(by_path[path]), mark])
    rows.append(["合計（中止を除く）", str(len(counted)), ""])
    rows.append(["中止（利用率の対象外）", str(abandoned), ""])
    table = grid_table(
        rows, w, font=font, size=9, align_right=(1,), extra=[("ALIGN", (2, 0), (2, -1), "CENTER")]
    )

    by_outcome = Counter(r.outcome for r in data.rows)
    orow = [[label(o) for o in Outcome], [str(by_outcome[o]) for o in Outcome]]
    outcome_table = grid_table(orow, [CONTENT_W / len(Outcome)] * len(Outcome), font=font, size=9)

    rate = daily_rate(data.rows)
    rate_text = (
        f"マイナ保険証利用率（当日）：{rate.myna}件 ／ {rate.total}件 ＝ {rate.percent_text()}"
    )
    rate_table = grid_table(
        [[rate_text]],
        (CONTENT_W,),
        font=font,
        size=11,
        header_rows=0,
        extra=[("BOX", (0, 0), (-1, -1), 1.2, "black")],
    )
    return [table, Spacer(1, 3 * mm), outcome_table, Spacer(1, 3 * mm), rate_table]


def _chain_and_signature(data: DailyLog, font: str, fit: TextFitter) -> list[Flowable]:
    head = data.chain_head
    qr_col = QR_SIZE + 3 * mm if head is not None else 0
    w0, w1 = 42 * mm, CONTENT_W - 42 * mm - qr_col
    if head is None:
        rows = [["監査チェーン末尾", "（この日までの監査記録なし）"]]
    else:
        at = ""
        if head.at is not None:
            moment = head.at.astimezone(JST) if head.at.tzinfo else head.at
            at = f"（{stamp(moment)}）"
        when = "当日終了時点" if data.day_closed else "印刷時点・当日は未終了"
        rows = [
            [f"監査チェーン末尾（{when}）", f"通番 {head.seq}{at}"],
            ["ハッシュ", head.hash_hex],
            ["照合コード", paper_text(data, head)],
        ]
    rows = [[fit.cell(a, 8.5, w0), fit.cell(b, 8.5, w1)] for a, b in rows]
    chain: Flowable = grid_table(rows, (w0, w1), font=font, size=8.5, header_rows=0)
    if head is not None:  # the same text as a QR code, for a scanner at `audit check-paper`
        chain = Table(
            [[chain, QrCode(paper_text(data, head))]],
            colWidths=(w0 + w1, qr_col),
            style=[
                ("FONT", (0, 0), (-1, -1), font, 8.5),  # else the table's default Helvetica
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ],
        )
    sign = grid_table(
        [["確認者 署名", "", "日付", "　　　　年　　月　　日"]],
        (28 * mm, 80 * mm, 16 * mm, CONTENT_W - 124 * mm),
        font=font,
        size=10,
        header_rows=0,
        row_heights=[14 * mm],
        extra=[("VALIGN", (0, 0), (-1, -1), "MIDDLE")],
    )
    return [chain, Spacer(1, 5 * mm), sign]


#: Printed size of the head's QR code and its quiet zone in modules (the standard's 4).
QR_SIZE = 24 * mm
_QR_QUIET = 4


def paper_text(data: DailyLog, head: ChainHead) -> str:
    """The head as ``storage.paper`` reads it back (text line and QR code)."""
    code = data.facility.medical_institution_code or "-"
    return PaperMark(code, data.day, head.seq, head.hash_hex.lower()).text()


class QrCode(Flowable):
    """A QR code of ``value`` (reportlab's encoder, error correction M: still reads with a fold
    or a stain), QR_SIZE square, drawn as filled squares straight on the canvas: no graphics
    state or default font enters the PDF, so reprints stay byte-identical and all fonts
    embedded."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value
        encoder = QrCodeWidget(value, barLevel="M").qr
        encoder.make()
        self.modules = [[bool(m) for m in row] for row in encoder.modules]

    def wrap(self, _avail_w: float, _avail_h: float) -> tuple[float, float]:
        return QR_SIZE, QR_SIZE

    def draw(self) -> None:
        box = QR_SIZE / (len(self.modules) + 2 * _QR_QUIET)
        self.canv.setFillColor(black)
        for r, row in enumerate(self.modules):
            for c, dark in enumerate(row):
                if dark:
                    x, y = (c + _QR_QUIET) * box, QR_SIZE - (r + _QR_QUIET + 1) * box
                    self.canv.rect(x, y, box, box, stroke=0, fill=1)


def _creation_moment(data: DailyLog) -> datetime:
    """PDF creation date from the data: chain head time, else last row, else the day's start."""
    if data.chain_head is not None and data.chain_head.at is not None:
        return data.chain_head.at
    if data.rows:
        return data.rows[-1].at
    return datetime.combine(data.day, time(0, 0), JST)


def render_daily_log(
    data: DailyLog,
    out: OutputTarget,
    *,
    masking: PatientMasking = PatientMasking.PARTIAL,
    font: JapaneseFont | None = None,
) -> RenderResult:
    """Render the daily log of ``data.day`` as an A4 PDF into ``out`` (path or binary stream).

    The same ``data`` and options always give the same bytes.
    """
    masking = PatientMasking(masking)
    f = data.facility
    page = PageSetup.of(
        font,
        header_left=f"{TITLE}　{clean(f.name)}（{clean(f.medical_institution_code)}）",
        header_right=jp_date(data.day),
        footer_lines=(RATE_DEFINITION,),
        app_version=data.generation.app_version,
        simulated=data.any_simulated,
        unverified=clean(data.unverified or ""),
    )
    fit, styles = page.fit, page.styles
    story: list[Flowable] = [
        Paragraph(markup(f"{TITLE}　{jp_date(data.day)}"), styles.title),
        _info_table(data, masking, page.font, fit),
        Spacer(1, 4 * mm),
    ]
    if data.rows:
        rows = ((_row_texts(n, row, masking), row.simulated) for n, row in enumerate(data.rows, 1))
        story.append(
            listing_table(
                COLUMNS, rows, fit=fit, size=ROW_SIZE, marked_bg=SIMULATED_ROW_BG, marked_column=1
            )
        )
    else:
        story.append(Paragraph(EMPTY_DAY, styles.body))
    story.append(section("集計", styles, *_totals(data, page.font, fit)))
    story.append(
        section("監査記録との照合・確認", styles, *_chain_and_signature(data, page.font, fit))
    )

    return page.render(
        story,
        out,
        title=f"{TITLE} {data.day.isoformat()} {clean(f.name)}",
        subject="資格確認の経路と理由の日次記録"
        + ("（模擬データを含む）" if data.any_simulated else ""),
        author=clean(f.name),
        created=_creation_moment(data),
    )
