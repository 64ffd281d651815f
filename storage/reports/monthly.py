"""The monthly usage report: counts by path and day, the rate against thresholds, the trend."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from policies.model import VerificationPath
from storage.reports.fonts import JapaneseFont
from storage.reports.labels import label, short_label
from storage.reports.masking import clean
from storage.reports.model import MonthlyUsage
from storage.reports.pdfkit import (
    CONTENT_W,
    OutputTarget,
    PageSetup,
    RenderResult,
    Styles,
    TextFitter,
    facility_info,
    grid_table,
    info_table,
    reprint_line,
    row_height,
    section,
)
from storage.reports.text import jp_date, jp_month, markup
from storage.reports.usage import (
    MYNA_CARD_PATHS,
    RATE_DEFINITION,
    VERDICT_LABELS,
    MonthFigures,
    Verdict,
    day_rate,
    format_percent,
)

TITLE = "マイナ保険証 利用状況 月次報告"
_WEEKDAYS = "月火水木金土日"
MET_COLOR = colors.HexColor("#1B6E20")
NOT_MET_COLOR = colors.HexColor("#B00020")
BAR_COLOR = colors.HexColor("#4A78B0")
UNVERIFIED_COLOR = colors.HexColor("#707070")


def _thresholds(fig: MonthFigures, font: str, fit: TextFitter) -> Flowable:
    if not fig.verdicts:
        return Paragraph("比較する利用率の基準は入力されていません。", Styles.for_font(font).body)
    widths = (54 * mm, 28 * mm, 18 * mm, 18 * mm, 20 * mm, CONTENT_W - 138 * mm)
    rows = [["基準", "期間", "必要利用率", "当月利用率", "判定", "出典"]]
    extra: list[tuple[object, ...]] = []
    for i, v in enumerate(fig.verdicts, 1):
        t = v.threshold
        cells = [
            clean(t.label) + (f"\n（{clean(t.note)}）" if t.note else ""),
            clean(t.period),
            format_percent(t.required_rate) + ("\n（未確認）" if t.unverified else ""),
            fig.rate.percent_text(),
            VERDICT_LABELS[v.verdict],
            clean(t.source),
        ]
        rows.append([fit.cell(c, 8, w) for c, w in zip(cells, widths, strict=True)])
        color = {
            Verdict.MET: MET_COLOR,
            Verdict.NOT_MET: NOT_MET_COLOR,
            Verdict.UNVERIFIED: UNVERIFIED_COLOR,
        }.get(v.verdict)
        if color is not None:
            extra.append(("TEXTCOLOR", (4, i), (4, i), color))
    return grid_table(
        rows,
        widths,
        font=font,
        size=8,
        align_right=(2, 3),
        extra=extra,
        row_heights=[row_height(r, 8) for r in rows],
    )


def _path_totals(fig: MonthFigures, font: str, fit: TextFitter) -> Flowable:
    total = fig.rate.total
    widths = (CONTENT_W - 60 * mm, 20 * mm, 20 * mm, 20 * mm)
    rows = [["確認方法", "件数", "構成比", "利用率の分子"]]
    for path in fig.active_paths:
        n = fig.by_path[path]
        share = format_percent(Fraction(n, total)) if total else "—"
        mark = "○" if path in MYNA_CARD_PATHS else ""
        rows.append([fit.cell(label(path), 8.5, widths[0]), str(n), share, mark])
    rows.append(["合計", str(total), "100.0%" if total else "—", ""])
    return grid_table(
        rows,
        widths,
        font=font,
        size=8.5,
        align_right=(1, 2),
        extra=[("ALIGN", (3, 0), (3, -1), "CENTER")],
    )


def _trend_table(fig: MonthFigures, font: str) -> Flowable:
    rows = [["年月", "マイナ保険証", "全件数", "利用率"]]
    for m in fig.trend:
        rows.append(
            [
                jp_month(m.year, m.month),
                str(m.myna_count),
                str(m.total_count),
                format_percent(m.rate),
            ]
        )
    widths = (24 * mm, 20 * mm, 16 * mm, 16 * mm)
    return grid_table(rows, widths, font=font, size=8, align_right=(1, 2, 3))


def _trend_chart(fig: MonthFigures, font: str, width: float) -> Drawing:
    """Bars of the monthly rate (%), with each threshold as a dashed line."""
    height = 62 * mm
    drawing = Drawing(width, height)
    # The renderer's initial font is Helvetica (not embedded) unless the drawing names one.
    drawing.initialFontName = font
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 12 * mm
    chart.width, chart.height = width - 16 * mm, height - 20 * mm
    rates = [float(m.rate * 100) if m.rate is not None else 0.0 for m in fig.trend]
    chart.data = [rates]
    chart.categoryAxis.categoryNames = [f"{m.year % 100:02d}/{m.month:02d}" for m in fig.trend]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 0
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.bars[0].fillColor = BAR_COLOR
    chart.bars[0].strokeColor = None
    drawing.add(chart)
    # One dashed line per distinct sourced rate (several tiers and periods often share one).
    lines = sorted({v.threshold.required_rate for v in fig.verdicts if not v.threshold.unverified})
    for required in lines:
        assert required is not None
        y = chart.y + chart.height * float(required)
        drawing.add(
            Line(
                chart.x,
                y,
                chart.x + chart.width,
                y,
                strokeColor=NOT_MET_COLOR,
                strokeDashArray=[3, 2],
            )
        )
        drawing.add(
            String(
                chart.x + chart.width,
                y + 1.5,
                format_percent(required),
                fontName=font,
                fontSize=6.5,
                fillColor=NOT_MET_COLOR,
                textAnchor="end",
            )
        )
    drawing.add(String(0, height - 5 * mm, "利用率の推移（%）", fontName=font, fontSize=8))
    return drawing


def _per_day(fig: MonthFigures, font: str, fit: TextFitter) -> Flowable:
    paths: tuple[VerificationPath, ...] = fig.active_paths
    fixed = 16 * mm + 14 * mm + 16 * mm
    col = (CONTENT_W - fixed) / max(len(paths), 1)
    widths = [16 * mm, *([col] * len(paths)), 14 * mm, 16 * mm]
    header = ["日付", *(fit.cell(short_label(p), 7, col) for p in paths), "合計", "利用率"]
    rows = [header]
    for day in fig.days:
        counter = fig.by_day[day]
        rate = day_rate(counter)
        rows.append(
            [
                f"{day.day}日（{_WEEKDAYS[day.weekday()]}）",
                *(str(counter[p]) if counter[p] else "" for p in paths),
                str(rate.total) if rate.total else "",
                rate.percent_text() if rate.total else "",
            ]
        )
    rows.append(
        [
            "合計",
            *(str(fig.by_path[p]) for p in paths),
            str(fig.rate.total),
            fig.rate.percent_text(),
        ]
    )
    last = len(rows) - 1
    return grid_table(
        rows,
        widths,
        font=font,
        size=7,
        align_right=tuple(range(1, len(widths))),
        extra=[
            ("ALIGN", (1, 0), (-1, 0), "CENTER"),
            ("BACKGROUND", (0, last), (-1, last), "#F2F2F2"),
        ],
        row_heights=[row_height(r, 7) for r in rows],
    )


def render_monthly_report(
    data: MonthlyUsage, out: OutputTarget, *, font: JapaneseFont | None = None
) -> RenderResult:
    """Render the monthly usage report as an A4 PDF into ``out`` (path or binary stream)."""
    fig = MonthFigures.of(data)
    f = data.facility
    month = jp_month(data.year, data.month)
    as_of = data.as_of or date(data.year, data.month, 1)
    page = PageSetup.of(
        font,
        header_left=f"{TITLE}　{clean(f.name)}（{clean(f.medical_institution_code)}）",
        header_right=month,
        footer_lines=(RATE_DEFINITION,),
        app_version=data.generation.app_version,
        simulated=data.simulated_count > 0,
        unverified=clean(data.unverified or ""),
    )
    fit, styles = page.fit, page.styles
    info = [
        *facility_info(f),
        ("対象月", month),
        ("作成基準日", jp_date(as_of)),
    ]
    if data.simulated_count:
        info.append(("模擬データ", f"{data.simulated_count}件（シミュレーションによる記録を含む）"))
    info += reprint_line(data.generation)
    r = fig.rate
    summary = f"当月のマイナ保険証利用率：{r.myna}件 ／ {r.total}件 ＝ {r.percent_text()}"
    chart_w = CONTENT_W - 80 * mm
    trend = grid_table(
        [[_trend_table(fig, page.font), _trend_chart(fig, page.font, chart_w)]],
        (78 * mm, chart_w + 2 * mm),
        font=page.font,
        size=8,
        header_rows=0,
        extra=[("GRID", (0, 0), (-1, -1), 0, colors.white), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
    )
    story: list[Flowable] = [
        Paragraph(markup(f"{TITLE}　{month}"), styles.title),
        info_table(info, page.font, fit),
        Spacer(1, 3 * mm),
        grid_table(
            [[summary]],
            (CONTENT_W,),
            font=page.font,
            size=11,
            header_rows=0,
            extra=[("BOX", (0, 0), (-1, -1), 1.2, "black")],
        ),
        section("利用率の基準との比較", styles, _thresholds(fig, page.font, fit)),
        Spacer(1, 1.5 * mm),
        *(Paragraph(markup(clean(n)), styles.small) for n in data.notes),
        section("確認方法別の件数（当月）", styles, _path_totals(fig, page.font, fit)),
        section("利用率の推移", styles, trend),
        # At most 33 rows: keep the month's table on one page with its heading.
        section("日別・確認方法別の件数", styles, _per_day(fig, page.font, fit)),
    ]
    return page.render(
        story,
        out,
        title=f"{TITLE} {data.year:04d}-{data.month:02d} {clean(f.name)}",
        subject="マイナ保険証の利用率と確認方法別件数の月次集計",
        author=clean(f.name),
        created=as_of,
    )
